"""Jobs in `monthlyrewardjobs`; the unique (year, month) index is the month's lock, and the
insert-only `monthlyrewardjobattempts` decides who owns each attempt (the fencing epoch)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from beanie import PydanticObjectId, SortDirection
from bson import ObjectId
from bson.errors import InvalidId
from pymongo.errors import DuplicateKeyError

from application.ports.job_repository import AttemptClaim, JobRepository
from application.records import lease_to_dict, progress_to_dict, results_to_dict
from domain.errors import JobAlreadyExists
from domain.job import JobStatus, MonthlyRewardJob
from domain.period import Period
from infrastructure.mongo.documents import JobAttemptDocument, JobDocument
from infrastructure.mongo.mappers import aware, job_fields, job_from_document, job_to_document

_NEWEST_FIRST = [("year", SortDirection.DESCENDING), ("month", SortDirection.DESCENDING)]


def _claim_id(job_id: str, attempt: int) -> str:
    return f"{job_id}:{attempt}"


class BeanieJobRepository(JobRepository):
    def new_id(self) -> str:
        return str(ObjectId())

    async def create(self, job: MonthlyRewardJob) -> None:
        try:
            await job_to_document(job).insert()
        except DuplicateKeyError as exc:
            raise JobAlreadyExists(f"a job for {job.period} exists already") from exc

    async def claim_attempt(self, job_id: str, attempt: int, owner: str, now: datetime) -> bool:
        claim = JobAttemptDocument(
            id=_claim_id(job_id, attempt),
            jobId=job_id,
            attempt=attempt,
            claimedAt=now,
            claimedBy=owner,
        )
        try:
            await claim.insert()
        except DuplicateKeyError:
            return False
        return True

    async def newest_claim(self, job_id: str) -> AttemptClaim | None:
        newest = (
            await JobAttemptDocument.find({"jobId": job_id})
            .sort([("attempt", SortDirection.DESCENDING)])
            .limit(1)
            .to_list()
        )
        if not newest:
            return None
        claim = newest[0]
        return AttemptClaim(
            claim.attempt, claim.claimedBy, aware(claim.claimedAt) or claim.claimedAt
        )

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

    async def latest(self) -> MonthlyRewardJob | None:
        jobs = await self.recent(1)
        return jobs[0] if jobs else None

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
                "progress": progress_to_dict(job.progress),
                "results": results_to_dict(job.results),
                "progressedAt": job.progressed_at,
            },
        )

    async def renew_lease(self, job: MonthlyRewardJob) -> bool:
        successor = await JobAttemptDocument.get_motor_collection().find_one(
            {"_id": _claim_id(job.id, job.attempts + 1)}, {"_id": 1}
        )
        if successor is not None:
            return False
        return await self._fenced_set(job, {"lease": lease_to_dict(job.lease)})

    async def _fenced_set(self, job: MonthlyRewardJob, fields: dict[str, Any]) -> bool:
        # Atomic on MongoDB. On FerretDB an update can interleave with another, so the attempt
        # claims (insert-only) stay the arbiter: a superseded worker learns it at its next renewal.
        result = await JobDocument.get_motor_collection().update_one(
            {"_id": ObjectId(job.id), "attempts": {"$lte": job.attempts}},
            {"$set": {**fields, "attempts": job.attempts}},
        )
        return result.matched_count == 1
