"""How the CLI shows things (rich): a job, its results by category and tier, the history, a dry
run, and the missed-run alarm. Plain data in, renderables out; no database here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from application.use_cases.check_schedule import ScheduleStatus
from application.use_cases.get_ranking_snapshot import SnapshotPage
from application.use_cases.preview_monthly_rewards import PreviewOutcome
from domain.job import AttemptOutcome, JobHealth, JobResults, JobStatus, MonthlyRewardJob
from domain.payout_preview import PayoutPreview
from domain.ranking import RankedEntry
from domain.tiers import TierTable

STATUS_STYLE = {
    JobStatus.COMPLETED: "bold green",
    JobStatus.PROCESSING: "bold blue",
    JobStatus.FAILED: "bold red",
}
HEALTH_STYLE = {
    JobHealth.RUNNING: "blue",
    JobHealth.STALLED: "yellow",
    JobHealth.ORPHANED: "red",
    JobHealth.FINISHED: "green",
}


def when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def status_text(status: JobStatus) -> Text:
    return Text(status.value, style=STATUS_STYLE[status])


def job_view(job: MonthlyRewardJob, health: JobHealth, tiers: TierTable) -> RenderableType:
    head = Text.assemble(("Job ", "bold"), (str(job.period), "bold"), "  ", status_text(job.status))
    if job.status is JobStatus.PROCESSING:  # is anyone working on it? (finished says nothing)
        head.append(f"  {health.value}", style=HEALTH_STYLE[health])
    head.append(f"   {job.id}", style="dim")
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="dim")
    facts.add_column()
    now = datetime.now(UTC)
    facts.add_row("started", when(job.started_at))
    if job.completed_at is not None:
        facts.add_row("finished", f"{when(job.completed_at)}, after {seconds(job.duration)}")
    else:
        facts.add_row("running for", seconds((now - job.started_at).total_seconds()))
    attempt = job.current_attempt
    if attempt is not None:
        running = attempt.outcome is AttemptOutcome.RUNNING
        ended = "" if running else f", {attempt.outcome.value}"
        facts.add_row("attempt", f"#{attempt.number} ({attempt.kind.value}{ended})")
    if job.lease is not None and job.status is JobStatus.PROCESSING:
        left = (job.lease.expires_at - now).total_seconds()
        expiry = f"expires in {left:.0f} s" if left > 0 else f"expired {-left:.0f} s ago"
        facts.add_row("lease", f"{job.lease.owner}, {expiry}")
    for category, progress in job.progress.categories.items():
        facts.add_row(f"progress {category}", f"{progress.processed:,} / {progress.total:,}")
    parts: list[RenderableType] = [head, Padding(facts, (0, 0, 0, 2))]
    if job.error_message:
        parts.append(Text(f"  error: {job.error_message}", style="red"))
    parts.append(results_table(job.results, tiers))
    if job.results.errors:
        parts.append(errors_table(job))
    return Group(*parts)


def results_table(results: JobResults, tiers: TierTable) -> Table:
    table = Table(title="Paid by category and tier", title_justify="left", show_footer=True)
    table.add_column("category", footer="total")
    table.add_column("tier")
    table.add_column("rewards", justify="right", footer=f"{results.total_rewards_awarded:,}")
    table.add_column("coins", justify="right", footer=f"{results.total_coins_awarded:,}")
    table.add_column("failed", justify="right", footer=f"{results.errors_total:,}")
    order = [t.name for t in tiers.tiers]
    for name, category in results.categories.items():
        ranked = sorted(
            category.tiers.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99
        )
        for index, (tier, tally) in enumerate(ranked):
            table.add_row(
                name if index == 0 else "", tier, f"{tally.count:,}", f"{tally.coins:,}", ""
            )
        table.add_row(
            Text(f"{name} ({category.participants:,} ranked)", style="dim"),
            "",
            Text(f"{category.rewards_awarded:,}", style="bold"),
            Text(f"{category.coins_awarded:,}", style="bold"),
            f"{category.rewards_failed:,}",
            end_section=True,
        )
    return table


def errors_table(job: MonthlyRewardJob) -> Table:
    table = Table(title=f"Failed rewards ({job.results.errors_total:,})", title_justify="left")
    for column in ("category", "rank", "user", "reason"):
        table.add_column(column)
    for error in job.results.errors[:10]:
        table.add_row(error.category, str(error.rank), error.user_id, error.reason)
    return table


def history_view(jobs: Sequence[MonthlyRewardJob]) -> RenderableType:
    """The history table, then a line per job that failed or has failed rewards (errors are
    long: in a column they would squeeze the table on a narrow terminal)."""
    table = Table(title="Monthly reward jobs, newest first", title_justify="left")
    table.add_column("month", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("started (UTC)", no_wrap=True)
    table.add_column("took", justify="right", no_wrap=True)
    table.add_column("rewards", justify="right", no_wrap=True)
    table.add_column("coins", justify="right", no_wrap=True)
    table.add_column("attempt", justify="right", no_wrap=True)
    notes: list[RenderableType] = []
    for job in jobs:
        table.add_row(
            str(job.period),
            status_text(job.status),
            job.started_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            seconds(job.duration),
            f"{job.results.total_rewards_awarded:,}",
            f"{job.results.total_coins_awarded:,}",
            str(job.epoch),
        )
        if job.error_message:
            notes.append(Text(f"  {job.period}: {job.error_message}", style="red"))
        elif job.results.errors_total:
            notes.append(Text(f"  {job.period}: {job.results.errors_total:,} failed rewards"))
    return Group(table, *notes)


def schedule_view(status: ScheduleStatus) -> Text:
    due = when(status.due_at)
    if status.overdue:
        return Text(
            f"OVERDUE: {status.period} has no job; it was due by {due}. The scheduler never called.",
            style="bold red",
        )
    if status.job is None:
        return Text(f"{status.period} has no job yet; it is due by {due}.", style="yellow")
    return Text.assemble(
        f"{status.period} has its job (", status_text(status.job.status), f"); due by {due}."
    )


def preview_view(outcome: PreviewOutcome, tiers: TierTable) -> RenderableType:
    preview = outcome.preview
    parts: list[RenderableType] = [
        Text.assemble(
            ("Dry run for ", "bold"),
            (str(preview.period), "bold"),
            ": what a run would pay now. Nothing was written.",
        )
    ]
    if outcome.job is not None:
        parts.append(
            Text(
                f"{preview.period} already has a job ({outcome.job.status.value}): a run now pays "
                "nobody again; its frozen ranking, not today's data, is what counts.",
                style="yellow",
            )
        )
    parts.append(payout_table(preview))
    for payout in preview.categories:
        if payout.top:
            title = f"Top {len(payout.top)} {payout.category} (would be)"
            parts.append(top_table(title, payout.top, tiers))
    parts.extend(anomalies_view(preview))
    return Group(*parts)


def payout_table(preview: PayoutPreview) -> Table:
    table = Table(show_footer=True)
    table.add_column("category", footer="total")
    table.add_column("tier")
    table.add_column("ranks")
    table.add_column("users", justify="right", footer=f"{preview.total_users:,}")
    table.add_column("coins each", justify="right")
    total = Text(f"{preview.total_coins:,}", style="bold")
    table.add_column("coins", justify="right", footer=total)
    for payout in preview.categories:
        for index, tier in enumerate(payout.tiers):
            last = "" if tier.last_rank is None else str(tier.last_rank)
            single = tier.last_rank == tier.first_rank
            table.add_row(
                payout.category if index == 0 else "",
                tier.tier,
                str(tier.first_rank) if single else f"{tier.first_rank}-{last}",
                f"{tier.users:,}",
                f"{tier.coins_each:,}",
                f"{tier.coins:,}",
                end_section=index == len(payout.tiers) - 1,
            )
    return table


def anomalies_view(preview: PayoutPreview) -> list[RenderableType]:
    if not preview.anomalies:
        return [
            Text("No anomalies: every user has counters, no tie is decided by _id.", style="green")
        ]
    parts: list[RenderableType] = [Text("Worth a look before paying:", style="bold")]
    for anomaly in preview.anomalies:
        parts.append(Padding(Text(f"- {anomaly.message}"), (0, 0, 0, 2)))
        if anomaly.user_ids:
            more = " ..." if anomaly.count > len(anomaly.user_ids) else ""
            ids = Text(" ".join(anomaly.user_ids) + more, style="dim")
            parts.append(Padding(ids, (0, 0, 0, 4)))
    return parts


def top_table(title: str, entries: Sequence[RankedEntry], tiers: TierTable) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("name")
    table.add_column("score", justify="right")
    table.add_column("xp", justify="right")
    table.add_column("tier")
    for entry in entries:
        table.add_row(
            str(entry.rank),
            entry.name or "?",
            f"{entry.score:,g}",
            f"{entry.xp:,g}",
            tiers.tier_for(entry.rank).name,
        )
    return table


def snapshot_top(found: SnapshotPage, tiers: TierTable) -> Table:
    return top_table(
        f"Top {len(found.entries.items)} {found.snapshot.category} of {found.snapshot.total_participants:,}",
        found.entries.items,
        tiers,
    )
