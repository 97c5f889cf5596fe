"""The dry run (admin key): what a run of a month would pay now, writing nothing."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.use_cases.preview_monthly_rewards import PreviewMonthlyRewards
from domain.errors import InvalidPeriod
from domain.policy import RewardPolicy
from interfaces.http.auth import key_level
from interfaces.http.openapi import KEYED, errors
from interfaces.http.ops_params import Month, Year, optional_month
from interfaces.http.ops_presenters import preview_json, preview_message
from interfaces.http.presenters import Envelope, envelope
from interfaces.http.schemas import check_query, query_names


@dataclass
class PeriodBody:
    """An optional JSON body, as the trigger takes: {"month": 12, "year": 2024}."""

    month: int | None = None
    year: int | None = None


def _agree(name: str, query: int | None, body: int | None) -> int | None:
    if query is not None and body is not None and query != body:
        raise InvalidPeriod(f"{name} differs between the query string and the body")
    return body if body is not None else query


class PreviewController(Controller):
    path = "/api/ranking/monthly-rewards"
    tags = ["monthly rewards"]  # noqa: RUF012 - Litestar's own class attribute
    security = KEYED

    @post(
        "/preview",
        operation_id="previewMonthlyRewards",
        before_request=check_query,
        responses=errors(400, 401, 404, 413, 415, 422, 429, 500, 503),
        opt={**key_level("admin"), **query_names("month", "year")},
        status_code=200,
        summary="Dry run (admin key): the ranking and payout a run would make now; writes nothing",
    )
    async def preview(
        self,
        preview_monthly_rewards: NamedDependency[PreviewMonthlyRewards],
        policy: NamedDependency[RewardPolicy],
        data: JSONBody[PeriodBody | None] = None,
        month: Month = None,
        year: Year = None,
    ) -> Envelope:
        body = data or PeriodBody()
        period = optional_month(_agree("month", month, body.month), _agree("year", year, body.year))
        outcome = await preview_monthly_rewards.execute(period)
        return envelope(preview_message(outcome), preview_json(outcome, policy.tiers))
