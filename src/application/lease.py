"""The worker's side of the lease: heartbeats while it works, and the fence it passes before
every write that pays someone. A worker that learns a newer attempt took over stops at once."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from application.ports.attempt_claims import AttemptClaims
from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from domain.errors import LeaseLost
from domain.job import MonthlyRewardJob

log = logging.getLogger("rewards.lease")


@dataclass(frozen=True)
class LeaseTerms:
    """Who this process is, and how long a lease it takes (renewed every third of it)."""

    owner: str
    duration: timedelta = timedelta(seconds=60)

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError("a lease must last longer than zero")

    @property
    def renew_every(self) -> timedelta:
        return self.duration / 3


class LeaseKeeper:
    """Holds one job's lease for this worker.

    `fence()` is passed before every write that pays someone: it raises LeaseLost once a newer
    attempt exists, and renews first whenever the last renewal is a third of a lease old, so a
    worker that was paused (a stopped process, a long GC, a frozen VM) asks the database before
    it pays anyone.
    """

    def __init__(
        self,
        jobs: JobRepository,
        claims: AttemptClaims,
        clock: Clock,
        terms: LeaseTerms,
        job: MonthlyRewardJob,
    ) -> None:
        self._jobs = jobs
        self._claims = claims
        self._clock = clock
        self._terms = terms
        self._job = job
        self._renewed_at = clock.now()
        self._lost = False
        self._stopped = False
        # One lease write at a time: `stop` waits for a renewal in flight (see there).
        self._writing = asyncio.Lock()

    @property
    def owner(self) -> str:
        return self._terms.owner

    @property
    def lost(self) -> bool:
        return self._lost

    def mark_lost(self) -> LeaseLost:
        """A fenced write was refused: a newer attempt owns the job. Returns the error to raise."""
        self._lost = True
        return self._error()

    async def fence(self) -> None:
        if self._lost:
            raise self._error()
        if self._clock.now() - self._renewed_at >= self._terms.renew_every:
            await self.renew()

    async def renew(self) -> None:
        if self._lost:
            raise self._error()
        async with self._writing:
            if self._stopped:
                raise LeaseLost(f"the lease of the job for {self._job.period} was given back")
            now = self._clock.now()
            self._job.renew(now, self._terms.duration)
            # The claims are the arbiter: on a server whose updates can interleave (FerretDB) a
            # fenced job write alone could let a superseded worker renew.
            newer_claimed = await self._claims.exists(self._job.id, self._job.epoch + 1)
            if newer_claimed or not await self._jobs.save_lease(self._job):
                raise self.mark_lost()
            self._renewed_at = now

    async def stop(self) -> None:
        """Renews no more, once a renewal in flight has landed: the lease is about to be given
        back. A heartbeat whose renewal landed after the give-back held the job for a whole
        lease (a step ending 20 s in, as the heartbeat beat: the next step found it busy)."""
        async with self._writing:
            self._stopped = True

    async def heartbeat(self) -> None:
        """Renews until cancelled or lost. A failed renewal (the database is away) is retried at
        the next beat; the fence then makes the worker itself renew before paying again."""
        interval = self._terms.renew_every.total_seconds()
        while not self._lost and not self._stopped:
            await asyncio.sleep(interval)
            try:
                await self.renew()
            except LeaseLost:
                if not self._stopped:
                    log.warning("[MonthlyRewards] %s", self._error())
                return
            except Exception as exc:  # the worker's own retries deal with an outage
                log.warning(
                    "[MonthlyRewards] lease renewal failed: %s: %s", type(exc).__name__, exc
                )

    def _error(self) -> LeaseLost:
        return LeaseLost(
            f"attempt {self._job.epoch} of the job for {self._job.period} by "
            f"{self._terms.owner} was superseded by a newer attempt; stopping"
        )
