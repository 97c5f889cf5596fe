"""/metrics (Prometheus text format) and /ready (readiness), both without a key: scrapers and
load balancers call them; neither says anything a client could misuse."""

from __future__ import annotations

import logging

from litestar import Response, get
from litestar.di import NamedDependency

from application.use_cases.check_readiness import CheckReadiness
from application.use_cases.gather_job_metrics import GatherJobMetrics, JobMetrics
from infrastructure.metrics import CONTENT_TYPE, render
from interfaces.http.openapi import errors
from interfaces.http.ops_presenters import readiness_json
from interfaces.http.presenters import Envelope, envelope

log = logging.getLogger("rewards.metrics")


@get(
    "/metrics",
    operation_id="metrics",
    responses=errors(500, 503),
    summary="Prometheus metrics: jobs, payouts, attempts, the overdue flag, triggers, latency",
    media_type=CONTENT_TYPE,
)
async def metrics(gather_job_metrics: NamedDependency[GatherJobMetrics]) -> Response[bytes]:
    try:
        figures: JobMetrics | None = await gather_job_metrics.execute()
    except Exception:  # the database is away: still answer with what this process counted
        log.warning("[MonthlyRewards] /metrics could not read the job documents", exc_info=True)
        figures = None
    return Response(render(figures), media_type=CONTENT_TYPE)


@get(
    "/ready",
    operation_id="ready",
    responses=errors(500, 503),
    summary="Readiness: the database answers and every migration is applied (503 otherwise)",
)
async def ready(check_readiness: NamedDependency[CheckReadiness]) -> Response[Envelope]:
    readiness = await check_readiness.execute()
    message = "ready" if readiness.ready else f"not ready: {readiness.reason}"
    return Response(
        envelope(message, readiness_json(readiness), readiness.ready),
        status_code=200 if readiness.ready else 503,
    )
