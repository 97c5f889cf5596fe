"""Who owns each attempt of a job. A claim is an insert under a unique key, never updated or
removed, so it decides between racing takers on every MongoDB-compatible server; the claims are
the fencing epochs a superseded worker checks before it pays anyone."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AttemptClaim:
    attempt: int
    owner: str | None
    claimed_at: datetime


class AttemptClaims(abc.ABC):
    @abc.abstractmethod
    async def claim(self, job_id: str, attempt: int, owner: str, now: datetime) -> bool:
        """Claims attempt number `attempt` of a job: exactly one of many concurrent callers
        gets True."""

    @abc.abstractmethod
    async def newest(self, job_id: str) -> AttemptClaim | None: ...

    @abc.abstractmethod
    async def exists(self, job_id: str, attempt: int) -> bool:
        """Whether attempt number `attempt` was claimed: a worker of an older one has lost."""
