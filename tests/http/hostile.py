"""What the hostile-request tests share: a fingerprint of the whole database, and the checks
every refused answer must pass (the envelope, a message naming the problem, nothing leaked)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import bson
from tests.backends import ADMIN_KEY, SCHEDULER_KEY
from tests.http.conftest import NEXT_KEY

# What must never appear in an answer: stack traces, file paths, exception classes, the
# database's or the framework's names, and the keys themselves.
_LEAKS = re.compile(
    r"Traceback|File \"|\.py\b|site-packages|/work/|/usr/|"
    r"\b[A-Z][A-Za-z]+(?:Error|Exception)\b|pymongo|mongomock|motor|litestar|msgspec|"
    r"errorStack|" + "|".join(map(re.escape, (SCHEDULER_KEY, ADMIN_KEY, NEXT_KEY))),
)


async def database_fingerprint(db: Any) -> dict[str, str]:
    """sha256 of every collection's documents in _id order, as BSON: byte-for-byte."""
    prints = {}
    for name in sorted(await db.list_collection_names()):
        digest = hashlib.sha256()
        async for doc in db[name].find({}).sort("_id", 1):
            digest.update(bson.encode(doc))
        prints[name] = digest.hexdigest()
    return prints


def leaks(text: str) -> list[str]:
    return [m.group(0) for m in _LEAKS.finditer(text)]


def assert_refused(body: Any, fragment: str) -> None:
    """The envelope with success false, a message holding `fragment`, and no leak."""
    assert isinstance(body, dict) and set(body) == {"success", "message", "data"}, body
    assert body["success"] is False
    assert isinstance(body["message"], str) and body["message"], body
    assert fragment.lower() in body["message"].lower(), body["message"]
    found = leaks(str(body))
    assert not found, f"answer leaks {found}: {body}"
