"""Snapshot headers in `monthlyrankingsnapshots`, entries one document each beside them.

The header is the platform's MonthlyRankingSnapshot: it says how many users were ranked and
lists the head of the ranking (every placed user, ranks 1-100 at least) in `rankings`, for the
platform's readers of a past leaderboard. The full ranking lives in the entries collection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from application.foreground import SLICE, Turn, no_wait, sliced
from application.ports.snapshot_repository import SnapshotRepository
from domain.errors import InvalidJobTransition
from domain.period import Period
from domain.policy import RewardPolicy
from domain.ranking import RankedEntry
from domain.snapshot import RankingSnapshot, SnapshotStatus
from infrastructure.mongo.bulk import find_by_ids
from infrastructure.mongo.documents import SnapshotDocument, SnapshotEntryDocument
from infrastructure.mongo.mappers import (
    entry_from_raw,
    entry_id,
    entry_to_raw,
    head_entry_raw,
    new_snapshot_raw,
    snapshot_from_raw,
)
from infrastructure.platform_rules import head_size

DUPLICATE_KEY = 11000


class MongoSnapshotRepository(SnapshotRepository):
    def __init__(
        self,
        db: AsyncIOMotorDatabase[dict[str, Any]],
        policy: RewardPolicy,
        turn: Turn = no_wait,
        give_way: Turn = no_wait,
    ) -> None:
        self._turn = turn  # awaited before each command that writes or reads entries in bulk
        self._give_way = give_way  # between slices of entries converted (foreground.py)
        self._headers = db[SnapshotDocument.collection]
        self._entries = db[SnapshotEntryDocument.collection]
        # A category ranks users of one role: the role each line of `rankings` carries.
        self._roles = {c.name: c.role for c in policy.categories}
        self._head = head_size(policy)

    async def find(self, period: Period, category: str) -> RankingSnapshot | None:
        raw = await self._headers.find_one(
            {"year": period.year, "month": period.month, "category": category}
        )
        return None if raw is None else snapshot_from_raw(raw)

    async def start_building(self, period: Period, category: str, now: datetime) -> RankingSnapshot:
        existing = await self.find(period, category)
        if existing is None:
            raw = new_snapshot_raw(period, category, now)
            try:
                result = await self._headers.insert_one(raw)
                return snapshot_from_raw({**raw, "_id": result.inserted_id})
            except DuplicateKeyError:
                existing = await self.find(period, category)
                if existing is None:
                    raise
        if existing.is_frozen:
            raise InvalidJobTransition(f"the {category} snapshot of {period} is frozen")
        # Partial entries of a crashed build: the users may have changed since, so start over.
        await self._entries.delete_many({"snapshotId": existing.id})
        return existing

    async def add_entries(self, snapshot_id: str, entries: Sequence[RankedEntry]) -> None:
        if not entries:
            return
        raws = await sliced(entries, lambda e: entry_to_raw(snapshot_id, e), self._give_way)
        await self._turn()
        try:
            await self._entries.insert_many(raws, ordered=False)
        except BulkWriteError as exc:
            # A rank written twice carries the same content; anything else is a real failure.
            if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise

    async def freeze(self, snapshot: RankingSnapshot) -> None:
        if snapshot.category not in self._roles:
            raise ValueError(f"category {snapshot.category!r} is not in the reward policy")
        await self._headers.update_one(
            {"_id": ObjectId(snapshot.id), "status": SnapshotStatus.BUILDING.value},
            {
                "$set": {
                    "status": SnapshotStatus.FROZEN.value,
                    "totalUsers": snapshot.total_participants,
                    "rankings": await self._head_of(snapshot),
                    "snapshotDate": snapshot.frozen_at,
                    "frozenAt": snapshot.frozen_at,
                    "updatedAt": snapshot.frozen_at,
                }
            },
        )

    async def _head_of(self, snapshot: RankingSnapshot) -> list[dict[str, Any]]:
        """The best ranks, read by `_id` (the one filter FerretDB serves from an index)."""
        ranks = range(1, min(self._head, snapshot.total_participants) + 1)
        found = await find_by_ids(self._entries, [entry_id(snapshot.id, r) for r in ranks])
        role = self._roles[snapshot.category]
        return [head_entry_raw(raw, role) for raw in sorted(found, key=lambda raw: raw["rank"])]

    async def entries(
        self, snapshot_id: str, batch_size: int, after_rank: int = 0
    ) -> AsyncIterator[list[RankedEntry]]:
        # One sorted cursor per category instead of a filtered query per batch; a batch of it is
        # one command (`find`, then `getMore`), each after its turn.
        await self._turn()
        cursor = (
            self._entries.find({"snapshotId": snapshot_id, "rank": {"$gt": after_rank}})
            .sort("rank", 1)
            .batch_size(batch_size)
        )
        batch: list[RankedEntry] = []
        async for raw in cursor:
            batch.append(entry_from_raw(raw))
            if len(batch) == batch_size:
                yield batch
                batch = []
                await self._turn()
            elif len(batch) % SLICE == 0:
                await self._give_way()
        if batch:
            yield batch
