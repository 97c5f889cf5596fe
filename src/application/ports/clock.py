"""Time, injected so tests can fix it."""

from __future__ import annotations

import abc
from datetime import datetime


class Clock(abc.ABC):
    @abc.abstractmethod
    def now(self) -> datetime:
        """An aware UTC datetime."""
