"""Jobs in `monthlyrewardjobs`; the unique (year, month) index is the month's lock."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from domain.errors import JobAlreadyExists
from domain.job import JobStatus, MonthlyRewardJob
from domain.period import Period
from infrastructure.mongo.documents import JobDocument, SnapshotDocument
from infrastructure.mongo.mappers import (
    job_fields,
    job_from_raw,
    job_to_raw,
    lease_to_doc,
    progress_to_doc,
    results_to_doc,
)

_NEWEST_FIRST = [("year", DESCENDING), ("month", DESCENDING)]


class MongoJobRepository(JobRepository):
    """Every write sets the platform's `updatedAt` from the clock. A completed job marks its
    month's snapshots `processed`, as the platform's own job did for the readers of its model."""

    def __init__(self, db: AsyncIOMotorDatabase[dict[str, Any]], clock: Clock) -> None:
        self._jobs = db[JobDocument.collection]
        self._snapshots = db[SnapshotDocument.collection]
        self._clock = clock

    def new_id(self) -> str:
        return str(ObjectId())

    async def create(self, job: MonthlyRewardJob) -> None:
        try:
            await self._jobs.insert_one(job_to_raw(job, self._clock.now()))
        except DuplicateKeyError as exc:
            raise JobAlreadyExists(f"a job for {job.period} exists already") from exc

    async def get(self, job_id: str) -> MonthlyRewardJob | None:
        if not ObjectId.is_valid(job_id):
            return None
        raw = await self._jobs.find_one({"_id": ObjectId(job_id)})
        return None if raw is None else job_from_raw(raw)

    async def find(self, period: Period) -> MonthlyRewardJob | None:
        raw = await self._jobs.find_one({"year": period.year, "month": period.month})
        return None if raw is None else job_from_raw(raw)

    async def recent(self, limit: int) -> list[MonthlyRewardJob]:
        cursor = self._jobs.find({}).sort(_NEWEST_FIRST).limit(limit)
        return [job_from_raw(raw) async for raw in cursor]

    async def processing(self) -> list[MonthlyRewardJob]:
        cursor = self._jobs.find({"status": JobStatus.PROCESSING.value})
        return [job_from_raw(raw) async for raw in cursor]

    async def save(self, job: MonthlyRewardJob) -> bool:
        saved = await self._fenced_set(job, job_fields(job))
        if saved and job.status is JobStatus.COMPLETED:
            await self._snapshots.update_many(
                {"year": job.period.year, "month": job.period.month, "processed": {"$ne": True}},
                {
                    "$set": {
                        "processed": True,
                        "processedAt": job.completed_at,
                        "updatedAt": self._clock.now(),
                    }
                },
            )
        return saved

    async def save_progress(self, job: MonthlyRewardJob) -> bool:
        return await self._fenced_set(
            job,
            {
                "progress": progress_to_doc(job.progress),
                "results": results_to_doc(job.results),
                "progressedAt": job.progressed_at,
            },
        )

    async def save_lease(self, job: MonthlyRewardJob) -> bool:
        return await self._fenced_set(job, {"lease": lease_to_doc(job.lease)})

    async def _fenced_set(self, job: MonthlyRewardJob, fields: dict[str, Any]) -> bool:
        # Atomic on MongoDB. On FerretDB an update can interleave with another, so the attempt
        # claims (insert-only) stay the arbiter: a superseded worker learns it at its next renewal.
        # `$not $gt` rather than `$lte`: a job the platform's own code created has no epoch yet.
        result = await self._jobs.update_one(
            {"_id": ObjectId(job.id), "attempts": {"$not": {"$gt": job.epoch}}},
            {"$set": {**fields, "attempts": job.epoch, "updatedAt": self._clock.now()}},
        )
        return result.matched_count == 1
