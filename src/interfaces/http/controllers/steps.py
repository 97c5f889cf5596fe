"""The step endpoint of the serverless mode: the scheduler calls it every minute, and each call
does one bounded step of the month's work inside the request.

It is the worker in that mode, so it keeps the worker's patience: no request deadline
(deadline.py) cuts its database work short; REWARDS_STEP_SECONDS bounds the step instead."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency

from application.use_cases.run_processing_step import RunProcessingStep
from domain.errors import StepsNotEnabled
from interfaces.http.auth import key_level
from interfaces.http.deadline import OWN_DEADLINE
from interfaces.http.openapi import KEYED, errors
from interfaces.http.presenters import Envelope, step_answer
from interfaces.http.schemas import InvalidRequest, check_query, query_fields


@post(
    "/api/ranking/monthly-rewards/process",
    operation_id="processMonthlyRewardsStep",
    before_request=check_query,
    status_code=200,
    summary="Do one bounded step of the month's work (REWARDS_EXECUTION=steps)",
    tags=["monthly rewards"],
    security=KEYED,
    opt={**key_level("scheduler", signed=True), **query_fields(), OWN_DEADLINE: True},
    responses=errors(400, 401, 409, 413, 429, 500, 503),
)
async def process_step(
    request: Request[Any, Any, Any], run_processing_step: NamedDependency[RunProcessingStep]
) -> Envelope:
    if (await request.body()).strip():
        raise InvalidRequest("this endpoint takes no body: the step works on the oldest open month")
    settings = request.app.state.settings
    if not settings.runs_in_steps:
        raise StepsNotEnabled(
            "this service works in the background (REWARDS_EXECUTION=background): triggering "
            "is enough; the step endpoint is for REWARDS_EXECUTION=steps"
        )
    return step_answer(await run_processing_step.execute(), settings.step_seconds)
