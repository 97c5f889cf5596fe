"""Bulk writes in chunks, several chunks in flight, and reads by many `_id`s.

FerretDB 1.24 keeps every matched statement's cursor of an `update` command open until the command
ends, each on a pooled backend connection; when the statements in flight outnumber the pool, no
command can finish and none ever answers (measured here: SQLite's pool of 100 answers a bulk of 99
and hangs on 100; PostgreSQL's stock pool of 50 likewise at 50). So the statements per command
(`chunk`) and the commands in flight (`concurrency`) come from the server's profile
(infrastructure/mongo/server_profile.py): chunk x concurrency stays under FerretDB's pool. MongoDB
has no such limit.

Every helper here returns only when each write it started has been answered: a caller that
checkpoints after it never records a write that was not acknowledged. A month's writes await
their `turn` before each command (application/foreground.py: they yield to a flood of requests).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from motor.motor_asyncio import AsyncIOMotorCollection
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from application.concurrency import bounded
from application.foreground import Turn, no_wait

DEFAULT_UPDATE_CHUNK = 50
# Concurrent single-document reads: well under PyMongo's default pool of 100 connections.
_READ_CONCURRENCY = 32

Item = TypeVar("Item")
Collection = AsyncIOMotorCollection[dict[str, Any]]


def chunked(items: Sequence[Item], size: int) -> list[Sequence[Item]]:
    """`items` in consecutive slices of `size` (the last may be shorter); the one splitting rule
    of this module, so a caller can pair each chunk with the count a bulk returned for it."""
    if size < 1:
        raise ValueError("a chunk holds at least one item")
    return [items[start : start + size] for start in range(0, len(items), size)]


async def bulk_update(
    collection: Collection,
    operations: Sequence[UpdateOne],
    *,
    ordered: bool,
    chunk: int = DEFAULT_UPDATE_CHUNK,
    concurrency: int = 1,
    gate: asyncio.Semaphore | None = None,
    turn: Turn = no_wait,
) -> list[int]:
    """Applies the updates in `chunked(operations, chunk)` commands, up to `concurrency` in flight
    (one at a time when `ordered`: order across chunks needs them in sequence); returns how many
    documents matched in each chunk, in chunk order. `gate` bounds the commands in flight of
    calls running side by side, the call that came first served first (see `bounded`)."""
    parts = chunked(operations, chunk)

    def send(part: Sequence[UpdateOne]) -> Callable[[], Awaitable[int]]:
        async def call() -> int:
            await turn()
            result = await collection.bulk_write(list(part), ordered=ordered)
            return int(result.matched_count)

        return call

    return await bounded([send(part) for part in parts], 1 if ordered else concurrency, gate)


async def insert_chunked(
    collection: Collection,
    documents: Sequence[dict[str, Any]],
    *,
    chunk: int | None = None,
    concurrency: int = 1,
) -> None:
    """`insert_many(ordered=False)` in chunks of `chunk` documents (None: one command), up to
    `concurrency` in flight. Write errors of every chunk are gathered into one BulkWriteError whose
    `index`es count from the start of `documents`, as a single `insert_many` would report them;
    any other error is raised as it is."""
    size = chunk or max(1, len(documents))
    starts = range(0, len(documents), size)
    errors: list[dict[str, Any]] = []
    inserted = 0

    def send(start: int) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            nonlocal inserted
            part = documents[start : start + size]
            try:
                await collection.insert_many(part, ordered=False)
                inserted += len(part)
            except BulkWriteError as exc:
                found = exc.details.get("writeErrors", [])
                errors.extend({**error, "index": error["index"] + start} for error in found)
                inserted += int(exc.details.get("nInserted", len(part) - len(found)))

        return call

    await bounded([send(start) for start in starts], concurrency)
    if errors:
        errors.sort(key=lambda error: int(error["index"]))
        raise BulkWriteError(
            {"writeErrors": errors, "nInserted": inserted, "writeConcernErrors": []}
        )


async def find_by_ids(
    collection: Collection,
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
