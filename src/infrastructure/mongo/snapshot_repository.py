"""Snapshot headers in `monthlyrankingsnapshots`, entries one document each beside them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from bson import ObjectId
from pymongo.errors import BulkWriteError, DuplicateKeyError

from application.ports.snapshot_repository import SnapshotRepository
from domain.errors import InvalidJobTransition
from domain.period import Period
from domain.ranking import RankedEntry
from domain.snapshot import RankingSnapshot, SnapshotStatus
from infrastructure.mongo.documents import SnapshotDocument, SnapshotEntryDocument
from infrastructure.mongo.mappers import entry_from_raw, entry_to_raw, snapshot_from_document

DUPLICATE_KEY = 11000


class BeanieSnapshotRepository(SnapshotRepository):
    async def find(self, period: Period, category: str) -> RankingSnapshot | None:
        doc = await SnapshotDocument.find_one(
            {"year": period.year, "month": period.month, "category": category}
        )
        return None if doc is None else snapshot_from_document(doc)

    async def start_building(self, period: Period, category: str, now: datetime) -> RankingSnapshot:
        existing = await self.find(period, category)
        if existing is None:
            doc = SnapshotDocument(
                month=period.month,
                year=period.year,
                category=category,
                status=SnapshotStatus.BUILDING.value,
                createdAt=now,
            )
            try:
                await doc.insert()
                return snapshot_from_document(doc)
            except DuplicateKeyError:
                existing = await self.find(period, category)
                if existing is None:
                    raise
        if existing.is_frozen:
            raise InvalidJobTransition(f"the {category} snapshot of {period} is frozen")
        # Partial entries of a crashed build: the users may have changed since, so start over.
        await SnapshotEntryDocument.get_motor_collection().delete_many({"snapshotId": existing.id})
        return existing

    async def add_entries(self, snapshot_id: str, entries: Sequence[RankedEntry]) -> None:
        if not entries:
            return
        raws = [entry_to_raw(snapshot_id, e) for e in entries]
        try:
            await SnapshotEntryDocument.get_motor_collection().insert_many(raws, ordered=False)
        except BulkWriteError as exc:
            # A rank written twice carries the same content; anything else is a real failure.
            if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise

    async def freeze(self, snapshot: RankingSnapshot) -> None:
        await SnapshotDocument.get_motor_collection().update_one(
            {"_id": ObjectId(snapshot.id), "status": SnapshotStatus.BUILDING.value},
            {
                "$set": {
                    "status": SnapshotStatus.FROZEN.value,
                    "totalParticipants": snapshot.total_participants,
                    "frozenAt": snapshot.frozen_at,
                }
            },
        )

    async def entries(
        self, snapshot_id: str, batch_size: int, after_rank: int = 0
    ) -> AsyncIterator[list[RankedEntry]]:
        # Raw motor: one sorted cursor per category instead of a filtered query per batch.
        cursor = (
            SnapshotEntryDocument.get_motor_collection()
            .find({"snapshotId": snapshot_id, "rank": {"$gt": after_rank}})
            .sort("rank", 1)
            .batch_size(batch_size)
        )
        batch: list[RankedEntry] = []
        async for raw in cursor:
            batch.append(entry_from_raw(raw))
            if len(batch) == batch_size:
                yield batch
                batch = []
        if batch:
            yield batch
