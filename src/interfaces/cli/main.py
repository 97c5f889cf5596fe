"""`rewards`: the service's command line. Every command builds the same container as the HTTP API
and calls its use cases; this module only turns arguments into domain values and results into
tables (rich) or, with --json, into the API's JSON shapes."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import sys
from collections.abc import Callable, Sequence

from rich.console import Console

from application.use_cases.list_recent_jobs import DEFAULT_LIMIT, MAX_LIMIT
from application.use_cases.start_monthly_rewards import StartKind
from domain.errors import DomainError, JobNotFound
from domain.job import JobStatus, MonthlyRewardJob
from infrastructure.container import Container
from infrastructure.event_loop import loop_factory
from infrastructure.logging_setup import configure_logging
from infrastructure.mongo.client import IncompatibleDatabase, check_database, run_migrations
from infrastructure.seeding import seed_users
from infrastructure.settings import Settings, SettingsError
from interfaces.cli import views
from interfaces.cli.follow import follow
from interfaces.cli.runtime import (
    Context,
    Handler,
    build_container,
    period_of,
    print_json,
    with_container,
)
from interfaces.http.ops_presenters import preview_json, schedule_json
from interfaces.http.presenters import job_status, job_summary

DESCRIPTION = """\
Monthly Rewards Service: ranks a learning platform's active students and teachers once a month
and pays each ranked user their tier's coins and a badge, exactly once.

