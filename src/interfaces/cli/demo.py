"""`rewards demo` (what `make demo` runs): on the embedded database only, seed users, preview the
month that has just ended, pay it with progress bars, show the top of each ranking, and prove
from the wallets that the dry run, the job and the wallets agree and a second trigger paid
nothing."""

from __future__ import annotations

import dataclasses

from rich.table import Table
from rich.text import Text

from application.paging import PageRequest
from domain.job import JobStatus
from infrastructure.container import Container
from infrastructure.seeding import seed_users
from interfaces.cli import views
from interfaces.cli.follow import follow
from interfaces.cli.runtime import Context, with_container

TOP = 5


def _check(table: Table, what: str, expected: int, found: int) -> bool:
    ok = expected == found
    mark = Text("ok", style="bold green") if ok else Text("MISMATCH", style="bold red")
    table.add_row(what, f"{expected:,}", f"{found:,}", mark)
    return ok


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
        dry = (await container.preview_monthly_rewards().execute()).preview
        out.print(
            f"\n[bold]Dry run[/] for {dry.period}: a run would pay {dry.total_users:,} rewards, "
            f"{dry.total_coins:,} coins ({len(dry.anomalies)} anomalies to look at; "
            f"`rewards preview` shows them)."
        )
        start = container.start_monthly_rewards()
        outcome = await start.execute()
        out.print(f"\n[bold]Trigger #1[/] -> {outcome.kind.value}: job {outcome.job.id}")
        categories = [c.name for c in settings.policy.categories]
        job = await follow(
            container.runner(), container.get_job_status(), outcome.job.period, categories, out
        )
        out.print(views.job_view(job, container.get_job_status().health(job), tiers))
        for category in categories:
            found = await container.get_ranking_snapshot().execute(
                job.period, category, PageRequest(1, TOP)
            )
            out.print(views.snapshot_top(found, tiers))
        paid = await audit.execute()
        again = await start.execute()
        await container.runner().wait_idle()
        after = await audit.execute()
        out.print(f"\n[bold]Trigger #2[/] -> {again.kind.value}")

        proof = Table(title="Paid exactly once?", title_justify="left")
        for column in ("check", "expected", "found", ""):
            proof.add_column(column, justify="right" if column in ("expected", "found") else "left")
        results = job.results
        checks = [
            _check(proof, "coins: dry run = job", dry.total_coins, results.total_coins_awarded),
            _check(
                proof,
                "coins: job = wallets",
                results.total_coins_awarded,
                paid.coins - before.coins,
            ),
            _check(
                proof,
                "badges: job = wallets",
                results.total_rewards_awarded,
                paid.badges - before.badges,
            ),
            _check(proof, "coins paid by trigger #2", 0, after.coins - paid.coins),
            _check(proof, "badges paid by trigger #2", 0, after.badges - paid.badges),
        ]
        out.print(proof)
        ok = all(checks) and job.status is JobStatus.COMPLETED
        out.print(
            "[bold green]OK: paid exactly once[/]" if ok else "[bold red]MISMATCH: see above[/]"
        )
        return 0 if ok else 1

    return await with_container(settings, work)
