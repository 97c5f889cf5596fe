"""The answers' JSON (interfaces/http/presenters.py): a completed month's answer is built once."""

from datetime import UTC, datetime, timedelta

from application.use_cases.start_monthly_rewards import StartKind, StartOutcome
from domain.job import JobHealth, MonthlyRewardJob
from domain.period import Period
from interfaces.http import presenters
from interfaces.http.presenters import job_status, start_answer

NOW = datetime(2026, 11, 1, 0, 5, tzinfo=UTC)


def _job(month: int) -> MonthlyRewardJob:
    return MonthlyRewardJob.start(
        f"job-{month}", Period(2026, month), NOW, "test", timedelta(seconds=60)
    )


def test_a_completed_months_answer_is_built_once_and_is_the_fresh_one() -> None:
    job = _job(9)
    job.complete(NOW + timedelta(seconds=42))
    first = job_status(job, JobHealth.FINISHED)
    assert job_status(job, JobHealth.FINISHED) is first  # shared, not rebuilt
    assert first == presenters._job_status(job, JobHealth.FINISHED, False)
    assert first["completedAt"] == "2026-11-01T00:05:42.000Z"
    assert job_status(job, JobHealth.FINISHED, debug=True) is not first  # debug adds the stack
    again = start_answer(StartOutcome(StartKind.ALREADY_COMPLETED, job))
    assert start_answer(StartOutcome(StartKind.ALREADY_COMPLETED, job))["data"] is again["data"]
    assert again["data"]["duration"] == 42.0


def test_a_running_months_answer_is_built_each_time() -> None:
    job = _job(8)
    first = job_status(job, JobHealth.RUNNING)
    job.mark_progress(NOW + timedelta(seconds=5))
    second = job_status(job, JobHealth.RUNNING)
    assert second is not first
    assert second["progress"]["progressedAt"] == "2026-11-01T00:05:05.000Z"
