"""Runs every case on one server in one run, each on its own freshly seeded database, so the
ratios compare measurements taken side by side."""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase

from benchmarks.floor import run_floor
from benchmarks.latency import measure_latency
from benchmarks.naive import run_naive
from benchmarks.ours import run_ours
from benchmarks.population import Population, insert_all
from domain.period import Period

T = TypeVar("T")
Database = AsyncIOMotorDatabase[dict[str, Any]]
Results = dict[str, Any]


@dataclass(frozen=True)
class Options:
    sizes: tuple[int, ...]
    naive_size: int  # 0: no naive case
    latency_seconds: float  # 0: no latency case
    clients: int
    period: Period
    seed: int
    keep: bool
    batch_size: int
    update_chunk: int
    floor_up_to: int | None = None  # no floor case above this many users (None: every size)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Suite:
    def __init__(self, url: str, options: Options) -> None:
        self._url = url
        self._options = options
        self._client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(url, tz_aware=True)
        self._prefix = f"bench_{secrets.token_hex(3)}"

    async def _case(self, kind: str, users: int, work: Callable[[Database], Awaitable[T]]) -> T:
        """One case on a fresh database, dropped afterwards unless --keep."""
        db = self._client[f"{self._prefix}_{kind}_{users}"]
        log(f"{kind} at {users} users (database {db.name})")
        started = time.perf_counter()
        try:
            return await work(db)
        finally:
            if not self._options.keep:
                await self._client.drop_database(db.name)
            log(f"{kind} at {users} users done in {time.perf_counter() - started:.1f}s")

    async def ours(
        self, users: int, with_latency: bool
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        options = self._options
        population = Population(users, options.seed)

        async def work(db: Database) -> tuple[dict[str, Any], dict[str, Any] | None]:
            result = await run_ours(db, self._url, population, options.period)
            log(f"ours: {result['wall_seconds']:.1f}s, verified={result['verified']}")
            latency = None
            if with_latency:
                log(f"latency: {options.clients} clients, {options.latency_seconds}s per endpoint")
                latency = await measure_latency(
                    self._url, db.name, options.period, options.clients, options.latency_seconds
                )
                latency["database_users"] = users
            return result, latency

        return await self._case("ours", users, work)

    async def floor(self, users: int, ours_row: dict[str, Any]) -> dict[str, Any]:
        options = self._options

        async def work(db: Database) -> dict[str, Any]:
            return await run_floor(
                db,
                Population(users, options.seed),
                options.period,
                options.batch_size,
                options.update_chunk,
            )

        result = await self._case("floor", users, work)
        result["ours_over_floor"] = ours_row["wall_seconds"] / result["seconds"]
        duration = ours_row["job_duration_seconds"]
        result["ours_job_duration_over_floor"] = duration and duration / result["seconds"]
        result["ours_over_floor_without_repairs"] = ours_row["wall_seconds"] / (
            result["seconds"] - result["repair_seconds"]
        )
        log(f"floor: {result['seconds']:.1f}s, ours/floor {result['ours_over_floor']:.2f}")
        return result

    async def naive(self, users: int) -> dict[str, Any]:
        population = Population(users, self._options.seed)

        async def work(db: Database) -> dict[str, Any]:
            await insert_all(db["users"], population.generate())
            return await run_naive(db, users, self._options.period)

        result = await self._case("naive", users, work)
        log(f"naive: {result['seconds']:.1f}s, verified={result['verified']}")
        return result

    async def run(self, checkpoint: Callable[[Results], object]) -> Results:
        """Runs every case; `checkpoint` gets the results so far after each one, so a run that
        is interrupted still leaves its figures."""
        options = self._options
        results: Results = {"end_to_end": [], "floor": [], "naive": None, "latency": None}
        for index, users in enumerate(options.sizes):
            ours, latency = await self.ours(users, index == 0 and options.latency_seconds > 0)
            results["end_to_end"].append(ours)
            results["latency"] = results["latency"] or latency
            checkpoint(results)
            if options.floor_up_to is None or users <= options.floor_up_to:
                results["floor"].append(await self.floor(users, ours))
                checkpoint(results)
        if options.naive_size:
            results["naive"] = await self._against_naive(
                options.naive_size, results["end_to_end"], results["floor"]
            )
        self._client.close()
        return results

    async def _against_naive(
        self, users: int, end_to_end: list[dict[str, Any]], floors: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Naive, ours and floor on identical populations; reuses ours and floor of that size."""
        ours = next((r for r in end_to_end if r["users"] == users), None)
        floor = next((r for r in floors if r["users"] == users), None)
        if ours is None or floor is None:
            ours, _ = await self.ours(users, with_latency=False)
            floor = await self.floor(users, ours)
        naive = await self.naive(users)
        return {
            **naive,
            "ours_wall_seconds": ours["wall_seconds"],
            "floor_seconds": floor["seconds"],
            "naive_over_ours": naive["seconds"] / ours["wall_seconds"],
            "naive_over_floor": naive["seconds"] / floor["seconds"],
            "ours_verified": ours["verified"],
        }
