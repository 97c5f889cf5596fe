"""Where jobs live. Creating a job is taking the month's lock."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime

from domain.job import MonthlyRewardJob
from domain.period import Period


@dataclass(frozen=True)
class AttemptClaim:
    attempt: int
    owner: str | None
    claimed_at: datetime


class JobRepository(abc.ABC):
    @abc.abstractmethod
    def new_id(self) -> str:
        """A fresh job id, made before the insert so the lock and the id are one write."""

    @abc.abstractmethod
    async def create(self, job: MonthlyRewardJob) -> None:
        """Inserts the job; raises JobAlreadyExists when the month is taken (atomic on every
        MongoDB-compatible server: a unique-index insert)."""

    @abc.abstractmethod
    async def claim_attempt(self, job_id: str, attempt: int, owner: str, now: datetime) -> bool:
        """Claims attempt number `attempt` of a job by a unique insert: exactly one of many
        concurrent callers gets True. Claims are never removed: they are the fencing epochs."""

    @abc.abstractmethod
    async def newest_claim(self, job_id: str) -> AttemptClaim | None: ...

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
    async def processing(self) -> list[MonthlyRewardJob]:
        """Every job still `processing`: what the takeover sweep looks at."""

    # The writes below are fenced: each refuses to overwrite a job a newer attempt has written
    # (`attempts` greater than the caller's), and says so by returning False.

    @abc.abstractmethod
    async def save(self, job: MonthlyRewardJob) -> bool:
        """Writes every field of an existing job."""

    @abc.abstractmethod
    async def save_progress(self, job: MonthlyRewardJob) -> bool:
        """Writes progress, the results so far and the lease: cheap enough for every batch."""

    @abc.abstractmethod
    async def renew_lease(self, job: MonthlyRewardJob) -> bool:
        """Writes the lease, unless a newer attempt was claimed: False means this worker lost."""
