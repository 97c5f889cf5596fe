"""Operator reads (scheduler or admin key): the rewards paid for a month, one user's history,
a month's frozen ranking, and the missed-run alarm."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from application.use_cases.check_schedule import CheckSchedule
from application.use_cases.get_ranking_snapshot import GetRankingSnapshot
from application.use_cases.get_user_rewards import GetUserRewards
from application.use_cases.list_rewards import ListRewards
from domain.policy import RewardPolicy
from interfaces.http.auth import key_level
from interfaces.http.openapi import KEYED, errors
from interfaces.http.ops_params import (
    Month,
    PageNumber,
    PageSize,
    Year,
    page_request,
    required_month,
)
from interfaces.http.ops_presenters import (
    rewards_page_json,
    schedule_json,
    schedule_message,
    snapshot_page_json,
)
from interfaces.http.presenters import Envelope, envelope
from interfaces.http.schemas import check_query, query_names

Text = Annotated[str | None, QueryParameter(max_length=64)]


class ReadApiController(Controller):
    path = "/api/ranking/monthly-rewards"
    tags = ["operator reads"]  # noqa: RUF012 - Litestar's own class attribute
    opt = key_level("scheduler")
    security = KEYED

    @get(
        "/rewards",
        operation_id="listMonthlyRewards",
        before_request=check_query,
        opt=query_names("month", "year", "category", "tier", "userId", "page", "pageSize"),
        responses=errors(400, 401, 404, 429, 500, 503),
        summary="The rewards recorded for a month, by category and rank; filter and page",
    )
    async def rewards(
        self,
        list_rewards: NamedDependency[ListRewards],
        month: Month = None,
        year: Year = None,
        category: Text = None,
        tier: Text = None,
        user_id: Annotated[str | None, QueryParameter(name="userId", max_length=64)] = None,
        page: PageNumber = 1,
        page_size: PageSize = 50,
    ) -> Envelope:
        found = await list_rewards.execute(
            required_month(month, year),
            page_request(page, page_size),
            category=category,
            tier=tier,
            user_id=user_id,
        )
        return envelope("Rewards retrieved successfully", rewards_page_json(found))

    @get(
        "/users/{user_id:str}/rewards",
        operation_id="getUserMonthlyRewards",
        before_request=check_query,
        opt=query_names("page", "pageSize"),
        responses=errors(400, 401, 404, 429, 500, 503),
        summary="One user's reward history, newest month first",
    )
    async def user_rewards(
        self,
        user_id: Annotated[str, PathParameter(max_length=64)],
        get_user_rewards: NamedDependency[GetUserRewards],
        page: PageNumber = 1,
        page_size: PageSize = 50,
    ) -> Envelope:
        found = await get_user_rewards.execute(user_id, page_request(page, page_size))
        return envelope(
            "User's rewards retrieved successfully",
            {"userId": user_id, **rewards_page_json(found)},
        )

    @get(
        "/snapshot",
        operation_id="getRankingSnapshot",
        before_request=check_query,
        opt=query_names("month", "year", "category", "page", "pageSize"),
        responses=errors(400, 401, 404, 429, 500, 503),
        summary="A month's frozen ranking of one category, in rank order, paged",
    )
    async def snapshot(
        self,
        get_ranking_snapshot: NamedDependency[GetRankingSnapshot],
        policy: NamedDependency[RewardPolicy],
        category: Annotated[str, QueryParameter(max_length=64)],
        month: Month = None,
        year: Year = None,
        page: PageNumber = 1,
        page_size: PageSize = 50,
    ) -> Envelope:
        found = await get_ranking_snapshot.execute(
            required_month(month, year), category, page_request(page, page_size)
        )
        return envelope("Ranking retrieved successfully", snapshot_page_json(found, policy.tiers))

    @get(
        "/schedule",
        operation_id="getMonthlyRewardsSchedule",
        before_request=check_query,
        opt=query_names(),
        responses=errors(400, 401, 404, 429, 500, 503),
        summary="The missed-run alarm: is the month that has just ended overdue?",
    )
    async def schedule(self, check_schedule: NamedDependency[CheckSchedule]) -> Envelope:
        status = await check_schedule.execute()
        return envelope(schedule_message(status), schedule_json(status))
