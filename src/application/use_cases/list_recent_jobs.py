"""The job history, newest month first."""

from __future__ import annotations

from application.ports.job_repository import JobRepository
from domain.errors import InvalidRequest
from domain.job import MonthlyRewardJob

DEFAULT_LIMIT = 12
MAX_LIMIT = 50


class ListRecentJobs:
    def __init__(self, jobs: JobRepository) -> None:
        self._jobs = jobs

    async def execute(self, limit: object = None) -> list[MonthlyRewardJob]:
        return await self._jobs.recent(_parse_limit(limit))


def _parse_limit(raw: object) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 6:
        value = int(raw)
    else:
        raise InvalidRequest(f"limit must be a whole number between 1 and {MAX_LIMIT}, got {raw!r}")
    if not 1 <= value <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}, got {value}")
    return value
