"""Request parsing at the edge: untrusted text and JSON become domain values here, so the use
cases take a `Period` or an `int`, never raw input.

Litestar's own parameter parsing is lenient (it reads `month=12.0` or `1e1` as a whole number and
keeps the last of repeated keys), and its body parsing turns `"12"` into 12. So the query string
is checked strictly before Litestar sees it (`check_query`, a before-request hook), and the body
is decoded by msgspec in strict mode into `PeriodBody`. The declared parameters and `PeriodBody`
are what the OpenAPI document shows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request
from litestar.params import Parameter

from application.use_cases.list_recent_jobs import MAX_LIMIT
from domain.period import MAX_YEAR, MIN_YEAR, Period


class InvalidRequest(Exception):
    """A request the edge cannot turn into a use-case call: malformed, or out of range (400)."""


class UnsupportedBody(Exception):
    """A body that is not JSON where JSON is expected (415)."""


@dataclass(frozen=True)
class Bound:
    """A whole-number parameter's range, the one source of the schema, the checks and messages."""

    low: int
    high: int
    high_said: str = ""  # when the real upper limit moves (the current year)

    def rule(self, high: int | None = None) -> str:
        top = str(high) if high is not None else self.high_said or str(self.high)
        return f"a whole number from {self.low} to {top}"


MONTH = Bound(1, 12)
YEAR = Bound(MIN_YEAR, MAX_YEAR, "the current year")
LIMIT = Bound(1, MAX_LIMIT)
FIELDS = {"month": MONTH, "year": YEAR, "limit": LIMIT}

# Digits only, as many as the largest bound has: no sign, space, point, exponent, leading zero or
# big number.
_WHOLE = re.compile(r"0|[1-9][0-9]{0,3}")
_SHOWN = 40  # characters of a refused value or name repeated in an answer


def shown(value: object) -> str:
    """A refused name or value as an answer may repeat it: quoted, and cut short."""
    text = value if isinstance(value, str) else repr(value)
    return json.dumps(text[:_SHOWN] + ("…" if len(text) > _SHOWN else ""), ensure_ascii=False)


def _parameter(bound: Bound, description: str) -> Any:
    return Parameter(ge=bound.low, le=bound.high, description=description)


MonthQuery = Annotated[int | None, _parameter(MONTH, "Month 1-12; give month and year together")]
YearQuery = Annotated[
    int | None, _parameter(YEAR, "Year, from 2020 to the current year; with month")
]
LimitQuery = Annotated[int, _parameter(LIMIT, "How many jobs, newest month first")]


