"""`python -m benchmarks`: one JSON object on stdout, progress on stderr (see README.md)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from benchmarks.floor import DEFAULT_CONCURRENCY, floor_chunk
from benchmarks.report import machine, rounded, targets
from benchmarks.server import database_server
from benchmarks.suite import Options, Suite, load, log
from domain.period import Period
from infrastructure.event_loop import loop_factory
from infrastructure.mongo.server_profile import limits_for
from infrastructure.settings import Settings

DEFAULT_SIZES = (20_000, 100_000)
MILLION = 1_000_000
RUNNING_LATENCY_USERS = 100_000
STEPS_USERS = 100_000  # about five 20-second steps here


def _sizes(raw: str) -> list[int]:
    return [int(part) for part in raw.split(",") if part.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--sizes", type=_sizes, nargs="+", help="users per case (20000 100000)")
    parser.add_argument("--million", action="store_true", help="add a case of 1,000,000 users")
    parser.add_argument("--naive-size", type=int, default=20_000, help="0 skips the naive case")
    parser.add_argument(
        "--floor-up-to",
        type=int,
        help="run the floor only for sizes up to this (a 1M floor takes as long as a 1M run)",
    )
    parser.add_argument(
        "--floor-concurrency",
        type=_sizes,
        default=list(DEFAULT_CONCURRENCY),
        help="commands in flight of each floor run (1,2,4,8,16); the best is the floor",
    )
    parser.add_argument("--latency-seconds", type=float, default=10.0, help="0 skips latency")
    parser.add_argument(
        "--running-latency-users",
        type=int,
        default=RUNNING_LATENCY_USERS,
        help="users of the month running while latency is measured (0 skips that case)",
    )
    parser.add_argument(
        "--steps-users",
        type=int,
        default=STEPS_USERS,
        help="users of a month paid by serverless steps of 20 s (0 skips that case)",
    )
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--month", type=int, default=10)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    parser.add_argument("--output", help="also write the JSON here (after each case too)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sizes = {n for group in args.sizes for n in group} if args.sizes else set(DEFAULT_SIZES)
    if args.million:
        sizes.add(MILLION)
    report: dict[str, Any] = machine()
    report["load_at_start"] = load()

    def write(results: dict[str, Any], complete: bool) -> str:
        report.update(results)
        report["complete"] = complete
        report["load_at_end"] = load()
        report["verified"] = (
            all(r["verified"] for r in report["end_to_end"])
            and (report["naive"] is None or report["naive"]["verified"])
            and (report.get("steps") is None or report["steps"]["verified"])
        )
        report["targets"] = targets(
            report["end_to_end"],
            report["floor"],
            report["naive"],
            report["latency"],
            report.get("latency_while_running"),
        )
        text = json.dumps(rounded(report), indent=2)
        if args.output:
            with open(args.output, "w", encoding="utf-8") as out:
                out.write(text + "\n")
        return text

    with database_server() as server:
        log(f"server: {server.description}")
        if server.ferretdb_pool is not None:  # the worker and the floor size their writes by it
            os.environ.setdefault("REWARDS_FERRETDB_POOL", str(server.ferretdb_pool))
        settings = Settings.from_env()  # what the worker reads too
        limits = limits_for(server.profile, settings.write_limits)
        options = Options(
            sizes=tuple(sorted(sizes)),
            naive_size=args.naive_size,
            latency_seconds=args.latency_seconds,
            clients=args.clients,
            period=Period(year=args.year, month=args.month),
            seed=args.seed,
            keep=args.keep,
            batch_size=settings.batch_size,
            floor_chunks={
                n: floor_chunk(server.profile, settings.write_limits, n)
                for n in args.floor_concurrency
            },
            floor_up_to=args.floor_up_to,
            running_latency_users=args.running_latency_users,
            steps_users=args.steps_users,
        )
        report["server"] = server.description
        report["settings"] = {
            "period": str(options.period),
            "batch_size": options.batch_size,
            "worker_write_limits": dataclasses.asdict(limits),
            "floor_update_chunk_by_concurrency": options.floor_chunks,
            "seed": options.seed,
            "population": "90% students, 10% teachers, all active (infrastructure.seeding)",
        }
        # uvloop, when installed, keeps the load generator cheap (see latency.py).
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            suite = Suite(server.url, options, server.cpu)
            results = runner.run(suite.run(lambda r: write(r, complete=False)))
    print(write(results, complete=True))
    return 0 if report["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
