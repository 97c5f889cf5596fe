"""A user's reward for one category and month, and the badge it pushes into their wallet."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from domain.period import Period
from domain.ranking import RankedEntry
from domain.tiers import TierTable


class RewardStatus(StrEnum):
    PENDING = "pending"  # not paid yet: a reward before its credit step; never stored so
    AWARDED = "awarded"
    FAILED = "failed"  # e.g. the user no longer exists


def wallet_key(period: Period, category: str) -> str:
    """The idempotency key a credited wallet keeps: one credit per (month, category)."""
    return f"{period.key}:{category}"


@dataclass(frozen=True, slots=True)
class Badge:
    name: str
    category: str
    month: int
    year: int
    tier: str
    rank: int
    earned_at: datetime


@dataclass(frozen=True, slots=True)
class Reward:
    user_id: str
    period: Period
    category: str
    rank: int
    tier: str
    coins: int
    badge_name: str
    snapshot_id: str
    created_at: datetime
    status: RewardStatus = RewardStatus.PENDING
    awarded_at: datetime | None = None
    failure_reason: str | None = None
    paid_by_attempt: int | None = None  # the job attempt whose worker credited the wallet

    @classmethod
    def for_entry(
        cls,
        entry: RankedEntry,
        *,
        period: Period,
        category: str,
        tiers: TierTable,
        snapshot_id: str,
        now: datetime,
    ) -> Reward:
        tier = tiers.tier_for(entry.rank)
        return cls(
            user_id=entry.user_id,
            period=period,
            category=category,
            rank=entry.rank,
            tier=tier.name,
            coins=tier.coins,
            badge_name=tier.badge_name,
            snapshot_id=snapshot_id,
            created_at=now,
        )

    @property
    def key(self) -> str:
        """Unique per (user, month, category): the reward record's identity."""
        return f"{wallet_key(self.period, self.category)}:{self.user_id}"

    @property
    def wallet_key(self) -> str:
        return wallet_key(self.period, self.category)

    @property
    def badge(self) -> Badge:
        """Derived from the stored record, so a resumed run pushes the very same badge."""
        return Badge(
            name=self.badge_name,
            category=self.category,
            month=self.period.month,
            year=self.period.year,
            tier=self.tier,
            rank=self.rank,
            earned_at=self.created_at,
        )

    def awarded(self, now: datetime, attempt: int | None = None) -> Reward:
        return replace(
            self,
            status=RewardStatus.AWARDED,
            awarded_at=now,
            failure_reason=None,
            paid_by_attempt=attempt,
        )

    def failed(self, reason: str) -> Reward:
        return replace(self, status=RewardStatus.FAILED, failure_reason=reason)
