"""An admin's read of one job: the named month's, or the most recent."""

from __future__ import annotations

from datetime import timedelta

from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from domain.errors import JobNotFound
from domain.job import JobHealth, MonthlyRewardJob
from domain.period import Period


class GetJobStatus:
    def __init__(
        self, jobs: JobRepository, clock: Clock, stall_after: timedelta = timedelta(minutes=5)
    ) -> None:
        self._jobs = jobs
        self._clock = clock
        self._stall_after = stall_after

    def health(self, job: MonthlyRewardJob) -> JobHealth:
        """Whether anyone is working on the job now: running, stalled, orphaned or finished."""
        return job.health(self._clock.now(), self._stall_after)

    async def execute(self, period: Period | None = None) -> MonthlyRewardJob:
        """The job to present: it may be shared with every other reader, never change it."""
        if period is None:
            newest = await self._jobs.recent(1)
            if not newest:
                raise JobNotFound("no monthly rewards job has run yet")
            return newest[0]
        job = await self._jobs.find_to_read(period)  # presented, never changed
        if job is None:
            raise JobNotFound(f"no monthly rewards job for {period}")
        return job
