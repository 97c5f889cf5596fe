"""Operator reads of `monthlyrewards`: a month's records filtered, or one user's history.

The query names only year, month, category, userId, tier, rank and status; every other stored
field is the platform model's to name, and `reward_from_raw` alone reads them."""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection

from application.ports.reward_queries import RewardFilter, RewardQueries
from domain.reward import Reward
from infrastructure.mongo.mappers import reward_from_raw, user_id_to_db

_IN_A_MONTH = [("category", 1), ("rank", 1)]  # served by the (year, month, category, rank) index
_NEWEST_FIRST = [("year", -1), ("month", -1), ("category", 1), ("rank", 1)]


class MongoRewardQueries(RewardQueries):
    def __init__(self, rewards: AsyncIOMotorCollection[dict[str, Any]]) -> None:
        self._rewards = rewards

    async def find(self, where: RewardFilter, offset: int, limit: int) -> tuple[list[Reward], int]:
        query = _query(where)
        total = await self._rewards.count_documents(query)
        cursor = (
            self._rewards.find(query)
            .sort(_IN_A_MONTH if where.period is not None else _NEWEST_FIRST)
            .skip(offset)
            .limit(limit)
        )
        return [reward_from_raw(raw) async for raw in cursor], total


def _query(where: RewardFilter) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if where.period is not None:
        query["year"], query["month"] = where.period.year, where.period.month
    if where.category is not None:
        query["category"] = where.category
    if where.tier is not None:
        query["tier"] = where.tier
    if where.user_id is not None:
        query["userId"] = user_id_to_db(where.user_id)
    if where.status is not None:
        query["status"] = where.status.value
    return query
