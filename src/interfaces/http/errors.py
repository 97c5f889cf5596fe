"""Every error becomes the envelope with a status, here and nowhere else. No stack traces leave
the service unless debug mode is on."""

from __future__ import annotations

import logging
import traceback
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
from interfaces.http.presenters import envelope
from interfaces.http.schemas import InvalidRequest

log = logging.getLogger("rewards.http")


class Unauthorized(Exception):
    """Missing or wrong API key."""


_STATUS: dict[type[Exception], int] = {
    InvalidPeriod: 400,
    InvalidRequest: 400,
    PeriodNotEnded: 422,
    JobNotFound: 404,
    JobAlreadyExists: 409,
    JobNotRetryable: 409,
    StepsNotEnabled: 409,
    InvalidJobTransition: 409,
    InvalidPolicy: 500,
    Unauthorized: 401,
}


def _answer(status: int, message: str, data: dict[str, Any] | None = None) -> Response[object]:
    return Response(
        content=envelope(message, data, success=False),
        status_code=status,
        media_type=MediaType.JSON,
    )


def known_error(_: Request[Any, Any, Any], exc: Exception) -> Response[object]:
    status = next((s for kind, s in _STATUS.items() if isinstance(exc, kind)), 400)
    return _answer(status, str(exc))


def http_error(_: Request[Any, Any, Any], exc: Exception) -> Response[object]:
    assert isinstance(exc, HTTPException)
    data: dict[str, Any] | None = None
    if isinstance(exc, ValidationException) and exc.extra:
        data = {"errors": exc.extra}
    return _answer(exc.status_code, str(exc.detail), data)


def unexpected_error(debug: bool):  # type: ignore[no-untyped-def]
    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[object]:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        data = {"errorStack": traceback.format_exception(exc)} if debug else None
        return _answer(500, "Internal server error; the details are in the service's log", data)

    return handle


def exception_handlers(debug: bool) -> dict[type[Exception] | int, object]:
    return {
        DomainError: known_error,
        Unauthorized: known_error,
        InvalidRequest: known_error,
        HTTPException: http_error,
        Exception: unexpected_error(debug),
    }
