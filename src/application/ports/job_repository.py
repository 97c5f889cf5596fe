"""Where jobs live. Creating a job is taking the month's lock."""

from __future__ import annotations

import abc

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
    async def get(self, job_id: str) -> MonthlyRewardJob | None: ...

    @abc.abstractmethod
    async def find(self, period: Period) -> MonthlyRewardJob | None:
        """The month's job, as a copy whose own fields the caller may change (a completed job's
        results and history may be shared with other readers: no use case changes those)."""

    async def find_to_read(self, period: Period) -> MonthlyRewardJob | None:
        """The month's job, for a caller that only reads it: a cache may hand every such caller
        the same object, so it must never be changed (`find` gives one that may)."""
        return await self.find(period)

    @abc.abstractmethod
    async def recent(self, limit: int) -> list[MonthlyRewardJob]:
        """Newest month first."""

    @abc.abstractmethod
    async def processing(self) -> list[MonthlyRewardJob]:
        """Every job still `processing`: what the takeover sweep looks at."""

    # The writes below are fenced: each refuses to overwrite a job a newer attempt has written
    # (a greater epoch than the caller's), and says so by returning False.

    @abc.abstractmethod
    async def save(self, job: MonthlyRewardJob) -> bool:
        """Writes every field of an existing job."""

    @abc.abstractmethod
    async def save_progress(self, job: MonthlyRewardJob) -> bool:
        """Writes progress and the results so far: cheap enough for every batch."""

    @abc.abstractmethod
    async def save_lease(self, job: MonthlyRewardJob) -> bool:
        """Writes the lease: a heartbeat."""
