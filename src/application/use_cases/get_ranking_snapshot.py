"""A month's frozen ranking of one category, a page at a time in rank order."""

from __future__ import annotations

from dataclasses import dataclass

from application.paging import Page, PageRequest
from application.ports.snapshot_repository import SnapshotRepository
from domain.errors import SnapshotNotFound
from domain.period import Period
from domain.ranking import RankedEntry
from domain.snapshot import RankingSnapshot


@dataclass(frozen=True, slots=True)
class SnapshotPage:
    snapshot: RankingSnapshot
    entries: Page[RankedEntry]


class GetRankingSnapshot:
    def __init__(self, snapshots: SnapshotRepository) -> None:
        self._snapshots = snapshots

    async def execute(self, period: Period, category: str, page: PageRequest) -> SnapshotPage:
        snapshot = await self._snapshots.find(period, category)
        if snapshot is None or not snapshot.is_frozen:
            state = "is still being built" if snapshot is not None else "does not exist"
            raise SnapshotNotFound(f"the {category} ranking of {period} {state}")
        # A frozen snapshot ranks 1..N without gaps: page p starts after rank (p-1) * size.
        batches = self._snapshots.entries(snapshot.id, page.size, after_rank=page.offset)
        try:
            entries: list[RankedEntry] = await anext(aiter(batches), [])
        finally:
            close = getattr(batches, "aclose", None)
            if close is not None:  # the adapter's cursor is not left open until collected
                await close()
        return SnapshotPage(snapshot, Page(entries, snapshot.total_participants, page))
