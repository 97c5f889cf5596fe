"""The step endpoint of the serverless mode: the scheduler calls it every minute, and each call
does one bounded step of the month's work inside the request."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency

from application.use_cases.run_processing_step import RunProcessingStep
from domain.errors import StepsNotEnabled
from interfaces.http.auth import require_api_key
from interfaces.http.presenters import step_answer


@post(
    "/api/ranking/monthly-rewards/process",
    operation_id="processMonthlyRewardsStep",
    guards=[require_api_key],
    status_code=200,
    summary="Do one bounded step of the month's work (REWARDS_EXECUTION=steps)",
    tags=["monthly rewards"],
)
async def process_step(
    request: Request[Any, Any, Any], run_processing_step: NamedDependency[RunProcessingStep]
) -> dict[str, Any]:
    settings = request.app.state.settings
    if not settings.runs_in_steps:
        raise StepsNotEnabled(
            "this service works in the background (REWARDS_EXECUTION=background): triggering "
            "is enough; the step endpoint is for REWARDS_EXECUTION=steps"
        )
    return step_answer(await run_processing_step.execute(), settings.step_seconds)
