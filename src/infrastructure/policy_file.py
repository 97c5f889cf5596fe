"""Reads a reward policy from its JSON file (REWARDS_POLICY_FILE) into domain objects.

The file's camelCase keys are a storage format, so they are parsed here, not in the domain.
Example category: {"name": "students", "role": "student",
"weights": {"student.totalTests": 15, "student.correctAnswers": 1}}.
Example tier: {"name": "ELITE", "firstRank": 2, "lastRank": 10, "coins": 500,
"badgeName": "Monthly Elite"} (lastRank null for the open-ended last tier).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from domain.errors import InvalidPolicy
from domain.policy import RewardPolicy
from domain.ranking import DEFAULT_CATEGORIES, Category
from domain.tiers import DEFAULT_TIERS, Tier, TierTable
from infrastructure.platform_rules import check_policy


def read_policy_file(path: Path) -> RewardPolicy:
    """Raises OSError, json.JSONDecodeError or InvalidPolicy, each naming what is wrong; a policy
    that would write a value the platform's models refuse is refused here, at start-up."""
    policy = policy_from_mapping(json.loads(path.read_text(encoding="utf-8")))
    check_policy(policy)
    return policy


def policy_from_mapping(data: Mapping[str, Any]) -> RewardPolicy:
    """Reads {"categories": [...], "tiers": [...]}; either key may be left out for the default."""
    if not isinstance(data, Mapping):
        raise InvalidPolicy("the policy file must hold a JSON object")
    try:
        categories = (
            tuple(_category(c) for c in data["categories"])
            if "categories" in data
            else DEFAULT_CATEGORIES
        )
        tiers = TierTable(_tier(t) for t in data["tiers"]) if "tiers" in data else DEFAULT_TIERS
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidPolicy(f"malformed reward policy: {exc!r}") from exc
    return RewardPolicy(categories=categories, tiers=tiers)


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
        first_rank=_whole(raw["firstRank"]),
        last_rank=None if last is None else _whole(last),
        coins=_whole(raw["coins"]),
        badge_name=str(raw["badgeName"]),
    )


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"a weight must be a number, got {value!r}")
    return value


def _whole(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"ranks and coins must be whole numbers, got {value!r}")
    return value
