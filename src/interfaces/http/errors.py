"""Every error becomes the envelope with a status, here and nowhere else. No stack trace,
exception class, file path or database message leaves the service unless debug mode is on; an
unexpected error answers with an error id that is also in the log line."""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from domain.errors import (
    DomainError,
    InvalidJobTransition,
    InvalidPeriod,
    InvalidPolicy,
    JobAlreadyExists,
    JobNotFound,
    JobNotRetryable,
    PeriodNotEnded,
    StepsNotEnabled,
)
from infrastructure.mongo.deadline import DatabaseUnavailable, as_unavailable
from interfaces.http.auth import Unauthorized
from interfaces.http.limits import REQUEST_BODY_LIMIT
from interfaces.http.presenters import envelope
from interfaces.http.schemas import FIELDS, InvalidRequest, UnsupportedBody

log = logging.getLogger("rewards.http")

Handler = Callable[[Request[Any, Any, Any], Exception], Response[Any]]

_STATUS: dict[type[Exception], int] = {
    InvalidPeriod: 400,
    InvalidRequest: 400,
    Unauthorized: 401,
    JobNotFound: 404,
    JobAlreadyExists: 409,
    JobNotRetryable: 409,
    StepsNotEnabled: 409,
    InvalidJobTransition: 409,
    UnsupportedBody: 415,
    PeriodNotEnded: 422,
    InvalidPolicy: 500,
    DatabaseUnavailable: 503,
}
_RETRY_AFTER_OUTAGE_S = "30"


def _answer(
    status: int,
    message: str,
    data: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    return Response(
        content=envelope(message, data, success=False),
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


# The exceptions answered with their `_STATUS` and their own message (known_error).
_KNOWN = (DomainError, Unauthorized, InvalidRequest, UnsupportedBody, DatabaseUnavailable)


def _known_status(exc: Exception) -> int:
    return next((s for kind, s in _STATUS.items() if isinstance(exc, kind)), 400)


def answer_status(exc: Exception) -> int:
    """The status the handlers below answer `exc` with. The metrics (metrics_middleware.py) ask:
    an exception raised by a middleware (the key check's 401, a rate limit's 429, a 405) reaches
    them before Litestar turns it into the answer."""
    if isinstance(exc, HTTPException):
        return exc.status_code if exc.status_code < 500 else 500
    if isinstance(exc, _KNOWN):
        return _known_status(exc)
    return 503 if as_unavailable(exc, 0) is not None else 500  # as unexpected_error answers


def known_error(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    status = _known_status(exc)
    headers = {"retry-after": _RETRY_AFTER_OUTAGE_S} if status == 503 else None
    return _answer(status, str(exc), headers=headers)


def _validation_message(exc: ValidationException) -> str:
    """Litestar's parameter errors, said with the field and what it takes."""
    problems = exc.extra if isinstance(exc.extra, list) else []
    said = []
    for problem in problems:
        key = problem.get("key") if isinstance(problem, dict) else None
        if key in FIELDS:
            said.append(f"{key} must be {FIELDS[key].rule()}")
        elif key:
            said.append(f"{key} is not valid: {problem.get('message', 'refused')}")
    return "; ".join(said) or "the request's parameters are not valid"


def _client_error_message(exc: HTTPException, request: Request[Any, Any, Any]) -> str:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        return _validation_message(exc)
    if status == 404:
        return "No such endpoint; the API is described at /schema/openapi.json"
    if status == 405:
        allowed = _allowed_methods(exc)
        return f"{request.method} is not allowed here" + (f"; use {allowed}" if allowed else "")
    if status == 413:
        return f"The request body is larger than {REQUEST_BODY_LIMIT} bytes; send at most a small JSON object"
    if status == 429:
        wait = (exc.headers or {}).get("RateLimit-Reset")
        return "Too many requests from this address (POSTs, or attempts without a valid key); " + (
            f"try again in {wait} s" if wait else "try again in a minute"
        )
    return str(exc.detail)


def _allowed_methods(exc: HTTPException) -> str:
    """The route's methods, without the OPTIONS that methods.py refuses."""
    given = next((v for k, v in (exc.headers or {}).items() if k.lower() == "allow"), "")
    return ", ".join(m for m in given.replace(" ", "").split(",") if m and m != "OPTIONS")


def http_error(debug: bool) -> Handler:
    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        assert isinstance(exc, HTTPException)
        if exc.status_code >= 500:  # Litestar's own server-side errors say too much
            return _unexpected(request, exc, debug)
        headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() != "allow"}
        if exc.status_code == 405 and (allowed := _allowed_methods(exc)):
            headers["allow"] = allowed
        if exc.status_code == 429 and "RateLimit-Reset" in headers:
            headers["retry-after"] = headers["RateLimit-Reset"]
        return _answer(exc.status_code, _client_error_message(exc, request), headers=headers)

    return handle


def _unexpected(request: Request[Any, Any, Any], exc: Exception, debug: bool) -> Response[Any]:
    error_id = uuid.uuid4().hex[:12]
    log.error(
        "unexpected error %s on %s %s", error_id, request.method, request.url.path, exc_info=exc
    )
    data: dict[str, Any] = {"errorId": error_id}
    if debug:
        data["errorStack"] = traceback.format_exception(exc)
    return _answer(
        500,
        f"Internal server error (id {error_id}); the details are in the service's log under that id",
        data,
    )


def unexpected_error(debug: bool, deadline_seconds: float) -> Handler:
    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        outage = as_unavailable(exc, deadline_seconds)
        if outage is not None:
            log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
            return known_error(request, outage)
        return _unexpected(request, exc, debug)

    return handle


def exception_handlers(debug: bool, deadline_seconds: float) -> dict[type[Exception], Handler]:
    return {
        **dict.fromkeys(_KNOWN, known_error),
        HTTPException: http_error(debug),
        Exception: unexpected_error(debug, deadline_seconds),
    }
