"""The JSON the seed system's clients expect: the envelope and the job as data."""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TypedDict

from application.use_cases.run_processing_step import StepKind, StepOutcome
from application.use_cases.start_monthly_rewards import StartKind, StartOutcome
from domain.job import JobHealth, JobResults, JobStatus, MonthlyRewardJob, Progress


class Envelope(TypedDict):
    """Every answer (SPEC §7): whether it worked, a sentence a person can act on, the data."""

    success: bool
    message: str
    data: dict[str, Any]


class Failure(TypedDict):
    """Every 4xx/5xx answer, as the OpenAPI document declares it."""

    success: Literal[False]
    message: str
    data: dict[str, Any]


def envelope(message: str, data: dict[str, Any] | None = None, success: bool = True) -> Envelope:
    return {"success": success, "message": message, "data": data or {}}


@functools.lru_cache(maxsize=1024)
def timestamp(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and a Z, as the seed system's clients parse it.

    Remembered: a running month's status shows the same seven moments (its start, lease,
    attempts) to every poll, and formatting them was 40 % of presenting it (a cache hit is a
    dict lookup). Equal moments in any zone are one instant, shown the same in UTC."""
    if moment is None:
        return None
    # isoformat is C; strftime was 4% of a status answer's CPU.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


def _timeline(job: MonthlyRewardJob) -> dict[str, Any]:
    """What every view of a job starts with: which month, where it stands, when."""
    return {
        "jobId": job.id,
        "month": job.period.month,
        "year": job.period.year,
        "status": job.status.value,
        "startedAt": timestamp(job.started_at),
        "completedAt": timestamp(job.completed_at),
        "duration": job.duration,
    }


def _lease(job: MonthlyRewardJob) -> dict[str, Any] | None:
    if job.lease is None:
        return None
    return {
        "owner": job.lease.owner,
        "expiresAt": timestamp(job.lease.expires_at),
        "heartbeatAt": timestamp(job.lease.heartbeat_at),
    }


def _attempts(job: MonthlyRewardJob) -> list[dict[str, Any]]:
    return [
        {
            "attempt": a.number,
            "kind": a.kind.value,
            "owner": a.owner,
            "startedAt": timestamp(a.started_at),
            "endedAt": timestamp(a.ended_at),
            "outcome": a.outcome.value,
            "errorMessage": a.error_message,
        }
        for a in job.history
    ]


def results_json(results: JobResults) -> dict[str, Any]:
    """SPEC §7's results: totals, per-category and per-tier counts, the first errors."""
    return {
        "categories": {
            name: {
                "participants": c.participants,
                "rewardsAwarded": c.rewards_awarded,
                "coinsAwarded": c.coins_awarded,
                "rewardsFailed": c.rewards_failed,
                "tiers": {t: {"count": v.count, "coins": v.coins} for t, v in c.tiers.items()},
            }
            for name, c in results.categories.items()
        },
        "totalRewardsAwarded": results.total_rewards_awarded,
        "totalCoinsAwarded": results.total_coins_awarded,
        "errors": [
            {"category": e.category, "userId": e.user_id, "rank": e.rank, "reason": e.reason}
            for e in results.errors
        ],
        "errorsTotal": results.errors_total,
    }


def progress_json(progress: Progress) -> dict[str, Any]:
    return {
        "phase": progress.phase.value,
        "category": progress.category,
        "categories": {
            name: {"processed": p.processed, "total": p.total}
            for name, p in progress.categories.items()
        },
    }


_COMPLETED_KEPT = 64
_completed_answers: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()


def _once_completed(
    job: MonthlyRewardJob, kind: str, build: Callable[[], dict[str, Any]], *more: Any
) -> dict[str, Any]:
    """A completed month's answer, built once and shared (nobody changes an answer's dict): a
    completed job never changes again (infrastructure/cached_jobs.py answers it from memory for
    the same reason), and presenting it, its timestamps above all, was a tenth of the CPU of a
    status answer. Other jobs are presented afresh each time."""
    if job.status is not JobStatus.COMPLETED:
        return build()
    key = (kind, job.id, job.epoch, job.completed_at, *more)
    answer = _completed_answers.get(key)
    if answer is None:
        answer = _completed_answers[key] = build()
        while len(_completed_answers) > _COMPLETED_KEPT:
            _completed_answers.popitem(last=False)
    return answer


