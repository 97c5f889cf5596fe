"""Foreground first, in the adapters (application/foreground.py): each bulk command of a month
waits its turn, the CPU work between them gives way in slices, and a month paid under a flood,
one command a turn, still pays everyone once."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
from dependency_injector import providers
from tests.adapters.test_snapshot_and_reward_repositories import T0, P, entries, reward
from tests.adapters.test_wallet_and_participants import STUDENTS, insert_users, reward_for
from tests.expectations import assert_paid_exactly_once, snapshot_users

from application import foreground
from application.foreground import Foreground, YieldPolicy, in_month_work
from domain.job import JobStatus
from domain.period import Period
from domain.policy import RewardPolicy
from infrastructure.container import Container
from infrastructure.mongo import participant_source, snapshot_repository
from infrastructure.mongo.reward_repository import MongoRewardRepository
from infrastructure.mongo.server_profile import WriteLimits
from infrastructure.mongo.snapshot_repository import MongoSnapshotRepository
from infrastructure.mongo.wallet import MongoWallet
from infrastructure.seeding import seed_users

PACE = 0.005


class Turns:
    """A turn that only counts: how many commands asked for one."""

    def __init__(self) -> None:
        self.taken = 0

    async def __call__(self) -> None:
        self.taken += 1


class Flooded(Foreground):
    """A process whose requests never stop: every command of the month waits its turn. Notes
    when each turn of month work was given, every wait, and each slice of month work that gave
    way."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        super().__init__(YieldPolicy(above_rps=100, pace_seconds=PACE), on_wait=self.waits.append)
        self.given: list[float] = []
        self.gave_way = 0

    def yielding(self) -> bool:
        return True

    async def turn(self) -> None:
        await super().turn()
        if in_month_work():
            self.given.append(time.monotonic())

    async def give_way(self) -> None:
        await super().give_way()
        if in_month_work():  # then it slept: a flood never ends here
            self.gave_way += 1


class RecordedBatches:
    """The users collection, noting the cursor batch size each `find` asks for."""

    def __init__(self, users: Any) -> None:
        self._users = users
        self.sizes: list[int] = []

    def find(self, *args: Any, **kwargs: Any) -> RecordedBatches:
        self._cursor = self._users.find(*args, **kwargs)
        return self

    def batch_size(self, size: int) -> Any:
        self.sizes.append(size)
        return self._cursor.batch_size(size)


