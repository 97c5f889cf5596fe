"""Streams a category's active users from the main application's `users` collection.

When given the wallet's `WalletShapes`, it also reads each user's wallet fields and notes the
wallets that need a repair before they can be credited, so the credit need not read them again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection

from application.foreground import SLICE, Turn, no_wait
from application.ports.participant_source import ParticipantSource
from domain.ranking import Category, Participant
from infrastructure.mongo.mappers import aware, user_id_from_db
from infrastructure.mongo.wallet import SHAPE_PROJECTION, WalletShapes

_CURSOR_BATCH = 5000
# A read ahead has the current category's payment to hide behind: smaller cursor batches hold the
# database (about 0.2 ms of FerretDB's CPU a document) and the event loop (ranking them) for less
# at a time, so a flood of requests that begins meanwhile meets less of it.
_CURSOR_BATCH_AHEAD = 1000


class MongoParticipantSource(ParticipantSource):
    def __init__(
        self,
        users: AsyncIOMotorCollection[dict[str, Any]],
        shapes: WalletShapes | None = None,
        turn: Turn = no_wait,
        give_way: Turn = no_wait,
    ) -> None:
        self._users = users
        self._shapes = shapes
        self._turn = turn
        self._give_way = give_way

    async def stream(
        self, category: Category, *, ahead: bool = False
    ) -> AsyncIterator[Participant]:
        # Raw motor with a projection: ranking a million users must not validate a million models.
        projection = {"name": 1, "email": 1, "createdAt": 1, "rewards.xp": 1}
        projection.update({path: 1 for path in category.counter_paths})
        shapes = self._shapes
        if shapes is not None:
            shapes.restart(category.name)
            projection.update(SHAPE_PROJECTION)
        await self._turn()
        size = _CURSOR_BATCH_AHEAD if ahead else _CURSOR_BATCH
        cursor = self._users.find({"role": category.role, "isActive": True}, projection).batch_size(
            size
        )
        read = 0
        async for doc in cursor:
            read += 1
            if read % size == 0:
                await self._turn()  # the next document comes with the next getMore
            elif read % SLICE == 0:
                await self._give_way()  # a cursor batch is ranked in slices
            user_id = user_id_from_db(doc["_id"])
            if shapes is not None:
                shapes.note(category.name, user_id, doc)
            yield Participant(
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
