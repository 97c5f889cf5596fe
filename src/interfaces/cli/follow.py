"""Progress bars per category while this process's runner works on a month (`run`, `retry`,
`demo`), read from the job document as the status page reads it."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from application.ports.task_runner import TaskRunner
from application.use_cases.get_job_status import GetJobStatus
from domain.job import MonthlyRewardJob
from domain.period import Period
from interfaces.job_progress import BarState, progress_bars

POLL_SECONDS = 0.2


def _bars(console: Console) -> Progress:
    return Progress(
        TextColumn("  {task.description:<10}"),
        BarColumn(bar_width=36),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("[dim]{task.fields[state]}"),
        TimeElapsedColumn(),
        console=console,
    )


def _draw(progress: Progress, tasks: dict[str, TaskID], job: MonthlyRewardJob) -> None:
    for bar in progress_bars(job, list(tasks)):
        task = tasks.get(bar.name)
        if task is None:
            task = tasks[bar.name] = progress.add_task(bar.name, total=None, state="")
        if bar.state is BarState.DONE and bar.total == 0:
            progress.update(task, total=1, completed=1, state="nobody ranked")
        elif bar.known:
            progress.update(task, total=bar.total, completed=bar.processed, state=bar.state.value)
        else:  # the ranking is being frozen: the total is not known yet
            progress.update(task, total=None, state=bar.state.value)


async def follow(
    runner: TaskRunner,
    status: GetJobStatus,
    period: Period,
    categories: list[str],
    console: Console,
) -> MonthlyRewardJob:
    """Draws the bars until the runner is idle; returns the job as the work left it."""
    work = asyncio.ensure_future(runner.wait_idle())
    progress = _bars(console)
    tasks = {name: progress.add_task(name, total=None, state="waiting") for name in categories}
    with progress:
        while not work.done():
            _draw(progress, tasks, await status.execute(period))
            await asyncio.wait({work}, timeout=POLL_SECONDS)
        await work
        job = await status.execute(period)
        _draw(progress, tasks, job)
    return job
