"""The sweep: resume every processing job whose lease expired, at start-up and periodically, so
no job stays stuck even when nobody triggers its month again."""

from __future__ import annotations

import asyncio
import logging

from application.attempts import Attempts
from application.ports.job_repository import JobRepository
from domain.job import MonthlyRewardJob

log = logging.getLogger("rewards.sweep")


class ResumeAbandonedJobs:
    def __init__(self, jobs: JobRepository, attempts: Attempts) -> None:
        self._jobs = jobs
        self._attempts = attempts

    async def execute(self) -> list[MonthlyRewardJob]:
        """The jobs this process took over."""
        taken = []
        for job in await self._jobs.processing():
            resumed = await self._attempts.resume_abandoned(job)
            if resumed is not None:
                taken.append(resumed)
        return taken

    async def run_every(self, seconds: float) -> None:
        """Sweeps until cancelled; a failed sweep (the database is away) waits for the next."""
        while True:
            try:
                await self.execute()
            except Exception as exc:
                log.warning("[MonthlyRewards] sweep failed: %s: %s", type(exc).__name__, exc)
            await asyncio.sleep(seconds)
