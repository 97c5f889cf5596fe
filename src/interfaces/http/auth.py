"""API keys: read only from the `x-api-key` header (a query string ends up in access logs) and
compared in constant time against every configured key, so rotation can keep two."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from infrastructure.settings import Settings
from interfaces.http.errors import Unauthorized

HEADER = "x-api-key"


def key_matches(provided: str | None, keys: Iterable[str]) -> bool:
    if not provided:
        return False
    candidate = provided.encode()
    matched = False
    for key in keys:  # no early exit: the time taken does not say which key came close
        matched |= hmac.compare_digest(candidate, key.encode())
    return matched


def _settings(connection: ASGIConnection[Any, Any, Any, Any]) -> Settings:
    settings: Settings = connection.app.state.settings
    return settings


# Guards are coroutines: Litestar runs a plain-function guard in a worker thread, a thread hop
# per request that showed in the trigger's profile.


async def require_api_key(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    settings = _settings(connection)
    # Admin keys may do whatever the scheduler's key may.
    if not key_matches(
        connection.headers.get(HEADER), (*settings.api_keys, *settings.admin_api_keys)
    ):
        raise Unauthorized(f"a valid API key is required in the {HEADER} header")


async def require_admin_key(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    if not key_matches(connection.headers.get(HEADER), _settings(connection).admin_api_keys):
        raise Unauthorized(f"an admin API key is required in the {HEADER} header")
