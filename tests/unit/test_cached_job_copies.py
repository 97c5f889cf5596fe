"""The copies CachedJobs hands out and keeps: equal to the job, sharing nothing a caller may
change (it builds them field by field, not with copy.deepcopy, for speed)."""

import copy
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes import FixedClock, InMemoryJobRepository

from domain.job import MonthlyRewardJob
from domain.period import Period
from domain.reward import Reward, RewardStatus
from infrastructure.cached_jobs import CachedJobs

NOW = datetime(2025, 1, 1, 0, 5, tzinfo=UTC)


def _reward(user: str, rank: int, failed: bool = False) -> Reward:
    return Reward(
        user, Period(2024, 12), "students", rank, "gold", 100, "Gold", "s1", NOW,
        RewardStatus.FAILED if failed else RewardStatus.AWARDED,
        failure_reason="user deleted" if failed else None,
    )  # fmt: skip


def _busy_job() -> MonthlyRewardJob:
    """A month with something in every field: two attempts, tiers, an error, progress."""
    job = MonthlyRewardJob.start("j1", Period(2024, 12), NOW, "a", timedelta(seconds=60))
    job.take_over(2, "b", NOW + timedelta(seconds=61), timedelta(seconds=60))
    job.begin_snapshot("students")
    job.ranking_frozen("students", 3)
    job.begin_crediting("students", 3)
    job.record_batch("students", [_reward("u1", 1), _reward("u2", 2)], [_reward("u3", 3, True)], 3)
    job.ranking_frozen("teachers", 0)
    job.mark_progress(NOW + timedelta(seconds=62))
    return job


def _shared_mutables(a: Any, b: Any, path: str = "job") -> list[str]:
    """Where `a` and `b` hold the very same mutable object (a list, dict or unfrozen dataclass)."""
    mutable = isinstance(a, list | dict) or (
        dataclasses.is_dataclass(a) and not type(a).__dataclass_params__.frozen  # type: ignore[union-attr]
    )
    if not mutable:
        return []
    if a is b:
        return [path]
    if isinstance(a, list):
        return [
            s
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for s in _shared_mutables(x, y, f"{path}[{i}]")
        ]
    if isinstance(a, dict):
        return [s for k in a for s in _shared_mutables(a[k], b[k], f"{path}[{k!r}]")]
    return [
        s
        for f in dataclasses.fields(a)
        for s in _shared_mutables(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    ]


def test_the_walk_finds_a_shared_list() -> None:
    """The check below can fail: a shallow copy shares the history and the results."""
    job = _busy_job()
    shared = _shared_mutables(job, copy.copy(job))
    assert "job.history" in shared and "job.results" in shared


async def test_a_running_month_is_handed_out_whole_and_unshared() -> None:
    jobs = CachedJobs(InMemoryJobRepository(), FixedClock(NOW + timedelta(seconds=62)))
    job = _busy_job()
    await jobs.create(job)  # written by this process under a live lease: answered from memory

    first, second = await jobs.find(job.period), await jobs.find(job.period)

    assert first == job == copy.deepcopy(job)
    assert first is not None and second is not None
    assert _shared_mutables(job, first) == []
    assert _shared_mutables(first, second) == []
    first.results.categories["students"].tiers["gold"].count = 99  # a caller changes its copy
    first.history.append(first.history[0])
    assert await jobs.find(job.period) == job  # what is held is unchanged


async def test_readers_share_the_running_month_and_a_write_never_changes_what_they_hold() -> None:
    jobs = CachedJobs(InMemoryJobRepository(), FixedClock(NOW + timedelta(seconds=62)))
    job = _busy_job()
    await jobs.create(job)

    read = await jobs.find_to_read(job.period)
    assert read is not None and read is await jobs.find_to_read(job.period)  # no copy made
    assert read == job and _shared_mutables(job, read) == []  # not the worker's own job either
    as_read = copy.deepcopy(read)

    job.progress.categories["teachers"].processed = 1  # what a batch does, in short
    job.mark_progress(NOW + timedelta(seconds=63))
    assert await jobs.save_progress(job)
    job.renew(NOW + timedelta(seconds=63), timedelta(seconds=60))
    assert await jobs.save_lease(job)

    assert read == as_read != job  # a reader's job stays as it was read
    now_read = await jobs.find_to_read(job.period)
    assert now_read is not read and now_read == job  # the writes are answered from then on


async def test_a_completed_month_is_read_without_a_copy_and_found_as_one() -> None:
    inner = InMemoryJobRepository()
    job = _busy_job()
    job.complete(NOW + timedelta(seconds=70))
    await inner.create(job)
    jobs = CachedJobs(inner, FixedClock(NOW + timedelta(seconds=80)))

    read = await jobs.find_to_read(job.period)
    assert read is not None and read is await jobs.find_to_read(job.period)
    found = await jobs.find(job.period)
    assert found == read and found is not read
    found.error_message = "set by a finder"  # a finder may set the job's own fields
    assert read.error_message is None
