"""The bounded runner behind every overlapped write (infrastructure/mongo/bulk.py)."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from application.concurrency import bounded
from infrastructure.mongo.bulk import chunked

T = TypeVar("T")


def test_chunks_are_consecutive_slices() -> None:
    assert chunked([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunked([], 3) == []
    with pytest.raises(ValueError):
        chunked([1], 0)


class InFlight:
    """Counts the calls running at once, and the most there ever were."""

    def __init__(self) -> None:
        self.running = self.peak = 0

    def call(
        self, result: T, seconds: float, log: list[T] | None = None
    ) -> Callable[[], Awaitable[T]]:
        async def work() -> T:
            self.running += 1
            self.peak = max(self.peak, self.running)
            if log is not None:
                log.append(result)
            await asyncio.sleep(seconds)
            self.running -= 1
            return result

        return work


async def test_at_most_the_limit_runs_at_once_and_results_keep_their_order() -> None:
    calls = InFlight()
    results = await bounded([calls.call(i * 10, 0.001 * (i % 3)) for i in range(20)], 4)
    assert results == [i * 10 for i in range(20)]
    assert calls.peak == 4


async def test_a_failure_starts_nothing_more_and_waits_for_what_is_in_flight() -> None:
    started: list[int] = []
    finished: list[int] = []

    def call(index: int) -> Callable[[], Awaitable[int]]:
        async def work() -> int:
            started.append(index)
            if index == 1:
                await asyncio.sleep(0.001)  # answered while 0 and 2 are still in flight
                raise RuntimeError("chunk 1 refused")
            await asyncio.sleep(0.01)
            finished.append(index)
            return index

        return work

    with pytest.raises(RuntimeError, match="chunk 1 refused"):
        await bounded([call(i) for i in range(10)], 3)
    # 0, 1 and 2 were in flight together; 1 failed; 0 and 2 were answered before the raise;
    # nothing after the failure started.
    assert sorted(started) == [0, 1, 2]
    assert sorted(finished) == [0, 2]


async def test_one_at_a_time_is_strictly_sequential() -> None:
    order: list[str] = []

    def call(index: int) -> Callable[[], Awaitable[None]]:
        async def work() -> None:
            order.append(f"start {index}")
            await asyncio.sleep(0)
            order.append(f"end {index}")

        return work

    await bounded([call(i) for i in range(3)], 1)
    assert order == ["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]


async def test_callers_sharing_a_gate_are_served_in_the_order_they_came() -> None:
    """Two overlapping batches on one gate: the older one's calls all run before the younger
    one's, so it finishes first (its checkpoint need not wait on the younger one's writes), and
    the gate bounds both together."""
    gate = asyncio.Semaphore(3)
    log: list[str] = []
    calls = InFlight()

    def batch(name: str) -> list[Callable[[], Awaitable[str]]]:
        return [calls.call(f"{name}{i}", 0.001, log) for i in range(9)]

    older = asyncio.ensure_future(bounded(batch("old"), 3, gate))
    await asyncio.sleep(0)  # the older batch's lanes queue first
    younger = asyncio.ensure_future(bounded(batch("new"), 3, gate))
    await asyncio.gather(older, younger)
    assert log[:9] == [f"old{i}" for i in range(9)]
    assert sorted(log[9:]) == [f"new{i}" for i in range(9)]
    assert calls.peak == 3
