"""API keys: read only from the `x-api-key` header (a query string ends up in access logs) and
compared in constant time against every configured key, so rotation can keep two. Scheduler keys
reach the trigger and the reads; admin keys reach everything."""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Iterable
from typing import Any, Literal, cast

from litestar.connection import ASGIConnection
from litestar.types import Scope

from infrastructure.settings import Settings

HEADER = "x-api-key"
KeyLevel = Literal["scheduler", "admin"]

log = logging.getLogger("rewards.http")


class Unauthorized(Exception):
    """Missing or wrong API key, or a signature that does not hold (401)."""


_HEADER_RAW = HEADER.encode()


def key_matches(provided: bytes | None, keys: Iterable[bytes]) -> bool:
    if not provided:
        return False
    matched = False
    for key in keys:  # no early exit: the time taken does not say which key came close
        matched |= hmac.compare_digest(provided, key)
    return matched


def accepted_keys(settings: Settings, level: KeyLevel) -> tuple[bytes, ...]:
    """Admin keys may do whatever the scheduler's key may."""
    return _encoded_keys(settings.api_keys, settings.admin_api_keys, level)


@functools.lru_cache(maxsize=16)
def _encoded_keys(
    scheduler: tuple[str, ...], admin: tuple[str, ...], level: KeyLevel
) -> tuple[bytes, ...]:
    return tuple(key.encode() for key in (admin if level == "admin" else (*scheduler, *admin)))


def _raw_key(scope: dict[str, Any]) -> bytes | None:
    """The first `x-api-key` header as sent: no header object built for one lookup (that, and
    encoding the keys anew, were half of this check's cost on every request)."""
    for name, value in scope["headers"]:
        if name == _HEADER_RAW:
            return bytes(value)
    return None


# A route's `opt` keys: which keys it takes, and whether its POSTs must be signed (signing.py).
KEY = "key"
SIGNED = "signed"


def key_level(level: KeyLevel, signed: bool = False) -> dict[str, Any]:
    """The `opt` of a route that takes a key: the key check (key_check.py) refuses a request
    without one, and the failed-key rate limit counts it. `signed`: when a signing secret is
    set, the route also needs a signature (the scheduler's POSTs; not the admin page's forms)."""
    return {KEY: level, SIGNED: signed}


# Where a request's verdict is kept: the failed-key rate limit asks before the key check does.
_VERDICT = "rewards.valid_key"


def has_valid_key(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return scope_has_valid_key(connection.scope)


def scope_has_valid_key(asgi_scope: Scope) -> bool:
    """Whether the route asks for no key, or the request carries one it takes; worked out once
    per request, from the scope alone (no connection object needed to let a request in)."""
    scope = cast(dict[str, Any], asgi_scope)
    verdict: bool | None = scope.get(_VERDICT)
    if verdict is None:
        level: KeyLevel | None = scope["route_handler"].opt.get(KEY)
        settings: Settings = scope["app"].state.settings
        verdict = level is None or key_matches(_raw_key(scope), accepted_keys(settings, level))
        scope[_VERDICT] = verdict
    return verdict


def require_key(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Refuses (401) a request the route's `key_level` does not let in."""
    if has_valid_key(connection):
        return
    client = connection.client.host if connection.client else "unknown"
    # Never the key itself: only that one was refused, where, and from whom.
    log.warning(
        "refused %s %s from %s: %s",
        connection.scope.get("method"),
        connection.url.path,
        client,
        "no key" if not connection.headers.get(HEADER) else "a key it does not take",
    )
    if connection.route_handler.opt.get(KEY) == "admin":
        raise Unauthorized(f"this action needs an admin API key in the {HEADER} header")
    raise Unauthorized(f"a valid API key is required in the {HEADER} header")
