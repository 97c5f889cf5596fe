"""The unique indexes that make the job lock, the frozen snapshot and exactly-once rewards hold.

Frozen history: the index definitions are written here, not read from the live documents, so
a later change of a document class cannot change what this migration did.
"""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection, AsyncIOMotorDatabase

from migrations.indexes import ensure_index

VERSION = 1
DESCRIPTION = (
    "unique indexes: job (year, month), snapshot (year, month, category), "
    "entry (snapshot, rank), reward (user, year, month, category)"
)

# (collection, index name, keys, unique), as they were when this migration was written.
INDEXES: tuple[tuple[str, str, tuple[tuple[str, int], ...], bool], ...] = (
    ("monthlyrewardjobs", "year_month_unique", (("year", 1), ("month", 1)), True),
    (
        "monthlyrankingsnapshots",
        "year_month_category_unique",
        (("year", 1), ("month", 1), ("category", 1)),
        True,
    ),
    (
        "monthlyrankingsnapshotentries",
        "snapshot_rank_unique",
        (("snapshotId", 1), ("rank", 1)),
        True,
    ),
    (
        "monthlyrewards",
        "user_year_month_category_unique",
        (("userId", 1), ("year", 1), ("month", 1), ("category", 1)),
        True,
    ),
    (
        "monthlyrewards",
        "period_rank",
        (("year", 1), ("month", 1), ("category", 1), ("rank", 1)),
        False,
    ),
)


async def up(
    db: AsyncIOMotorDatabase[dict[str, Any]], users: AsyncIOMotorCollection[dict[str, Any]]
) -> None:
    # Creating an index that exists is a no-op, so re-running this is harmless.
    for collection, name, keys, unique in INDEXES:
        await ensure_index(db[collection], keys, name=name, unique=unique)
