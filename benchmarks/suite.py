"""Runs every case on one server in one run, each on its own freshly seeded database, so the
ratios compare measurements taken side by side."""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase

from benchmarks.cpu import CpuReader, own_cpu_seconds, spent
from benchmarks.floor import run_floor
from benchmarks.latency import measure_latency, measure_latency_while_running
from benchmarks.naive import run_naive
from benchmarks.ours import run_ours
from benchmarks.population import Population, insert_all
from benchmarks.report import rounded
from benchmarks.steps import STEP_SECONDS, measure_steps
from domain.period import Period

T = TypeVar("T")
Database = AsyncIOMotorDatabase[dict[str, Any]]
Results = dict[str, Any]
WARM_UP_USERS = 2_000
# The running month's latency case again with the month never yielding to requests.
FULL_SPEED = {"REWARDS_YIELD_ABOVE_RPS": "0"}


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
    # Commands in flight of each floor run, and the update chunk each may use (on FerretDB the
    # chunk shrinks as the concurrency grows, so the statements in flight fit its pool).
    floor_chunks: dict[int, int]
    floor_up_to: int | None = None  # no floor case above this many users (None: every size)
    running_latency_users: int = 0  # 0: no latency case while a month is running
    steps_users: int = 0  # 0: no serverless-steps case


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load() -> list[float]:
    """The machine's 1, 5 and 15-minute load averages (2 cores: 2.0 is fully busy)."""
    return [round(v, 2) for v in os.getloadavg()]


