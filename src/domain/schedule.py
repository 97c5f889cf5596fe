"""When a month's run is due. The scheduler calls at 00:05 on the 1st; if the month that has just
ended still has no job by the deadline (by default the 1st, 06:00 in the service's time zone),
the run is overdue: the scheduler never called, and an operator (or the service) must act."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.period import Period

# Every month has a 28th: a deadline on the 29th-31st would not exist in February.
LAST_DUE_DAY = 28


@dataclass(frozen=True, slots=True)
class RunDeadline:
    day: int = 1
    hour: int = 6

    def __post_init__(self) -> None:
        if not 1 <= self.day <= LAST_DUE_DAY:
            raise ValueError(f"the due day must be between 1 and {LAST_DUE_DAY}, got {self.day}")
        if not 0 <= self.hour <= 23:
            raise ValueError(f"the due hour must be between 0 and 23, got {self.hour}")

    def due_at(self, period: Period, tz: ZoneInfo) -> datetime:
        """The moment by which `period` should have a job: in the month after it, in `tz`."""
        following = period.next()
        return datetime(following.year, following.month, self.day, self.hour, tzinfo=tz)

    def is_overdue(self, period: Period, now: datetime, tz: ZoneInfo, has_job: bool) -> bool:
        return not has_job and now >= self.due_at(period, tz)
