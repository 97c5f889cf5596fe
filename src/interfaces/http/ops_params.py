"""Typed query parameters of the operator reads: Litestar validates them (a 400 names the field)
and documents them in the OpenAPI schema; this module turns them into domain values."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

from application.paging import MAX_PAGE_SIZE, PageRequest
from domain.errors import InvalidPeriod
from domain.period import MAX_YEAR, MIN_YEAR, Period

Month = Annotated[int | None, QueryParameter(ge=1, le=12, description="1-12; with year")]
Year = Annotated[
    int | None, QueryParameter(ge=MIN_YEAR, le=MAX_YEAR, description="e.g. 2024; with month")
]
PageNumber = Annotated[int, QueryParameter(ge=1, description="1 and up")]
PageSize = Annotated[
    int, QueryParameter(name="pageSize", ge=1, le=MAX_PAGE_SIZE, description="rows per page")
]


def optional_month(month: int | None, year: int | None) -> Period | None:
    """Both name a month; neither means the default (the month that has just ended)."""
    if month is None and year is None:
        return None
    if month is None or year is None:
        raise InvalidPeriod("month and year must be given together")
    return Period(year=year, month=month)


def required_month(month: int | None, year: int | None) -> Period:
    period = optional_month(month, year)
    if period is None:
        raise InvalidPeriod("month and year are required")
    return period


def page_request(page: int, page_size: int) -> PageRequest:
    return PageRequest(page=page, size=page_size)
