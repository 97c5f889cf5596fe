"""Who is ranked, how a score is computed, and the total order that turns scores into ranks."""

from __future__ import annotations

import struct
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import overload

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
    data always yields the same ranks. (A list; `RankingBuilder` keeps a large one compact.)"""
    builder = RankingBuilder(category)
    for participant in participants:
        builder.add(participant)
    return list(builder.ranked())


# --- Compact rankings ----------------------------------------------------------------------------
#
# A million users as Participant and RankedEntry objects took 660 MB. Here each user is one
# `bytes` sort key, which also holds score, xp, createdAt and id, plus name and email packed into
# one shared buffer: about 170 bytes a user. The key's bytes sort exactly as the tuple
# (-score, -xp, createdAt or undated, user id) does, so one `sorted` on the keys ranks them:
#   16 bytes  score, descending  the nearest IEEE-754 double, mapped to an order-preserving
#                                unsigned integer, then what an integer differs from it by
#                                (0 for floats): exact for every float and integer below 2**116
#   16 bytes  xp, descending     the same
#   8 bytes   createdAt, ascending  microseconds from 0001-01-01 UTC; undated: the largest
#   n bytes   user id, ascending    UTF-8, whose byte order is the order of code points
# The id comes last, so ids of different lengths still compare as strings do (a prefix first).

_KEY_HEAD = struct.Struct(">QQQQQ")
_SIGN = 1 << 63
_ALL_ONES = (1 << 64) - 1
_MOMENT_ZERO = datetime.min.replace(tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)
_UNDATED_MICROS = (_UNDATED - _MOMENT_ZERO) // _ONE_MICROSECOND
# Flags of each user: what the key alone cannot say about the original values.
_SCORE_INT, _XP_INT, _UNDATED_FLAG, _NO_NAME, _NO_EMAIL = 1, 2, 4, 8, 16
_DOUBLE = struct.Struct(">d")
_BITS = struct.Struct(">Q")


def _ascending(value: float) -> int:
    """An unsigned 64-bit integer ordered as the number is (-0.0 counts as 0.0, as in `<`)."""
    bits: int = _BITS.unpack(_DOUBLE.pack(value + 0.0))[0]
    return bits ^ _ALL_ONES if bits & _SIGN else bits | _SIGN


def _from_ascending(code: int) -> float:
    bits = code ^ _SIGN if code & _SIGN else code ^ _ALL_ONES
    value: float = _DOUBLE.unpack(_BITS.pack(bits))[0]
    return value


def _number_key(value: float) -> tuple[int, int]:
    """Two unsigned integers ordered as the number is: its double, then what an integer differs
    from that double by (so 2**53 + 1 still ranks above 2**53)."""
    nearest = float(value)
    residual = value - int(nearest) if isinstance(value, int) else 0
    return _ascending(nearest), residual + _SIGN


def _descending(value: float) -> tuple[int, int]:
    high, low = _number_key(value)
    return _ALL_ONES - high, _ALL_ONES - low


def _number(high: int, low: int, flags: int, int_flag: int) -> float:
    nearest = _from_ascending(_ALL_ONES - high)
    if flags & int_flag:
        return int(nearest) + (_ALL_ONES - low) - _SIGN
    return nearest


class Ranking(Sequence[RankedEntry]):
    """A category's ranking, held compactly; entries are made when read. Slicing gives a view
    that shares the storage (a resumed run pays `ranking[processed:]` without a copy)."""

    __slots__ = ("_emails", "_flags", "_keys", "_names", "_order", "_start", "_stop", "_texts")

    def __init__(
        self,
        keys: list[bytes],
        order: array[int],
        flags: bytearray,
        texts: bytearray,
        names: array[int],
        emails: array[int],
        start: int = 0,
        stop: int | None = None,
    ) -> None:
        self._keys, self._order, self._flags = keys, order, flags
        self._texts, self._names, self._emails = texts, names, emails
        self._start = start
        self._stop = len(order) if stop is None else stop

    def __len__(self) -> int:
        return self._stop - self._start

    @overload
    def __getitem__(self, index: int) -> RankedEntry: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[RankedEntry]: ...

    def __getitem__(self, index: int | slice) -> RankedEntry | Sequence[RankedEntry]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return Ranking(
                self._keys,
                self._order,
                self._flags,
                self._texts,
                self._names,
                self._emails,
                self._start + start,
                self._start + max(start, stop),
            )
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("ranking index out of range")
        return self._entry(self._start + index)

    def __iter__(self) -> Iterator[RankedEntry]:
        for position in range(self._start, self._stop):
            yield self._entry(position)

    def _entry(self, position: int) -> RankedEntry:
        user = self._order[position]
        key = self._keys[user]
        score, score_low, xp, xp_low, moment = _KEY_HEAD.unpack_from(key)
        flags = self._flags[user]
        name_at, email_at, end = self._names[user], self._emails[user], self._names[user + 1]
        return RankedEntry(
            rank=position + 1,
            user_id=key[_KEY_HEAD.size :].decode(),
            name=None if flags & _NO_NAME else self._texts[name_at:email_at].decode(),
            email=None if flags & _NO_EMAIL else self._texts[email_at:end].decode(),
            score=_number(score, score_low, flags, _SCORE_INT),
            xp=_number(xp, xp_low, flags, _XP_INT),
            created_at=None if flags & _UNDATED_FLAG else _MOMENT_ZERO + moment * _ONE_MICROSECOND,
        )


class RankingBuilder:
    """Takes a category's participants one at a time (as they are streamed) and ranks them into
    a compact `Ranking`; no Participant needs to be kept."""

    def __init__(self, category: Category) -> None:
        self._category = category
        self._start()

    def _start(self) -> None:
        self._keys: list[bytes] = []
        self._flags = bytearray()
        self._texts = bytearray()
        # Where each user's name and email start in `_texts` (one past the last: the end).
        self._names: array[int] = array("Q")
        self._emails: array[int] = array("Q")

    def add(self, participant: Participant) -> None:
        score = self._category.score(participant.counters)
        xp = participant.xp or 0
        moment = participant.created_at
        flags = (_SCORE_INT if isinstance(score, int) else 0) | (
            _XP_INT if isinstance(xp, int) else 0
        )
        if moment is None:
            flags |= _UNDATED_FLAG
            micros = _UNDATED_MICROS
        else:
            micros = (moment - _MOMENT_ZERO) // _ONE_MICROSECOND
        head = _KEY_HEAD.pack(*_descending(score), *_descending(xp), micros)
        self._keys.append(head + participant.user_id.encode())
        self._names.append(len(self._texts))
        if participant.name is None:
            flags |= _NO_NAME
        else:
            self._texts += participant.name.encode()
        self._emails.append(len(self._texts))
        if participant.email is None:
            flags |= _NO_EMAIL
        else:
            self._texts += participant.email.encode()
        self._flags.append(flags)

    def ranked(self) -> Ranking:
        keys = self._keys
        order = array("I", sorted(range(len(keys)), key=keys.__getitem__))
        self._names.append(len(self._texts))  # the end of the last user's texts
        ranking = Ranking(keys, order, self._flags, self._texts, self._names, self._emails)
        self._start()  # the storage now belongs to the ranking
        return ranking


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
