"""Jobs in `monthlyrewardjobs`; the unique (year, month) index is the month's lock."""

from __future__ import annotations

from datetime import datetime

from beanie import PydanticObjectId, SortDirection
from bson import ObjectId
from bson.errors import InvalidId
from pymongo.errors import DuplicateKeyError

from application.ports.job_repository import JobRepository
from application.records import progress_to_dict
from domain.errors import JobAlreadyExists
from domain.job import MonthlyRewardJob
from domain.period import Period
from infrastructure.mongo.documents import JobAttemptDocument, JobDocument
from infrastructure.mongo.mappers import job_fields, job_from_document, job_to_document

_NEWEST_FIRST = [("year", SortDirection.DESCENDING), ("month", SortDirection.DESCENDING)]


class BeanieJobRepository(JobRepository):
    def new_id(self) -> str:
        return str(ObjectId())

    async def create(self, job: MonthlyRewardJob) -> None:
        try:
            await job_to_document(job).insert()
        except DuplicateKeyError as exc:
            raise JobAlreadyExists(f"a job for {job.period} exists already") from exc

    async def claim_attempt(self, job_id: str, attempt: int, now: datetime) -> bool:
        claim = JobAttemptDocument(
            id=f"{job_id}:{attempt}", jobId=job_id, attempt=attempt, claimedAt=now
        )
        try:
            await claim.insert()
        except DuplicateKeyError:
            return False
        return True

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

    async def save(self, job: MonthlyRewardJob) -> None:
        await JobDocument.get_motor_collection().update_one(
            {"_id": ObjectId(job.id)}, {"$set": job_fields(job)}
        )

    async def save_progress(self, job: MonthlyRewardJob) -> None:
        await JobDocument.get_motor_collection().update_one(
            {"_id": ObjectId(job.id)}, {"$set": {"progress": progress_to_dict(job.progress)}}
        )
