"""Where jobs live. Creating a job is taking the month's lock."""

from __future__ import annotations

import abc
from datetime import datetime

from domain.job import MonthlyRewardJob
from domain.period import Period


class JobRepository(abc.ABC):
    @abc.abstractmethod
    def new_id(self) -> str:
        """A fresh job id, made before the insert so the lock and the id are one write."""

    @abc.abstractmethod
    async def create(self, job: MonthlyRewardJob) -> None:
        """Inserts the job; raises JobAlreadyExists when the month is taken (atomic on every
        MongoDB-compatible server: a unique-index insert)."""

    @abc.abstractmethod
    async def claim_attempt(self, job_id: str, attempt: int, now: datetime) -> bool:
        """Claims attempt number `attempt` of a job by a unique insert: exactly one caller wins."""

    @abc.abstractmethod
    async def get(self, job_id: str) -> MonthlyRewardJob | None: ...

    @abc.abstractmethod
    async def find(self, period: Period) -> MonthlyRewardJob | None: ...

    @abc.abstractmethod
    async def latest(self) -> MonthlyRewardJob | None:
        """The job of the most recent month."""

    @abc.abstractmethod
    async def recent(self, limit: int) -> list[MonthlyRewardJob]:
        """Newest month first."""

    @abc.abstractmethod
    async def save(self, job: MonthlyRewardJob) -> None:
        """Writes status, results, progress, timings and errors of an existing job."""

    @abc.abstractmethod
    async def save_progress(self, job: MonthlyRewardJob) -> None:
        """Writes only the progress: cheap enough to call once per batch."""
