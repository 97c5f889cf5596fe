"""The users a category ranks, read from the main application's collection."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator

from domain.ranking import Category, Participant


class ParticipantSource(abc.ABC):
    @abc.abstractmethod
    def stream(self, category: Category, *, ahead: bool = False) -> AsyncIterator[Participant]:
        """Active users of the category's role, only the fields ranking needs. `ahead`: read
        while another category is paid, so it has time: it may hold the database less at once."""
