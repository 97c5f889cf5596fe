"""`rewards serve | run | retry | demo | seed | migrate`: every command goes through the same
container and use cases as the HTTP API."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from migrations.runner import migrate

from application.use_cases.start_monthly_rewards import StartKind
from domain.errors import DomainError, InvalidPeriod
from domain.job import MonthlyRewardJob
from domain.period import Period
from infrastructure.container import Container, container_for, start_container, stop_container
from infrastructure.event_loop import loop_factory
from infrastructure.seeding import seed_users
from infrastructure.settings import Settings, SettingsError

log = logging.getLogger("rewards.cli")


async def _with_container(settings: Settings, work: Callable[[Container], Awaitable[int]]) -> int:
    container = container_for(settings)
    await start_container(container)
    try:
        return await work(container)
    finally:
        await stop_container(container)


def _period(args: argparse.Namespace) -> Period | None:
    """--month and --year name a month together; neither means the month that has just ended."""
    if args.month is None and args.year is None:
        return None
    if args.month is None or args.year is None:
        raise InvalidPeriod("--month and --year must be given together")
    return Period(year=args.year, month=args.month)


def _print_job(job: MonthlyRewardJob) -> None:
    print(f"Job {job.id} for {job.period}: {job.status.value}", end="")
    print(f" in {job.duration:.2f}s" if job.duration is not None else "")
    if job.error_message:
        print(f"  error: {job.error_message}")
    results = job.results
    for name, category in results.categories.items():
        print(
            f"  {name:<10} participants={category.participants:<7} "
            f"awarded={category.rewards_awarded:<7} coins={category.coins_awarded:<9} "
            f"failed={category.rewards_failed}"
        )
        for tier, tally in category.tiers.items():
            print(f"      {tier:<10} {tally.count:>7} users {tally.coins:>10} coins")
    print(
        f"  total: {results.total_rewards_awarded} rewards, "
        f"{results.total_coins_awarded} coins, {results.errors_total} errors"
    )


async def _wallet_totals(container: Container) -> tuple[int, int]:
    coins = badges = 0
    async for doc in container.users().find({}, {"rewards.coins": 1, "badges": 1}):
        coins += ((doc.get("rewards") or {}).get("coins")) or 0
        badges += len(doc.get("badges") or [])
    return coins, badges


async def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from interfaces.http.app import create_app
    from interfaces.http.server import prepare_serve

    setup = prepare_serve(settings)  # refuses missing or short keys on a real database
    if setup.notice:
        print(setup.notice)
    app = create_app(container_for(setup.settings))
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=args.access_log,
        **setup.uvicorn_options,
    )
    await uvicorn.Server(config).serve()
    return 0


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    async def work(container: Container) -> int:
        start = container.start_monthly_rewards()
        outcome = await start.execute(_period(args))
        print(f"{outcome.kind.value}: job {outcome.job.id} for {outcome.job.period}")
        # Another worker holds the month: wait until it finishes, or its lease lapses and this
        # run takes over (so re-running after a crash always ends with the month paid).
        poll = min(5.0, settings.lease_seconds / 3)
        while outcome.kind is StartKind.ALREADY_PROCESSING:
            lease = outcome.job.lease
            holder = f"{lease.owner} until {lease.expires_at:%H:%M:%S}" if lease else "a worker"
            print(f"  held by {holder}; waiting")
            await asyncio.sleep(poll)
            outcome = await start.execute(_period(args))
            if outcome.kind is not StartKind.ALREADY_PROCESSING:
                print(f"{outcome.kind.value}: job {outcome.job.id} for {outcome.job.period}")
        await container.runner().wait_idle()
        job = await container.get_job_status().execute(outcome.job.period)
        _print_job(job)
        return 0 if job.status.value == "completed" else 1

    return await _with_container(settings, work)


async def _retry(args: argparse.Namespace, settings: Settings) -> int:
    async def work(container: Container) -> int:
        outcome = await container.retry_monthly_rewards().execute(_period(args))
        print(
            f"retrying job {outcome.job.id} for {outcome.job.period} (attempt {outcome.job.epoch})"
        )
        await container.runner().wait_idle()
        job = await container.get_job_status().execute(outcome.job.period)
        _print_job(job)
        return 0 if job.status.value == "completed" else 1

    return await _with_container(settings, work)


async def _seed(args: argparse.Namespace, settings: Settings) -> int:
    async def work(container: Container) -> int:
        summary = await seed_users(container.users(), args.students, args.teachers, args.seed)
        print(
            f"seeded {summary.students} active students, {summary.teachers} active teachers, "
            f"{summary.inactive} inactive users and {summary.admins} admins "
            f"into {settings.mongodb_db}.{settings.users_collection}"
        )
        return 0

    return await _with_container(settings, work)


async def _migrate(_: argparse.Namespace, settings: Settings) -> int:
    container = container_for(settings)
    try:
        applied = await migrate(container.db())
    finally:
        container.client().close()
    for migration in applied:
        print(f"applied {migration.name}: {migration.description}")
    print("schema is up to date" if not applied else f"{len(applied)} migration(s) applied")
    return 0


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    # The demo always runs on the embedded database: it must never touch a real one.
    settings = dataclasses.replace(settings, mongodb_url=None, mongodb_db="rewards_demo")

    async def work(container: Container) -> int:
        summary = await seed_users(container.users(), args.students, args.teachers, args.seed)
        print(
            f"Seeded {summary.students} students, {summary.teachers} teachers "
            f"(+{summary.inactive} inactive, {summary.admins} admins) in the embedded database."
        )
        coins_before, badges_before = await _wallet_totals(container)
        start = container.start_monthly_rewards()
        outcome = await start.execute()
        print(
            f"\nTrigger #1 -> {outcome.kind.value}: job {outcome.job.id} for {outcome.job.period}"
        )
        await container.runner().wait_idle()
        job = await container.get_job_status().execute(outcome.job.period)
        _print_job(job)
        for category in settings.policy.categories:
            snapshot = await container.snapshots().find(job.period, category.name)
            if snapshot is None:
                continue
            print(f"\n  Top 5 {category.name}:")
            async for entries in container.snapshots().entries(snapshot.id, 5):
                for e in entries:
                    tier = settings.policy.tiers.tier_for(e.rank)
                    print(
                        f"    #{e.rank:<3} {e.name or '?':<16} score={e.score:<6g} xp={e.xp:<5g} {tier.name}"
                    )
                break
        coins_after, badges_after = await _wallet_totals(container)
        paid = coins_after - coins_before
        print(
            f"\nWallets: +{paid} coins, +{badges_after - badges_before} badges "
            f"(job says {job.results.total_coins_awarded} coins, "
            f"{job.results.total_rewards_awarded} rewards)"
        )
        again = await start.execute()
        await container.runner().wait_idle()
        coins_final, badges_final = await _wallet_totals(container)
        print(
            f"\nTrigger #2 -> {again.kind.value}; paid since: "
            f"{coins_final - coins_after} coins, {badges_final - badges_after} badges"
        )
        consistent = (
            paid == job.results.total_coins_awarded
            and badges_after - badges_before == job.results.total_rewards_awarded
            and coins_final == coins_after
            and badges_final == badges_after
        )
        print("OK: paid exactly once" if consistent else "MISMATCH: see above")
        return 0 if consistent and job.status.value == "completed" else 1

    return await _with_container(settings, work)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rewards", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--access-log", action="store_true", help="log every request (costs at high rates)"
    )

    for name, help_text in (
        ("run", "run a month in the foreground"),
        ("retry", "resume a failed month"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--month", type=int, required=name == "retry")
        command.add_argument("--year", type=int, required=name == "retry")

    seed = commands.add_parser("seed", help="write synthetic users into the configured database")
    seed.add_argument("--students", type=int, required=True)
    seed.add_argument("--teachers", type=int, required=True)
    seed.add_argument("--seed", type=int, default=0)

    demo = commands.add_parser(
        "demo", help="seed the embedded database, pay a month, trigger again"
    )
    demo.add_argument("--students", type=int, default=300)
    demo.add_argument("--teachers", type=int, default=40)
    demo.add_argument("--seed", type=int, default=7)

    commands.add_parser("migrate", help="apply pending index/schema migrations")
    return parser


_COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]] = {
    "serve": _serve,
    "run": _run,
    "retry": _retry,
    "seed": _seed,
    "demo": _demo,
    "migrate": _migrate,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        settings = Settings.from_env()
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            return runner.run(_COMMANDS[args.command](args, settings))
    except (SettingsError, DomainError) as exc:
        print(f"rewards: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
