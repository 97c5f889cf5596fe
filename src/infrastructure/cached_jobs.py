"""A read-through cache of completed jobs in front of the job repository.

A completed month never changes again, and it is what the scheduler's repeated triggers and the
admins' status polls ask about most: answering those from memory keeps the duplicate fast path
free of database round trips (the trigger's p99 at 100 concurrent clients). Anything not
completed is read from the database, but requests that arrive while a read of their month is in
flight share it: while a month runs, 100 polling clients cost one read per round trip, not 100.
A write through this repository forgets the shared read, so a caller never reads back older than
its own write.
"""

from __future__ import annotations

import asyncio
import copy
from collections import OrderedDict
from collections.abc import Awaitable
from typing import TypeVar

from application.ports.job_repository import JobRepository
from domain.job import JobStatus, MonthlyRewardJob
from domain.period import Period

_MONTHS_KEPT = 64
T = TypeVar("T")


class CompletedJobCache(JobRepository):
    def __init__(self, inner: JobRepository, size: int = _MONTHS_KEPT) -> None:
        self._inner = inner
        self._size = size
        self._completed: OrderedDict[Period, MonthlyRewardJob] = OrderedDict()
        self._reading: dict[Period, asyncio.Future[MonthlyRewardJob | None]] = {}

    def _remember(self, job: MonthlyRewardJob | None) -> MonthlyRewardJob | None:
        if job is not None and job.status is JobStatus.COMPLETED:
            self._completed[job.period] = copy.deepcopy(job)
            self._completed.move_to_end(job.period)
            while len(self._completed) > self._size:
                self._completed.popitem(last=False)
        return job

    async def find(self, period: Period) -> MonthlyRewardJob | None:
        cached = self._completed.get(period)
        if cached is not None:
            # A shallow copy: a caller may set the job's own fields (status, lease...) as on a
            # job it read. The results and history inside are shared: no use case changes a
            # completed job's, and a deep copy was a quarter of the trigger's time in the profile.
            return copy.copy(cached)
        # Not completed: callers arriving while a read of the month is in flight share it (one
        # database read per wave of requests, not one per request, while a month runs); each
        # gets its own deep copy, since it may change the job it read.
        reading = self._reading.get(period)
        if reading is None:
            reading = asyncio.ensure_future(self._inner.find(period))
            self._reading[period] = reading
            reading.add_done_callback(lambda done: self._forget(period, done))
        found = self._remember(await asyncio.shield(reading))
        if found is not None and found.status is JobStatus.COMPLETED:
            return copy.copy(found)
        return copy.deepcopy(found)

    def _forget(self, period: Period, reading: asyncio.Future[MonthlyRewardJob | None]) -> None:
        if self._reading.get(period) is reading:
            del self._reading[period]

    async def _writing(self, period: Period, write: Awaitable[T]) -> T:
        """A read in flight may have begun before this write: later finds must not share it."""
        self._reading.pop(period, None)
        try:
            return await write
        finally:
            self._reading.pop(period, None)

    # Everything else goes straight through.

    def new_id(self) -> str:
        return self._inner.new_id()

    async def create(self, job: MonthlyRewardJob) -> None:
        await self._writing(job.period, self._inner.create(job))

    async def get(self, job_id: str) -> MonthlyRewardJob | None:
        return await self._inner.get(job_id)

    async def recent(self, limit: int) -> list[MonthlyRewardJob]:
        return await self._inner.recent(limit)

    async def processing(self) -> list[MonthlyRewardJob]:
        return await self._inner.processing()

    async def save(self, job: MonthlyRewardJob) -> bool:
        return await self._writing(job.period, self._inner.save(job))

    async def save_progress(self, job: MonthlyRewardJob) -> bool:
        return await self._writing(job.period, self._inner.save_progress(job))

    async def save_lease(self, job: MonthlyRewardJob) -> bool:
        return await self._writing(job.period, self._inner.save_lease(job))
