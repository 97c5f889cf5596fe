"""The rewards paid for a month, filtered by category, tier or user, a page at a time."""

from __future__ import annotations

from application.paging import Page, PageRequest
from application.ports.reward_queries import RewardFilter, RewardQueries
from domain.period import Period
from domain.reward import Reward


class ListRewards:
    def __init__(self, rewards: RewardQueries) -> None:
        self._rewards = rewards

    async def execute(
        self,
        period: Period,
        page: PageRequest,
        category: str | None = None,
        tier: str | None = None,
        user_id: str | None = None,
    ) -> Page[Reward]:
        where = RewardFilter(period=period, category=category, tier=tier, user_id=user_id)
        items, total = await self._rewards.find(where, page.offset, page.size)
        return Page(items, total, page)
