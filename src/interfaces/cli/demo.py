"""`rewards demo` (what `make demo` runs): on the embedded database only, seed users, preview the
month that has just ended, pay it with progress bars, show the top of each ranking, and prove
from the wallets that the dry run, the job and the wallets agree and a second trigger paid
nothing."""

from __future__ import annotations

import dataclasses

from rich.console import Console
from rich.table import Table
from rich.text import Text

from application.paging import PageRequest
from application.ports.wallet_audit import WalletTotals
from domain.job import JobStatus, MonthlyRewardJob
from domain.payout_preview import PayoutPreview
from domain.tiers import TierTable
from infrastructure.container import Container
from infrastructure.seeding import seed_users
from interfaces.cli import views
from interfaces.cli.follow import follow
from interfaces.cli.runtime import Context, with_container

TOP = 5


async def demo(ctx: Context) -> int:
    # The demo never touches a real database, whatever REWARDS_MONGODB_URL says.
    settings = dataclasses.replace(ctx.settings, mongodb_url=None, mongodb_db="rewards_demo")
    out, args, tiers = ctx.out, ctx.args, settings.policy.tiers

    async def work(container: Container) -> int:
        summary = await seed_users(container.users(), args.students, args.teachers, args.seed)
        out.print(
            f"Seeded {summary.students} students and {summary.teachers} teachers "
            f"(+{summary.inactive} inactive, {summary.admins} admins) in the embedded database."
        )
        audit = container.audit_wallets()
        before = await audit.execute()
        dry = await _dry_run(container, out)
        job = await _trigger(container, out, [c.name for c in settings.policy.categories])
        await _show(container, out, job, tiers)
        paid = await audit.execute()
        again = await container.start_monthly_rewards().execute()
        await container.runner().wait_idle()
        out.print(f"\n[bold]Trigger #2[/] -> {again.kind.value}")
        ok = _proof(out, dry, job, [before, paid, await audit.execute()])
        out.print(
            "[bold green]OK: paid exactly once[/]" if ok else "[bold red]MISMATCH: see above[/]"
        )
        return 0 if ok else 1

    return await with_container(settings, work)


async def _dry_run(container: Container, out: Console) -> PayoutPreview:
    dry = (await container.preview_monthly_rewards().execute()).preview
    out.print(
        f"\n[bold]Dry run[/] for {dry.period}: a run would pay {dry.total_users:,} rewards, "
        f"{dry.total_coins:,} coins ({len(dry.anomalies)} anomalies to look at; "
        "`rewards preview` shows them)."
    )
    return dry


async def _trigger(container: Container, out: Console, categories: list[str]) -> MonthlyRewardJob:
    outcome = await container.start_monthly_rewards().execute()
    out.print(f"\n[bold]Trigger #1[/] -> {outcome.kind.value}: job {outcome.job.id}")
    status = container.get_job_status()
    return await follow(container.runner(), status, outcome.job.period, categories, out)


async def _show(
    container: Container, out: Console, job: MonthlyRewardJob, tiers: TierTable
) -> None:
    out.print(views.job_view(job, container.get_job_status().health(job), tiers))
    for category in job.results.categories:
        found = await container.get_ranking_snapshot().execute(
            job.period, category, PageRequest(1, TOP)
        )
        out.print(views.snapshot_top(found, tiers))


def _proof(
    out: Console, dry: PayoutPreview, job: MonthlyRewardJob, wallets: list[WalletTotals]
) -> bool:
    """The dry run, the job and the wallets (before, after #1, after #2) must all agree."""
    before, paid, after = wallets
    results = job.results
    table = Table(title="Paid exactly once?", title_justify="left")
    for column in ("check", "expected", "found", ""):
        table.add_column(column, justify="right" if column in ("expected", "found") else "left")
    checks = [
        ("coins: dry run = job", dry.total_coins, results.total_coins_awarded),
        ("coins: job = wallets", results.total_coins_awarded, paid.coins - before.coins),
        ("badges: job = wallets", results.total_rewards_awarded, paid.badges - before.badges),
        ("coins paid by trigger #2", 0, after.coins - paid.coins),
        ("badges paid by trigger #2", 0, after.badges - paid.badges),
    ]
    for what, expected, found in checks:
        mark = (
            Text("ok", style="bold green")
            if expected == found
            else Text("MISMATCH", style="bold red")
        )
        table.add_row(what, f"{expected:,}", f"{found:,}", mark)
    out.print(table)
    return job.status is JobStatus.COMPLETED and all(e == f for _, e, f in checks)
