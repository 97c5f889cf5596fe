"""An operator's retry of a failed month: it resumes where the failed attempt stopped."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from application.launcher import JobLauncher
from application.lease import LeaseTerms
from application.ports.attempt_claims import AttemptClaims
from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from application.use_cases.start_monthly_rewards import payable_period
from domain.errors import JobNotFound, JobNotRetryable
from domain.job import MonthlyRewardJob
from domain.period import Period


@dataclass(frozen=True)
class RetryOutcome:
    job: MonthlyRewardJob


class RetryMonthlyRewards:
    def __init__(
        self,
        jobs: JobRepository,
        claims: AttemptClaims,
        launcher: JobLauncher,
        clock: Clock,
        tz: ZoneInfo,
        terms: LeaseTerms,
    ) -> None:
        self._jobs = jobs
        self._claims = claims
        self._launcher = launcher
        self._clock = clock
        self._tz = tz
        self._terms = terms

    async def execute(self, requested: Period | None = None) -> RetryOutcome:
        period = payable_period(requested, self._clock, self._tz)
        job = await self._jobs.find(period)
        if job is None:
            raise JobNotFound(
                f"no job for {period}; start it with POST /api/ranking/monthly-rewards"
            )
        job.ensure_retryable()
        now = self._clock.now()
        # Two operators retrying at once both see `failed`; the unique attempt claim lets one win.
        epoch = job.epoch + 1
        if not await self._claims.claim(job.id, epoch, self._terms.owner, now):
            raise JobNotRetryable(f"a retry of the job for {period} is already underway")
        job.retry(epoch, self._terms.owner, now, self._terms.duration)
        if not await self._jobs.save(job):
            raise JobNotRetryable(f"a retry of the job for {period} is already underway")
        await self._launcher.launch(job, "retry")
        return RetryOutcome(job)
