"""Streams a category's active users from the main application's `users` collection.

When given the wallet's `WalletShapes`, it also reads each user's wallet fields and notes the
wallets that need a repair before they can be credited, so the credit need not read them again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection

from application.ports.participant_source import ParticipantSource
from domain.ranking import Category, Participant
from infrastructure.mongo.mappers import aware, user_id_from_db
from infrastructure.mongo.wallet import SHAPE_PROJECTION, WalletShapes

_CURSOR_BATCH = 5000


class MongoParticipantSource(ParticipantSource):
    def __init__(
        self, users: AsyncIOMotorCollection[dict[str, Any]], shapes: WalletShapes | None = None
    ) -> None:
        self._users = users
        self._shapes = shapes

    async def stream(self, category: Category) -> AsyncIterator[Participant]:
        async for _, participant in self.stream_together((category,)):
            yield participant

    async def stream_together(
        self, categories: Sequence[Category]
    ) -> AsyncIterator[tuple[Category, Participant]]:
        # One read for every category: FerretDB decodes every document of the collection
        # whatever the filter (about 130 us of its CPU each), so a read per category cost a
        # whole read of the users again for each one after the first.
        by_role: dict[str, list[Category]] = {}
        for category in categories:
            by_role.setdefault(category.role, []).append(category)
        # Raw motor with a projection: ranking a million users must not validate a million models.
        projection = {"name": 1, "email": 1, "createdAt": 1, "rewards.xp": 1, "role": 1}
        projection.update({path: 1 for c in categories for path in c.counter_paths})
        shapes = self._shapes
        if shapes is not None:
            shapes.restart()
            projection.update(SHAPE_PROJECTION)
        roles = list(by_role)
        role_filter: Any = roles[0] if len(roles) == 1 else {"$in": roles}
        cursor = self._users.find({"role": role_filter, "isActive": True}, projection)
        async for doc in cursor.batch_size(_CURSOR_BATCH):
            user_id = user_id_from_db(doc["_id"])
            if shapes is not None:
                shapes.note(user_id, doc)
            for category in by_role.get(doc.get("role"), ()):
                yield category, _participant(user_id, doc, category)


def _participant(user_id: str, doc: dict[str, Any], category: Category) -> Participant:
    return Participant(
        user_id=user_id,
        name=_text(doc.get("name")),
        email=_text(doc.get("email")),
        created_at=_moment(doc.get("createdAt")),
        xp=_number(_path(doc, "rewards.xp")),
        counters=tuple(_number(_path(doc, p)) for p in category.counter_paths),
    )


def _path(doc: dict[str, Any], dotted: str) -> Any:
    value: Any = doc
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _number(value: Any) -> float | None:
    """Counters that are missing, null or not numbers count as 0 in the score."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _moment(value: Any) -> datetime | None:
    return aware(value) if isinstance(value, datetime) else None
