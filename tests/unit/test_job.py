from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidJobTransition, JobNotRetryable
from domain.job import (
    AttemptKind,
    AttemptOutcome,
    JobHealth,
    JobStatus,
    MonthlyRewardJob,
    Phase,
    RewardError,
)
from domain.period import Period
from domain.reward import Reward

T0 = datetime(2025, 1, 1, 0, 5, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def job() -> MonthlyRewardJob:
    return MonthlyRewardJob.start("j1", Period(2024, 12), T0, "a", LEASE)


def test_completing_records_duration_and_results() -> None:
    j = job()
    j.complete(T0 + timedelta(seconds=45.32))
    assert (j.status, j.duration, j.completed_at, j.progress.phase) == (
        JobStatus.COMPLETED,
        45.32,
        T0 + timedelta(seconds=45.32),
        Phase.DONE,
    )


def test_a_finished_job_cannot_finish_again() -> None:
    j = job()
    j.complete(T0)
    with pytest.raises(InvalidJobTransition):
        j.fail("late", None, T0)
    with pytest.raises(InvalidJobTransition):
        j.complete(T0)


def test_only_a_failed_job_can_be_retried_and_retry_counts_attempts() -> None:
    j = job()
    with pytest.raises(JobNotRetryable):
        j.retry(2, "b", T0, LEASE)
    j.fail("db down", "Traceback...", T0 + timedelta(seconds=3))
    assert (j.status, j.error_message, j.duration) == (JobStatus.FAILED, "db down", 3.0)
    j.retry(2, "b", T0 + timedelta(seconds=5), LEASE)
    assert (j.status, j.epoch, j.completed_at) == (JobStatus.PROCESSING, 2, None)
    j.complete(T0 + timedelta(seconds=10))
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
    j.complete(T0 + timedelta(minutes=9))
    assert j.health(T0 + timedelta(minutes=9), stall) is JobHealth.FINISHED


def test_an_interrupted_attempt_gives_its_lease_back_at_once() -> None:
    j = job()
    j.release(T0 + timedelta(seconds=5), AttemptOutcome.INTERRUPTED, "the process shut down")
    assert j.lease_expired(T0 + timedelta(seconds=5))
    assert j.history[-1].outcome is AttemptOutcome.INTERRUPTED


def _reward(rank: int, tier: str, coins: int) -> Reward:
    return Reward(
        user_id=f"u{rank}",
        period=Period(2024, 12),
        category="students",
        rank=rank,
        tier=tier,
        coins=coins,
        badge_name=f"Monthly {tier.title()}",
        snapshot_id="s1",
        created_at=T0,
    )


def test_the_job_keeps_the_books_of_each_paid_batch() -> None:
    j = job()
    j.begin_snapshot("students")
    assert (j.progress.phase, j.progress.category) == (Phase.SNAPSHOT, "students")
    j.ranking_frozen("students", 3)
    assert j.begin_crediting("students", 3) == 0
    assert j.progress.phase is Phase.CREDITING
    j.record_batch(
        "students",
        awarded=[_reward(1, "CHAMPION", 1000), _reward(2, "ELITE", 500)],
        failed=[_reward(3, "ELITE", 500).failed("user no longer exists")],
        last_rank=3,
    )
    students = j.results.categories["students"]
    assert (students.participants, students.rewards_awarded, students.coins_awarded) == (3, 2, 1500)
    assert students.rewards_failed == 1 and j.results.errors_total == 1
    assert j.results.errors[0] == RewardError("students", "u3", 3, "user no longer exists")
    assert {t: (v.count, v.coins) for t, v in students.tiers.items()} == {
        "CHAMPION": (1, 1000),
        "ELITE": (1, 500),
    }
    assert j.progress.categories["students"].processed == 3 and j.remaining() == 0


def test_a_resumed_category_carries_on_after_the_last_paid_rank() -> None:
    j = job()
    j.ranking_frozen("students", 10)
    j.record_batch("students", [_reward(1, "CHAMPION", 1000)], [], last_rank=4)
    assert j.remaining() == 6
    assert j.begin_crediting("students", 10) == 4  # a takeover resumes after rank 4
    assert j.results.categories["students"].coins_awarded == 1000  # the books carry over


def test_the_books_cannot_be_written_once_the_job_is_finished() -> None:
    j = job()
    j.complete(T0)
    with pytest.raises(InvalidJobTransition):
        j.begin_crediting("students", 3)


def test_a_queued_job_is_begun_by_the_first_step_that_claims_attempt_one() -> None:
    queued = MonthlyRewardJob.queue("j1", Period(2024, 12), T0)
    assert (queued.epoch, queued.lease, queued.history) == (0, None, [])
    assert queued.lease_expired(T0)
    queued.take_over(1, "step-a", T0, timedelta(seconds=60), AttemptKind.STEP)
    assert [(a.number, a.kind) for a in queued.history] == [(1, AttemptKind.STEP)]
    queued.release(T0 + timedelta(seconds=20), AttemptOutcome.PAUSED, "the step's time was up")
    assert queued.lease_expired(T0 + timedelta(seconds=20))
    assert queued.history[-1].outcome is AttemptOutcome.PAUSED
