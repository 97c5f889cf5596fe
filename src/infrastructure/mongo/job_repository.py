"""Jobs in `monthlyrewardjobs`; the unique (year, month) index is the month's lock."""

from __future__ import annotations

from typing import Any

from beanie import PydanticObjectId, SortDirection
from bson import ObjectId
from bson.errors import InvalidId
from pymongo.errors import DuplicateKeyError

from application.ports.job_repository import JobRepository
from domain.errors import JobAlreadyExists
from domain.job import JobStatus, MonthlyRewardJob
from domain.period import Period
from infrastructure.mongo.documents import JobDocument
from infrastructure.mongo.mappers import (
    job_fields,
    job_from_document,
    job_to_document,
    lease_to_doc,
    progress_to_doc,
    results_to_doc,
)

_NEWEST_FIRST = [("year", SortDirection.DESCENDING), ("month", SortDirection.DESCENDING)]


class BeanieJobRepository(JobRepository):
    def new_id(self) -> str:
        return str(ObjectId())

    async def create(self, job: MonthlyRewardJob) -> None:
        try:
            await job_to_document(job).insert()
        except DuplicateKeyError as exc:
            raise JobAlreadyExists(f"a job for {job.period} exists already") from exc

    async def get(self, job_id: str) -> MonthlyRewardJob | None:
        try:
            oid = PydanticObjectId(job_id)
        except InvalidId:
            return None
        doc = await JobDocument.get(oid)
        return None if doc is None else job_from_document(doc)

    async def find(self, period: Period) -> MonthlyRewardJob | None:
        doc = await JobDocument.find_one({"year": period.year, "month": period.month})
        return None if doc is None else job_from_document(doc)

    async def recent(self, limit: int) -> list[MonthlyRewardJob]:
        docs = await JobDocument.find_all().sort(_NEWEST_FIRST).limit(limit).to_list()
        return [job_from_document(d) for d in docs]

    async def processing(self) -> list[MonthlyRewardJob]:
        docs = await JobDocument.find({"status": JobStatus.PROCESSING.value}).to_list()
        return [job_from_document(d) for d in docs]

    async def save(self, job: MonthlyRewardJob) -> bool:
        return await self._fenced_set(job, job_fields(job))

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
        result = await JobDocument.get_motor_collection().update_one(
            {"_id": ObjectId(job.id), "attempts": {"$lte": job.epoch}},
            {"$set": {**fields, "attempts": job.epoch}},
        )
        return result.matched_count == 1
