"""The trigger: take the month's lock and start the work in the background, resume a month whose
worker died, or say why not."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from application.attempts import Attempts
from application.launcher import JobLauncher
from application.lease import LeaseTerms
from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from domain.errors import JobAlreadyExists
from domain.job import JobStatus, MonthlyRewardJob
from domain.period import Period


class StartKind(StrEnum):
    STARTED = "started"
    RESUMED = "resumed"  # its worker had stopped renewing the lease: this trigger took over
    ALREADY_PROCESSING = "already_processing"
    ALREADY_COMPLETED = "already_completed"
    PREVIOUSLY_FAILED = "previously_failed"


_KIND_OF_STATUS = {
    JobStatus.PROCESSING: StartKind.ALREADY_PROCESSING,
    JobStatus.COMPLETED: StartKind.ALREADY_COMPLETED,
    JobStatus.FAILED: StartKind.PREVIOUSLY_FAILED,
}


@dataclass(frozen=True)
class StartOutcome:
    """`job` may be the one a cache hands every reader (JobRepository.find_to_read): read it,
    never change it."""

    kind: StartKind
    job: MonthlyRewardJob


def payable_period(period: Period | None, clock: Clock, tz: ZoneInfo) -> Period:
    """The named month, or by default the one that has just ended; refused if not yet over."""
    now = clock.now()
    if period is None:
        return Period.just_ended(now, tz)
    period.ensure_ended(now, tz)
    return period


class StartMonthlyRewards:
    def __init__(
        self,
        jobs: JobRepository,
        launcher: JobLauncher,
        attempts: Attempts,
        clock: Clock,
        tz: ZoneInfo,
        terms: LeaseTerms,
    ) -> None:
        self._jobs = jobs
        self._launcher = launcher
        self._attempts = attempts
        self._clock = clock
        self._tz = tz
        self._terms = terms

    async def execute(self, requested: Period | None = None) -> StartOutcome:
        period = payable_period(requested, self._clock, self._tz)
        # The scheduler re-fires: most triggers find the month's job, so look before locking.
        existing = await self._jobs.find_to_read(period)
        if existing is not None:
            return await self._answer_existing(existing)
        job = MonthlyRewardJob.start(
            self._jobs.new_id(), period, self._clock.now(), self._terms.owner, self._terms.duration
        )
        try:
            await self._jobs.create(job)
        except JobAlreadyExists:  # another trigger took the lock since we looked
            existing = await self._jobs.find_to_read(period)
            if existing is None:  # the holder vanished between its insert and our read: say so
                raise
            return await self._answer_existing(existing)
        await self._launcher.launch(job)
        return StartOutcome(StartKind.STARTED, job)

    async def _answer_existing(self, seen: MonthlyRewardJob) -> StartOutcome:
        """`seen` is only read; a job this process may take over is read again as a copy of
        this trigger's own, since a takeover changes it."""
        if self._attempts.may_resume(seen):
            own = await self._jobs.find(seen.period)
            if own is not None:
                resumed = await self._attempts.resume_abandoned(own)
                if resumed is not None:
                    return StartOutcome(StartKind.RESUMED, resumed)
                seen = own
        return StartOutcome(_KIND_OF_STATUS[seen.status], seen)
