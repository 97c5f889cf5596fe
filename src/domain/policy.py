"""The reward policy: which categories are ranked and what each tier pays, configurable as data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import InvalidPolicy
from domain.ranking import DEFAULT_CATEGORIES, Category
from domain.tiers import DEFAULT_TIERS, Tier, TierTable


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

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RewardPolicy:
        """Reads {"categories": [...], "tiers": [...]}; either key may be left out for the default.

        Example category: {"name": "students", "role": "student",
        "weights": {"student.totalTests": 15, "student.correctAnswers": 1}}.
        Example tier: {"name": "ELITE", "firstRank": 2, "lastRank": 10, "coins": 500,
        "badgeName": "Monthly Elite"} (lastRank null for the open-ended last tier).
        """
        try:
            categories = (
                tuple(_category(c) for c in data["categories"])
                if "categories" in data
                else DEFAULT_CATEGORIES
            )
            tiers = TierTable(_tier(t) for t in data["tiers"]) if "tiers" in data else DEFAULT_TIERS
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidPolicy(f"malformed reward policy: {exc!r}") from exc
        return cls(categories=categories, tiers=tiers)


def _category(raw: Mapping[str, Any]) -> Category:
    weights = raw["weights"]
    return Category(
        name=str(raw["name"]),
        role=str(raw["role"]),
        weights=tuple((str(path), _number(w)) for path, w in dict(weights).items()),
    )


def _tier(raw: Mapping[str, Any]) -> Tier:
    last = raw.get("lastRank")
    return Tier(
        name=str(raw["name"]),
        first_rank=int(raw["firstRank"]),
        last_rank=None if last is None else int(last),
        coins=int(raw["coins"]),
        badge_name=str(raw["badgeName"]),
    )


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"a weight must be a number, got {value!r}")
    return value
