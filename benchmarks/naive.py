"""The naive way, as the seed system did it (SPEC §9.5): rank in memory, then for each user one
awaited read, one awaited credit and one awaited insert of the reward record, one after another.
Written here only, as the baseline the service's batching is measured against."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from motor.motor_asyncio import AsyncIOMotorDatabase

from benchmarks.population import Collection, wallet_totals
from domain.period import Period
from domain.policy import RewardPolicy
from domain.ranking import Category
from domain.tiers import Tier

_UNDATED = datetime.max.replace(tzinfo=UTC)


def _path(doc: dict[str, Any], dotted: str) -> Any:
    value: Any = doc
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _number(value: Any) -> float:
    return 0 if isinstance(value, bool) or not isinstance(value, int | float) else value


async def _ranked_ids(users: Collection, category: Category) -> list[ObjectId]:
    """The same total order as the service (score, xp, createdAt, _id), computed in memory."""
    projection = {"createdAt": 1, "rewards.xp": 1, **{p: 1 for p in category.counter_paths}}
    rows = []
    async for doc in users.find({"role": category.role, "isActive": True}, projection):
        score = category.score(_number(_path(doc, p)) for p in category.counter_paths)
        created = doc.get("createdAt")
        created = created.replace(tzinfo=UTC) if isinstance(created, datetime) else _UNDATED
        xp = _number(_path(doc, "rewards.xp"))
        rows.append((-score, -xp, created, str(doc["_id"]), doc["_id"]))
    rows.sort()  # the hex id is unique: the ObjectId itself is never compared
    return [row[4] for row in rows]


def _credit(user: dict[str, Any], tier: Tier, badge: dict[str, Any]) -> dict[str, Any]:
    """What a Mongoose `user.save()` after `coins += ...; badges.push(...)` amounts to."""
    update: dict[str, dict[str, Any]] = {"$set": {}}
    if isinstance(user.get("badges"), list):
        update["$push"] = {"badges": badge}
    else:
        update["$set"]["badges"] = [badge]
    wallet = user.get("rewards")
    if not isinstance(wallet, dict):
        update["$set"]["rewards"] = {"coins": tier.coins}
    elif isinstance(wallet.get("coins"), int | float):
        update["$inc"] = {"rewards.coins": tier.coins}
    else:
        update["$set"]["rewards.coins"] = tier.coins
    return {k: v for k, v in update.items() if v}


async def run_naive(
    db: AsyncIOMotorDatabase[dict[str, Any]], users_count: int, period: Period
) -> dict[str, Any]:
    """Pays the month one user at a time on an already seeded database; verifies the wallets."""
    policy = RewardPolicy.default()
    users, rewards, jobs = db["users"], db["monthlyrewards"], db["monthlyrewardjobs"]
    before = await wallet_totals(users)
    start = time.perf_counter()
    job = {"month": period.month, "year": period.year, "status": "processing"}
    job_id = (await jobs.insert_one({**job, "startedAt": datetime.now(UTC)})).inserted_id
    paid = coins = 0
    for category in policy.categories:
        for rank, user_id in enumerate(await _ranked_ids(users, category), start=1):
            tier = policy.tiers.tier_for(rank)
            now = datetime.now(UTC)
            badge = {
                "name": tier.badge_name,
                "category": category.name,
                "month": period.month,
                "year": period.year,
                "tier": tier.name,
                "rank": rank,
                "earnedAt": now,
            }
            user = await users.find_one({"_id": user_id})
            if user is None:
                continue
            await users.update_one({"_id": user_id}, _credit(user, tier, badge))
            await rewards.insert_one(
                {
                    "userId": user_id,
                    "month": period.month,
                    "year": period.year,
                    "category": category.name,
                    "rank": rank,
                    "tier": tier.name,
                    "coins": tier.coins,
                    "badge": badge,
                    "status": "awarded",
                    "awardedAt": now,
                }
            )
            paid += 1
            coins += tier.coins
    await jobs.update_one({"_id": job_id}, {"$set": {"status": "completed"}})
    seconds = time.perf_counter() - start
    after = await wallet_totals(users)
    return {
        "users": users_count,
        "seconds": seconds,
        "rewards_awarded": paid,
        "coins_awarded": coins,
        "coins_added_to_wallets": after.coins - before.coins,
        "verified": paid == users_count
        and after.coins - before.coins == coins
        and after.badges - before.badges == paid,
    }
