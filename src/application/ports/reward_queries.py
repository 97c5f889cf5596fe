"""Reading the reward records an operator asks about: a month's, filtered, or one user's. Kept
apart from `RewardRepository`, which is the run's write path."""

from __future__ import annotations

import abc
from dataclasses import dataclass

from domain.period import Period
from domain.reward import Reward, RewardStatus


@dataclass(frozen=True, slots=True)
class RewardFilter:
    """Every field set narrows the read; none set reads every record."""

    period: Period | None = None
    category: str | None = None
    tier: str | None = None
    user_id: str | None = None
    status: RewardStatus | None = None


class RewardQueries(abc.ABC):
    @abc.abstractmethod
    async def find(self, where: RewardFilter, offset: int, limit: int) -> tuple[list[Reward], int]:
        """The records matching `where`, newest month first, then by category and rank; and
        how many match in all."""
