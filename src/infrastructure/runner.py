"""The asyncio task runner: background work that the trigger does not wait for."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Coroutine
from typing import Any

from application.ports.task_runner import TaskRunner

log = logging.getLogger("rewards.runner")


class AsyncioTaskRunner(TaskRunner):
    def __init__(self) -> None:
        # asyncio keeps only weak references to tasks: without this set a running job could be
        # garbage-collected mid-flight.
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, name: str, work: Coroutine[Any, Any, Any]) -> None:
        # A fresh context: the work outlives the request that started it, and must not inherit
        # that request's database deadline (a context variable) or anything else of it.
        task = asyncio.get_running_loop().create_task(
            work, name=name, context=contextvars.Context()
        )
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            log.warning("[MonthlyRewards] task %s was cancelled", task.get_name())
        elif (exc := task.exception()) is not None:
            log.error("[MonthlyRewards] task %s crashed", task.get_name(), exc_info=exc)

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def wait_idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def shutdown(self, grace_seconds: float) -> None:
        if not self._tasks:
            return
        log.info(
            "[MonthlyRewards] waiting up to %.0fs for %d task(s)", grace_seconds, len(self._tasks)
        )
        _, pending = await asyncio.wait(list(self._tasks), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
