"""In-memory fakes of every port: they subclass the port, keep state, and mimic the guarantees
the real adapters give (unique keys, guarded credit), so use-case tests assert on outcomes.

`FaultPlan` lets a test stop a run after any single write, to prove a resumed run pays exactly
what one clean run pays.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from application.ports.attempt_claims import AttemptClaim, AttemptClaims
from application.ports.clock import Clock
from application.ports.database_probe import DatabaseProbe
from application.ports.job_repository import JobRepository
from application.ports.participant_source import ParticipantSource
from application.ports.reward_queries import RewardFilter, RewardQueries
from application.ports.reward_repository import RewardRepository
from application.ports.snapshot_repository import SnapshotRepository
from application.ports.task_runner import TaskRunner
from application.ports.wallet import CreditOutcome, CreditResult, Wallet
from application.ports.wallet_audit import WalletAudit, WalletTotals
from domain.errors import InvalidJobTransition, JobAlreadyExists
from domain.job import JobStatus, MonthlyRewardJob
from domain.period import Period
from domain.ranking import Category, Participant, RankedEntry
from domain.reward import Reward, RewardStatus
from domain.snapshot import RankingSnapshot, SnapshotStatus


class Crash(Exception):
    """An ordinary failure: the run notices it and marks the job failed."""


class Transient(Exception):
    """A database hiccup (a dropped connection): worth retrying."""


class Death(BaseException):
    """The process dies: nothing in the run gets to record anything."""


@dataclass
class FaultPlan:
    """Counts writes; raises at write number `crash_at` (after it took effect)."""

    crash_at: int | None = None
    kind: type[BaseException] = Crash
    writes: int = 0
    log: list[str] = field(default_factory=list)

    def tick(self, label: str) -> None:
        self.writes += 1
        self.log.append(label)
        if self.writes == self.crash_at:
            raise self.kind(f"injected after write {self.writes} ({label})")


class FixedClock(Clock):
    def __init__(self, now: datetime = datetime(2025, 1, 1, 0, 5, tzinfo=UTC)) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


class TickingClock(FixedClock):
    """Time passes by `tick` at every reading, as it does while a worker pays batches."""

    def __init__(self, tick: timedelta) -> None:
        super().__init__()
        self.tick = tick

    def now(self) -> datetime:
        self.current += self.tick
        return self.current


def _copy(job: MonthlyRewardJob) -> MonthlyRewardJob:
    # A deep copy, as a database round trip would give: callers must not share state with storage.
    import copy

    return copy.deepcopy(job)


class InMemoryJobRepository(JobRepository):
    def __init__(self, plan: FaultPlan | None = None) -> None:
        self.jobs: dict[str, MonthlyRewardJob] = {}
        self.renewals = 0
        self._ids = itertools.count(1)
        self._plan = plan or FaultPlan()

    def new_id(self) -> str:
        return f"{next(self._ids):024x}"

    async def create(self, job: MonthlyRewardJob) -> None:
        if any(j.period == job.period for j in self.jobs.values()):
            raise JobAlreadyExists(f"a job for {job.period} exists already")
        self.jobs[job.id] = _copy(job)
        self._plan.tick("jobs.create")

    async def get(self, job_id: str) -> MonthlyRewardJob | None:
        job = self.jobs.get(job_id)
        return None if job is None else _copy(job)

    async def find(self, period: Period) -> MonthlyRewardJob | None:
        return next((_copy(j) for j in self.jobs.values() if j.period == period), None)

    async def recent(self, limit: int) -> list[MonthlyRewardJob]:
        ordered = sorted(self.jobs.values(), key=lambda j: j.period, reverse=True)
        return [_copy(j) for j in ordered[:limit]]

    async def processing(self) -> list[MonthlyRewardJob]:
        return [_copy(j) for j in self.jobs.values() if j.status is JobStatus.PROCESSING]

    def _fenced(self, job: MonthlyRewardJob) -> bool:
        stored = self.jobs.get(job.id)
        return stored is not None and stored.epoch <= job.epoch

    async def save(self, job: MonthlyRewardJob) -> bool:
        if not self._fenced(job):
            return False
        self.jobs[job.id] = _copy(job)
        self._plan.tick("jobs.save")
        return True

    async def save_progress(self, job: MonthlyRewardJob) -> bool:
        if not self._fenced(job):
            return False
        stored, copied = self.jobs[job.id], _copy(job)
        stored.progress, stored.results = copied.progress, copied.results
        stored.progressed_at, stored.epoch = copied.progressed_at, copied.epoch
        self._plan.tick("jobs.save_progress")
        return True

    async def save_lease(self, job: MonthlyRewardJob) -> bool:
        if not self._fenced(job):
            return False
        stored = self.jobs[job.id]
        stored.lease, stored.epoch = _copy(job).lease, job.epoch
        self.renewals += 1
        return True


class InMemoryAttemptClaims(AttemptClaims):
    def __init__(self, plan: FaultPlan | None = None) -> None:
        self.claims: dict[tuple[str, int], AttemptClaim] = {}
        self._plan = plan or FaultPlan()

    async def claim(self, job_id: str, attempt: int, owner: str, now: datetime) -> bool:
        if (job_id, attempt) in self.claims:
            return False
        self.claims[(job_id, attempt)] = AttemptClaim(attempt, owner, now)
        self._plan.tick("claims.claim")
        return True

    async def newest(self, job_id: str) -> AttemptClaim | None:
        mine = [c for (j, _), c in self.claims.items() if j == job_id]
        return max(mine, key=lambda c: c.attempt, default=None)

    async def exists(self, job_id: str, attempt: int) -> bool:
        return (job_id, attempt) in self.claims


class InMemorySnapshotRepository(SnapshotRepository):
    def __init__(self, plan: FaultPlan | None = None) -> None:
        self.snapshots: dict[tuple[Period, str], RankingSnapshot] = {}
        self.entries_by_id: dict[str, dict[int, RankedEntry]] = {}
        self._plan = plan or FaultPlan()
        self.builds = 0

    async def find(self, period: Period, category: str) -> RankingSnapshot | None:
        return self.snapshots.get((period, category))

    async def start_building(self, period: Period, category: str, now: datetime) -> RankingSnapshot:
        existing = self.snapshots.get((period, category))
        if existing is not None and existing.is_frozen:
            raise InvalidJobTransition("frozen")
        self.builds += 1
        if existing is None:
            existing = RankingSnapshot(
                id=f"snap-{period.key}-{category}",
                period=period,
                category=category,
                status=SnapshotStatus.BUILDING,
                created_at=now,
            )
            self.snapshots[(period, category)] = existing
        self.entries_by_id[existing.id] = {}
        self._plan.tick("snapshots.start_building")
        return existing

    async def add_entries(self, snapshot_id: str, entries: Sequence[RankedEntry]) -> None:
        for entry in entries:
            self.entries_by_id[snapshot_id][entry.rank] = entry
            self._plan.tick("snapshots.add_entry")

    async def freeze(self, snapshot: RankingSnapshot) -> None:
        self.snapshots[(snapshot.period, snapshot.category)] = snapshot
        self._plan.tick("snapshots.freeze")

    async def entries(
        self, snapshot_id: str, batch_size: int, after_rank: int = 0
    ) -> AsyncIterator[list[RankedEntry]]:
        ranked = [e for r, e in sorted(self.entries_by_id[snapshot_id].items()) if r > after_rank]
        for start in range(0, len(ranked), batch_size):
            yield ranked[start : start + batch_size]


class InMemoryRewardRepository(RewardRepository):
    def __init__(self, plan: FaultPlan | None = None) -> None:
        self.rewards: dict[str, Reward] = {}
        self._plan = plan or FaultPlan()

    async def record(self, rewards: Sequence[Reward]) -> None:
        for reward in rewards:
            stored = self.rewards.get(reward.key)
            if stored is None:
                self.rewards[reward.key] = reward
                self._plan.tick("rewards.insert")
            elif (
                stored.status is not RewardStatus.AWARDED and reward.status is RewardStatus.AWARDED
            ):
                self.rewards[reward.key] = reward
                self._plan.tick("rewards.upgrade")

    async def for_period(self, period: Period, category: str) -> list[Reward]:
        return [r for r in self.rewards.values() if r.period == period and r.category == category]


@dataclass
class FakeUser:
    user_id: str
    role: str
    active: bool = True
    name: str | None = None
    email: str | None = None
    created_at: datetime | None = None
    xp: float | None = 0
    counters: dict[str, float | None] = field(default_factory=dict)
    coins: int = 0
    badges: list[dict[str, Any]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


class InMemoryUsers(ParticipantSource, Wallet):
    """The `users` collection: a participant source and the wallets in one, as in MongoDB."""

    def __init__(self, users: Sequence[FakeUser] = (), plan: FaultPlan | None = None) -> None:
        self.users = {u.user_id: u for u in users}
        self._plan = plan or FaultPlan()

    async def stream(
        self, category: Category, *, ahead: bool = False
    ) -> AsyncIterator[Participant]:
        for user in self.users.values():
            if user.role == category.role and user.active:
                yield Participant(
                    user_id=user.user_id,
                    name=user.name,
                    email=user.email,
                    created_at=user.created_at,
                    xp=user.xp,
                    counters=tuple(user.counters.get(p) for p in category.counter_paths),
                )

    async def credit(self, rewards: Sequence[Reward]) -> list[CreditResult]:
        results = []
        for reward in rewards:
            user = self.users.get(reward.user_id)
            if user is None:
                results.append(CreditResult(CreditOutcome.USER_MISSING))
            elif reward.wallet_key in user.keys:
                results.append(CreditResult(CreditOutcome.CREDITED))
            else:
                badge = reward.badge
                user.coins += reward.coins
                user.badges.append(
                    {
                        "name": badge.name,
                        "category": badge.category,
                        "month": badge.month,
                        "year": badge.year,
                        "tier": badge.tier,
                        "rank": badge.rank,
                    }
                )
                user.keys.append(reward.wallet_key)
                self._plan.tick("wallet.credit")
                results.append(CreditResult(CreditOutcome.CREDITED))
        return results

    def wallets(self) -> dict[str, tuple[int, list[dict[str, Any]]]]:
        return {uid: (u.coins, list(u.badges)) for uid, u in self.users.items()}


class RecordingTaskRunner(TaskRunner):
    """Holds spawned work until the test runs it, so a test sees the trigger's answer first."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, Coroutine[Any, Any, Any]]] = []
        self.spawned: list[str] = []

    def spawn(self, name: str, work: Coroutine[Any, Any, Any]) -> None:
        self.pending.append((name, work))
        self.spawned.append(name)

    async def wait_idle(self) -> None:
        while self.pending:
            _, work = self.pending.pop(0)
            await work

    async def shutdown(self, grace_seconds: float) -> None:
        for _, work in self.pending:
            work.close()
        self.pending.clear()


