"""The reward records: one per (user, month, category), unique."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from domain.period import Period
from domain.reward import Reward


class RewardRepository(abc.ABC):
    @abc.abstractmethod
    async def record(self, rewards: Sequence[Reward]) -> None:
        """Stores each reward with its outcome (awarded or failed) under its unique key. One
        stored before keeps its record, except a `failed` one now `awarded` (the wallet could be
        credited on a later attempt), which is updated."""

    @abc.abstractmethod
    async def for_period(self, period: Period, category: str) -> list[Reward]:
        """Every reward of a month and category (for audits and tests; not on the hot path)."""
