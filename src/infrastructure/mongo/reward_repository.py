"""Reward records in `monthlyrewards`, addressed by the `_id` derived from their key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from application.foreground import Turn, no_wait, sliced
from application.ports.reward_repository import RewardRepository
from domain.period import Period
from domain.reward import Reward, RewardStatus
from infrastructure.mongo.bulk import DEFAULT_UPDATE_CHUNK, bulk_update, find_by_ids
from infrastructure.mongo.documents import RewardDocument
from infrastructure.mongo.mappers import (
    reward_from_raw,
    reward_id,
    reward_paid_fields,
    reward_to_raw,
    user_id_to_db,
)
from infrastructure.mongo.snapshot_repository import DUPLICATE_KEY


class MongoRewardRepository(RewardRepository):
    # Raw motor below: per-document validation would dominate a million-row month.

    def __init__(
        self,
        db: AsyncIOMotorDatabase[dict[str, Any]],
        update_chunk: int = DEFAULT_UPDATE_CHUNK,
        turn: Turn = no_wait,
        give_way: Turn = no_wait,
    ) -> None:
        self._records = db[RewardDocument.collection]
        self._chunk = update_chunk
        self._turn = turn
        self._give_way = give_way

    async def record(self, rewards: Sequence[Reward]) -> None:
        if not rewards:
            return
        raws = await sliced(rewards, reward_to_raw, self._give_way)
        await self._turn()
        try:
            await self._records.insert_many(raws, ordered=False)
            return
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            taken = [rewards[e["index"]] for e in errors]
        # Recorded before (a resumed batch). Only a failure that has since been paid changes.
        paid = {reward_id(r.key): r for r in taken if r.status is RewardStatus.AWARDED}
        upgrades = await self._upgrades(paid) if paid else []
        if upgrades:
            await bulk_update(
                self._records, upgrades, ordered=False, chunk=self._chunk, turn=self._turn
            )

    async def _upgrades(self, paid: dict[Any, Reward]) -> list[UpdateOne]:
        """Updates of the stored records that are not `awarded` yet. A record found under
        another `_id` than ours was written by the platform's own job: read by its key."""
        stored = {
            raw["_id"]: raw.get("status")
            for raw in await find_by_ids(self._records, list(paid), {"status": 1})
        }
        upgrades = []
        for record_id, reward in paid.items():
            found = {"_id": record_id, "status": stored[record_id]} if record_id in stored else None
            if found is None:
                found = await self._by_key(reward)
            if found is not None and found.get("status") != RewardStatus.AWARDED.value:
                upgrades.append(
                    UpdateOne({"_id": found["_id"]}, {"$set": reward_paid_fields(reward)})
                )
        return upgrades

    async def _by_key(self, reward: Reward) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self._records.find_one(
            {
                "userId": user_id_to_db(reward.user_id),
                "year": reward.period.year,
                "month": reward.period.month,
                "category": reward.category,
            },
            {"status": 1},
        )
        return found

    async def for_period(self, period: Period, category: str) -> list[Reward]:
        cursor = self._records.find(
            {"year": period.year, "month": period.month, "category": category}
        )
        return [reward_from_raw(raw) async for raw in cursor]
