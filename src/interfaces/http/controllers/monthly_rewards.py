"""The three endpoints of SPEC §7 and the operator's retry."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery

from application.use_cases.get_job_status import GetJobStatus
from application.use_cases.list_recent_jobs import DEFAULT_LIMIT, MAX_LIMIT, ListRecentJobs
from application.use_cases.retry_monthly_rewards import RetryMonthlyRewards
from application.use_cases.start_monthly_rewards import StartMonthlyRewards
from interfaces.http.auth import require_admin_key, require_api_key
from interfaces.http.presenters import envelope, job_status, job_summary, start_answer
from interfaces.http.schemas import optional_period, period_arguments, whole_number


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
        return start_answer(await start_monthly_rewards.execute(await period_arguments(request)))

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
        outcome = await retry_monthly_rewards.execute(await period_arguments(request))
        job = outcome.job
        return envelope(
            f"Retry of monthly rewards for {job.period} started; it resumes where it stopped",
            {
                "jobId": job.id,
                "month": job.period.month,
                "year": job.period.year,
                "status": job.status.value,
                "attempts": job.epoch,
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
        job = await get_job_status.execute(optional_period(month, year))
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
        jobs = await list_recent_jobs.execute(
            DEFAULT_LIMIT if limit is None else whole_number("limit", limit, 1, MAX_LIMIT)
        )
        return envelope(
            "Recent jobs retrieved successfully",
            {"jobs": [job_summary(j) for j in jobs], "total": len(jobs)},
        )
