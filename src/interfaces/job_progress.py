"""A job's progress per category as both the status page and the CLI show it: one bar for every
category of the policy, those the job has not reached yet included, each with its state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.job import JobStatus, MonthlyRewardJob, Phase


class BarState(StrEnum):
    WAITING = "waiting"
    RANKING = "ranking"  # freezing the category's snapshot
    PAYING = "paying"
    DONE = "done"
    STOPPED = "stopped"  # the job failed before finishing this category: a retry resumes it


@dataclass(frozen=True, slots=True)
class CategoryBar:
    name: str
    processed: int
    total: int
    state: BarState

    @property
    def known(self) -> bool:
        """Whether the total is known: the category's ranking is frozen."""
        return self.state in (BarState.PAYING, BarState.DONE) or self.total > 0

    @property
    def percent(self) -> int:
        if self.state is BarState.DONE:
            return 100
        return self.processed * 100 // max(1, self.total)


def progress_bars(job: MonthlyRewardJob, categories: Sequence[str]) -> list[CategoryBar]:
    progress = job.progress
    names = [*categories, *(c for c in progress.categories if c not in categories)]
    return [_bar(job, name) for name in names]


def _bar(job: MonthlyRewardJob, name: str) -> CategoryBar:
    bar = _running_bar(job, name)
    if job.status is JobStatus.FAILED and bar.state is not BarState.DONE:
        return CategoryBar(bar.name, bar.processed, bar.total, BarState.STOPPED)
    return bar


def _running_bar(job: MonthlyRewardJob, name: str) -> CategoryBar:
    progress = job.progress
    current = progress.category == name and job.progress.phase is not Phase.DONE
    seen = progress.categories.get(name)
    if seen is None:
        state = BarState.RANKING if current else BarState.WAITING
        return CategoryBar(name, 0, 0, state)
    if seen.processed >= seen.total and not (current and progress.phase is Phase.SNAPSHOT):
        return CategoryBar(name, seen.processed, seen.total, BarState.DONE)
    if current:
        state = BarState.RANKING if progress.phase is Phase.SNAPSHOT else BarState.PAYING
    else:
        state = BarState.WAITING
    return CategoryBar(name, seen.processed, seen.total, state)
