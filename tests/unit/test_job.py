from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidJobTransition, JobNotRetryable
from domain.job import (
    AttemptKind,
    AttemptOutcome,
    JobHealth,
    JobResults,
    JobStatus,
    MonthlyRewardJob,
    Phase,
)
from domain.period import Period

T0 = datetime(2025, 1, 1, 0, 5, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def job() -> MonthlyRewardJob:
    return MonthlyRewardJob.start("j1", Period(2024, 12), T0, "a", LEASE)


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
        j.retry(2, "b", T0, LEASE)
    j.fail("db down", "Traceback...", T0 + timedelta(seconds=3))
    assert (j.status, j.error_message, j.duration) == (JobStatus.FAILED, "db down", 3.0)
    j.retry(2, "b", T0 + timedelta(seconds=5), LEASE)
    assert (j.status, j.epoch, j.completed_at) == (JobStatus.PROCESSING, 2, None)
    j.complete(JobResults(), T0 + timedelta(seconds=10))
    assert (j.error_message, j.error_stack, j.duration) == (None, None, 10.0)
    with pytest.raises(JobNotRetryable, match="completed"):
        j.retry(3, "c", T0, LEASE)
    history = [(a.number, a.kind, a.owner, a.outcome, a.error_message) for a in j.history]
    assert history == [
        (1, AttemptKind.START, "a", AttemptOutcome.FAILED, "db down"),
        (2, AttemptKind.RETRY, "b", AttemptOutcome.COMPLETED, None),
    ]


def test_a_live_lease_cannot_be_taken_over_an_expired_one_can() -> None:
    j = job()
    with pytest.raises(InvalidJobTransition, match="lease is held"):
        j.take_over(2, "b", T0 + LEASE - timedelta(seconds=1), LEASE)
    j.renew(T0 + timedelta(seconds=50), LEASE)  # a heartbeat pushes the expiry on
    assert not j.lease_expired(T0 + timedelta(seconds=100))
    later = T0 + timedelta(seconds=111)
    assert j.lease_expired(later)
    j.take_over(2, "b", later, LEASE)
    assert (j.epoch, j.lease and j.lease.owner, j.lease and j.lease.expires_at) == (
        2,
        "b",
        later + LEASE,
    )
    first, second = j.history
    assert (first.outcome, first.ended_at) == (AttemptOutcome.LEASE_EXPIRED, later)
    assert (second.kind, second.outcome) == (AttemptKind.TAKEOVER, AttemptOutcome.RUNNING)


def test_an_epoch_never_goes_backwards() -> None:
    j = job()
    with pytest.raises(InvalidJobTransition, match="not newer"):
        j.take_over(1, "b", T0 + 2 * LEASE, LEASE)


def test_health_tells_running_stalled_orphaned_and_finished_apart() -> None:
    j = job()
    stall = timedelta(minutes=5)
    assert j.health(T0 + timedelta(seconds=30), stall) is JobHealth.RUNNING
    for minute in range(1, 8):  # heartbeats go on, progress does not
        j.renew(T0 + timedelta(minutes=minute), LEASE)
    assert j.health(T0 + timedelta(minutes=7), stall) is JobHealth.STALLED
    j.mark_progress(T0 + timedelta(minutes=7))
    assert j.health(T0 + timedelta(minutes=7, seconds=1), stall) is JobHealth.RUNNING
    assert j.health(T0 + timedelta(minutes=9), stall) is JobHealth.ORPHANED
    j.complete(JobResults(), T0 + timedelta(minutes=9))
    assert j.health(T0 + timedelta(minutes=9), stall) is JobHealth.FINISHED


def test_an_interrupted_attempt_gives_its_lease_back_at_once() -> None:
    j = job()
    j.interrupt(T0 + timedelta(seconds=5))
    assert j.lease_expired(T0 + timedelta(seconds=5))
    assert j.history[-1].outcome is AttemptOutcome.INTERRUPTED
