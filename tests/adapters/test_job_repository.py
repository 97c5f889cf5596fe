import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tests.fakes import FixedClock

from domain.errors import JobAlreadyExists
from domain.job import CategoryResult, JobResults, JobStatus, MonthlyRewardJob, Phase, RewardError
from domain.period import Period
from infrastructure.mongo.attempt_claims import MongoAttemptClaims
from infrastructure.mongo.job_repository import MongoJobRepository

T0 = datetime(2025, 1, 1, 0, 5, 5, 123000, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def start(repo: MongoJobRepository, period: Period) -> MonthlyRewardJob:
    return MonthlyRewardJob.start(repo.new_id(), period, T0, "worker-a", LEASE)


async def test_the_unique_index_is_the_months_lock(db) -> None:  # type: ignore[no-untyped-def]
    repo = MongoJobRepository(db, FixedClock(T0))
    first = start(repo, Period(2024, 12))
    await repo.create(first)
    with pytest.raises(JobAlreadyExists):
        await repo.create(start(repo, Period(2024, 12)))
    assert await db["monthlyrewardjobs"].count_documents({}) == 1
    found = await repo.find(Period(2024, 12))
    assert found is not None and found.id == first.id and found.started_at == T0


async def test_a_job_round_trips_with_results_and_progress(db) -> None:  # type: ignore[no-untyped-def]
    repo = MongoJobRepository(db, FixedClock(T0))
    job = start(repo, Period(2024, 12))
    await repo.create(job)
    job.progress.phase = Phase.CREDITING
    await repo.save_progress(job)
    assert (await repo.get(job.id)).progress.phase is Phase.CREDITING  # type: ignore[union-attr]
    result = CategoryResult(participants=3)
    result.record_award("CHAMPION", 1000)
    result.record_award("ELITE", 500)
    results = JobResults(
        {"students": result}, [RewardError("students", "u9", 3, "user no longer exists")], 1
    )
    job.results = results
    job.complete(T0 + timedelta(seconds=45.32))
    await repo.save(job)
    stored = await repo.get(job.id)
    assert stored is not None
    assert stored.status is JobStatus.COMPLETED
    assert stored.duration == 45.32
    assert stored.results == results
    assert stored.completed_at == T0 + timedelta(seconds=45.32)


async def test_recent_jobs_are_newest_month_first(db) -> None:  # type: ignore[no-untyped-def]
    repo = MongoJobRepository(db, FixedClock(T0))
    for year, month in [(2024, 11), (2025, 2), (2024, 12), (2025, 1)]:
        await repo.create(start(repo, Period(year, month)))
    assert [j.period.key for j in await repo.recent(3)] == ["2025-02", "2025-01", "2024-12"]


async def test_unknown_ids_are_none(db) -> None:  # type: ignore[no-untyped-def]
    repo = MongoJobRepository(db, FixedClock(T0))
    assert await repo.get("not-an-object-id") is None
    assert await repo.get(repo.new_id()) is None


async def test_each_attempt_is_claimed_once_and_fences_older_writers(db) -> None:  # type: ignore[no-untyped-def]
    repo, claims = MongoJobRepository(db, FixedClock(T0)), MongoAttemptClaims(db)
    job = start(repo, Period(2024, 12))
    await repo.create(job)
    stale = await repo.get(job.id)
    assert stale is not None
    later = T0 + 2 * LEASE
    assert await claims.claim(job.id, 2, "worker-b", later) is True
    assert await claims.claim(job.id, 2, "worker-c", later) is False
    assert await claims.claim(job.id, 3, "worker-c", later) is True
    newest = await claims.newest(job.id)
    assert newest is not None and (newest.attempt, newest.owner) == (3, "worker-c")
    # Worker A (attempt 1) is superseded: the claims say so before any job write.
    assert await claims.exists(job.id, stale.epoch + 1) is True
    assert await claims.exists(job.id, 4) is False
    job.take_over(3, "worker-c", later, LEASE)
    assert await repo.save(job) is True
    # The job document now carries attempt 3: attempt 1's writes are refused.
    stale.progress.phase = Phase.CREDITING
    assert await repo.save_progress(stale) is False
    assert await repo.save(stale) is False
    stored = await repo.get(job.id)
    assert stored is not None
    assert (stored.epoch, stored.progress.phase) == (3, Phase.QUEUED)
    assert stored.lease is not None and stored.lease.owner == "worker-c"
    assert [(a.number, a.owner) for a in stored.history] == [(1, "worker-a"), (3, "worker-c")]
    job.renew(later + LEASE / 2, LEASE)
    assert await repo.save_lease(job) is True
    assert [j.id for j in await repo.processing()] == [job.id]


async def test_concurrent_claims_of_one_attempt_have_exactly_one_winner(db) -> None:  # type: ignore[no-untyped-def]
    repo, claims = MongoJobRepository(db, FixedClock(T0)), MongoAttemptClaims(db)
    job = start(repo, Period(2024, 12))
    await repo.create(job)
    won = await asyncio.gather(*(claims.claim(job.id, 2, f"w{i}", T0) for i in range(20)))
    assert won.count(True) == 1


async def test_adapters_on_two_databases_in_one_process_keep_apart(db) -> None:  # type: ignore[no-untyped-def]
    """Nothing global: each adapter works on the database it was handed."""
    other = db.client[f"{db.name}_other"]
    try:
        here, there = (
            MongoJobRepository(db, FixedClock(T0)),
            MongoJobRepository(other, FixedClock(T0)),
        )
        await here.create(start(here, Period(2024, 12)))
        await there.create(start(there, Period(2024, 12)))  # the lock of another database
        await there.create(start(there, Period(2025, 1)))
        assert [j.period.key for j in await here.recent(5)] == ["2024-12"]
        assert [j.period.key for j in await there.recent(5)] == ["2025-01", "2024-12"]
        assert await MongoAttemptClaims(db).claim("job", 2, "a", T0)
        assert await MongoAttemptClaims(other).claim("job", 2, "a", T0)
    finally:
        await db.client.drop_database(other.name)
