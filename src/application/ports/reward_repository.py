"""The reward records: one per (user, month, category), unique."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from domain.period import Period
from domain.reward import Reward


class RewardRepository(abc.ABC):
    @abc.abstractmethod
    async def record_pending(self, rewards: Sequence[Reward]) -> list[Reward]:
        """Inserts the rewards not yet recorded and returns, in the same order, what is stored
        for each: the new pending record, or the one an earlier attempt left."""

    @abc.abstractmethod
    async def settle(self, rewards: Sequence[Reward]) -> None:
        """Writes the final status (awarded or failed) of recorded rewards."""

    @abc.abstractmethod
    async def for_period(self, period: Period, category: str) -> list[Reward]:
        """Every reward of a month and category (for audits and tests; not on the hot path)."""
