"""A read-through cache in front of the job repository: completed months, and the month this
process is paying.

A completed month never changes again, and it is what the scheduler's repeated triggers and the
admins' status polls ask about most: answering those from memory keeps the duplicate fast path
free of database round trips (the trigger's p99 at 100 concurrent clients).

A running month is the other hot read: while it runs, every poll asks for it. When this process
holds the month's lease, the job as stored is the job as this process last wrote it: a fenced
write lands only for the newest attempt, and another worker may take over only once the lease
has expired. So until the lease this process wrote expires, `find` answers from those writes,
field by field as they were stored (a lease renewal replaces only the lease). A write refused by
the fence forgets the month at once; during a database outage the month is still answered, as
last written, until that lease expires. Otherwise the month is read from the database, and
requests that arrive while a read is in flight share it.

One gap is known: a worker that learns from the attempt claims (lease.py), not from a refused
write, that a newer attempt took over keeps answering as it last wrote until its lease expires
(a renewal of it can land just before the takeover's own write). Nothing is paid on that answer:
the claims fence every credit.
"""

from __future__ import annotations

import asyncio
import copy
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace

from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from domain.job import JobStatus, MonthlyRewardJob
from domain.period import Period

_MONTHS_KEPT = 64


class CachedJobs(JobRepository):
    def __init__(self, inner: JobRepository, clock: Clock, size: int = _MONTHS_KEPT) -> None:
        self._inner = inner
        self._clock = clock
        self._size = size
        self._completed: OrderedDict[Period, MonthlyRewardJob] = OrderedDict()
        # The months this process holds the lease of, as it wrote them.
        self._written: dict[Period, MonthlyRewardJob] = {}
        self._reading: dict[Period, asyncio.Future[MonthlyRewardJob | None]] = {}

    def _remember(self, job: MonthlyRewardJob | None) -> MonthlyRewardJob | None:
        """A completed job is kept, as a copy of its own, and that copy is returned; any other
        job is returned as it is."""
        if job is None or job.status is not JobStatus.COMPLETED:
            return job
        held = self._completed.get(job.period)
        if held is None or (held.id, held.epoch) != (job.id, job.epoch):
            held = self._completed[job.period] = _detached(job)
        self._completed.move_to_end(job.period)
        while len(self._completed) > self._size:
            self._completed.popitem(last=False)
        return held

    async def find(self, period: Period) -> MonthlyRewardJob | None:
        held = await self.find_to_read(period)
        if held is None:
            return None
        if held.status is JobStatus.COMPLETED:
            # A shallow copy: a caller may set the job's own fields (status, lease...) as on a
            # job it read. The results and history inside are shared: no use case changes a
            # completed job's, and a deep copy was a quarter of the trigger's time in the profile.
            return copy.copy(held)
        return _detached(held)  # each caller may change the job it read

    async def find_to_read(self, period: Period) -> MonthlyRewardJob | None:
        """The job as held, the same object for every reader: what is held is never changed in
        place (a write replaces it), so the status and the trigger's duplicate answer read a
        running month without the copy each `find` makes (an eighth of their CPU)."""
        cached = self._completed.get(period)
        if cached is not None:
            return cached
        written = self._written.get(period)
        if written is not None and not written.lease_expired(self._clock.now()):
            return written
        # Neither: callers arriving while a read of the month is in flight share it (one
        # database read per wave of requests, not one per request, while a month runs).
        reading = self._reading.get(period)
        if reading is None:
            reading = asyncio.ensure_future(self._inner.find(period))
            self._reading[period] = reading
            reading.add_done_callback(lambda done: self._forget(period, done))
        return self._remember(await asyncio.shield(reading))

    def _forget(self, period: Period, reading: asyncio.Future[MonthlyRewardJob | None]) -> None:
        if self._reading.get(period) is reading:
            del self._reading[period]

    async def _writing(
        self,
        job: MonthlyRewardJob,
        write: Awaitable[bool],
        part: Callable[[MonthlyRewardJob, MonthlyRewardJob], MonthlyRewardJob] | None = None,
    ) -> bool:
        """A read in flight may have begun before this write: later finds must not share it.

        What a write sends is copied before it is sent (the worker and its heartbeat share the
        job, which may change while the write is in flight). A write that lands updates the
        month as held: a whole write (`part` None) replaces it, a partial one replaces it with
        a copy that has the write's fields (never in place: readers may hold the one before).
        One the fence refuses forgets the month. One that raises (the database away) may or may
        not have landed: what is held stays as it was, at most that write behind the database,
        so a lease it shows as live is live there too."""
        period = job.period
        as_written = _detached(job)
        self._reading.pop(period, None)
        try:
            landed = await write
        finally:
            self._reading.pop(period, None)
        held = self._written.get(period)
        if not landed:
            self._written.pop(period, None)
        elif part is None:
            self._remember(as_written)  # if completed: it never changes again
            if as_written.status is JobStatus.PROCESSING:
                self._written[period] = as_written
            else:
                self._written.pop(period, None)
        elif held is not None and (held.id, held.epoch) == (as_written.id, as_written.epoch):
            self._written[period] = part(held, as_written)
        else:  # part of a job this process did not write whole: the database has the rest
            self._written.pop(period, None)
        return landed

    # Everything else goes straight through.

    def new_id(self) -> str:
        return self._inner.new_id()

    async def create(self, job: MonthlyRewardJob) -> None:
        async def insert() -> bool:
            await self._inner.create(job)
            return True

        await self._writing(job, insert())

    async def get(self, job_id: str) -> MonthlyRewardJob | None:
        return await self._inner.get(job_id)

    async def recent(self, limit: int) -> list[MonthlyRewardJob]:
        return await self._inner.recent(limit)

    async def processing(self) -> list[MonthlyRewardJob]:
        return await self._inner.processing()

    async def save(self, job: MonthlyRewardJob) -> bool:
        return await self._writing(job, self._inner.save(job))

    async def save_progress(self, job: MonthlyRewardJob) -> bool:
        return await self._writing(job, self._inner.save_progress(job), _progress)

    async def save_lease(self, job: MonthlyRewardJob) -> bool:
        return await self._writing(job, self._inner.save_lease(job), _lease)


# What each partial write stores: the job as held, with those fields as the job was sent.


def _progress(held: MonthlyRewardJob, sent: MonthlyRewardJob) -> MonthlyRewardJob:
    return replace(
        held, progress=sent.progress, results=sent.results, progressed_at=sent.progressed_at
    )


def _lease(held: MonthlyRewardJob, sent: MonthlyRewardJob) -> MonthlyRewardJob:
    return replace(held, lease=sent.lease)


def _detached(job: MonthlyRewardJob) -> MonthlyRewardJob:
    """A copy of the job that shares nothing a caller may change, as `copy.deepcopy` makes,
    built field by field: deepcopy was 40 % of the CPU of a running month's status answer when
    every reader copied (readers now share the job as held: `find_to_read`).
    Datetimes, enums, the period and recorded errors are immutable and stay shared. `replace`
    carries every other field over, so a field added later is kept (shared: copy it here if it
    is mutable; tests/unit/test_cached_job_copies.py walks for shared ones)."""
    results, progress = job.results, job.progress
    return replace(
        job,
        results=replace(
            results,
            categories={
                name: replace(c, tiers={t: replace(v) for t, v in c.tiers.items()})
                for name, c in results.categories.items()
            },
            errors=list(results.errors),
        ),
        progress=replace(
            progress, categories={name: replace(p) for name, p in progress.categories.items()}
        ),
        lease=None if job.lease is None else replace(job.lease),
        history=[replace(a) for a in job.history],
    )
