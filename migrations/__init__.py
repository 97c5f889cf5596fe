"""Versioned index and schema migrations for the service's own collections.

Each module `mNNNN_<name>.py` defines `VERSION`, `DESCRIPTION` and `async def up(db)`; the runner
applies them in order and records each in `schema_migrations`. Migrations must be idempotent:
two instances starting together may both run one before either records it.
"""
