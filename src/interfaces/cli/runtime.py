"""What every CLI command shares: its context, the container's life around its work, and the
translation of --month/--year into a period."""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from domain.errors import InvalidPeriod
from domain.period import Period
from infrastructure.container import Container, container_for, start_container, stop_container
from infrastructure.settings import Settings


@dataclass(frozen=True)
class Context:
    args: argparse.Namespace
    settings: Settings
    out: Console


Handler = Callable[[Context], Coroutine[Any, Any, int]]


def build_container(settings: Settings) -> Container:
    """The composition root's container on these settings (a seam the CLI's tests replace)."""
    return container_for(settings)


async def with_container(settings: Settings, work: Callable[[Container], Awaitable[int]]) -> int:
    container = build_container(settings)
    await start_container(container)
    try:
        return await work(container)
    finally:
        await stop_container(container)


def period_of(args: argparse.Namespace) -> Period | None:
    """--month and --year name a month together; neither means the month that has just ended."""
    if args.month is None and args.year is None:
        return None
    if args.month is None or args.year is None:
        raise InvalidPeriod("--month and --year must be given together")
    return Period(year=args.year, month=args.month)


def print_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))
