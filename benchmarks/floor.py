"""The floor: the writes our service sends for a month, sent with plain motor and no logic.

Same counts and batch shapes as the service (src/application/crediting.py,
src/application/use_cases/process_monthly_rewards.py, src/infrastructure/mongo/): per ranked user
one snapshot-entry insert, one wallet update and one reward-record insert (with its outcome);
the wallet repairs the data forces (a `$set` per null or missing field, then a second credit);
one job-progress update per batch. Inserts go in batches of REWARDS_BATCH_SIZE, updates in bulks of
REWARDS_UPDATE_CHUNK addressed by `_id`, on collections with the service's indexes. Only the time
spent awaiting the server is counted.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from migrations.runner import migrate
from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo import UpdateOne

from benchmarks.population import Collection, Population, creditable, repairs_needed
from domain.period import Period
from domain.ranking import DEFAULT_CATEGORIES


@dataclass
class _Writer:
    """Sends writes and adds up only the time spent awaiting the server."""

    chunk: int
    seconds: float = 0.0
    inserted: int = 0
    updates: int = 0
    matched: int = 0
    commands: int = 0

    async def insert(self, collection: Collection, docs: list[dict[str, Any]]) -> None:
        start = time.perf_counter()
        await collection.insert_many(docs, ordered=False)
        self.seconds += time.perf_counter() - start
        self.inserted += len(docs)
        self.commands += 1

    async def update(self, collection: Collection, ops: Sequence[UpdateOne], ordered: bool) -> None:
        for begin in range(0, len(ops), self.chunk):
            part = list(ops[begin : begin + self.chunk])
            start = time.perf_counter()
            result = await collection.bulk_write(part, ordered=ordered)
            self.seconds += time.perf_counter() - start
            self.updates += len(part)
            self.matched += result.matched_count
            self.commands += 1


@dataclass
class _Category:
    name: str
    ids: list[ObjectId] = field(default_factory=list)
    repairs: bytearray = field(default_factory=bytearray)


async def _seed(users: Collection, population: Population) -> list[_Category]:
    """The population with creditable wallets, remembering who needs repairs in the service."""
    categories = {c.role: _Category(c.name) for c in DEFAULT_CATEGORIES}
    batch: list[dict[str, Any]] = []
    for doc in population.generate():
        category = categories[doc["role"]]
        category.ids.append(doc["_id"])
        category.repairs.append(repairs_needed(doc))
        batch.append(creditable(doc))
        if len(batch) == 5000:
            await users.insert_many(batch, ordered=False)
            batch = []
    if batch:
        await users.insert_many(batch, ordered=False)
    rng = random.Random(population.seed)
    for category in categories.values():  # ranks are in no relation to insertion order
        order = list(range(len(category.ids)))
        rng.shuffle(order)
        category.ids = [category.ids[i] for i in order]
        category.repairs = bytearray(category.repairs[i] for i in order)
    return list(categories.values())


def _badge(category: str, period: Period, rank: int, now: datetime) -> dict[str, Any]:
    return {
        "name": "Monthly Unplaced",
        "category": category,
        "month": period.month,
        "year": period.year,
        "tier": "UNPLACED",
        "rank": rank,
        "earnedAt": now,
    }


async def run_floor(
    db: AsyncIOMotorDatabase[dict[str, Any]],
    population: Population,
    period: Period,
    batch_size: int,
    chunk: int,
) -> dict[str, Any]:
    await migrate(db)  # the service's indexes, so index upkeep is part of the floor too
    categories = await _seed(db["users"], population)
    users, entries, rewards = db["users"], db["monthlyrankingsnapshotentries"], db["monthlyrewards"]
    jobs, snapshots = db["monthlyrewardjobs"], db["monthlyrankingsnapshots"]
    writer = _Writer(chunk)
    repair_seconds = 0.0
    now = datetime.now(UTC)
    job_id = ObjectId()
    job = {"_id": job_id, "month": period.month, "year": period.year, "status": "processing"}
    await writer.insert(jobs, [{**job, "startedAt": now, "progress": {}}])

    async def progress(done: int) -> None:
        state = {"phase": "crediting", "categories": {"n": {"processed": done, "total": done}}}
        await writer.update(jobs, [UpdateOne({"_id": job_id}, {"$set": {"progress": state}})], True)

    for category in categories:
        await progress(0)
        snap = ObjectId()
        header = {"_id": snap, "month": period.month, "year": period.year, "status": "building"}
        await writer.insert(snapshots, [{**header, "category": category.name, "createdAt": now}])
        snap_id = str(snap)
        for begin in range(0, len(category.ids), batch_size):
            part = category.ids[begin : begin + batch_size]
            await writer.insert(
                entries,
                [
                    {
                        "_id": f"{snap_id}:{rank:09d}",
                        "snapshotId": snap_id,
                        "rank": rank,
                        "userId": uid,
                        "name": f"Student {rank:06d}",
                        "email": f"student{rank:06d}@example.test",
                        "score": float(rank),
                        "xp": 100.0,
                        "createdAt": now,
                    }
                    for rank, uid in enumerate(part, start=begin + 1)
                ],
            )
        freeze = {"$set": {"status": "frozen", "totalParticipants": len(category.ids)}}
        await writer.update(snapshots, [UpdateOne({"_id": snap}, freeze)], True)
        await progress(0)
        wallet_key = f"{period.key}:{category.name}"
        for begin in range(0, len(category.ids), batch_size):
            part = category.ids[begin : begin + batch_size]
            ranks = range(begin + 1, begin + len(part) + 1)
            badges = [_badge(category.name, period, rank, now) for rank in ranks]
            keys = [f"{wallet_key}:{uid}" for uid in part]
            credits = [
                UpdateOne(
                    {"_id": uid},
                    {
                        "$inc": {"rewards.coins": 10},
                        "$push": {"badges": badge, "monthlyRewardKeys": wallet_key},
                    },
                )
                for uid, badge in zip(part, badges, strict=True)
            ]
            await writer.update(users, credits, False)
            needs = category.repairs[begin : begin + len(part)]
            before = writer.seconds
            repairs = [
                UpdateOne({"_id": uid}, {"$set": {f"repaired{i}": now}})
                for uid, count in zip(part, needs, strict=True)
                for i in range(count)
            ]
            await writer.update(users, repairs, True)
            await writer.update(users, [c for c, n in zip(credits, needs, strict=True) if n], False)
            repair_seconds += writer.seconds - before
            await writer.insert(
                rewards,
                [
                    {
                        "_id": key,
                        "userId": uid,
                        "month": period.month,
                        "year": period.year,
                        "category": category.name,
                        "rank": badge["rank"],
                        "tier": "UNPLACED",
                        "coins": 10,
                        "badge": badge,
                        "snapshotId": snap_id,
                        "status": "awarded",
                        "createdAt": now,
                        "awardedAt": now,
                        "failureReason": None,
                        "paidByAttempt": 1,
                    }
                    for key, uid, badge in zip(keys, part, badges, strict=True)
                ],
            )
            await progress(begin + len(part))
    await writer.update(jobs, [UpdateOne({"_id": job_id}, {"$set": {"status": "completed"}})], True)
    return {
        "users": population.users,
        "seconds": writer.seconds,
        "repair_seconds": repair_seconds,
        "documents_inserted": writer.inserted,
        "update_statements": writer.updates,
        "commands": writer.commands,
        "all_updates_matched": writer.matched == writer.updates,
    }
