"""The job history, newest month first."""

from __future__ import annotations

from application.ports.job_repository import JobRepository
from domain.job import MonthlyRewardJob

DEFAULT_LIMIT = 12
MAX_LIMIT = 50  # a page of history, not a dump of it


class ListRecentJobs:
    def __init__(self, jobs: JobRepository) -> None:
        self._jobs = jobs

    async def execute(self, limit: int = DEFAULT_LIMIT) -> list[MonthlyRewardJob]:
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
        return await self._jobs.recent(limit)
