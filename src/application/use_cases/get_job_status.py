"""An admin's read of one job: the named month's, or the most recent."""

from __future__ import annotations

from application.ports.job_repository import JobRepository
from domain.errors import JobNotFound
from domain.job import MonthlyRewardJob
from domain.period import Period


class GetJobStatus:
    def __init__(self, jobs: JobRepository) -> None:
        self._jobs = jobs

    async def execute(self, month: object = None, year: object = None) -> MonthlyRewardJob:
        if month is None and year is None:
            job = await self._jobs.latest()
            if job is None:
                raise JobNotFound("no monthly rewards job has run yet")
            return job
        period = Period.parse(month, year)
        job = await self._jobs.find(period)
        if job is None:
            raise JobNotFound(f"no monthly rewards job for {period}")
        return job
