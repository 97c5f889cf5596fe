"""What `rewards serve` checks and hands uvicorn: the keys it refuses to start without, and the
connection limits that keep slow or many clients from holding the server."""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

from infrastructure.settings import Settings, SettingsError
from interfaces.http.capped_parser import MAX_HEADER_BYTES, CappedHttpToolsProtocol

MIN_KEY_LENGTH = 16
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")
_MAKE_ONE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


@dataclass(frozen=True)
class ServeSetup:
    settings: Settings  # with a generated key on the embedded default when none was given
    uvicorn_options: dict[str, Any]
    notice: str | None  # printed once at start-up: the generated key


def prepare_serve(settings: Settings) -> ServeSetup:
    """Refuses (SettingsError) a real database without keys, or any key too short to resist
    guessing; on the embedded default a missing key is generated, as for a demo."""
    check_keys(settings)
    notice = None
    if not settings.api_keys and not settings.admin_api_keys:
        key = secrets.token_urlsafe(24)
        settings = dataclasses.replace(settings, api_keys=(key,))
        notice = f"REWARDS_API_KEYS is not set; this run accepts the generated key:\n  {key}\n"
    _hide_secrets_in_access_log()
    return ServeSetup(settings, uvicorn_options(settings), notice)


def check_keys(settings: Settings) -> None:
    """The refusal `serve` and the importable ASGI app (asgi.py) share: with a real database, no
    key, or a key or signing secret under 16 characters, stops the start with SettingsError."""
    _check_keys("REWARDS_API_KEYS", settings.api_keys, settings)
    _check_keys("REWARDS_ADMIN_API_KEYS", settings.admin_api_keys, settings)
    secret = settings.trigger_hmac_secret
    if secret is not None and len(secret) < MIN_KEY_LENGTH:
        raise SettingsError(
            f"REWARDS_TRIGGER_HMAC_SECRET is {len(secret)} characters; it needs at least "
            f"{MIN_KEY_LENGTH}. Make one with: {_MAKE_ONE}"
        )
    if not settings.api_keys and not settings.admin_api_keys and not settings.embedded:
        raise SettingsError(
            "REWARDS_API_KEYS is not set: with a real database (REWARDS_MONGODB_URL) the API "
            f"needs at least one key of {MIN_KEY_LENGTH}+ characters. Make one with: {_MAKE_ONE}"
        )


def _check_keys(variable: str, keys: tuple[str, ...], settings: Settings) -> None:
    """Names the variable and the key's position, never the key."""
    for position, key in enumerate(keys, start=1):
        if not _VISIBLE_ASCII.fullmatch(key):
            raise SettingsError(
                f"{variable}: key #{position} holds a character an HTTP header cannot carry "
                "(use letters, digits and punctuation, no spaces)"
            )
        if len(key) < MIN_KEY_LENGTH and not settings.embedded:
            raise SettingsError(
                f"{variable}: key #{position} is {len(key)} characters; with a real database "
                f"every key needs at least {MIN_KEY_LENGTH}. Make one with: {_MAKE_ONE}"
            )


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn has no timeout for a request's headers on a new connection: a slow client holds
    its connection until limit_concurrency fills, then newcomers get 503 at once (documented;
    a reverse proxy's header timeout closes that gap). httptools (the default, faster) has its
    request line and headers capped at 16 KiB by capped_parser.py; h11 caps only a head still
    arriving (tests/http/test_header_cap.py)."""
    return {
        "http": CappedHttpToolsProtocol if settings.http_parser == "httptools" else "h11",
        # An idle keep-alive connection is closed after this many seconds.
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        # Connections plus running requests beyond this get 503 straight from uvicorn.
        "limit_concurrency": settings.http_max_connections,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "server_header": False,  # no server name and version for a scanner to match
    }


_SECRET_IN_QUERY = re.compile(
    r"(?i)([?&][^=&#]*(?:key|token|secret|signature|password|auth)[^=&#]*=)[^&#]*"
)


class _HideSecretsInQuery(logging.Filter):
    """Keys are read from a header only, but a client may still put one in the URL: the access
    log (`serve --access-log`) records the path with `...key=***`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            if isinstance(args[2], str):
                args[2] = _SECRET_IN_QUERY.sub(r"\1***", args[2])
                record.args = tuple(args)
        return True


def _hide_secrets_in_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _HideSecretsInQuery) for f in access.filters):
        access.addFilter(_HideSecretsInQuery())
