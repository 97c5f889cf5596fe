"""The frozen rankings a month pays from: built once per category from the participants, then
read back in rank order by every attempt that resumes the month."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from application.concurrency import bounded
from application.ports.clock import Clock
from application.ports.participant_source import ParticipantSource
from application.ports.snapshot_repository import SnapshotRepository
from domain.period import Period
from domain.ranking import Category, RankedEntry, RankingBuilder
from domain.snapshot import RankingSnapshot

Fence = Callable[[], Awaitable[None]]
# Batches of entries written at once while a ranking is frozen: inserts of whole batches, which
# FerretDB's pool limit on update statements (server_profile.py) does not concern.
ENTRY_WRITES_IN_FLIGHT = 4


class Rankings:
    def __init__(
        self,
        snapshots: SnapshotRepository,
        participants: ParticipantSource,
        clock: Clock,
        batch_size: int,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self._snapshots = snapshots
        self._participants = participants
        self._clock = clock
        self._batch_size = batch_size

    async def find_frozen(self, period: Period, category: str) -> RankingSnapshot | None:
        found = await self._snapshots.find(period, category)
        return found if found is not None and found.is_frozen else None

    async def rank(self, category: Category, *, ahead: bool = False) -> Sequence[RankedEntry]:
        """The category's ranking as its participants stand now; nothing is written. `ahead`:
        read while another category is paid (ParticipantSource.stream)."""
        # Ranked as they stream in, into a compact ranking: no list of a million participants.
        builder = RankingBuilder(category)
        async for participant in self._participants.stream(category, ahead=ahead):
            builder.add(participant)
        return builder.ranked()

    async def freeze(
        self,
        period: Period,
        category: Category,
        fence: Fence,
        ranked: Sequence[RankedEntry] | None = None,
    ) -> tuple[RankingSnapshot, Sequence[RankedEntry]]:
        """Stores the category's ranking for good: `ranked` when it was read ahead, else ranked
        now; a build a crash left half done is started over. The entries are handed back so
        they are not read again."""
        if ranked is None:
            ranked = await self.rank(category)
        await fence()
        snapshot = await self._snapshots.start_building(period, category.name, self._clock.now())

        def write(start: int) -> Callable[[], Awaitable[None]]:
            async def entries() -> None:
                await fence()  # before each batch, as before every write of a month
                await self._snapshots.add_entries(snapshot.id, ranked[start : start + size])

            return entries

        # The order of the writes does not matter: nothing reads the ranking before it is frozen,
        # and freezing waits for every one of them.
        size = self._batch_size
        await bounded(
            [write(start) for start in range(0, len(ranked), size)], ENTRY_WRITES_IN_FLIGHT
        )
        await fence()
        snapshot = snapshot.frozen(len(ranked), self._clock.now())
        await self._snapshots.freeze(snapshot)
        return snapshot, ranked

    def batches(
        self,
        snapshot: RankingSnapshot,
        after_rank: int,
        fresh: Sequence[RankedEntry] | None = None,
    ) -> AsyncIterator[list[RankedEntry]]:
        """The entries ranked below `after_rank`, in batches: from memory when just frozen."""
        if fresh is not None:
            return _in_batches(fresh[after_rank:], self._batch_size)
        return self._snapshots.entries(snapshot.id, self._batch_size, after_rank)


async def _in_batches(items: Sequence[RankedEntry], size: int) -> AsyncIterator[list[RankedEntry]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