def make_users(
    students: int, teachers: int, *, inactive: int = 0, admins: int = 0
) -> list[FakeUser]:
    """Deterministic users with ties (scores repeat every 7 users) and a few null counters."""
    users = []
    n = 0
    for role, count, active in (
        ("student", students, True),
        ("teacher", teachers, True),
        ("student", inactive, False),
        ("admin", admins, True),
    ):
        for _ in range(count):
            n += 1
            counters: dict[str, float | None] = {
                "student.totalTests": (n % 7) if n % 11 else None,
                "student.correctAnswers": (n * 3) % 5,
                "teacher.totalAttemptsOfStudents": (n % 5) if n % 13 else None,
            }
            users.append(
                FakeUser(
                    user_id=f"{n:024x}",
                    role=role,
                    active=active,
                    name=f"user {n}",
                    created_at=datetime(2024, 1, 1 + n % 28, tzinfo=UTC),
                    xp=(n % 3) * 10,
                    counters=counters,
                )
            )
    return users


# Fakes of the operator surfaces' ports (issue 11): reads over the fakes above.


class InMemoryRewardQueries(RewardQueries):
    """Reads the records an `InMemoryRewardRepository` holds, as the Mongo adapter sorts them."""

    def __init__(self, rewards: InMemoryRewardRepository) -> None:
        self._rewards = rewards

    async def find(self, where: RewardFilter, offset: int, limit: int) -> tuple[list[Reward], int]:
        found = [
            r
            for r in self._rewards.rewards.values()
            if (where.period is None or r.period == where.period)
            and (where.category is None or r.category == where.category)
            and (where.tier is None or r.tier == where.tier)
            and (where.user_id is None or r.user_id == where.user_id)
            and (where.status is None or r.status is where.status)
        ]
        found.sort(key=lambda r: (-r.period.year, -r.period.month, r.category, r.rank))
        return found[offset : offset + limit], len(found)


class InMemoryWalletAudit(WalletAudit):
    def __init__(self, users: InMemoryUsers) -> None:
        self._users = users

    async def totals(self) -> WalletTotals:
        wallets = self._users.wallets().values()
        return WalletTotals(
            coins=sum(coins for coins, _ in wallets), badges=sum(len(b) for _, b in wallets)
        )


class FakeDatabaseProbe(DatabaseProbe):
    """Reachable with every migration applied, unless a test says otherwise."""

    def __init__(self) -> None:
        self.reachable = True
        self.pending: list[str] = []

    async def ping(self) -> None:
        if not self.reachable:
            raise ConnectionError("the database is unreachable (fake)")

    async def pending_migrations(self) -> list[str]:
        return list(self.pending)
