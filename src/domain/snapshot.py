"""The frozen ranking of one category for one month (entries are stored apart from this header)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from domain.period import Period


class SnapshotStatus(StrEnum):
    BUILDING = "building"  # entries may be partial; rebuilt from scratch on resume
    FROZEN = "frozen"  # complete and never changed again


@dataclass(frozen=True, slots=True)
class RankingSnapshot:
    id: str
    period: Period
    category: str
    status: SnapshotStatus
    created_at: datetime
    total_participants: int = 0
    frozen_at: datetime | None = None

    @property
    def is_frozen(self) -> bool:
        return self.status is SnapshotStatus.FROZEN

    def frozen(self, total: int, now: datetime) -> RankingSnapshot:
        return replace(self, status=SnapshotStatus.FROZEN, total_participants=total, frozen_at=now)
