"""An operator's retry of a failed month: it resumes where the failed attempt stopped."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from application.attempts import Attempts
from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from application.use_cases.start_monthly_rewards import payable_period
from domain.errors import JobNotFound
from domain.job import MonthlyRewardJob
from domain.period import Period


@dataclass(frozen=True)
class RetryOutcome:
    job: MonthlyRewardJob


class RetryMonthlyRewards:
    def __init__(self, jobs: JobRepository, attempts: Attempts, clock: Clock, tz: ZoneInfo) -> None:
        self._jobs = jobs
        self._attempts = attempts
        self._clock = clock
        self._tz = tz

    async def execute(self, requested: Period | None = None) -> RetryOutcome:
        period = payable_period(requested, self._clock, self._tz)
        job = await self._jobs.find(period)
        if job is None:
            raise JobNotFound(
                f"no job for {period}; start it with POST /api/ranking/monthly-rewards"
            )
        return RetryOutcome(await self._attempts.retry(job))