def job_status(job: MonthlyRewardJob, health: JobHealth, debug: bool = False) -> dict[str, Any]:
    return _once_completed(job, "status", lambda: _job_status(job, health, debug), health, debug)


def _job_status(job: MonthlyRewardJob, health: JobHealth, debug: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        **_timeline(job),
        "health": health.value,
        "results": results_json(job.results),
        "progress": {
            **progress_json(job.progress),
            "progressedAt": timestamp(job.progressed_at),
        },
        "attempts": job.epoch,
        "errorMessage": job.error_message,
        "lease": _lease(job),
        "attemptHistory": _attempts(job),
    }
    if debug:
        data["errorStack"] = job.error_stack
    return data


def job_summary(job: MonthlyRewardJob) -> dict[str, Any]:
    return {
        **_timeline(job),
        "totalRewards": job.results.total_rewards_awarded,
        "totalCoins": job.results.total_coins_awarded,
        "hasErrors": bool(job.results.errors_total) or job.error_message is not None,
    }


def start_answer(outcome: StartOutcome) -> Envelope:
    job = outcome.job
    period = job.period
    base = {"month": period.month, "year": period.year, "status": job.status.value, "jobId": job.id}
    if outcome.kind is StartKind.STARTED:
        return envelope(
            f"Monthly rewards processing started for {period}",
            {**base, "note": "Rewards are being processed in the background"},
        )
    if outcome.kind is StartKind.RESUMED:
        return envelope(
            f"Monthly rewards processing resumed for {period}: the previous worker stopped "
            f"renewing its lease. Rewards already paid are not paid again",
            {**base, "attempt": job.epoch, "note": "Resumed in the background"},
        )
    if outcome.kind is StartKind.PREVIOUSLY_FAILED:
        return envelope(
            f"The previous attempt for {period} failed. Retry it (it resumes, paying no one twice) "
            f"with POST /api/ranking/monthly-rewards/retry and an admin key, or "
            f"`rewards retry --month {period.month} --year {period.year}`",
            {**base, "error": job.error_message},
        )
    if outcome.kind is StartKind.ALREADY_PROCESSING:
        return envelope(
            f"Monthly rewards processing for {period} is already underway",
            {
                **base,
                "startedAt": timestamp(job.started_at),
                "progress": progress_json(job.progress),
            },
        )
    return envelope(
        f"Monthly rewards for {period} were already processed",
        _once_completed(  # a completed month: built once, no timestamp formatted per call
            job,
            "start",
            lambda: {
                **base,
                "startedAt": timestamp(job.started_at),
                "completedAt": timestamp(job.completed_at),
                "duration": job.duration,
                "results": results_json(job.results),
            },
        ),
    )


def step_answer(outcome: StepOutcome, step_seconds: float) -> Envelope:
    """What the scheduler's step call learns: what this call did and how far the month is."""
    job = outcome.job
    if job is None:
        return envelope("No monthly rewards job exists yet; trigger one first", {"remaining": 0})
    data = {
        "jobId": job.id,
        "month": job.period.month,
        "year": job.period.year,
        "status": job.status.value,
        "attempts": job.epoch,
        "categories": progress_json(job.progress)["categories"],
        "remaining": job.remaining(),
        "paidThisStep": outcome.paid,
        "stepSeconds": step_seconds,
    }
    messages = {
        StepKind.IDLE: f"Nothing to process: the newest job ({job.period}) is {job.status.value}",
        StepKind.BUSY: f"A step for {job.period} is already running; call again later",
        StepKind.WORKED: f"Step done for {job.period}: {outcome.paid} rewards recorded, "
        f"{job.remaining()} known to remain; status {job.status.value}",
    }
    return envelope(messages[outcome.kind], {**data, "step": outcome.kind.value})
