"""Runs the processing in the background so the trigger answers at once."""

from __future__ import annotations

import abc
from collections.abc import Coroutine
from typing import Any


class TaskRunner(abc.ABC):
    @abc.abstractmethod
    def spawn(self, name: str, work: Coroutine[Any, Any, Any]) -> None:
        """Starts `work` without waiting for it."""

    @abc.abstractmethod
    async def wait_idle(self) -> None:
        """Waits until every spawned task has finished (CLI runs and tests)."""

    @abc.abstractmethod
    async def shutdown(self, grace_seconds: float) -> None:
        """Lets running tasks finish for a while, then cancels the rest."""
