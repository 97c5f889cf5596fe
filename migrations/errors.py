"""The one error a migration raises on purpose: the database cannot be migrated as it is."""

from __future__ import annotations


class IncompatibleDatabase(Exception):
    """The database holds data this service cannot work with or convert; the message names
    the collection, the documents and the conflict, and says what was left unchanged."""
