"""The three endpoints of SPEC §7 and the operator's retry."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery

from application.use_cases.get_job_status import GetJobStatus
from application.use_cases.list_recent_jobs import ListRecentJobs
from application.use_cases.retry_monthly_rewards import RetryMonthlyRewards
from application.use_cases.start_monthly_rewards import StartMonthlyRewards
from domain.errors import InvalidRequest
from interfaces.http.auth import require_admin_key, require_api_key
from interfaces.http.presenters import envelope, job_status, job_summary, start_answer


async def period_arguments(request: Request[Any, Any, Any]) -> tuple[object, object]:
    """month/year from the query string or a JSON body; both places may not disagree."""
    found: dict[str, object] = {k: request.query_params.get(k) for k in ("month", "year")}
    raw = await request.body()
    if raw.strip():
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidRequest("the request body must be JSON (or empty)") from exc
        if not isinstance(body, dict):
            raise InvalidRequest("the JSON body must be an object with month and year")
        for key in ("month", "year"):
            if body.get(key) is None:
                continue
            if found[key] is not None and str(found[key]) != str(body[key]):
                raise InvalidRequest(f"{key} differs between the query string and the body")
            found[key] = body[key]
    return found["month"], found["year"]


class MonthlyRewardsController(Controller):
    path = "/api/ranking/monthly-rewards"
    tags = ["monthly rewards"]  # noqa: RUF012 - Litestar's own class attribute

    @post(
        "/",
        operation_id="startMonthlyRewards",
        guards=[require_api_key],
        status_code=200,
        summary="Start the month's rewards (idempotent); answers at once",
    )
    async def start(
        self,
        request: Request[Any, Any, Any],
        start_monthly_rewards: NamedDependency[StartMonthlyRewards],
    ) -> dict[str, Any]:
        month, year = await period_arguments(request)
        return start_answer(await start_monthly_rewards.execute(month, year))

    @post(
        "/retry",
        operation_id="retryMonthlyRewards",
        guards=[require_admin_key],
        status_code=200,
        summary="Resume a failed month (admin key)",
    )
    async def retry(
        self,
        request: Request[Any, Any, Any],
        retry_monthly_rewards: NamedDependency[RetryMonthlyRewards],
    ) -> dict[str, Any]:
        month, year = await period_arguments(request)
        outcome = await retry_monthly_rewards.execute(month, year)
        job = outcome.job
        return envelope(
            f"Retry of monthly rewards for {job.period} started; it resumes where it stopped",
            {
                "jobId": job.id,
                "month": job.period.month,
                "year": job.period.year,
                "status": job.status.value,
                "attempts": job.attempts,
            },
        )

    @get(
        "/status",
        operation_id="getMonthlyRewardsStatus",
        guards=[require_api_key],
        summary="The named month's job, or the most recent one",
    )
    async def status(
        self,
        request: Request[Any, Any, Any],
        get_job_status: NamedDependency[GetJobStatus],
        month: FromQuery[str | None] = None,
        year: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        job = await get_job_status.execute(month, year)
        return envelope(
            "Job status retrieved successfully",
            job_status(job, get_job_status.health(job), request.app.state.settings.debug),
        )

    @get(
        "/jobs",
        operation_id="listMonthlyRewardsJobs",
        guards=[require_api_key],
        summary="Recent jobs, newest month first",
    )
    async def jobs(
        self, list_recent_jobs: NamedDependency[ListRecentJobs], limit: FromQuery[str | None] = None
    ) -> dict[str, Any]:
        jobs = await list_recent_jobs.execute(limit)
        return envelope(
            "Recent jobs retrieved successfully",
            {"jobs": [job_summary(j) for j in jobs], "total": len(jobs)},
        )
