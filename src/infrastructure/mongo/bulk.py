"""Update bulks sent in chunks, and reads by many `_id`s.

FerretDB 1.24 keeps every statement's cursor of an `update` command open until the command ends;
at 100 statements its SQLite pool runs dry and the command never answers (measured here: 99 ok,
100 hangs). MongoDB has no such limit, so the chunk size is a setting (REWARDS_UPDATE_CHUNK).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection
from pymongo import UpdateOne

DEFAULT_UPDATE_CHUNK = 50
# Concurrent single-document reads: well under PyMongo's default pool of 100 connections.
_READ_CONCURRENCY = 32


async def bulk_update(
    collection: AsyncIOMotorCollection[dict[str, Any]],
    operations: Sequence[UpdateOne],
    *,
    ordered: bool,
    chunk: int = DEFAULT_UPDATE_CHUNK,
) -> list[int]:
    """Applies the updates in order of chunks; returns how many documents matched in each."""
    matched = []
    for start in range(0, len(operations), chunk):
        result = await collection.bulk_write(
            list(operations[start : start + chunk]), ordered=ordered
        )
        matched.append(result.matched_count)
    return matched


async def find_by_ids(
    collection: AsyncIOMotorCollection[dict[str, Any]],
    ids: Sequence[Any],
    projection: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The documents with these `_id`s, one concurrent `find_one` each rather than one `$in`:
    FerretDB 1.24 serves `_id` equality from an index but `$in` by scanning the collection
    (measured: 50 ids among 30,000 documents, 1.15 s by `$in`, 0.10 s this way). MongoDB serves
    both from its index; this costs it round trips in parallel, not scans."""
    gate = asyncio.Semaphore(_READ_CONCURRENCY)

    async def one(doc_id: Any) -> dict[str, Any] | None:
        async with gate:
            found: dict[str, Any] | None = await collection.find_one({"_id": doc_id}, projection)
            return found

    found = await asyncio.gather(*(one(doc_id) for doc_id in ids))
    return [doc for doc in found if doc is not None]
