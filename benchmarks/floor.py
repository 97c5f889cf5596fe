"""The floor: the writes our service sends for a month, sent with plain motor and no logic, with N
commands in flight: the throughput the server gives a client that does nothing but write.

Same counts and batch shapes as the service (src/application/crediting.py,
src/application/use_cases/process_monthly_rewards.py, src/infrastructure/mongo/): per ranked user
one snapshot-entry insert, one wallet update and one reward-record insert (with its outcome); one
job-progress update per batch. Inserts go in batches of REWARDS_BATCH_SIZE, updates in bulks of
REWARDS_UPDATE_CHUNK addressed by `_id`, on collections with the service's indexes. The wallets are
clean (no nulls): the floor pays no repairs; the service does, inside its time.

Each category's snapshot entries are written first (they are frozen before anyone is paid), then
its credits, records and progress updates, in that order of start, through one window of
`concurrency` commands in flight (a new command starts as soon as one answers). The time is the
wall time of those two phases; building the documents (a few ms per batch) is inside it and is
reported on its own as `client_build_seconds`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from migrations.runner import migrate
from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo import UpdateOne

from application.concurrency import bounded
from benchmarks.population import Collection, Population, creditable
from domain.period import Period
from domain.ranking import DEFAULT_CATEGORIES
from infrastructure.mongo.bulk import chunked
from infrastructure.mongo.server_profile import (
    FERRETDB_POOL_RESERVE,
    FERRETDB_UPDATE_CHUNK,
    LimitSettings,
    ServerKind,
    ServerProfile,
)

DEFAULT_CONCURRENCY = (1, 2, 4, 8, 16)


def floor_chunk(profile: ServerProfile, settings: LimitSettings, concurrency: int) -> int:
    """Statements per update command of a floor run: the chunk set, else the server's (a whole
    batch on MongoDB, 50 on FerretDB), shrunk on FerretDB so that all the commands in flight
    fit its pool. The floor is one writer, so it may use the whole pool but the reserve: more
    than a worker gets (see server_profile.py), which only makes the floor harder to meet."""
    if profile.kind is ServerKind.MONGODB:
        return settings.update_chunk or settings.batch_size
    chunk = settings.update_chunk or FERRETDB_UPDATE_CHUNK
    if profile.kind is ServerKind.FERRETDB:
        budget = max(1, settings.ferretdb_pool - FERRETDB_POOL_RESERVE)
        chunk = max(1, min(chunk, budget // concurrency))
    return chunk


@dataclass
class _Counts:
    inserted: int = 0
    updates: int = 0
    matched: int = 0
    commands: int = 0
    build_seconds: float = 0.0


@dataclass
class _Category:
    name: str
    ids: list[ObjectId] = field(default_factory=list)


async def _seed(users: Collection, population: Population) -> list[_Category]:
    """The population with creditable wallets, in an order unrelated to insertion (as ranks are)."""
    categories = {c.role: _Category(c.name) for c in DEFAULT_CATEGORIES}
    batch: list[dict[str, Any]] = []
    for doc in population.generate():
        categories[doc["role"]].ids.append(doc["_id"])
        batch.append(creditable(doc))
        if len(batch) == 5000:
            await users.insert_many(batch, ordered=False)
            batch = []
    if batch:
        await users.insert_many(batch, ordered=False)
    rng = random.Random(population.seed)
    for category in categories.values():
        rng.shuffle(category.ids)
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


Work = Callable[[], Awaitable[None]]


class _Writes:
    """Builds each command when its turn comes, so a million-user floor holds one batch at a time."""

    def __init__(self, db: AsyncIOMotorDatabase[dict[str, Any]], period: Period) -> None:
        self.counts = _Counts()
        self._db = db
        self.period = period
        self._now = datetime.now(UTC)

    def insert(self, name: str, build: Callable[[], list[dict[str, Any]]]) -> Work:
        async def call() -> None:
            start = time.perf_counter()
            docs = build()
            self.counts.build_seconds += time.perf_counter() - start
            await self._db[name].insert_many(docs, ordered=False)
            self.counts.inserted += len(docs)
            self.counts.commands += 1

        return call

    def update(self, name: str, build: Callable[[], list[UpdateOne]]) -> Work:
        async def call() -> None:
            start = time.perf_counter()
            ops = build()
            self.counts.build_seconds += time.perf_counter() - start
            result = await self._db[name].bulk_write(ops, ordered=False)
            self.counts.updates += len(ops)
            self.counts.matched += result.matched_count
            self.counts.commands += 1

        return call

    def entries(self, snap_id: str, ids: list[ObjectId], first_rank: int) -> Work:
        now = self._now
        return self.insert(
            "monthlyrankingsnapshotentries",
            lambda: [
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
                for rank, uid in enumerate(ids, start=first_rank)
            ],
        )

    def credits(self, category: str, ids: list[ObjectId], first_rank: int) -> Work:
        key = f"{self.period.key}:{category}"
        now, period = self._now, self.period
        return self.update(
            "users",
            lambda: [
                UpdateOne(
                    {"_id": uid},
                    {
                        "$inc": {"rewards.coins": 10},
                        "$push": {
                            "badges": _badge(category, period, rank, now),
                            "monthlyRewardKeys": key,
                        },
                    },
                )
                for rank, uid in enumerate(ids, start=first_rank)
            ],
        )

    def records(self, category: str, snap_id: str, ids: list[ObjectId], first_rank: int) -> Work:
        key = f"{self.period.key}:{category}"
        now, period = self._now, self.period
        return self.insert(
            "monthlyrewards",
            lambda: [
                {
                    "_id": f"{key}:{uid}",
                    "userId": uid,
                    "month": period.month,
                    "year": period.year,
                    "category": category,
                    "rank": rank,
                    "tier": "UNPLACED",
                    "coins": 10,
                    "badge": _badge(category, period, rank, now),
                    "snapshotId": snap_id,
                    "status": "awarded",
                    "createdAt": now,
                    "awardedAt": now,
                    "failureReason": None,
                    "paidByAttempt": 1,
                }
                for rank, uid in enumerate(ids, start=first_rank)
            ],
        )

    def progress(self, job_id: ObjectId, done: int) -> Work:
        state = {"phase": "crediting", "categories": {"n": {"processed": done, "total": done}}}
        return self.update(
            "monthlyrewardjobs", lambda: [UpdateOne({"_id": job_id}, {"$set": {"progress": state}})]
        )


def _category_phases(
    writes: _Writes, category: _Category, job_id: ObjectId, batch_size: int, chunk: int
) -> tuple[list[Work], list[Work]]:
    """The category's writes: its snapshot (header and entries), then its paying (freeze,
    progress, and per batch the credit chunks, the records and a progress update)."""
    period, now, snap = writes.period, datetime.now(UTC), ObjectId()
    header = {"_id": snap, "month": period.month, "year": period.year, "status": "building"}
    snap_id = str(snap)
    batches = [
        (begin + 1, category.ids[begin : begin + batch_size])
        for begin in range(0, len(category.ids), batch_size)
    ]
    snapshot = [
        writes.insert(
            "monthlyrankingsnapshots",
            lambda: [{**header, "category": category.name, "createdAt": now}],
        )
    ]
    snapshot += [writes.entries(snap_id, ids, first) for first, ids in batches]
    freeze = {"$set": {"status": "frozen", "totalParticipants": len(category.ids)}}
    paying = [
        writes.update("monthlyrankingsnapshots", lambda: [UpdateOne({"_id": snap}, freeze)]),
        writes.progress(job_id, 0),
    ]
    for first, ids in batches:
        for offset, part in enumerate(chunked(ids, chunk)):
            paying.append(writes.credits(category.name, list(part), first + offset * chunk))
        paying.append(writes.records(category.name, snap_id, ids, first))
        paying.append(writes.progress(job_id, first + len(ids) - 1))
    return snapshot, paying


async def run_floor(
    db: AsyncIOMotorDatabase[dict[str, Any]],
    population: Population,
    period: Period,
    batch_size: int,
    chunk: int,
    concurrency: int = 1,
    cpu: Callable[[], dict[str, float]] | None = None,
) -> dict[str, Any]:
    """The month's writes with `concurrency` commands in flight, `chunk` updates per command;
    `cpu` reads CPU seconds so far (this process, the server), summed over the timed phases."""
    await migrate(db)  # the service's indexes, so index upkeep is part of the floor too
    categories = await _seed(db["users"], population)
    writes = _Writes(db, period)
    job_id = ObjectId()
    job = {"_id": job_id, "month": period.month, "year": period.year, "status": "processing"}
    now = datetime.now(UTC)
    seconds = 0.0
    cpu_seconds: dict[str, float] = {}

    async def timed(work: list[Work]) -> None:
        nonlocal seconds
        before = cpu() if cpu is not None else {}
        start = time.perf_counter()
        await bounded(work, concurrency)
        seconds += time.perf_counter() - start
        for name, value in (cpu() if cpu is not None else {}).items():
            cpu_seconds[name] = cpu_seconds.get(name, 0.0) + value - before[name]

    await timed([writes.insert("monthlyrewardjobs", lambda: [{**job, "startedAt": now}])])
    for category in categories:
        snapshot, paying = _category_phases(writes, category, job_id, batch_size, chunk)
        await timed(snapshot)  # frozen before anyone is paid, as in the service
        await timed(paying)
    done = {"$set": {"status": "completed"}}
    await timed([writes.update("monthlyrewardjobs", lambda: [UpdateOne({"_id": job_id}, done)])])
    counts = writes.counts
    return {
        "users": population.users,
        "concurrency": concurrency,
        "update_chunk": chunk,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "client_build_seconds": counts.build_seconds,
        "documents_inserted": counts.inserted,
        "update_statements": counts.updates,
        "commands": counts.commands,
        "all_updates_matched": counts.matched == counts.updates,
    }
