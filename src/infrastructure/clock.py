"""The system clock, at MongoDB's millisecond precision so stored and in-memory times agree."""

from __future__ import annotations

from datetime import UTC, datetime

from application.ports.clock import Clock


class SystemClock(Clock):
    def now(self) -> datetime:
        moment = datetime.now(UTC)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
