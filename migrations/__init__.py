"""Versioned index and schema migrations for the service's own collections.

Each module `mNNNN_<name>.py` defines `VERSION`, `DESCRIPTION` and `async def up(db, users)`
(`users`: the main application's users collection), and may define `async def check(db, users)`
that refuses, changing nothing, a database it cannot migrate; the runner runs every pending
migration's check, then applies them in order and records each in `schema_migrations`. Migrations must be idempotent: two instances starting
together may both run one before either records it.

A migration is history: it writes out the index definitions and field names it works with,
and imports nothing of the service (no documents, no domain), so that changing today's code
never changes what an old migration did. `preflight.py` runs before every migration run and
stops, changing nothing, on a database this service cannot share.
"""
