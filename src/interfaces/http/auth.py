"""API keys: read only from the `x-api-key` header (a query string ends up in access logs) and
compared in constant time against every configured key, so rotation can keep two. Scheduler keys
reach the trigger and the reads; admin keys reach everything."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable
from typing import Any, Literal, cast

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from infrastructure.settings import Settings

HEADER = "x-api-key"
KeyLevel = Literal["scheduler", "admin"]

log = logging.getLogger("rewards.http")


class Unauthorized(Exception):
    """Missing or wrong API key, or a signature that does not hold (401)."""


def key_matches(provided: str | None, keys: Iterable[str]) -> bool:
    if not provided:
        return False
    candidate = provided.encode()
    matched = False
    for key in keys:  # no early exit: the time taken does not say which key came close
        matched |= hmac.compare_digest(candidate, key.encode())
    return matched


def accepted_keys(settings: Settings, level: KeyLevel) -> tuple[str, ...]:
    """Admin keys may do whatever the scheduler's key may."""
    if level == "admin":
        return settings.admin_api_keys
    return (*settings.api_keys, *settings.admin_api_keys)


def key_level(level: KeyLevel) -> dict[str, KeyLevel]:
    """The `opt` of a route: which keys it takes (read by the failed-key rate limit too)."""
    return {"key": level}


# Where a request's verdict is kept: the failed-key rate limit asks before the guard does.
_VERDICT = "rewards.valid_key"


def has_valid_key(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether the route asks for no key, or the request carries one it takes; worked out once
    per request."""
    scope = cast(dict[str, Any], connection.scope)
    verdict: bool | None = scope.get(_VERDICT)
    if verdict is None:
        level: KeyLevel | None = connection.route_handler.opt.get("key")
        settings: Settings = connection.app.state.settings
        verdict = level is None or key_matches(
            connection.headers.get(HEADER), accepted_keys(settings, level)
        )
        scope[_VERDICT] = verdict
    return verdict


# Guards are coroutines: Litestar runs a plain-function guard in a worker thread, a thread hop
# per request that showed in the trigger's profile.


async def require_key(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of every keyed route; the route's `key_level` says which keys it takes."""
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
    if connection.route_handler.opt.get("key") == "admin":
        raise Unauthorized(f"this action needs an admin API key in the {HEADER} header")
    raise Unauthorized(f"a valid API key is required in the {HEADER} header")
