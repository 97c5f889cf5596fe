"""Foreground first: while requests flood the process, a month's database work yields to them.

`serve` answers the API and pays a month in one process, and on a small host the database shares
its cores too. Paid at full speed, a 100k month left the API about 0.6 of a core: at 100 clients
the answers' p99 went from 30-50 ms to 130-170 ms. So requests are counted as they arrive and,
while they come faster than `above_rps`, each of the month's database commands waits its turn:
one starts every `pace_seconds`, until no flood has been seen for `hold_seconds`. The month
slows under a flood but never stops, so it still finishes, and a trigger or a status call still
sees it move; the scheduler's call and an admin's page come far slower than a flood. The worker
of `rewards run` and the step endpoint's work in a quiet process are never slowed.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Turn = Callable[[], Awaitable[None]]  # awaited by an adapter before each command of a month's


async def no_wait() -> None:
    """The turn of work that yields to nothing (tests, tools)."""


@dataclass(frozen=True)
class YieldPolicy:
    above_rps: float = 100.0  # requests a second that count as a flood; 0: never yield
    pace_seconds: float = 0.2  # while yielding, one command of the month's starts this often
    hold_seconds: float = 1.0  # yielding goes on this long after the last flood was seen
    window_seconds: float = 0.1  # a flood: ceil(above_rps x window) requests within the window

    def describe(self) -> str:
        if not self.above_rps:
            return "the month never yields to requests"
        return (
            f"above {self.above_rps:g} requests/s the month yields: one database command "
            f"every {self.pace_seconds:g} s"
        )

    @property
    def burst(self) -> int:
        """Requests that, arriving within one window, make a flood."""
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

    @property
    def policy(self) -> YieldPolicy:
        return self._policy

    def arrived(self) -> None:
        """One request arrived. Every `burst` requests, the time they took says if it was a
        flood (disjoint blocks, not a sliding window: cheap, and late by one block at most)."""
        self._count += 1
        if self._count < self._burst or not self._policy.above_rps:
            return
        now = self._monotonic()
        if now - self._burst_began <= self._policy.window_seconds:
            self._yield_until = now + self._policy.hold_seconds
        self._count = 0
        self._burst_began = now

    def yielding(self) -> bool:
        return self._monotonic() < self._yield_until

    async def turn(self) -> None:
        """Returns when the month may send its next command: at once without a flood, else at
        the next free turn (one every `pace_seconds`, first come first served)."""
        while self.yielding():
            now = self._monotonic()
            wait = self._next_turn - now
            if wait <= 0:
                self._next_turn = now + self._policy.pace_seconds
                return
            if self._on_wait is not None:
                self._on_wait(wait)
            await self._sleep(wait)
