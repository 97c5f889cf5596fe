"""Attempt claims in `monthlyrewardjobattempts`, one insert-only document per (job, attempt)
with `_id` '<jobId>:<attempt>': unique by nature, so exactly one racing taker wins even where an
update of the job document could interleave with another (FerretDB)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from application.ports.attempt_claims import AttemptClaim, AttemptClaims
from infrastructure.mongo.documents import JobAttemptDocument
from infrastructure.mongo.mappers import aware


def _claim_id(job_id: str, attempt: int) -> str:
    return f"{job_id}:{attempt}"


class MongoAttemptClaims(AttemptClaims):
    def __init__(self, db: AsyncIOMotorDatabase[dict[str, Any]]) -> None:
        self._claims = db[JobAttemptDocument.collection]

    async def claim(self, job_id: str, attempt: int, owner: str, now: datetime) -> bool:
        try:
            await self._claims.insert_one(
                {
                    "_id": _claim_id(job_id, attempt),
                    "jobId": job_id,
                    "attempt": attempt,
                    "claimedAt": now,
                    "claimedBy": owner,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def newest(self, job_id: str) -> AttemptClaim | None:
        cursor = self._claims.find({"jobId": job_id}).sort([("attempt", DESCENDING)]).limit(1)
        newest = [JobAttemptDocument.model_validate(raw) async for raw in cursor]
        if not newest:
            return None
        claim = newest[0]
        return AttemptClaim(
            claim.attempt, claim.claimedBy, aware(claim.claimedAt) or claim.claimedAt
        )

    async def exists(self, job_id: str, attempt: int) -> bool:
        found = await self._claims.find_one({"_id": _claim_id(job_id, attempt)}, {"_id": 1})
        return found is not None
