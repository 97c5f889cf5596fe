"""Bridges the container to Litestar: each handler asks for a use case by its class, and reads
the requested month as a `Period` parsed here from the query string and the body."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import Provide

from application.use_cases.get_job_status import GetJobStatus
from application.use_cases.list_recent_jobs import ListRecentJobs
from application.use_cases.retry_monthly_rewards import RetryMonthlyRewards
from application.use_cases.run_processing_step import RunProcessingStep
from application.use_cases.start_monthly_rewards import StartMonthlyRewards
from domain.period import Period
from infrastructure.container import Container
from interfaces.http.schemas import PeriodBody, period_body, period_from


def dependencies(container: Container) -> dict[str, Provide]:
    def start() -> StartMonthlyRewards:
        use_case: StartMonthlyRewards = container.start_monthly_rewards()
        return use_case

    def retry() -> RetryMonthlyRewards:
        use_case: RetryMonthlyRewards = container.retry_monthly_rewards()
        return use_case

    def status() -> GetJobStatus:
        use_case: GetJobStatus = container.get_job_status()
        return use_case

    def recent() -> ListRecentJobs:
        use_case: ListRecentJobs = container.list_recent_jobs()
        return use_case

    def step() -> RunProcessingStep:
        use_case: RunProcessingStep = container.run_processing_step()
        return use_case

    return {
        "run_processing_step": Provide(step, sync_to_thread=False),
        "start_monthly_rewards": Provide(start, sync_to_thread=False),
        "retry_monthly_rewards": Provide(retry, sync_to_thread=False),
        "get_job_status": Provide(status, sync_to_thread=False),
        "list_recent_jobs": Provide(recent, sync_to_thread=False),
    }


async def requested_period(
    request: Request[Any, Any, Any], month: int | None, year: int | None
) -> Period | None:
    """The query string's month/year (checked strictly before the handler runs) and, on a POST,
    the body's; None means the month that has just ended.

    Called by the handlers rather than injected: a handler with two dependencies has Litestar
    resolve them in an anyio task group, and that group was a fifth of the trigger's own CPU
    (profiled with the app called directly, no server)."""
    body = await period_body(request) if request.method == "POST" else PeriodBody()
    state = request.app.state
    return period_from((month, year), body, state.clock.now(), state.settings.time_zone)
