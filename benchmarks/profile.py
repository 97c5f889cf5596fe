"""`python -m benchmarks.profile`: where a month's time goes, on a throw-away FerretDB/PostgreSQL.

Seeds N users, runs `rewards run` as a subprocess (under py-spy when it is installed, which
samples the worker's Python stacks) and reads PostgreSQL's `pg_stat_statements`, which FerretDB's
SQL lands in: the statements that took the server's time, with calls and mean milliseconds. It
also profiles FerretDB's own CPU through the run (benchmarks/ferretdb_cpu.py). One JSON object on
stdout; the raw profiles beside it.

Only on the throw-away server this starts (it needs the cluster's `shared_preload_libraries`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient
from tools.testservers.processes import free_port

from benchmarks.cpu import server_cpu_reader
from benchmarks.ferretdb_cpu import FerretdbCpu, ferretdb_cpu_report
from benchmarks.ours import REPO_ROOT, worker_env
from benchmarks.population import Population, insert_all
from benchmarks.suite import log
from domain.period import Period

_TOP = 15


def _pg_settings_with_stat_statements() -> None:
    """The test cluster's settings plus pg_stat_statements (a preload library: start-up only)."""
    from tools.testservers import postgresql

    extra = ("shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track=all")
    module: Any = postgresql  # a private tuple of the test-server helper, extended for this run
    current: tuple[str, ...] = module._SETTINGS
    module._SETTINGS = current + tuple(s for s in extra if s not in current)


def _psql(server: Any, sql: str) -> str:
    pg = server._cluster  # the FerretDB test server's private PostgreSQL cluster
    argv = pg._argv(["psql", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres"], False)
    argv += ["-d", "ferretdb", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-c", sql]
    done = subprocess.run(argv, env=pg._env, capture_output=True, text=True, check=True)
    return done.stdout


def _top_statements(server: Any) -> list[dict[str, Any]]:
    rows = _psql(
        server,
        "SELECT calls, round(total_exec_time::numeric, 1), round(mean_exec_time::numeric, 3), "
        "rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) FROM pg_stat_statements "
        f"ORDER BY total_exec_time DESC LIMIT {_TOP}",
    )
    found = []
    for line in rows.splitlines():
        calls, total, mean, count, query = line.split("\t", 4)
        found.append(
            {
                "calls": int(calls),
                "total_ms": float(total),
                "mean_ms": float(mean),
                "rows": int(count),
                "query": query,
            }
        )
    return found


def _pg_total_ms(server: Any) -> float:
    return float(_psql(server, "SELECT coalesce(sum(total_exec_time), 0) FROM pg_stat_statements"))


def _py_spy_top(raw: Path) -> list[dict[str, Any]]:
    """Own and cumulative sample counts per function from py-spy's `--format raw` output."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        samples += count
        frames = stack.split(";")
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    return [
        {"function": name, "own_share": own[name] / samples, "total_share": total[name] / samples}
        for name, _ in own.most_common(_TOP)
    ] + [
        {"function": name, "cumulative_share": n / samples}
        for name, n in total.most_common(_TOP * 2)
        if "asyncio" not in name and "<module>" not in name
    ][:_TOP]


def _run_worker(url: str, db_name: str, period: Period, out: Path, spy: bool) -> float:
    argv = [sys.executable, "-m", "interfaces.cli.main", "run"]
    argv += ["--month", str(period.month), "--year", str(period.year)]
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if spy and Path(py_spy).exists():
        argv = [py_spy, "record", "--format", "raw", "-r", "50", "-o", str(out), "--", *argv]
    start = time.perf_counter()
    subprocess.run(argv, cwd=REPO_ROOT, env=worker_env(url, db_name), stdout=sys.stderr, check=True)
    return time.perf_counter() - start


async def _seed(url: str, db_name: str, population: Population) -> None:
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(url)
    await insert_all(client[db_name]["users"], population.generate())
    client.close()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--no-py-spy", action="store_true")
    parser.add_argument("--out", default="/tmp/rewards-profile", help="folder for the profile")
    args = parser.parse_args()
    _pg_settings_with_stat_statements()
    from tools.testservers import choose

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    period = Period(year=2026, month=10)
    debug_addr = f"127.0.0.1:{free_port()}"
    with choose(backend="postgresql").server(debug_addr=debug_addr) as server:
        url = server.url
        _psql(server, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        db_name = f"profile_{args.users}"
        log(f"seeding {args.users} users")
        asyncio.run(_seed(url, db_name, Population(args.users, args.seed)))
        _psql(server, "SELECT pg_stat_statements_reset()")
        raw = out / f"worker-{args.users}.txt"
        log("running the worker")
        server_cpu = server_cpu_reader(server)
        assert server_cpu is not None  # a FerretDB on PostgreSQL started just above
        before = server_cpu()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_before = os.getloadavg()
        with FerretdbCpu(debug_addr, out) as ferretdb_cpu:
            wall = _run_worker(url, db_name, period, raw, not args.no_py_spy)
            # Read before the last profile segment ends: it may run on past the worker.
            after = server_cpu()
            worker = resource.getrusage(resource.RUSAGE_CHILDREN)
            load_after = os.getloadavg()
        after["worker"] = worker.ru_utime + worker.ru_stime
        before["worker"] = children.ru_utime + children.ru_stime  # py-spy's too, when it ran
        report: dict[str, Any] = {
            "users": args.users,
            "wall_seconds": round(wall, 2),
            "server_cpu_seconds": {k: round(after[k] - before[k], 1) for k in after},
            "load_average_before_after": [load_before, load_after],
            "postgresql_exec_seconds": round(_pg_total_ms(server) / 1000, 2),
            "postgresql_top_statements": _top_statements(server),
            "ferretdb_cpu": ferretdb_cpu_report(ferretdb_cpu),
        }
        if raw.exists():
            report["py_spy_raw"] = str(raw)
            report["py_spy_top"] = _py_spy_top(raw)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
