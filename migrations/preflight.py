"""Checks made before any migration, at every start-up: a database this service cannot share
stops it here, with the conflict named and nothing changed."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase

from migrations.errors import IncompatibleDatabase

JOBS = "monthlyrewardjobs"
_SHOWN = 3


async def check_compatible(db: AsyncIOMotorDatabase[dict[str, Any]]) -> None:
    """The platform's later design keeps one job per month *and category* (a `category` field,
    several documents per month). This service keeps one job per month, locked by a unique
    (year, month) index: it would read such a job as the whole month's, and the lock's index
    cannot be built over them."""
    per_month: dict[tuple[Any, Any], list[Any]] = defaultdict(list)
    async for doc in db[JOBS].find({}, {"year": 1, "month": 1, "category": 1}):
        per_month[(doc.get("year"), doc.get("month"))].append(doc.get("category"))
    conflicts = {
        month: [str(c) if c is not None else "(none)" for c in categories]
        for month, categories in per_month.items()
        if len(categories) > 1 or categories != [None]
    }
    if not conflicts:
        return
    examples = "; ".join(
        f"{month}/{year}: {len(categories)} job(s) for categories {', '.join(sorted(categories))}"
        for (year, month), categories in sorted(conflicts.items(), key=str)[:_SHOWN]
    )
    raise IncompatibleDatabase(
        f"{JOBS} holds jobs per month and category (the platform's later design) for "
        f"{len(conflicts)} month(s) ({examples}). This service keeps one job per month, locked "
        f"by a unique (year, month) index, and cannot share {JOBS} with that design. Nothing "
        "was changed. Point REWARDS_MONGODB_URL/REWARDS_MONGODB_DB at a database without "
        "per-category jobs, or retire the platform's per-category job data first."
    )
