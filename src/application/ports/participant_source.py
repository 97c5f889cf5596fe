"""The users a category ranks, read from the main application's collection."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Sequence

from domain.ranking import Category, Participant


class ParticipantSource(abc.ABC):
    @abc.abstractmethod
    def stream(self, category: Category) -> AsyncIterator[Participant]:
        """Active users of the category's role, only the fields ranking needs."""

    async def stream_together(
        self, categories: Sequence[Category]
    ) -> AsyncIterator[tuple[Category, Participant]]:
        """Every category's participants, each with its category. A source that can serves them
        from one read (the users collection read once, not once per category); this default
        streams one category after another."""
        for category in categories:
            async for participant in self.stream(category):
                yield category, participant
