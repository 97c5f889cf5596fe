"""Checks made from the database itself: what every wallet must hold after a month is paid."""

from __future__ import annotations

from collections import Counter
from typing import Any

from domain.period import Period
from domain.policy import RewardPolicy


async def snapshot_users(db: Any) -> dict[Any, dict[str, Any]]:
    return {doc["_id"]: doc async for doc in db["users"].find({})}


def coins(doc: dict[str, Any]) -> int:
    return int((doc.get("rewards") or {}).get("coins") or 0)


async def assert_paid_exactly_once(
    db: Any, before: dict[Any, dict[str, Any]], period: Period, policy: RewardPolicy | None = None
) -> dict[str, int]:
    """Every active student/teacher holds exactly one badge and one reward for the month per
    category, their coins rose by exactly their tier's amount, totals match the tier table, and
    everyone else is untouched. Returns coins paid per category."""
    policy = policy or RewardPolicy.default()
    after = await snapshot_users(db)
    assert set(after) == set(before), "users appeared or vanished"
    rewards = [
        r async for r in db["monthlyrewards"].find({"year": period.year, "month": period.month})
    ]
    by_user: dict[Any, list[dict[str, Any]]] = {}
    for reward in rewards:
        by_user.setdefault(reward["userId"], []).append(reward)
    paid: dict[str, int] = {}
    for category in policy.categories:
        ranked = [
            u
            for u, d in before.items()
            if d.get("role") == category.role and d.get("isActive") is True
        ]
        cat_rewards = [r for r in rewards if r["category"] == category.name]
        assert len(cat_rewards) == len(ranked), (
            f"{category.name}: {len(cat_rewards)} rewards for {len(ranked)} users"
        )
        assert sorted(r["rank"] for r in cat_rewards) == list(range(1, len(ranked) + 1))
        assert all(r["status"] == "awarded" for r in cat_rewards)
        expected_total = sum(
            policy.tiers.tier_for(rank).coins for rank in range(1, len(ranked) + 1)
        )
        assert sum(r["coinsAwarded"] for r in cat_rewards) == expected_total
        paid[category.name] = expected_total
    for user_id, old in before.items():
        new = after[user_id]
        mine = by_user.get(user_id, [])
        month_badges = [
            b
            for b in (new.get("badges") or [])
            if isinstance(b, dict)
            and (b.get("year"), b.get("month")) == (period.year, period.month)
        ]
        assert Counter(b["category"] for b in month_badges) == Counter(
            r["category"] for r in mine
        ), user_id
        assert coins(new) - coins(old) == sum(r["coinsAwarded"] for r in mine), user_id
        if not mine:
            assert new == old, f"{user_id} was not ranked but changed"
    return paid
