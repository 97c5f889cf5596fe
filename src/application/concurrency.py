"""Several awaitables in flight, bounded: used wherever writes may overlap (the snapshot's entries
here, the wallet's update commands in infrastructure/mongo/bulk.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


async def bounded(
    work: Sequence[Callable[[], Awaitable[T]]],
    limit: int,
    gate: asyncio.Semaphore | None = None,
) -> list[T]:
    """Runs the calls, at most `limit` at once, started in order; results in the same order.

    After a failure no further call starts, and the first failure is raised only once every call
    already started has finished: nothing is left in flight behind the caller's back.

    `gate` is a limit shared with other callers. Each lane takes a place in it once and keeps it
    until the work runs out, so the caller that came first is served first. Taking it per call
    interleaved two overlapping batches call by call: both finished together, and the older one's
    checkpoint waited on the younger one's writes.
    """
    if limit < 1:
        raise ValueError("at least one call must be allowed in flight")
    results: dict[int, T] = {}
    failures: list[BaseException] = []
    pending = iter(range(len(work)))

    async def lane() -> None:
        async with gate or contextlib.nullcontext():
            await work_through()

    async def work_through() -> None:
        for index in pending:  # one shared iterator: each call is taken by exactly one lane
            if failures:
                return
            try:
                results[index] = await work[index]()
            except Exception as exc:  # recorded; cancellation propagates
                failures.append(exc)
                return

    await asyncio.gather(*(lane() for _ in range(min(limit, len(work)))))
    if failures:
        raise failures[0]
    return [results[index] for index in range(len(work))]
