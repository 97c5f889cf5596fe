"""Bounded exponential backoff for transient database errors (a dropped connection, a timeout, a
primary stepping down). What counts as transient is the adapter's knowledge, handed in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger("rewards.retry")

T = TypeVar("T")
IsTransient = Callable[[BaseException], bool]

# Told of each transient retry (what, error) before its wait: how /metrics counts them.
retry_listeners: list[Callable[[str, BaseException], None]] = []


@dataclass(frozen=True)
class RetryPolicy:
    """`tries` in all, waiting first_delay, 2x, 4x... capped at max_delay between them."""

    tries: int = 6
    first_delay: float = 0.5
    max_delay: float = 8.0

    def __post_init__(self) -> None:
        if self.tries < 1 or self.first_delay < 0 or self.max_delay < self.first_delay:
            raise ValueError(f"invalid retry policy: {self}")

    def delays(self) -> Iterator[float]:
        """The waits between tries: one fewer than `tries`."""
        delay = self.first_delay
        for _ in range(self.tries - 1):
            yield delay
            delay = min(delay * 2, self.max_delay)

    @property
    def total_wait(self) -> float:
        return sum(self.delays())


class GaveUp(Exception):
    """A transient error outlasted every retry; the message says how long we tried."""


async def retrying(
    operation: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    is_transient: IsTransient,
    what: str,
) -> T:
    """Runs `operation`, again after each transient error, until it succeeds or the policy is
    spent. The operation must be safe to repeat: every step of a month's run is."""
    delays = policy.delays()
    tries = 0
    while True:
        tries += 1
        try:
            return await operation()
        except Exception as exc:
            if not is_transient(exc):
                raise
            delay = next(delays, None)
            if delay is None:
                raise GaveUp(
                    f"{what}: the database stayed unavailable through {tries} tries over "
                    f"{policy.total_wait:.1f}s of backoff; last error: {type(exc).__name__}: {exc}"
                ) from exc
            log.warning(
                "[MonthlyRewards] %s: transient %s (%s); try %d of %d in %.1fs",
                what,
                type(exc).__name__,
                exc,
                tries + 1,
                policy.tries,
                delay,
            )
            for listener in retry_listeners:
                listener(what, exc)
            await asyncio.sleep(delay)
