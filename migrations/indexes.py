"""Creating an index, one `createIndexes` call each, on a database others may share.

FerretDB 1.24 panics on a call naming two or more indexes that already exist (two instances
migrating at once), hence one call per index. An index with the same keys and uniqueness under
another name (the platform's Mongoose models create theirs under generated names such as
`year_1_month_1`) already does the job: creating ours beside it would be refused by MongoDB.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection
from pymongo import IndexModel
from pymongo.errors import DuplicateKeyError, OperationFailure

from migrations.errors import IncompatibleDatabase

_DUPLICATE_KEY = 11000
_OPTIONS_CONFLICT = (85, 86)  # IndexOptionsConflict, IndexKeySpecsConflict


async def ensure_index(
    collection: AsyncIOMotorCollection[dict[str, Any]],
    keys: Sequence[tuple[str, int]],
    *,
    name: str,
    unique: bool = False,
) -> None:
    existing = await collection.index_information()
    wanted = [(field, int(direction)) for field, direction in keys]
    for info in existing.values():
        same_keys = [(field, int(direction)) for field, direction in info["key"]] == wanted
        if same_keys and bool(info.get("unique")) == unique:
            return
    try:
        await collection.create_indexes([IndexModel(list(keys), name=name, unique=unique)])
    except (DuplicateKeyError, OperationFailure) as exc:
        code = getattr(exc, "code", None)
        fields = ", ".join(field for field, _ in keys)
        if code == _DUPLICATE_KEY or isinstance(exc, DuplicateKeyError):
            raise IncompatibleDatabase(
                f"{collection.name} holds two or more documents with the same ({fields}), so its "
                f"unique index {name} cannot be built: {exc}. Remove the duplicates first."
            ) from exc
        if code in _OPTIONS_CONFLICT:
            raise IncompatibleDatabase(
                f"{collection.name} has an index that conflicts with {name} on ({fields}): "
                f"{exc}. Drop or rename the conflicting index first."
            ) from exc
        raise
