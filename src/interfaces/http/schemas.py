"""Request parsing at the edge: untrusted text and JSON become domain values here, so the use
cases take a `Period` or an `int`, never raw input."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request

from domain.errors import InvalidPeriod
from domain.period import Period


class InvalidRequest(Exception):
    """A request the edge cannot turn into a use-case call: malformed, or out of range."""


async def period_arguments(request: Request[Any, Any, Any]) -> Period | None:
    """month/year from the query string or a JSON body (both places may not disagree); None when
    neither names a month."""
    found: dict[str, object] = {k: request.query_params.get(k) for k in ("month", "year")}
    raw = await request.body()
    if raw.strip():
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidRequest("the request body must be JSON (or empty)") from exc
        if not isinstance(body, dict):
            raise InvalidRequest("the JSON body must be an object with month and year")
        for key in ("month", "year"):
            if body.get(key) is None:
                continue
            if found[key] is not None and str(found[key]) != str(body[key]):
                raise InvalidRequest(f"{key} differs between the query string and the body")
            found[key] = body[key]
    return optional_period(found["month"], found["year"])


def optional_period(month: object, year: object) -> Period | None:
    if month is None and year is None:
        return None
    if month is None or year is None:
        raise InvalidPeriod("month and year must be given together")
    return Period(year=_whole("year", year), month=_whole("month", month))


def whole_number(name: str, raw: object, low: int, high: int) -> int:
    value = _whole(name, raw)
    if not low <= value <= high:
        raise InvalidRequest(f"{name} must be between {low} and {high}, got {value}")
    return value


def _whole(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise InvalidRequest(f"{name} must be a whole number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit() and len(value) <= 9:
        return int(value.strip())
    raise InvalidRequest(f"{name} must be a whole number, got {value!r}")
