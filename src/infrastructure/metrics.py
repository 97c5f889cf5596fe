"""Prometheus metrics, two kinds.

Figures that live in the job documents (jobs by status, the last run, what was paid, attempts and
takeovers, the overdue flag, the current job's progress) are computed from them at scrape time by
`JobMetricsCollector`: every instance reads the same documents, so the answer is multi-process
safe by construction. What only a process sees (trigger outcomes, request latency, transient
retries) is counted in-process, in prometheus-client's multiprocess mode when
PROMETHEUS_MULTIPROC_DIR is set (it must be set before the process starts; every process of a
host then shares the directory and a scrape of any of them sums them all).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from application.retrying import retry_listeners
from application.use_cases.gather_job_metrics import JobMetrics
from domain.job import AttemptKind, JobHealth, JobStatus

# Litestar adds the charset itself to a text/* media type.
CONTENT_TYPE = CONTENT_TYPE_LATEST.replace("; charset=utf-8", "")

# A `_created` series beside every counter doubles the scrape for a figure nobody graphs.
disable_created_metrics()  # type: ignore[no-untyped-call]

# In-process metrics: one registry for the process (tests build many apps in one process).
PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)
TRIGGER_CALLS = Counter(
    "rewards_trigger_calls",
    "Calls of POST /api/ranking/monthly-rewards by outcome",
    ["outcome"],
    registry=PROCESS_REGISTRY,
)
TRIGGER_OUTCOMES = (
    "started",
    "resumed",
    "underway",
    "completed",
    "failed",
    "unauthorised",
    "invalid",
    "error",
)
REQUEST_LATENCY = Histogram(
    "rewards_http_request_duration_seconds",
    "HTTP request latency by method, route template and status",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=PROCESS_REGISTRY,
)
TRANSIENT_RETRIES = Counter(
    "rewards_transient_retries",
    "Transient database errors ridden through by a retry with backoff",
    registry=PROCESS_REGISTRY,
)


MONTH_YIELDED = Counter(
    "rewards_month_yielded_seconds",
    "Seconds the month's database commands waited for a flood of requests to pass, summed over "
    "commands (application/foreground.py)",
    registry=PROCESS_REGISTRY,
)


def count_yield(seconds: float) -> None:
    MONTH_YIELDED.inc(seconds)


def _count_retry(_: str, __: BaseException) -> None:
    TRANSIENT_RETRIES.inc()


def install() -> None:
    """Hooks the transient-retry counter into application/retrying.py (once per process)."""
    if _count_retry not in retry_listeners:
        retry_listeners.append(_count_retry)
    for outcome in TRIGGER_OUTCOMES:  # every outcome shows, at 0 until it happens
        TRIGGER_CALLS.labels(outcome)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def _process_registry() -> CollectorRegistry:
    if multiprocess_dir() is None:
        return PROCESS_REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


class JobMetricsCollector(Collector):
    """The job documents' figures, as read for one scrape."""

    def __init__(self, metrics: JobMetrics) -> None:
        self._m = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self._jobs()
        yield from self._paid()
        yield from self._attempts()
        yield from self._schedule()
        yield from self._current()

    def _jobs(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily("rewards_jobs", "Monthly jobs by status", labels=["status"])
        for status in JobStatus:
            jobs.add_metric([status.value], self._m.jobs_by_status.get(status, 0))
        yield jobs
        last = self._m.last_finished
        duration = GaugeMetricFamily(
            "rewards_last_run_duration_seconds",
            "Duration of the newest finished (completed or failed) run",
            labels=["month", "status"],
        )
        finished = GaugeMetricFamily(
            "rewards_last_run_finished_timestamp_seconds",
            "When the newest finished run ended (Unix time)",
            labels=["month", "status"],
        )
        if last is not None:
            labels = [last.period.key, last.status.value]
            duration.add_metric(labels, last.duration or 0.0)
            if last.completed_at is not None:
                finished.add_metric(labels, last.completed_at.timestamp())
        yield duration
        yield finished

    def _paid(self) -> Iterator[Metric]:
        rewards = CounterMetricFamily(
            "rewards_paid_rewards",
            "Rewards paid, over every month, by category and tier",
            labels=["category", "tier"],
        )
        coins = CounterMetricFamily(
            "rewards_paid_coins",
            "Coins paid, over every month, by category and tier",
            labels=["category", "tier"],
        )
        for (category, tier), paid in sorted(self._m.paid.items()):
            rewards.add_metric([category, tier], paid.rewards)
            coins.add_metric([category, tier], paid.coins)
        failed = CounterMetricFamily(
            "rewards_failed_rewards",
            "Rewards recorded failed (a user gone, a wallet that cannot be credited)",
            labels=["category"],
        )
        for category, count in sorted(self._m.failed_rewards.items()):
            failed.add_metric([category], count)
        yield from (rewards, coins, failed)

    def _attempts(self) -> Iterator[Metric]:
        attempts = CounterMetricFamily(
            "rewards_job_attempts",
            "Job attempts by kind (start, takeover, retry), over every month",
            labels=["kind"],
        )
        for kind in AttemptKind:
            attempts.add_metric([kind.value], self._m.attempts.get(kind, 0))
        yield attempts
        yield CounterMetricFamily(
            "rewards_takeovers",
            "Jobs taken over after their worker stopped renewing its lease",
            value=self._m.takeovers,
        )
        yield CounterMetricFamily(
            "rewards_lease_expiries",
            "Attempts that ended because their worker's lease ran out",
            value=self._m.lease_expiries,
        )

    def _schedule(self) -> Iterator[Metric]:
        schedule = self._m.schedule
        overdue = GaugeMetricFamily(
            "rewards_run_overdue",
            "1 when the month that has just ended has no job past its due time",
            labels=["month"],
        )
        overdue.add_metric([schedule.period.key], 1.0 if schedule.overdue else 0.0)
        due = GaugeMetricFamily(
            "rewards_run_due_timestamp_seconds",
            "When the month that has just ended is due to have a job (Unix time)",
            labels=["month"],
        )
        due.add_metric([schedule.period.key], schedule.due_at.timestamp())
        yield from (overdue, due)

    def _current(self) -> Iterator[Metric]:
        job = self._m.current
        processed = GaugeMetricFamily(
            "rewards_current_job_processed",
            "Ranked users of the newest month's job paid so far, by category",
            labels=["month", "category"],
        )
        total = GaugeMetricFamily(
            "rewards_current_job_participants",
            "Ranked users of the newest month's job, by category",
            labels=["month", "category"],
        )
        health = GaugeMetricFamily(
            "rewards_current_job_health",
            "1 for the newest month's job's health (running, stalled, orphaned, finished)",
            labels=["month", "health"],
        )
        if job is not None:
            for category, progress in sorted(job.progress.categories.items()):
                processed.add_metric([job.period.key, category], progress.processed)
                total.add_metric([job.period.key, category], progress.total)
            for state in JobHealth:
                health.add_metric(
                    [job.period.key, state.value], 1.0 if state is self._m.current_health else 0.0
                )
        yield from (processed, total, health)


class _DatabaseUp(Collector):
    def __init__(self, up: bool) -> None:
        self._up = up

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "rewards_job_documents_readable",
            "1 when this scrape could read the job documents (0: the job figures are missing)",
            value=1.0 if self._up else 0.0,
        )


def render(metrics: JobMetrics | None) -> bytes:
    """The text exposition: the job documents' figures (None: they could not be read, and only
    the in-process metrics follow), then the in-process metrics."""
    registry = CollectorRegistry()
    registry.register(_DatabaseUp(metrics is not None))
    if metrics is not None:
        registry.register(JobMetricsCollector(metrics))
    return generate_latest(registry) + generate_latest(_process_registry())
