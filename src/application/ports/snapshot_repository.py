"""Frozen rankings: a small header per (month, category) and its entries stored apart."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from domain.period import Period
from domain.ranking import RankedEntry
from domain.snapshot import RankingSnapshot


class SnapshotRepository(abc.ABC):
    @abc.abstractmethod
    async def find(self, period: Period, category: str) -> RankingSnapshot | None: ...

    @abc.abstractmethod
    async def start_building(self, period: Period, category: str, now: datetime) -> RankingSnapshot:
        """Returns a snapshot in `building` state with no entries: a new one, or an unfinished
        one emptied of the partial entries a crashed run left. Refuses a frozen one."""

    @abc.abstractmethod
    async def add_entries(self, snapshot_id: str, entries: Sequence[RankedEntry]) -> None: ...

    @abc.abstractmethod
    async def freeze(self, snapshot: RankingSnapshot) -> None:
        """Marks the snapshot complete; it is never changed after."""

    @abc.abstractmethod
    def entries(
        self, snapshot_id: str, batch_size: int, after_rank: int = 0
    ) -> AsyncIterator[list[RankedEntry]]:
        """The entries ranked below `after_rank`, in rank order, in batches."""
