"""Beanie documents: the stored shape of each record, and the unique indexes that guard them.

Field names are camelCase because the collections are shared with the main (Node) application.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymongo
from beanie import Document
from pydantic import Field
from pymongo import IndexModel


class JobDocument(Document):
    month: int
    year: int
    status: str
    startedAt: datetime
    completedAt: datetime | None = None
    duration: float | None = None
    results: dict[str, Any] = Field(default_factory=dict)
    progress: dict[str, Any] = Field(default_factory=dict)
    errorMessage: str | None = None
    errorStack: str | None = None
    attempts: int = 1  # the fencing epoch: writes of an older attempt are refused
    lease: dict[str, Any] | None = None  # owner, expiresAt, heartbeatAt
    attemptHistory: list[dict[str, Any]] = Field(default_factory=list)
    progressedAt: datetime | None = None

    class Settings:
        name = "monthlyrewardjobs"
        # The lock: one job per month, enforced by the server on insert.
        indexes = [
            IndexModel(
                [("year", pymongo.ASCENDING), ("month", pymongo.ASCENDING)],
                unique=True,
                name="year_month_unique",
            )
        ]


class JobAttemptDocument(Document):
    """One claim per (job, attempt number); `_id` is '<jobId>:<attempt>', unique by nature.
    Insert-only, so it is the truth about who may work on a job even where an update of the job
    document could interleave with another (FerretDB)."""

    id: str  # type: ignore[assignment]
    jobId: str
    attempt: int
    claimedAt: datetime
    claimedBy: str | None = None

    class Settings:
        name = "monthlyrewardjobattempts"


class SnapshotDocument(Document):
    month: int
    year: int
    category: str
    status: str
    totalParticipants: int = 0
    createdAt: datetime
    frozenAt: datetime | None = None

    class Settings:
        name = "monthlyrankingsnapshots"
        indexes = [
            IndexModel(
                [("year", pymongo.ASCENDING), ("month", pymongo.ASCENDING), ("category", 1)],
                unique=True,
                name="year_month_category_unique",
            )
        ]


class SnapshotEntryDocument(Document):
    """One ranked user; entries live apart from their snapshot so a million fit (16 MB limit)."""

    snapshotId: str
    rank: int
    userId: Any
    name: str | None = None
    email: str | None = None
    score: float
    xp: float
    createdAt: datetime | None = None

    class Settings:
        name = "monthlyrankingsnapshotentries"
        indexes = [
            IndexModel(
                [("snapshotId", pymongo.ASCENDING), ("rank", pymongo.ASCENDING)],
                unique=True,
                name="snapshot_rank_unique",
            )
        ]


class RewardDocument(Document):
    """`_id` is the reward key '<yyyy-mm>:<category>:<userId>' so hot-path writes address by _id."""

    id: str  # type: ignore[assignment]
    userId: Any
    month: int
    year: int
    category: str
    rank: int
    tier: str
    coins: int
    badge: dict[str, Any]
    snapshotId: str
    status: str
    createdAt: datetime
    awardedAt: datetime | None = None
    failureReason: str | None = None
    paidByAttempt: int | None = None

    class Settings:
        name = "monthlyrewards"
        indexes = [
            IndexModel(
                [("userId", 1), ("year", 1), ("month", 1), ("category", 1)],
                unique=True,
                name="user_year_month_category_unique",
            ),
            IndexModel(
                [("year", 1), ("month", 1), ("category", 1), ("rank", 1)], name="period_rank"
            ),
        ]


ALL_DOCUMENTS: list[type[Document]] = [
    JobDocument,
    JobAttemptDocument,
    SnapshotDocument,
    SnapshotEntryDocument,
    RewardDocument,
]
