"""Foreground first: while requests flood the process, a background month's database work yields.

`serve` answers the API and pays a month in one process, and on a small host the database shares
its cores too. Paid at full speed, a 100k month left the API about 0.6 of a core: at 100 clients
the answers' p99 went from 30-50 ms to 130-170 ms. So requests are counted as they arrive and,
while they come faster than `above_rps`, each bulk command of the month waits its turn: one starts
every `pace_seconds`, first come first served, until no flood has been seen for `hold_seconds`.

Between commands, the month's own CPU work (ranking a cursor batch, building a batch's documents)
gives way too: under a flood it runs in slices of `SLICE` items with a short sleep between them
(`give_way`), so a request never waits behind a whole batch of it. A monitor of `serve`'s event
loop (a 100k month, 100 clients) caught it stalled 50-140 ms each time a 5,000-document cursor
batch was ranked or a 1,000-user batch was built; a slice takes a few milliseconds. Two steps
stay whole: cutting a frozen batch out of the ranking (a slice of arrays), and the sort that
ranks a category once it is read.

Only work started inside `month_work()` waits: the background launcher wraps the month's task in
it. The API's own reads (a snapshot, the dry run) never wait, and neither does a serverless step,
which must end inside its request. Heartbeats, lease renewals, checkpoints and the fence never
take a turn: under a flood a live worker keeps its lease, and a batch just takes longer (its
commands times the pace); within a batch the guard on each wallet, not the fence, is what stops a
superseded worker from paying twice, as at full speed. The month slows but never stops, and
`rewards run` has no requests to yield to.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

# Awaited by an adapter before each bulk command (`turn`), or between slices of CPU work (`give_way`).
Turn = Callable[[], Awaitable[None]]
T = TypeVar("T")
R = TypeVar("R")
# Items of the month's CPU work between two chances for requests: 2-8 ms of work each (a
# participant ranked, a reward's document built: 10-40 us each, measured here).
SLICE = 200
# The sleep between two slices under a flood: the loop answers requests for this long, then the
# month works one slice. Not one pass of the loop (sleep(0)): a request takes several passes, and
# would meet a slice at each.
GIVE_WAY_SECONDS = 0.005

_month_work: ContextVar[bool] = ContextVar("rewards_month_work", default=False)


async def no_wait() -> None:
    """The turn of work that yields to nothing (tests, tools)."""


async def sliced(items: Sequence[T], convert: Callable[[T], R], give_way: Turn) -> list[R]:
    """`[convert(item) for item in items]`, awaiting `give_way` between slices of `SLICE`."""
    if len(items) <= SLICE:
        return [convert(item) for item in items]
    converted: list[R] = []
    for start in range(0, len(items), SLICE):
        if start:
            await give_way()
        converted += [convert(item) for item in items[start : start + SLICE]]
    return converted


@contextmanager
def month_work() -> Iterator[None]:
    """Work started inside (and the tasks it creates, which copy the context) takes turns."""
    token = _month_work.set(True)
    try:
        yield
    finally:
        _month_work.reset(token)


def in_month_work() -> bool:
    return _month_work.get()


@dataclass(frozen=True)
class YieldPolicy:
    above_rps: float = 100.0  # requests a second that count as a flood; 0: never yield
    # While yielding, one command of the month's starts this often. 0.4 rather than 0.2: half the
    # database work under a flood gave a lower trigger p99 in each of four alternated pairs.
    pace_seconds: float = 0.4
    hold_seconds: float = 1.0  # yielding goes on this long after the last flood was seen
    window_seconds: float = 0.1  # a flood: `burst` requests in less than this

    def describe(self) -> str:
        if not self.above_rps:
            return "the month never yields to requests"
        return (
            f"above {self.above_rps:g} requests/s the month yields: one bulk database command "
            f"every {self.pace_seconds:g} s"
        )

    @property
    def burst(self) -> int:
        """Requests that, arriving in less than one window, make a flood (so a rate is read to
        the window's resolution: 10 a second for 0.1 s)."""
        return max(1, math.ceil(self.above_rps * self.window_seconds))


class Foreground:
    """The process's requests as the month sees them. `arrived` costs a counter per request
    and a clock read per `burst` of them, so the HTTP layer can call it for every request."""

    def __init__(
        self,
        policy: YieldPolicy,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        self._policy = policy
        self._monotonic = monotonic
        self._sleep = sleep
        self._on_wait = on_wait  # told each wait, in seconds (a metric of how much it yields)
        self._burst = policy.burst
        self._count = 0
        self._burst_began = -math.inf
        self._yield_until = -math.inf
        self._next_turn = -math.inf
        self._queue = asyncio.Lock()  # FIFO: the commands waiting, in order

    def arrived(self) -> None:
        """One request arrived. Every `burst` requests, the time they took says if it was a
        flood (disjoint blocks, not a sliding window: cheap, and late by one block at most)."""
        self._count += 1
        if self._count < self._burst or not self._policy.above_rps:
            return
        now = self._monotonic()
        if now - self._burst_began < self._policy.window_seconds:
            self._yield_until = now + self._policy.hold_seconds
        self._count = 0
        self._burst_began = now

    def yielding(self) -> bool:
        return self._monotonic() < self._yield_until

    async def turn(self) -> None:
        """Returns when the month may send its next command: at once outside `month_work` or
        without a flood, else at the next free turn."""
        if not in_month_work() or not self.yielding():
            return
        async with self._queue:
            while self.yielding():
                now = self._monotonic()
                wait = self._next_turn - now
                if wait <= 0:
                    self._next_turn = now + self._policy.pace_seconds
                    return
                if self._on_wait is not None:
                    self._on_wait(wait)
                await self._sleep(wait)

    async def give_way(self) -> None:
        """Between two slices of the month's CPU work: under a flood, a short sleep, so the
        requests that arrived meanwhile are answered before the next slice."""
        if in_month_work() and self.yielding():
            await self._sleep(GIVE_WAY_SECONDS)