def sliced_by(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    """Slices of `size` items wherever the month's CPU work is sliced. Each gives way for no
    time (a pass of the loop, where other tasks run): sleeps of their own would space the
    commands as much as their turns do."""
    for module in (foreground, participant_source, snapshot_repository):
        monkeypatch.setattr(module, "SLICE", size)
    monkeypatch.setattr(foreground, "GIVE_WAY_SECONDS", 0)


async def test_each_update_command_of_a_credit_waits_its_turn(db) -> None:  # type: ignore[no-untyped-def]
    wallets = ({"role": "student", "badges": [], "rewards": {"coins": 0}} for _ in range(11))
    ids = await insert_users(db, *wallets)
    turns = Turns()
    limits = WriteLimits(update_chunk=2, concurrency=3, statement_budget=6, source="test")
    wallet = MongoWallet(db["users"], limits, turn=turns)
    await wallet.credit([reward_for(u, rank) for rank, u in enumerate(ids, start=1)])
    assert turns.taken == 6  # 11 updates in chunks of 2


async def test_the_ranking_read_waits_a_turn_per_cursor_batch(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(participant_source, "_CURSOR_BATCH", 2)
    await insert_users(db, *({"role": "student", "isActive": True} for _ in range(5)))
    turns = Turns()
    source = participant_source.MongoParticipantSource(db["users"], turn=turns)
    read = [p async for p in source.stream(STUDENTS)]
    assert len(read) == 5
    assert turns.taken == 3  # find, then a getMore after the 2nd and the 4th user


async def test_a_ranking_read_ahead_takes_smaller_cursor_batches(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Read ahead, the same users come in smaller cursor batches, a turn before each."""
    monkeypatch.setattr(participant_source, "_CURSOR_BATCH", 4)
    monkeypatch.setattr(participant_source, "_CURSOR_BATCH_AHEAD", 2)
    await insert_users(db, *({"role": "student", "isActive": True} for _ in range(5)))
    users = RecordedBatches(db["users"])
    source = participant_source.MongoParticipantSource(users, turn=(turns := Turns()))  # type: ignore[arg-type]
    now = [p.user_id async for p in source.stream(STUDENTS)]
    assert turns.taken == 2  # find, then a getMore after the 4th user
    ahead = [p.user_id async for p in source.stream(STUDENTS, ahead=True)]
    assert sorted(ahead) == sorted(now) and len(now) == 5
    assert turns.taken == 2 + 3  # find, then a getMore after the 2nd and the 4th user
    assert users.sizes == [4, 2]  # what the server was asked for, each time


async def test_the_ranking_read_gives_way_between_slices_of_a_cursor_batch(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(participant_source, "_CURSOR_BATCH", 5)
    monkeypatch.setattr(participant_source, "SLICE", 2)
    await insert_users(db, *({"role": "student", "isActive": True} for _ in range(9)))
    turns, gave = Turns(), Turns()
    source = participant_source.MongoParticipantSource(db["users"], turn=turns, give_way=gave)
    read = [p async for p in source.stream(STUDENTS)]
    assert len(read) == 9
    assert turns.taken == 2  # find, then the getMore after the 5th user
    assert gave.taken == 4  # after the 2nd, 4th, 6th and 8th: a batch is ranked in slices


async def test_the_documents_of_a_batch_are_built_in_slices(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Entries, records and credits of five users, in slices of two: two chances for requests
    for each (before the command's own turn), and two as the entries are read back."""
    monkeypatch.setattr(foreground, "SLICE", 2)
    monkeypatch.setattr(snapshot_repository, "SLICE", 2)  # reading entries back slices too
    wallets = ({"role": "student", "badges": [], "rewards": {"coins": 0}} for _ in range(5))
    ids = await insert_users(db, *wallets)  # creditable at once: no read-back, one pass
    gave = Turns()
    snapshots = MongoSnapshotRepository(db, RewardPolicy.default(), give_way=gave)
    snapshot = await snapshots.start_building(P, "students", T0)
    await snapshots.add_entries(snapshot.id, entries(5))
    assert gave.taken == 2
    assert [len(b) async for b in snapshots.entries(snapshot.id, batch_size=5)] == [5]
    assert gave.taken == 2 + 2  # read back: after the 2nd and 4th entry of the batch
    records = MongoRewardRepository(db, give_way=gave)
    await records.record([reward(n).awarded(T0, 1) for n in range(1, 6)])
    assert gave.taken == 4 + 2
    wallet = MongoWallet(db["users"], WriteLimits(50, 1, None, "test"), give_way=gave)
    results = await wallet.credit([reward_for(u, rank) for rank, u in enumerate(ids, start=1)])
    assert len(results) == 5
    assert gave.taken == 6 + 2


async def test_snapshot_entries_and_records_wait_a_turn_per_command(db) -> None:  # type: ignore[no-untyped-def]
    turns = Turns()
    snapshots = MongoSnapshotRepository(db, RewardPolicy.default(), turn=turns)
    snapshot = await snapshots.start_building(P, "students", T0)
    await snapshots.add_entries(snapshot.id, entries(5))
    assert turns.taken == 1
    batches = [b async for b in snapshots.entries(snapshot.id, batch_size=2)]
    assert [len(b) for b in batches] == [2, 2, 1]
    assert turns.taken == 1 + 3  # find, then one before each getMore after a full batch

    records = MongoRewardRepository(db, turn=turns)
    await records.record([reward(1).awarded(T0, 1), reward(2).awarded(T0, 1)])
    assert turns.taken == 5


async def test_a_month_paid_under_a_flood_takes_one_command_a_turn_and_pays_once(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    sliced_by(monkeypatch, 16)  # so the month's CPU work gives way here, between its commands
    flooded = Flooded()
    container.foreground.override(providers.Object(flooded))
    await seed_users(container.users(), students=150, teachers=30, seed=5)
    before = await snapshot_users(container.db())
    await container.start_monthly_rewards().execute(Period(2024, 11))
    await container.runner().wait_idle()
    job = await container.get_job_status().execute(Period(2024, 11))
    assert job.status is JobStatus.COMPLETED, job.error_message
    await assert_paid_exactly_once(container.db(), before, Period(2024, 11))
    # Every bulk command went one at a time, a pace apart, though credits overlap otherwise.
    assert len(flooded.given) >= 10 and flooded.waits
    gaps = [b - a for a, b in itertools.pairwise(flooded.given)]
    assert min(gaps) >= PACE * 0.9, sorted(gaps)[:3]
    assert flooded.gave_way >= 9 + 1  # the ranking reads' alone: 150 students, 30 teachers


def test_every_adapter_of_the_months_bulk_work_takes_the_containers_turns() -> None:
    from tests.backends import container_for, settings_for

    container = container_for(settings_for("mongomock", None))
    turn, give_way = container.foreground().turn, container.foreground().give_way
    for adapter in (
        container.wallet(),
        container.rewards(),
        container.snapshots(),
        container.participants(),
    ):
        assert adapter._turn == turn, type(adapter).__name__
        assert adapter._give_way == give_way, type(adapter).__name__
    assert container.process_monthly_rewards()._give_way == give_way


async def test_a_serverless_step_under_a_flood_takes_no_turn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A step must end inside its request: it never waits for the flood (it is not month work
    of the background launcher)."""
    from tests.backends import container_for, settings_for

    from application.use_cases.run_processing_step import StepKind

    settings = settings_for("mongomock", None, execution="steps", step_seconds=5, batch_size=50)
    container = container_for(settings)
    sliced_by(monkeypatch, 16)
    flooded = Flooded()
    container.foreground.override(providers.Object(flooded))
    await container.init_resources()  # type: ignore[misc]
    try:
        await seed_users(container.users(), students=120, teachers=20, seed=2)
        before = await snapshot_users(container.db())
        await container.start_monthly_rewards().execute(Period(2024, 10))
        kinds = []
        for _ in range(20):
            outcome = await container.run_processing_step().execute()
            kinds.append(outcome.kind)
            if outcome.kind is not StepKind.WORKED:
                break
        job = await container.get_job_status().execute(Period(2024, 10))
        assert job.status is JobStatus.COMPLETED, kinds
        await assert_paid_exactly_once(container.db(), before, Period(2024, 10))
        assert flooded.given == [] and flooded.waits == []
        assert flooded.gave_way == 0  # not even between slices, small as they are here
    finally:
        await container.shutdown_resources()  # type: ignore[misc]
