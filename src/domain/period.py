"""The month a job rewards: validation and 'the month that has just ended'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.errors import InvalidPeriod, PeriodNotEnded

# The platform's own models refuse a badge or reward dated before 2020, and a user document
# holding one can no longer be saved by the platform: such a month is not a period here.
MIN_YEAR = 2020
MAX_YEAR = 9999


@dataclass(frozen=True, order=True, slots=True)
class Period:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise InvalidPeriod(f"year must be between {MIN_YEAR} and {MAX_YEAR}, got {self.year}")
        if not 1 <= self.month <= 12:
            raise InvalidPeriod(f"month must be between 1 and 12, got {self.month}")

    @classmethod
    def just_ended(cls, now: datetime, tz: ZoneInfo) -> Period:
        """The calendar month before the one `now` falls in, in `tz`."""
        local = _aware(now).astimezone(tz)
        if local.month == 1:
            return cls(year=local.year - 1, month=12)
        return cls(year=local.year, month=local.month - 1)

    def next(self) -> Period:
        if self.month == 12:
            return Period(year=self.year + 1, month=1)
        return Period(year=self.year, month=self.month + 1)

    def ends_at(self, tz: ZoneInfo) -> datetime:
        """The first instant after this month, in `tz`."""
        following = self.next()
        return datetime(following.year, following.month, 1, tzinfo=tz)

    def ensure_ended(self, now: datetime, tz: ZoneInfo) -> None:
        if _aware(now) < self.ends_at(tz):
            raise PeriodNotEnded(
                f"{self} has not ended yet in time zone {tz.key}; "
                f"it can be rewarded from {self.ends_at(tz).isoformat()}"
            )

    @property
    def key(self) -> str:
        """Sortable text key, e.g. '2024-12'."""
        return f"{self.year:04d}-{self.month:02d}"

    def __str__(self) -> str:
        return f"{self.month}/{self.year}"


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous here; pass an aware datetime")
    return moment
