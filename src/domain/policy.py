"""The reward policy: which categories are ranked and what each tier pays."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import InvalidPolicy
from domain.ranking import DEFAULT_CATEGORIES, Category
from domain.tiers import DEFAULT_TIERS, TierTable


@dataclass(frozen=True)
class RewardPolicy:
    categories: tuple[Category, ...]
    tiers: TierTable

    def __post_init__(self) -> None:
        names = [c.name for c in self.categories]
        if not names:
            raise InvalidPolicy("the policy needs at least one category")
        if len(set(names)) != len(names):
            raise InvalidPolicy(f"category names must be unique: {names}")

    @classmethod
    def default(cls) -> RewardPolicy:
        return cls(categories=DEFAULT_CATEGORIES, tiers=DEFAULT_TIERS)
