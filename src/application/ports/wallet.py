"""The users' wallets: coins and badges, credited once per (user, month, category)."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.reward import Reward


class CreditOutcome(StrEnum):
    # The wallet holds the reward: paid by this call or an earlier one. Which of the two is not
    # worth a read per batch to find out: either way it was paid exactly once.
    CREDITED = "credited"
    USER_MISSING = "user_missing"
    NOT_CREDITABLE = "not_creditable"  # wallet fields of a shape no update can fix


@dataclass(frozen=True, slots=True)
class CreditResult:
    outcome: CreditOutcome
    reason: str | None = None


class Wallet(abc.ABC):
    @abc.abstractmethod
    async def credit(self, rewards: Sequence[Reward]) -> list[CreditResult]:
        """Adds each reward's coins and badge unless the wallet already holds its key; results
        are in the order of `rewards`. Safe to call again with the same rewards."""
