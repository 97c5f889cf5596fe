"""The unique indexes that make the job lock, the frozen snapshot and exactly-once rewards hold.

Frozen history: the index definitions are written here, not read from the live documents, so
a later change of a document class cannot change what this migration did.
"""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo import ASCENDING, IndexModel

VERSION = 1
DESCRIPTION = (
    "unique indexes: job (year, month), snapshot (year, month, category), "
    "entry (snapshot, rank), reward (user, year, month, category)"
)

INDEXES: dict[str, list[IndexModel]] = {
    "monthlyrewardjobs": [
        IndexModel(
            [("year", ASCENDING), ("month", ASCENDING)], unique=True, name="year_month_unique"
        )
    ],
    "monthlyrankingsnapshots": [
        IndexModel(
            [("year", ASCENDING), ("month", ASCENDING), ("category", ASCENDING)],
            unique=True,
            name="year_month_category_unique",
        )
    ],
    "monthlyrankingsnapshotentries": [
        IndexModel(
            [("snapshotId", ASCENDING), ("rank", ASCENDING)],
            unique=True,
            name="snapshot_rank_unique",
        )
    ],
    "monthlyrewards": [
        IndexModel(
            [
                ("userId", ASCENDING),
                ("year", ASCENDING),
                ("month", ASCENDING),
                ("category", ASCENDING),
            ],
            unique=True,
            name="user_year_month_category_unique",
        ),
        IndexModel(
            [
                ("year", ASCENDING),
                ("month", ASCENDING),
                ("category", ASCENDING),
                ("rank", ASCENDING),
            ],
            name="period_rank",
        ),
    ],
}


async def up(db: AsyncIOMotorDatabase[dict[str, Any]]) -> None:
    # One createIndexes call per index: FerretDB 1.24 panics on a call naming two or more indexes
    # that already exist (two instances migrating at once). Creating an index that exists is a
    # no-op on MongoDB, so re-running this is harmless.
    for collection, indexes in INDEXES.items():
        for index in indexes:
            await db[collection].create_indexes([index])
