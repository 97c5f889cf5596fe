"""One user's reward history, newest month first."""

from __future__ import annotations

from application.paging import Page, PageRequest
from application.ports.reward_queries import RewardFilter, RewardQueries
from domain.reward import Reward


class GetUserRewards:
    def __init__(self, rewards: RewardQueries) -> None:
        self._rewards = rewards

    async def execute(self, user_id: str, page: PageRequest) -> Page[Reward]:
        items, total = await self._rewards.find(
            RewardFilter(user_id=user_id), page.offset, page.size
        )
        return Page(items, total, page)
