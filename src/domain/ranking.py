"""Who is ranked, how a score is computed, and the total order that turns scores into ranks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.errors import InvalidPolicy

# Users with no createdAt sort after every dated user (they cannot win a tie on seniority).
_UNDATED = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Category:
    """A ranked population: users of one role, scored by a weighted sum of counters."""

    name: str
    role: str
    weights: tuple[
        tuple[str, float], ...
    ]  # (counter path, weight), e.g. ("student.totalTests", 15)

    def __post_init__(self) -> None:
        if not self.name or not self.role:
            raise InvalidPolicy("a category needs a name and a role")
        if not self.weights:
            raise InvalidPolicy(f"category {self.name} has no scoring weights")

    @property
    def counter_paths(self) -> tuple[str, ...]:
        return tuple(path for path, _ in self.weights)

    def score(self, counters: Iterable[float | None]) -> float:
        """Weighted sum; a missing or null counter counts as 0 (the seed system dropped such users)."""
        return sum(
            weight * (value or 0) for (_, weight), value in zip(self.weights, counters, strict=True)
        )


@dataclass(frozen=True, slots=True)
class Participant:
    """One user as the ranking sees them; counters follow the category's weight order."""

    user_id: str
    name: str | None
    email: str | None
    created_at: datetime | None
    xp: float | None
    counters: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class RankedEntry:
    """One line of a frozen ranking snapshot."""

    rank: int
    user_id: str
    name: str | None
    email: str | None
    score: float
    xp: float
    created_at: datetime | None


def rank_participants(category: Category, participants: Iterable[Participant]) -> list[RankedEntry]:
    """Ranks 1..N by score desc, xp desc, createdAt asc, user id asc: a total order, so the same
    data always yields the same ranks."""
    scored = [(category.score(p.counters), p) for p in participants]
    scored.sort(
        key=lambda sp: (-sp[0], -(sp[1].xp or 0), sp[1].created_at or _UNDATED, sp[1].user_id)
    )
    return [
        RankedEntry(
            rank=index,
            user_id=p.user_id,
            name=p.name,
            email=p.email,
            score=score,
            xp=p.xp or 0,
            created_at=p.created_at,
        )
        for index, (score, p) in enumerate(scored, start=1)
    ]


DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category(
        name="students",
        role="student",
        weights=(("student.totalTests", 15), ("student.correctAnswers", 1)),
    ),
    Category(
        name="teachers",
        role="teacher",
        weights=(("teacher.totalAttemptsOfStudents", 1),),
    ),
)