class PeriodBody(msgspec.Struct, forbid_unknown_fields=True):
    """The optional JSON body of the POSTs: `{"month": 12, "year": 2024}`; both or neither."""

    # Absent is allowed, null is not: `null` is not a whole number.
    month: Annotated[int, msgspec.Meta(ge=MONTH.low, le=MONTH.high)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    year: Annotated[int, msgspec.Meta(ge=YEAR.low, le=YEAR.high)] | msgspec.UnsetType = (
        msgspec.UNSET
    )


def query_fields(*names: str) -> dict[str, tuple[str, ...]]:
    """The `opt` of a route: which query parameters it takes (any other is refused)."""
    unknown = set(names) - set(FIELDS)
    assert not unknown, f"no bound for query parameters {unknown}"
    return {"query": names}


def query_names(*names: str) -> dict[str, tuple[str, ...]]:
    """The `opt` of a route whose parameters Litestar parses by their declared types (text,
    pages): only their names are checked here, so an unknown or repeated one is still refused."""
    return {"query": names}


async def check_query(request: Request[Any, Any, Any]) -> None:
    """Before-request hook: every query parameter is one the route takes, given once, digits
    within its bound. Refuses injection shapes (`year[$ne]=1`, `month=$gt`) by the same rule."""
    allowed: tuple[str, ...] = request.route_handler.opt.get("query", ())
    seen: set[str] = set()
    for name, value in request.query_params.multi_items():
        if name not in allowed:
            raise InvalidRequest(_unknown_parameter(name, allowed))
        if name in seen:
            raise InvalidRequest(f"{name} is given more than once in the query string")
        seen.add(name)
        bound = FIELDS.get(name)
        if bound is None:
            continue  # declared by a route that takes text or pages: Litestar checks its type
        if not _WHOLE.fullmatch(value) or not bound.low <= int(value) <= bound.high:
            raise InvalidRequest(f"{name} must be {bound.rule()}; got {shown(value)}")


def _unknown_parameter(name: str, allowed: tuple[str, ...]) -> str:
    if "key" in name.lower():
        return (
            "the API key is read from the x-api-key header only, never from the query string "
            "(which ends up in access logs); remove it from the URL"
        )
    takes = " and ".join(allowed) if allowed else "no query parameters"
    return f"unknown query parameter {shown(name)}; this endpoint takes {takes}"


async def period_body(request: Request[Any, Any, Any]) -> PeriodBody:
    """The POST body, strictly: empty, or a JSON object with whole-number month and year."""
    raw = await request.body()
    if not raw.strip():
        return PeriodBody()
    media_type = request.content_type[0].lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedBody(
            "the request body must be JSON sent with content-type: application/json (this one "
            f"came as {shown(media_type or 'no content-type')}), or empty"
        )
    try:
        body = msgspec.json.decode(raw, type=PeriodBody, strict=True)
    except msgspec.ValidationError as exc:
        raise InvalidRequest(_body_problem(str(exc))) from None
    except msgspec.DecodeError:
        raise InvalidRequest(
            'the request body is not valid JSON; send an object such as {"month": 12, '
            '"year": 2024}, or nothing for the month that has just ended'
        ) from None
    _refuse_repeated_keys(raw)
    return body


_AT_FIELD = re.compile(r"- at `\$\.(month|year)`$")
_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `(.*)`$", re.DOTALL)
_GOT = re.compile(r"got `(\w+)`")
_KINDS = {
    "null": "null",
    "str": "a string",
    "bool": "true/false",
    "float": "a decimal number",
    "array": "an array",
    "object": "an object",
}


def _body_problem(detail: str) -> str:
    """msgspec's reason, said as what to send instead, with the field named."""
    if field := _AT_FIELD.search(detail):
        name = field.group(1)
        got = _GOT.search(detail)
        what = f"; got {_KINDS.get(got.group(1), got.group(1))}" if got else ""
        if "out of range" in detail:
            what = "; got a number out of range"
        return f"{name} in the JSON body must be {FIELDS[name].rule()}{what}"
    if unknown := _UNKNOWN_FIELD.match(detail):
        return (
            f"unknown field {shown(unknown.group(1))} in the JSON body; it may hold only "
            "month and year"
        )
    got = _GOT.search(detail)
    kind = _KINDS.get(got.group(1), got.group(1)) if got else "something else"
    return f'the JSON body must be an object such as {{"month": 12, "year": 2024}}, not {kind}'


def _refuse_repeated_keys(raw: bytes) -> None:
    """`{"month": 1, "month": 2}` is ambiguous (parsers differ on which one wins): refused.

    Called once the body has decoded as a PeriodBody, whose keys are month and year and whose
    values are numbers: without a backslash (an escaped key), a key given twice shows as its
    quoted name twice, so a body that shows each once needs no second parse."""
    if b"\\" not in raw and raw.count(b'"month"') <= 1 and raw.count(b'"year"') <= 1:
        return

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in items]
        for key in keys:
            if keys.count(key) > 1:
                raise InvalidRequest(f"{key} is given more than once in the JSON body")
        return dict(items)

    json.loads(raw, object_pairs_hook=pairs)


def period_from(
    query: tuple[int | None, int | None], body: PeriodBody, now: datetime, tz: ZoneInfo
) -> Period | None:
    """month/year from the query string or the body (the two may not disagree); None when
    neither names a month, which means the month that has just ended."""
    month = _one_of("month", query[0], _given(body.month))
    year = _one_of("year", query[1], _given(body.year))
    if month is None and year is None:
        return None
    if month is None or year is None:
        raise InvalidRequest("month and year must be given together (or neither)")
    current = now.astimezone(tz).year
    if year > current:
        raise InvalidRequest(f"year must be {YEAR.rule(current)}, the current year; got {year}")
    return Period(year=year, month=month)


def _given(value: int | msgspec.UnsetType) -> int | None:
    return None if isinstance(value, msgspec.UnsetType) else value


def _one_of(name: str, in_query: int | None, in_body: int | None) -> int | None:
    if in_query is not None and in_body is not None and in_query != in_body:
        raise InvalidRequest(
            f"{name} differs between the query string ({in_query}) and the body ({in_body})"
        )
    return in_query if in_query is not None else in_body
