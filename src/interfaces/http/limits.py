"""Per-client rate limits, with Litestar's own RateLimitMiddleware (a fixed window per client
address, kept in the app's memory store): POSTs, and requests with a missing or wrong key.

A client is its address as uvicorn sees it; behind a proxy uvicorn takes it from
X-Forwarded-For only when the proxy's address is in FORWARDED_ALLOW_IPS (uvicorn's setting).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig

from infrastructure.settings import Settings
from interfaces.http.auth import has_valid_key

REQUEST_BODY_LIMIT = 4096  # bytes; the largest valid body is about 30


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


# Coroutines: Litestar runs a plain-function throttle check in a worker thread, a thread
# hop on every request.


async def _is_post(request: Request[Any, Any, Any]) -> bool:
    return request.method == "POST"


async def _lacks_valid_key(request: Request[Any, Any, Any]) -> bool:
    """Only failures count: a scheduler with the right key is never slowed by an attacker's
    guesses from another address, nor by its own successful calls."""
    return not has_valid_key(request)


def rate_limits(settings: Settings) -> list[DefineMiddleware]:
    """The limits that are on (a setting of 0 turns one off), failed keys checked first."""
    limits: list[DefineMiddleware] = []
    if settings.rate_limit_auth_failures:
        limits.append(
            RateLimitConfig(
                rate_limit=("minute", settings.rate_limit_auth_failures),
                check_throttle_handler=_lacks_valid_key,
                identifier_for_request=lambda r: f"failed-key:{_client(r)}",
            ).middleware
        )
    if settings.rate_limit_posts:
        limits.append(
            RateLimitConfig(
                rate_limit=("minute", settings.rate_limit_posts),
                check_throttle_handler=_is_post,
                identifier_for_request=lambda r: f"post:{_client(r)}",
            ).middleware
        )
    return limits
