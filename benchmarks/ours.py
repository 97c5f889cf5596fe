"""Our service, end to end: `rewards run` as a subprocess on a freshly seeded database, so the
wall time includes start-up and migrations and `wait4` gives the worker's own peak RSS."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase

from benchmarks.cpu import CpuReader, spent
from benchmarks.population import Population, WalletTotals, insert_all, wallet_totals
from domain.period import Period

REPO_ROOT = Path(__file__).resolve().parents[1]
JOBS = "monthlyrewardjobs"
LOG_TAIL_CHARS = 2000


@dataclass(frozen=True)
class WorkerRun:
    wall_seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    exit_code: int
    log_tail: str


def worker_env(url: str, db_name: str) -> dict[str, str]:
    """The caller's environment (batch size, chunk...) with the benchmark's database."""
    paths = [str(REPO_ROOT / "src"), str(REPO_ROOT)]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    return {
        **os.environ,
        "REWARDS_MONGODB_URL": url,
        "REWARDS_MONGODB_DB": db_name,
        "PYTHONPATH": os.pathsep.join(paths),
    }


def run_worker(url: str, db_name: str, period: Period) -> WorkerRun:
    """Blocking: runs the month in the foreground and reaps the child with `wait4`, whose
    ru_maxrss (KB on Linux) is the child's peak alone, not the benchmark's."""
    argv = [sys.executable, "-m", "interfaces.cli.main", "run"]
    argv += ["--month", str(period.month), "--year", str(period.year)]
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            env=worker_env(url, db_name),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        log.seek(0)
        tail = log.read().decode(errors="replace")[-LOG_TAIL_CHARS:]
    cpu = usage.ru_utime + usage.ru_stime
    return WorkerRun(wall, usage.ru_maxrss / 1024, cpu, proc.returncode, tail)


@dataclass(frozen=True)
class PaidMonth:
    """A month's job as stored, and what the wallets gained since `before`."""

    status: str | None
    duration: float | None
    results: dict[str, Any]
    coins_added: int
    badges_added: int

    @property
    def verified(self) -> bool:
        """Completed, and the wallets gained exactly what the job says it paid."""
        return (
            self.status == "completed"
            and self.coins_added == self.results.get("totalCoinsAwarded")
            and self.badges_added == self.results.get("totalRewardsAwarded")
        )


async def paid_month(
    db: AsyncIOMotorDatabase[dict[str, Any]], period: Period, before: WalletTotals
) -> PaidMonth:
    job = await db[JOBS].find_one({"year": period.year, "month": period.month}) or {}
    after = await wallet_totals(db["users"])
    return PaidMonth(
        job.get("status"),
        job.get("duration"),
        job.get("results") or {},
        after.coins - before.coins,
        after.badges - before.badges,
    )


async def run_ours(
    db: AsyncIOMotorDatabase[dict[str, Any]],
    url: str,
    population: Population,
    period: Period,
    server_cpu: CpuReader | None = None,
) -> dict[str, Any]:
    """Seeds, measures one run and checks from the wallets that it paid what the job says;
    `server_cpu` reads the server's CPU seconds, around the worker's run alone."""
    users = db["users"]
    await insert_all(users, population.generate())
    before = await wallet_totals(users)
    cpu_before = server_cpu() if server_cpu is not None else {}
    worker = await asyncio.to_thread(run_worker, url, db.name, period)
    cpu = {"client": worker.cpu_seconds}
    if server_cpu is not None:
        cpu.update(spent(cpu_before, server_cpu()))
    month = await paid_month(db, period, before)
    results, status = month.results, month.status
    coins_added, badges_added = month.coins_added, month.badges_added
    verified = worker.exit_code == 0 and month.verified
    if not verified:
        print(f"worker output (tail):\n{worker.log_tail}", file=sys.stderr)
    return {
        "users": population.users,
        "students": population.students,
        "teachers": population.teachers,
        "wall_seconds": worker.wall_seconds,
        "job_duration_seconds": month.duration,
        "users_per_second": population.users / worker.wall_seconds,
        "seconds_per_1k_users": worker.wall_seconds * 1000 / population.users,
        "peak_rss_mb": worker.peak_rss_mb,
        "worker_cpu_seconds": worker.cpu_seconds,
        "cpu_seconds": cpu,
        "exit_code": worker.exit_code,
        "job_status": status,
        "rewards_awarded": results.get("totalRewardsAwarded"),
        "coins_awarded": results.get("totalCoinsAwarded"),
        "coins_added_to_wallets": coins_added,
        "badges_added_to_wallets": badges_added,
        "verified": verified,
    }
