"""Optional signed triggers (REWARDS_TRIGGER_HMAC_SECRET): every POST then carries a timestamp
and an HMAC-SHA256 of method, path, timestamp and body, so a leaked key alone cannot trigger, a
captured request cannot be replayed, and a changed body or month is refused.

    x-rewards-timestamp: 1767225900           (Unix seconds)
    x-rewards-signature: hex(HMAC-SHA256(secret, "POST\\n/api/...?query\\n1767225900\\n" + body))

Refused with 401: a missing or malformed header, a timestamp further than the window (5 minutes
by default) from the server's clock, a signature that does not match, or one already used within
the window (remembered by this process; see the README for several instances).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from typing import Any

from litestar import Request
from litestar.stores.memory import MemoryStore

from infrastructure.settings import Settings
from interfaces.http.auth import Unauthorized

TIMESTAMP_HEADER = "x-rewards-timestamp"
SIGNATURE_HEADER = "x-rewards-signature"
_SWEEP_EVERY = 256  # remembered signatures are dropped once expired, every this many


def signed_path(scope: Any) -> str:
    """The path as requested, with `?query` when there is one: the month may travel there."""
    path: str = scope["path"]
    query: bytes = scope.get("query_string", b"")
    return path + ("?" + query.decode("latin-1") if query else "")


def signature(secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    message = f"{method.upper()}\n{path}\n{timestamp}\n".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class UsedSignatures:
    """Signatures seen within the window: a second use is a replay."""

    def __init__(self, window_seconds: float) -> None:
        self._store = MemoryStore()
        self._lock = asyncio.Lock()  # the check and the record are one step
        self._expires_in = int(window_seconds * 2) + 1  # a timestamp may be early or late
        self._recorded = 0

    async def first_use(self, digest: str) -> bool:
        async with self._lock:
            if await self._store.exists(digest):
                return False
            await self._store.set(digest, b"", expires_in=self._expires_in)
            self._recorded += 1
            if self._recorded % _SWEEP_EVERY == 0:
                await self._store.delete_expired()
            return True


async def require_signature(connection: Request[Any, Any, Any]) -> None:
    """Refuses (401) a request to a signed route (`key_level(..., signed=True)`) without a
    valid, fresh signature; does nothing unless a secret is configured."""
    settings: Settings = connection.app.state.settings
    secret = settings.trigger_hmac_secret
    if secret is None:
        return
    stamp = connection.headers.get(TIMESTAMP_HEADER, "")
    given = connection.headers.get(SIGNATURE_HEADER, "").strip().lower()
    if not stamp or not given:
        raise Unauthorized(
            f"this service takes signed POSTs only: send {TIMESTAMP_HEADER} and "
            f"{SIGNATURE_HEADER} (see the README, 'Signed triggers')"
        )
    if not stamp.isdigit() or len(stamp) > 12:
        raise Unauthorized(f"{TIMESTAMP_HEADER} must be the current time in Unix seconds")
    window = settings.trigger_hmac_window_seconds
    if abs(time.time() - int(stamp)) > window:
        raise Unauthorized(
            f"{TIMESTAMP_HEADER} is more than {window:g} s away from the server's clock: "
            "sign each request when it is sent (is the sender's clock right?)"
        )
    body = await connection.body()
    expected = signature(secret, connection.method, signed_path(connection.scope), stamp, body)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized(
            f"{SIGNATURE_HEADER} does not match: sign method, path (with its query string), "
            "timestamp and body, each separated by a newline, with the shared secret"
        )
    used: UsedSignatures = connection.app.state.used_signatures
    if not await used.first_use(expected):
        raise Unauthorized(
            "this signature was already used: sign every request anew, with a fresh timestamp"
        )