class Suite:
    def __init__(self, url: str, options: Options, server_cpu: CpuReader | None = None) -> None:
        self._url = url
        self._options = options
        self._server_cpu = server_cpu
        self._client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(url, tz_aware=True)
        self._prefix = f"bench_{secrets.token_hex(3)}"

    async def _case(self, kind: str, users: int, work: Callable[[Database], Awaitable[T]]) -> T:
        """One case on a fresh database, dropped afterwards unless --keep."""
        db = self._client[f"{self._prefix}_{kind}_{users}"]
        log(f"{kind} at {users} users (database {db.name}), load {load()}")
        started = time.perf_counter()
        try:
            result = await work(db)
            if isinstance(result, dict) and "cpu_seconds" in result:
                log(f"{kind} at {users} users: CPU seconds {rounded(result['cpu_seconds'])}")
            return result
        finally:
            if not self._options.keep:
                await self._client.drop_database(db.name)
            elapsed = time.perf_counter() - started
            log(f"{kind} at {users} users done in {elapsed:.1f}s, load {load()}")

    async def ours(
        self, users: int, with_latency: bool
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        options = self._options
        population = Population(users, options.seed)

        async def work(db: Database) -> tuple[dict[str, Any], dict[str, Any] | None]:
            before = load()
            result = await run_ours(db, self._url, population, options.period, self._server_cpu)
            result["load_before_after"] = [before, load()]
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
        """The floor at each concurrency (the curve), each on its own fresh database; the best
        of them is the floor."""
        options = self._options
        curve = []
        for concurrency, chunk in sorted(options.floor_chunks.items()):

            async def work(db: Database, n: int = concurrency, c: int = chunk) -> dict[str, Any]:
                population = Population(users, options.seed)
                return await run_floor(
                    db, population, options.period, options.batch_size, c, n, self._cpu_meter()
                )

            run = await self._case(f"floor{concurrency}", users, work)
            run["load_after"] = load()
            log(f"floor with {concurrency} in flight (chunk {chunk}): {run['seconds']:.1f}s")
            curve.append(run)
        best = min(curve, key=lambda run: float(run["seconds"]))
        result = {
            "users": users,
            "seconds": best["seconds"],
            "best_concurrency": best["concurrency"],
            "curve": curve,
            "ours_over_floor": ours_row["wall_seconds"] / best["seconds"],
            "ours_job_duration_over_floor": (ours_row["job_duration_seconds"] or 0)
            / best["seconds"],
            "sequential_over_best": curve[0]["seconds"] / best["seconds"],
        }
        ours_cpu, floor_cpu = ours_row.get("cpu_seconds", {}), best.get("cpu_seconds", {})
        if len(ours_cpu) > 1 and len(floor_cpu) > 1:  # the server's CPU was read
            result["ours_over_floor_cpu"] = sum(ours_cpu.values()) / sum(floor_cpu.values())
        log(f"floor: {best['seconds']:.1f}s, ours/floor {result['ours_over_floor']:.2f}")
        return result

    def _cpu(self) -> dict[str, float]:
        return self._server_cpu() if self._server_cpu is not None else {}

    def _cpu_since(self, before: dict[str, float]) -> dict[str, float]:
        return spent(before, self._cpu()) if before else {}

    def _cpu_meter(self) -> Callable[[], dict[str, float]]:
        """This process's CPU and the server's, so far: the floor reads it around its writes."""
        return lambda: {"client": own_cpu_seconds(), **self._cpu()}

    async def latency_while_running(
        self, users: int, env: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """`env` None: the server's defaults (the month yields to the flood of requests)."""
        options = self._options

        async def work(db: Database) -> dict[str, Any]:
            await insert_all(db["users"], Population(users, options.seed).generate())
            log(f"latency while a month of {users} users runs: {options.clients} clients {env}")
            result = await measure_latency_while_running(
                db, self._url, options.period, options.clients, options.latency_seconds, env
            )
            result["database_users"] = users
            return result

        return await self._case("running" if env is None else "running_full", users, work)

    async def steps(self, users: int) -> dict[str, Any]:
        async def work(db: Database) -> dict[str, Any]:
            await insert_all(db["users"], Population(users, self._options.seed).generate())
            log(f"serverless steps: a month of {users} users, {STEP_SECONDS:g} s steps")
            return await measure_steps(db, self._url, self._options.period, users)

        result = await self._case("steps", users, work)
        paid = result["users_paid_per_full_step"]["median"]
        log(f"steps: {result['steps']} steps, median {paid} users paid per step")
        return result

    async def naive(self, users: int) -> dict[str, Any]:
        population = Population(users, self._options.seed)

        async def work(db: Database) -> dict[str, Any]:
            await insert_all(db["users"], population.generate())
            before, cpu, own = load(), self._cpu(), own_cpu_seconds()
            result = await run_naive(db, users, self._options.period)
            result["load_before_after"] = [before, load()]
            result["cpu_seconds"] = {"client": own_cpu_seconds() - own, **self._cpu_since(cpu)}
            return result

        result = await self._case("naive", users, work)
        log(f"naive: {result['seconds']:.1f}s, verified={result['verified']}")
        return result

    async def warm_up(self) -> dict[str, Any]:
        """An untimed month of WARM_UP_USERS before any measured case. The first month on a
        freshly started server paid its warm-up (new backends, their caches) inside its time:
        1.5-3 s more at 20k than the same month run next (measured here, runs alternated).
        It was always ours that ran first, while the floor's best run came after its own
        first, slower one; now every measured case finds the server as a running one is."""
        population = Population(WARM_UP_USERS, self._options.seed)

        async def work(db: Database) -> dict[str, Any]:
            result = await run_ours(db, self._url, population, self._options.period, None)
            return {key: result[key] for key in ("users", "wall_seconds", "verified")}

        return await self._case("warm-up", WARM_UP_USERS, work)

    async def run(self, checkpoint: Callable[[Results], object]) -> Results:
        """Runs every case; `checkpoint` gets the results so far after each one, so a run that
        is interrupted still leaves its figures."""
        options = self._options
        results: Results = {
            "warm_up": await self.warm_up(),
            "end_to_end": [],
            "floor": [],
            "naive": None,
            "latency": None,
            "latency_while_running": None,
            "latency_while_running_full_speed": None,
            "steps": None,
        }
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
            checkpoint(results)
        if options.running_latency_users and options.latency_seconds > 0:
            results["latency_while_running"] = await self.latency_while_running(
                options.running_latency_users
            )
            checkpoint(results)
            # The same with yielding off: what the month gives up under the flood, and why.
            results["latency_while_running_full_speed"] = await self.latency_while_running(
                options.running_latency_users, FULL_SPEED
            )
            checkpoint(results)
        if options.steps_users:
            results["steps"] = await self.steps(options.steps_users)
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
