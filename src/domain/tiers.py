"""The tier table: which rank earns which coins and badge."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from domain.errors import InvalidPolicy


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    first_rank: int
    last_rank: int | None  # None: open-ended, every rank from first_rank on
    coins: int
    badge_name: str

    def covers(self, rank: int) -> bool:
        return rank >= self.first_rank and (self.last_rank is None or rank <= self.last_rank)


class TierTable:
    """Contiguous tiers from rank 1 with an open-ended last tier, so every rank has one."""

    def __init__(self, tiers: Iterable[Tier]) -> None:
        ordered = sorted(tiers, key=lambda t: t.first_rank)
        _validate(ordered)
        self._tiers = tuple(ordered)
        self._starts = [t.first_rank for t in ordered]

    @property
    def tiers(self) -> tuple[Tier, ...]:
        return self._tiers

    def tier_for(self, rank: int) -> Tier:
        if rank < 1:
            raise ValueError(f"ranks start at 1, got {rank}")
        return self._tiers[bisect_right(self._starts, rank) - 1]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TierTable) and self._tiers == other._tiers

    def __hash__(self) -> int:
        return hash(self._tiers)


def _validate(tiers: list[Tier]) -> None:
    if not tiers:
        raise InvalidPolicy("the tier table needs at least one tier")
    if tiers[0].first_rank != 1:
        raise InvalidPolicy("the first tier must start at rank 1")
    names = [t.name for t in tiers]
    if len(set(names)) != len(names):
        raise InvalidPolicy(f"tier names must be unique: {names}")
    for tier in tiers:
        if tier.coins < 0:
            raise InvalidPolicy(f"tier {tier.name} pays negative coins")
        if not tier.name or not tier.badge_name:
            raise InvalidPolicy("every tier needs a name and a badge name")
        if tier.last_rank is not None and tier.last_rank < tier.first_rank:
            raise InvalidPolicy(f"tier {tier.name} ends before it starts")
    for current, following in pairwise(tiers):
        if current.last_rank is None or current.last_rank + 1 != following.first_rank:
            raise InvalidPolicy(
                f"tiers must be contiguous: {current.name} and {following.name} leave a gap or overlap"
            )
    if tiers[-1].last_rank is not None:
        raise InvalidPolicy("the last tier must be open-ended so every rank is paid")


DEFAULT_TIERS = TierTable(
    [
        Tier("CHAMPION", 1, 1, 1000, "Monthly Champion"),
        Tier("ELITE", 2, 10, 500, "Monthly Elite"),
        Tier("ACHIEVER", 11, 50, 200, "Monthly Achiever"),
        Tier("PERFORMER", 51, 100, 100, "Monthly Performer"),
        Tier("UNPLACED", 101, None, 10, "Monthly Unplaced"),
    ]
)
