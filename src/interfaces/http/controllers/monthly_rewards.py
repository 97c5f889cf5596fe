"""The three endpoints of SPEC §7 and the operator's retry: each reads typed parameters (see
schemas.py), calls one use case and presents its answer."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency

from application.use_cases.get_job_status import GetJobStatus
from application.use_cases.list_recent_jobs import DEFAULT_LIMIT, ListRecentJobs
from application.use_cases.retry_monthly_rewards import RetryMonthlyRewards
from application.use_cases.start_monthly_rewards import StartMonthlyRewards
from interfaces.http.auth import key_level
from interfaces.http.dependencies import requested_period
from interfaces.http.metrics_middleware import told_outcome
from interfaces.http.openapi import KEYED, PeriodBodyOperation, errors
from interfaces.http.presenters import Envelope, envelope, job_status, job_summary, start_answer
from interfaces.http.schemas import LimitQuery, MonthQuery, YearQuery, check_query, query_fields

_PERIOD = query_fields("month", "year")
_POST_BODY = (
    'Optional JSON body {"month": 12, "year": 2024} (content-type: application/json), or the '
    "same as query parameters; neither means the month that has just ended."
)


class MonthlyRewardsController(Controller):
    path = "/api/ranking/monthly-rewards"
    tags = ["monthly rewards"]  # noqa: RUF012 - Litestar's own class attribute
    security = KEYED

    @post(
        "/",
        operation_id="startMonthlyRewards",
        operation_class=PeriodBodyOperation,
        status_code=200,
        summary="Start the month's rewards (idempotent); answers at once",
        description=_POST_BODY,
        before_request=check_query,
        opt={**key_level("scheduler", signed=True), **_PERIOD},
        responses=errors(400, 401, 413, 415, 422, 429, 500, 503),
    )
    async def start(
        self,
        request: Request[Any, Any, Any],
        start_monthly_rewards: NamedDependency[StartMonthlyRewards],
        month: MonthQuery = None,
        year: YearQuery = None,
    ) -> Envelope:
        period = await requested_period(request, month, year)
        outcome = await start_monthly_rewards.execute(period)
        told_outcome(request.scope, outcome.kind)  # the metric's label
        return start_answer(outcome)

    @post(
        "/retry",
        operation_id="retryMonthlyRewards",
        operation_class=PeriodBodyOperation,
        status_code=200,
        summary="Resume a failed month (admin key)",
        description=_POST_BODY,
        before_request=check_query,
        opt={**key_level("admin", signed=True), **_PERIOD},
        responses=errors(400, 401, 404, 409, 413, 415, 422, 429, 500, 503),
    )
    async def retry(
        self,
        request: Request[Any, Any, Any],
        retry_monthly_rewards: NamedDependency[RetryMonthlyRewards],
        month: MonthQuery = None,
        year: YearQuery = None,
    ) -> Envelope:
        period = await requested_period(request, month, year)
        outcome = await retry_monthly_rewards.execute(period)
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
        summary="The named month's job, or the most recent one",
        before_request=check_query,
        opt={**key_level("scheduler"), **_PERIOD},
        responses=errors(400, 401, 404, 429, 500, 503),
    )
    async def status(
        self,
        request: Request[Any, Any, Any],
        get_job_status: NamedDependency[GetJobStatus],
        month: MonthQuery = None,
        year: YearQuery = None,
    ) -> Envelope:
        job = await get_job_status.execute(await requested_period(request, month, year))
        return envelope(
            "Job status retrieved successfully",
            job_status(job, get_job_status.health(job), request.app.state.settings.debug),
        )

    @get(
        "/jobs",
        operation_id="listMonthlyRewardsJobs",
        summary="Recent jobs, newest month first",
        before_request=check_query,
        opt={**key_level("scheduler"), **query_fields("limit")},
        responses=errors(400, 401, 429, 500, 503),
    )
    async def jobs(
        self, list_recent_jobs: NamedDependency[ListRecentJobs], limit: LimitQuery = DEFAULT_LIMIT
    ) -> Envelope:
        jobs = await list_recent_jobs.execute(limit)
        return envelope(
            "Recent jobs retrieved successfully",
            {"jobs": [job_summary(j) for j in jobs], "total": len(jobs)},
        )
