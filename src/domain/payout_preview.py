"""A dry run's arithmetic: what a month's run would pay now, per category and tier, and what in
the data deserves a look before it is paid. It ranks with `rank_participants` and pays by the
policy's `TierTable`, the very functions the run uses, so a preview and a run cannot disagree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

from domain.period import Period
from domain.ranking import Category, Participant, RankedEntry, rank_participants
from domain.tiers import Tier, TierTable

SAMPLE = 10  # user ids named per anomaly; the count says how many there are in all


class AnomalyKind(StrEnum):
    ALL_COUNTERS_MISSING = "all_counters_missing"  # ranked on a score of 0, by xp and seniority
    TIE_BROKEN_BY_ID = "tie_broken_by_id"  # equal score, xp and createdAt: the _id decides
    EMPTY_CATEGORY = "empty_category"  # nobody to rank: the category pays nothing


@dataclass(frozen=True, slots=True)
class Anomaly:
    kind: AnomalyKind
    category: str
    count: int
    user_ids: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True)
class TierPayout:
    tier: str
    first_rank: int
    last_rank: int | None
    coins_each: int
    users: int

    @property
    def coins(self) -> int:
        return self.users * self.coins_each


@dataclass(frozen=True, slots=True)
class CategoryPayout:
    category: str
    tiers: tuple[TierPayout, ...]
    top: tuple[RankedEntry, ...]

    @property
    def participants(self) -> int:
        return sum(t.users for t in self.tiers)

    @property
    def coins(self) -> int:
        return sum(t.coins for t in self.tiers)


@dataclass(frozen=True, slots=True)
class PayoutPreview:
    period: Period
    categories: tuple[CategoryPayout, ...]
    anomalies: tuple[Anomaly, ...]

    @property
    def total_users(self) -> int:
        return sum(c.participants for c in self.categories)

    @property
    def total_coins(self) -> int:
        """What the run would report as `results.totalCoinsAwarded` if nobody vanished first."""
        return sum(c.coins for c in self.categories)


def tier_payouts(tiers: TierTable, participants: int) -> tuple[TierPayout, ...]:
    """How many of ranks 1..participants each tier covers, and what it pays them."""
    return tuple(_payout(tier, participants) for tier in tiers.tiers)


def _payout(tier: Tier, participants: int) -> TierPayout:
    last = participants if tier.last_rank is None else min(tier.last_rank, participants)
    users = max(0, last - tier.first_rank + 1)
    return TierPayout(tier.name, tier.first_rank, tier.last_rank, tier.coins, users)


def preview_category(
    category: Category, participants: Iterable[Participant], tiers: TierTable, top: int = SAMPLE
) -> tuple[CategoryPayout, list[Anomaly]]:
    people = list(participants)
    ranked = rank_participants(category, people)
    payout = CategoryPayout(category.name, tier_payouts(tiers, len(ranked)), tuple(ranked[:top]))
    return payout, _anomalies(category, people, ranked, tiers)


def _anomalies(
    category: Category, people: list[Participant], ranked: list[RankedEntry], tiers: TierTable
) -> list[Anomaly]:
    found = []
    if not ranked:
        found.append(
            Anomaly(
                AnomalyKind.EMPTY_CATEGORY,
                category.name,
                0,
                (),
                f"no active {category.role} to rank: {category.name} pays nothing",
            )
        )
    blank = [p.user_id for p in people if all(c is None for c in p.counters)]
    if blank:
        found.append(
            Anomaly(
                AnomalyKind.ALL_COUNTERS_MISSING,
                category.name,
                len(blank),
                tuple(blank[:SAMPLE]),
                f"{len(blank)} {category.name} have every counter missing or null "
                f"({', '.join(category.counter_paths)}): ranked on a score of 0",
            )
        )
    tied, across = _decided_by_id(ranked, tiers)
    if tied:
        found.append(
            Anomaly(
                AnomalyKind.TIE_BROKEN_BY_ID,
                category.name,
                len(tied),
                tuple(tied[:SAMPLE]),
                f"{len(tied)} {category.name} tie on score, xp and createdAt with a neighbour: "
                f"their order is decided by _id ({across} such tie(s) straddle a tier boundary, "
                "where _id decides who is paid more)",
            )
        )
    return found


def _decided_by_id(ranked: list[RankedEntry], tiers: TierTable) -> tuple[list[str], int]:
    """Users whose rank against a neighbour came down to the last key, in rank order, and how
    many of those ties sit across two tiers."""
    users: list[str] = []
    across = 0
    for above, below in pairwise(ranked):
        if (above.score, above.xp, above.created_at) != (below.score, below.xp, below.created_at):
            continue
        if not users or users[-1] != above.user_id:
            users.append(above.user_id)
        users.append(below.user_id)
        across += tiers.tier_for(above.rank) != tiers.tier_for(below.rank)
    return users, across
