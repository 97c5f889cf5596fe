from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidJobTransition, JobNotRetryable
from domain.job import JobResults, JobStatus, MonthlyRewardJob, Phase
from domain.period import Period

T0 = datetime(2025, 1, 1, 0, 5, tzinfo=UTC)


def job() -> MonthlyRewardJob:
    return MonthlyRewardJob.start("j1", Period(2024, 12), T0)


def test_completing_records_duration_and_results() -> None:
    j = job()
    j.complete(JobResults(), T0 + timedelta(seconds=45.32))
    assert (j.status, j.duration, j.completed_at, j.progress.phase) == (
        JobStatus.COMPLETED,
        45.32,
        T0 + timedelta(seconds=45.32),
        Phase.DONE,
    )


def test_a_finished_job_cannot_finish_again() -> None:
    j = job()
    j.complete(JobResults(), T0)
    with pytest.raises(InvalidJobTransition):
        j.fail("late", None, T0)
    with pytest.raises(InvalidJobTransition):
        j.complete(JobResults(), T0)


def test_only_a_failed_job_can_be_retried_and_retry_counts_attempts() -> None:
    j = job()
    with pytest.raises(JobNotRetryable):
        j.retry()
    j.fail("db down", "Traceback...", T0 + timedelta(seconds=3))
    assert (j.status, j.error_message, j.duration) == (JobStatus.FAILED, "db down", 3.0)
    j.retry()
    assert (j.status, j.attempts, j.completed_at) == (JobStatus.PROCESSING, 2, None)
    j.complete(JobResults(), T0 + timedelta(seconds=10))
    assert (j.error_message, j.error_stack, j.duration) == (None, None, 10.0)
    with pytest.raises(JobNotRetryable, match="completed"):
        j.retry()
