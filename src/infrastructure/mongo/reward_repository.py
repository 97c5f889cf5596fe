"""Reward records in `monthlyrewards`, addressed by their key as `_id`."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from application.ports.reward_repository import RewardRepository
from domain.period import Period
from domain.reward import Reward
from infrastructure.mongo.bulk import DEFAULT_UPDATE_CHUNK, bulk_update, find_by_ids
from infrastructure.mongo.documents import RewardDocument
from infrastructure.mongo.mappers import reward_from_raw, reward_to_raw
from infrastructure.mongo.snapshot_repository import DUPLICATE_KEY


class BeanieRewardRepository(RewardRepository):
    # Raw motor below: per-document pydantic validation would dominate a million-row month.

    def __init__(self, update_chunk: int = DEFAULT_UPDATE_CHUNK) -> None:
        self._chunk = update_chunk

    async def record_pending(self, rewards: Sequence[Reward]) -> list[Reward]:
        if not rewards:
            return []
        collection = RewardDocument.get_motor_collection()
        try:
            await collection.insert_many([reward_to_raw(r) for r in rewards], ordered=False)
            return list(rewards)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            taken = {rewards[e["index"]].key for e in errors}
        stored = {
            raw["_id"]: reward_from_raw(raw) for raw in await find_by_ids(collection, sorted(taken))
        }
        return [stored.get(r.key, r) if r.key in taken else r for r in rewards]

    async def settle(self, rewards: Sequence[Reward]) -> None:
        if not rewards:
            return
        await bulk_update(
            RewardDocument.get_motor_collection(),
            [
                UpdateOne(
                    {"_id": r.key},
                    {
                        "$set": {
                            "status": r.status.value,
                            "awardedAt": r.awarded_at,
                            "failureReason": r.failure_reason,
                            "paidByAttempt": r.paid_by_attempt,
                        }
                    },
                )
                for r in rewards
            ],
            ordered=False,
            chunk=self._chunk,
        )

    async def for_period(self, period: Period, category: str) -> list[Reward]:
        cursor = RewardDocument.get_motor_collection().find(
            {"year": period.year, "month": period.month, "category": category}
        )
        return [reward_from_raw(raw) async for raw in cursor]
