"""The stored shape of each of the service's collections, and the indexes that guard them.

Each model names its collection and declares its indexes; the adapters read cold-path documents
(jobs, snapshot headers, claims, records read back) through these models and are handed their
database by the container. Hot-path writes (entries, records, credits) are plain dicts built in
mappers.py with these same field names: validating a million models would dominate a month.

These are pydantic models rather than Beanie documents on purpose: a Beanie `Document` cannot be
constructed, or even validated, before `init_beanie` has bound its class to one database
(`CollectionWasNotInitialized`), so it cannot describe a collection for two databases in one
process, nor parse a document in a test that never initialised Beanie.

Field names are camelCase and the records follow the platform's Mongoose models
(`../shared/PLATFORM.md`): the platform reads and saves what we write. Fields the platform does
not know (`attempts`, `lease`, `paidByAttempt`, `status` of a snapshot...) are ours; its models
keep and ignore them. Migrations never import this module: each writes the indexes it creates
into itself (a migration is history, this is the present).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, Field
from pymongo import ASCENDING, IndexModel


class StoredDocument(BaseModel):
    """A document as read from its collection: unknown fields are kept, defaults fill what a
    document written by an older version (or by the platform itself) lacks."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True, populate_by_name=True)

    collection: ClassVar[str]
    indexes: ClassVar[tuple[IndexModel, ...]] = ()


class JobDocument(StoredDocument):
    """`monthlyrewardjobs`: the platform's MonthlyRewardJob, plus the lease and the attempts."""

    collection = "monthlyrewardjobs"
    # The lock: one job per month, enforced by the server on insert.
    indexes = (
        IndexModel(
            [("year", ASCENDING), ("month", ASCENDING)], unique=True, name="year_month_unique"
        ),
    )

    id: ObjectId = Field(alias="_id")
    month: int
    year: int
    status: str
    startedAt: datetime | None = None  # required of ours; the platform's may lack it
    completedAt: datetime | None = None
    duration: float | None = None
    results: dict[str, Any] = Field(default_factory=dict)
    progress: dict[str, Any] = Field(default_factory=dict)
    errorMessage: str | None = None
    errorStack: str | None = None
    attempts: int = 0  # the fencing epoch; 0: no attempt of ours has run (a platform job)
    lease: dict[str, Any] | None = None  # owner, expiresAt, heartbeatAt
    attemptHistory: list[dict[str, Any]] = Field(default_factory=list)
    progressedAt: datetime | None = None
    createdAt: datetime | None = None
    updatedAt: datetime | None = None


class JobAttemptDocument(StoredDocument):
    """`monthlyrewardjobattempts`: one claim per (job, attempt), `_id` '<jobId>:<attempt>'."""

    collection = "monthlyrewardjobattempts"

    id: str = Field(alias="_id")
    jobId: str
    attempt: int
    claimedAt: datetime
    claimedBy: str | None = None


class RankingHeadEntry(BaseModel):
    """One line of a snapshot's `rankings`: the platform's shape of a ranked user."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    userId: Any
    rank: int
    score: float
    userName: str | None = None
    userEmail: str | None = None
    role: str


class SnapshotDocument(StoredDocument):
    """`monthlyrankingsnapshots`: the platform's MonthlyRankingSnapshot. `rankings` holds the
    head of the ranking (every placed user); the full ranking is in the entries collection."""

    collection = "monthlyrankingsnapshots"
    indexes = (
        IndexModel(
            [("year", ASCENDING), ("month", ASCENDING), ("category", ASCENDING)],
            unique=True,
            name="year_month_category_unique",
        ),
    )

    id: ObjectId = Field(alias="_id")
    month: int
    year: int
    category: str
    rankings: list[RankingHeadEntry] = Field(default_factory=list)
    totalUsers: int = 0
    snapshotDate: datetime | None = None
    processed: bool = False
    processedAt: datetime | None = None
    status: str | None = None  # ours: building | frozen; None on the platform's own snapshots
    frozenAt: datetime | None = None
    createdAt: datetime | None = None
    updatedAt: datetime | None = None


class SnapshotEntryDocument(StoredDocument):
    """`monthlyrankingsnapshotentries`: one ranked user, `_id` '<snapshotId>:<rank, 9 digits>';
    apart from the snapshot so a million users never meet the 16 MB document limit."""

    collection = "monthlyrankingsnapshotentries"
    indexes = (
        IndexModel(
            [("snapshotId", ASCENDING), ("rank", ASCENDING)],
            unique=True,
            name="snapshot_rank_unique",
        ),
    )

    id: str = Field(alias="_id")
    snapshotId: str
    rank: int
    userId: Any
    name: str | None = None
    email: str | None = None
    score: float
    xp: float = 0
    createdAt: datetime | None = None


class RewardDocument(StoredDocument):
    """`monthlyrewards`: the platform's MonthlyReward. `_id` is derived from the reward's key
    (mappers.reward_id), so every write addresses one `_id` and a re-insert is a duplicate."""

    collection = "monthlyrewards"
    indexes = (
        IndexModel(
            [("userId", ASCENDING), ("year", ASCENDING), ("month", ASCENDING), ("category", 1)],
            unique=True,
            name="user_year_month_category_unique",
        ),
        IndexModel(
            [("year", ASCENDING), ("month", ASCENDING), ("category", 1), ("rank", 1)],
            name="period_rank",
        ),
    )

    id: ObjectId = Field(alias="_id")
    userId: Any
    month: int
    year: int
    category: str
    rank: int
    tier: str
    coinsAwarded: int
    xpAwarded: int = 0
    badgeAwarded: str
    snapshotId: ObjectId
    status: str
    errorMessage: str | None = None
    awardedAt: datetime | None = None
    paidByAttempt: int | None = None  # ours: the job attempt that credited the wallet
    createdAt: datetime | None = None
    updatedAt: datetime | None = None


ALL_DOCUMENTS: tuple[type[StoredDocument], ...] = (
    JobDocument,
    JobAttemptDocument,
    SnapshotDocument,
    SnapshotEntryDocument,
    RewardDocument,
)
