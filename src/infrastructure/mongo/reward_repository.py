"""Reward records in `monthlyrewards`, addressed by their key as `_id`."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from application.ports.reward_repository import RewardRepository
from domain.period import Period
from domain.reward import Reward, RewardStatus
from infrastructure.mongo.bulk import DEFAULT_UPDATE_CHUNK, bulk_update, find_by_ids
from infrastructure.mongo.documents import RewardDocument
from infrastructure.mongo.mappers import reward_from_raw, reward_to_raw
from infrastructure.mongo.snapshot_repository import DUPLICATE_KEY


class BeanieRewardRepository(RewardRepository):
    # Raw motor below: per-document pydantic validation would dominate a million-row month.

    def __init__(self, update_chunk: int = DEFAULT_UPDATE_CHUNK) -> None:
        self._chunk = update_chunk

    async def record(self, rewards: Sequence[Reward]) -> None:
        if not rewards:
            return
        collection = RewardDocument.get_motor_collection()
        try:
            await collection.insert_many([reward_to_raw(r) for r in rewards], ordered=False)
            return
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            taken = {rewards[e["index"]].key: rewards[e["index"]] for e in errors}
        # Recorded before (a resumed batch). Only a failure that has since been paid changes.
        stored = await find_by_ids(collection, sorted(taken), {"status": 1})
        upgrades = [
            taken[raw["_id"]]
            for raw in stored
            if raw.get("status") != RewardStatus.AWARDED.value
            and taken[raw["_id"]].status is RewardStatus.AWARDED
        ]
        if upgrades:
            await bulk_update(
                collection,
                [
                    UpdateOne(
                        {"_id": r.key},
                        {
                            "$set": {
                                "status": r.status.value,
                                "awardedAt": r.awarded_at,
                                "failureReason": None,
                                "paidByAttempt": r.paid_by_attempt,
                            }
                        },
                    )
                    for r in upgrades
                ],
                ordered=False,
                chunk=self._chunk,
            )

    async def for_period(self, period: Period, category: str) -> list[Reward]:
        cursor = RewardDocument.get_motor_collection().find(
            {"year": period.year, "month": period.month, "category": category}
        )
        return [reward_from_raw(raw) async for raw in cursor]
