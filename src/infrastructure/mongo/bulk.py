"""Update bulks sent in chunks.

FerretDB 1.24 keeps every statement's cursor of an `update` command open until the command ends;
at 100 statements its SQLite pool runs dry and the command never answers (measured here: 99 ok,
100 hangs). MongoDB has no such limit, so the chunk size is a setting (REWARDS_UPDATE_CHUNK).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection
from pymongo import UpdateOne

DEFAULT_UPDATE_CHUNK = 50


async def bulk_update(
    collection: AsyncIOMotorCollection[dict[str, Any]],
    operations: Sequence[UpdateOne],
    *,
    ordered: bool,
    chunk: int = DEFAULT_UPDATE_CHUNK,
) -> int:
    """Applies the updates in order of chunks; returns how many documents matched."""
    matched = 0
    for start in range(0, len(operations), chunk):
        result = await collection.bulk_write(
            list(operations[start : start + chunk]), ordered=ordered
        )
        matched += result.matched_count
    return matched
