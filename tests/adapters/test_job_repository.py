from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import JobAlreadyExists
from domain.job import CategoryResult, JobResults, JobStatus, MonthlyRewardJob, Phase, RewardError
from domain.period import Period
from infrastructure.mongo.job_repository import BeanieJobRepository

T0 = datetime(2025, 1, 1, 0, 5, 5, 123000, tzinfo=UTC)


async def test_the_unique_index_is_the_months_lock(db) -> None:  # type: ignore[no-untyped-def]
    repo = BeanieJobRepository()
    first = MonthlyRewardJob.start(repo.new_id(), Period(2024, 12), T0)
    await repo.create(first)
    with pytest.raises(JobAlreadyExists):
        await repo.create(MonthlyRewardJob.start(repo.new_id(), Period(2024, 12), T0))
    assert await db["monthlyrewardjobs"].count_documents({}) == 1
    found = await repo.find(Period(2024, 12))
    assert found is not None and found.id == first.id and found.started_at == T0


async def test_a_job_round_trips_with_results_and_progress(db) -> None:  # type: ignore[no-untyped-def]
    repo = BeanieJobRepository()
    job = MonthlyRewardJob.start(repo.new_id(), Period(2024, 12), T0)
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
    job.complete(results, T0 + timedelta(seconds=45.32))
    await repo.save(job)
    stored = await repo.get(job.id)
    assert stored is not None
    assert stored.status is JobStatus.COMPLETED
    assert stored.duration == 45.32
    assert stored.results == results
    assert stored.completed_at == T0 + timedelta(seconds=45.32)


async def test_recent_jobs_are_newest_month_first(db) -> None:  # type: ignore[no-untyped-def]
    repo = BeanieJobRepository()
    for year, month in [(2024, 11), (2025, 2), (2024, 12), (2025, 1)]:
        await repo.create(MonthlyRewardJob.start(repo.new_id(), Period(year, month), T0))
    assert [j.period.key for j in await repo.recent(3)] == ["2025-02", "2025-01", "2024-12"]
    latest = await repo.latest()
    assert latest is not None and latest.period == Period(2025, 2)


async def test_an_attempt_is_claimed_once_and_unknown_ids_are_none(db) -> None:  # type: ignore[no-untyped-def]
    repo = BeanieJobRepository()
    assert await repo.claim_attempt("abc", 2, T0) is True
    assert await repo.claim_attempt("abc", 2, T0) is False
    assert await repo.claim_attempt("abc", 3, T0) is True
    assert await repo.get("not-an-object-id") is None
    assert await repo.get(repo.new_id()) is None