Every command works on the database named by REWARDS_MONGODB_URL (without it: an embedded
in-memory database that is gone when the command ends). Read commands take --json for scripts."""

EPILOG = """\
examples:
  rewards demo                          seed the embedded database, pay a month, prove it paid once
  rewards preview                       what a run for last month would pay now; writes nothing
  rewards run --month 10 --year 2026    pay a month in the foreground, a progress bar per category
  rewards status                        the newest job and the missed-run alarm (--json: the API's)
  rewards jobs --limit 24               the job history, newest month first
  rewards retry --month 9 --year 2026   resume a failed month where it stopped
  rewards serve --port 8000             the HTTP API, and the status page at /admin

exit status: 0 done (a run or retry: the month completed), 1 not done or not found, 2 bad input"""


async def finish(ctx: Context, container: Container, job: MonthlyRewardJob) -> int:
    """How `run`, `retry` and `demo` end: the job as the work left it; 0 when it completed."""
    status = container.get_job_status()
    if ctx.args.json:
        print_json(job_status(job, status.health(job), ctx.settings.debug))
    else:
        ctx.out.print(views.job_view(job, status.health(job), ctx.settings.policy.tiers))
    return 0 if job.status is JobStatus.COMPLETED else 1


async def work_through(ctx: Context, container: Container, job: MonthlyRewardJob) -> int:
    """Waits for this process's work on the job (bars on a terminal), then `finish`."""
    if ctx.args.json:
        await container.runner().wait_idle()
        job = await container.get_job_status().execute(job.period)
    else:
        categories = [c.name for c in ctx.settings.policy.categories]
        job = await follow(
            container.runner(), container.get_job_status(), job.period, categories, ctx.out
        )
    return await finish(ctx, container, job)


def foreground(settings: Settings) -> Settings:
    """`run` and `retry` do the work in this process, even where `serve` runs it in steps."""
    return dataclasses.replace(settings, execution="background")


async def run_command(ctx: Context) -> int:
    def waiting(job: MonthlyRewardJob) -> None:
        lease = job.lease
        holder = f"{lease.owner} until {views.when(lease.expires_at)}" if lease else "a worker"
        ctx.out.print(
            f"{StartKind.ALREADY_PROCESSING.value}: {job.period} is held by {holder}; "
            "waiting for it to finish or its lease to lapse"
        )

    period = period_of(ctx.args)  # bad input is refused before the database is opened

    async def work(container: Container) -> int:
        outcome = await container.run_monthly_rewards().execute(period, waiting)
        job = outcome.job
        if outcome.kind in (StartKind.STARTED, StartKind.RESUMED):
            ctx.out.print(f"[bold]{outcome.kind.value}[/]: job {job.id} for {job.period}")
            return await work_through(ctx, container, job)
        if outcome.kind is StartKind.PREVIOUSLY_FAILED:
            ctx.out.print(
                f"[red]{job.period} failed before[/]; resume it with "
                f"`rewards retry --month {job.period.month} --year {job.period.year}`"
            )
        else:
            ctx.out.print(f"{job.period} was already paid; nothing was paid again")
        return await finish(ctx, container, job)

    return await with_container(foreground(ctx.settings), work)


async def retry_command(ctx: Context) -> int:
    period = period_of(ctx.args)

    async def work(container: Container) -> int:
        outcome = await container.retry_monthly_rewards().execute(period)
        job = outcome.job
        ctx.out.print(f"[bold]retrying[/] job {job.id} for {job.period} (attempt {job.epoch})")
        return await work_through(ctx, container, job)

    return await with_container(foreground(ctx.settings), work)


async def status_command(ctx: Context) -> int:
    period = period_of(ctx.args)

    async def work(container: Container) -> int:
        schedule = await container.check_schedule().execute()
        status = container.get_job_status()
        try:
            job = await status.execute(period)
        except JobNotFound as missing:
            if ctx.args.json:
                print_json({"job": None, "schedule": schedule_json(schedule)})
            else:
                ctx.out.print(f"[yellow]{missing}[/]")
                ctx.out.print(views.schedule_view(schedule))
            return 1
        health = status.health(job)
        if ctx.args.json:
            data = job_status(job, health, ctx.settings.debug)
            print_json({"job": data, "schedule": schedule_json(schedule)})
        else:
            ctx.out.print(views.job_view(job, health, ctx.settings.policy.tiers))
            ctx.out.print(views.schedule_view(schedule))
        return 0

    return await with_container(ctx.settings, work)


async def jobs_command(ctx: Context) -> int:
    async def work(container: Container) -> int:
        jobs = await container.list_recent_jobs().execute(ctx.args.limit)
        if ctx.args.json:
            print_json({"jobs": [job_summary(j) for j in jobs], "total": len(jobs)})
        elif jobs:
            ctx.out.print(views.history_view(jobs))
        else:
            ctx.out.print("No monthly rewards job has run yet.")
        return 0

    return await with_container(ctx.settings, work)


async def preview_command(ctx: Context) -> int:
    period = period_of(ctx.args)

    async def work(container: Container) -> int:
        outcome = await container.preview_monthly_rewards().execute(period)
        tiers = ctx.settings.policy.tiers
        if ctx.args.json:
            print_json(preview_json(outcome, tiers))
        else:
            ctx.out.print(views.preview_view(outcome, tiers))
        return 0

    return await with_container(ctx.settings, work)


async def serve_command(ctx: Context) -> int:
    import uvicorn

    from interfaces.http.app import create_app
    from interfaces.http.server import prepare_serve

    setup = prepare_serve(ctx.settings)  # refuses missing or short keys on a real database
    if setup.notice:
        print(setup.notice)
    container = build_container(setup.settings)
    await check_database(container.db())  # a database it cannot share stops it before serving
    app = create_app(container)
    config = uvicorn.Config(
        app,
        host=ctx.args.host,
        port=ctx.args.port,
        log_config=None,
        access_log=ctx.args.access_log,
        **setup.uvicorn_options,
    )
    await uvicorn.Server(config).serve()
    return 0


async def seed_command(ctx: Context) -> int:
    async def work(container: Container) -> int:
        args = ctx.args
        summary = await seed_users(container.users(), args.students, args.teachers, args.seed)
        ctx.out.print(
            f"seeded {summary.students} active students, {summary.teachers} active teachers, "
            f"{summary.inactive} inactive users and {summary.admins} admins "
            f"into {ctx.settings.mongodb_db}.{ctx.settings.users_collection}"
        )
        return 0

    return await with_container(ctx.settings, work)


async def migrate_command(ctx: Context) -> int:
    container = build_container(ctx.settings)
    try:
        applied = await run_migrations(container.db(), ctx.settings)
    finally:
        container.client().close()
    for migration in applied:
        ctx.out.print(f"applied {migration.name}: {migration.description}")
    ctx.out.print("schema is up to date" if not applied else f"{len(applied)} migration(s) applied")
    return 0


async def demo_command(ctx: Context) -> int:
    from interfaces.cli.demo import demo

    return await demo(ctx)


def _limit(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def _month_options(command: argparse.ArgumentParser, required: bool = False) -> None:
    command.add_argument("--month", type=int, required=required, help="1-12, with --year")
    command.add_argument(
        "--year", type=int, required=required, help="e.g. 2026 (default: the month just ended)"
    )


def _json_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--json", action="store_true", help="print JSON (the API's shape)")


AddCommand = Callable[[str, str], argparse.ArgumentParser]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rewards",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=text, description=text)

    _month_commands(add)
    _service_commands(add)
    return parser


def _month_commands(add: AddCommand) -> None:
    status = add("status", "a month's job (default: the newest) and the missed-run alarm")
    _month_options(status)
    _json_option(status)
    jobs = add("jobs", "the job history, newest month first")
    jobs.add_argument("--limit", type=_limit, default=DEFAULT_LIMIT, help=f"1-{MAX_LIMIT}")
    _json_option(jobs)
    preview = add("preview", "dry run: the ranking and payout a run would make now; writes nothing")
    _month_options(preview)
    _json_option(preview)
    run = add("run", "pay a month in the foreground (waits out, then takes over, another worker)")
    _month_options(run)
    _json_option(run)
    retry = add("retry", "resume a failed month where it stopped; pays nobody twice")
    _month_options(retry, required=True)
    _json_option(retry)


def _service_commands(add: AddCommand) -> None:
    serve = add("serve", "the HTTP API and the status page (/admin), with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--access-log", action="store_true", help="log every request (costs at high rates)"
    )
    demo = add("demo", "seed the embedded database, preview and pay a month, prove it paid once")
    demo.add_argument("--students", type=int, default=300)
    demo.add_argument("--teachers", type=int, default=40)
    demo.add_argument("--seed", type=int, default=7)
    seed = add("seed", "write synthetic users into the configured database")
    seed.add_argument("--students", type=int, required=True)
    seed.add_argument("--teachers", type=int, required=True)
    seed.add_argument("--seed", type=int, default=0)
    add("migrate", "apply pending index and schema migrations (start-up does it too)")


COMMANDS: dict[str, Handler] = {
    "status": status_command,
    "jobs": jobs_command,
    "preview": preview_command,
    "run": run_command,
    "retry": retry_command,
    "serve": serve_command,
    "demo": demo_command,
    "seed": seed_command,
    "migrate": migrate_command,
}
# Reads print tables and JSON, and the demo narrates itself: their log stays quiet unless
# something is wrong (the embedded database's banner is a warning, so the demo still shows it).
QUIET = {"status", "jobs", "preview", "demo"}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    errors = Console(stderr=True)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        configure_logging()
        errors.print(f"rewards: {exc}", style="red", highlight=False)
        return 2
    level = logging.WARNING if args.command in QUIET else logging.INFO
    configure_logging(settings.log_format, level)
    # With --json, stdout carries the JSON alone; what a person would read goes to stderr.
    ctx = Context(args, settings, Console(stderr=getattr(args, "json", False)))
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            return runner.run(COMMANDS[args.command](ctx))
    except (DomainError, IncompatibleDatabase, SettingsError) as exc:
        errors.print(f"rewards: {exc}", style="red", highlight=False)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `rewards jobs --json | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def entry() -> None:
    """The `rewards` executable: `main`, then an exit that does not wait for the database
    client's monitor threads. They sleep in half-second steps, and at exit PyMongo joins them:
    every command took up to 0.5 s longer than its work. Everything this process writes is
    flushed first; by then every command has closed its client."""
    code = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        # A reader that left, or a stream already closed: nothing more can reach it.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
