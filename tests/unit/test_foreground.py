"""Foreground first (application/foreground.py): the month's commands wait their turn only while
requests flood the process, one turn every `pace_seconds`, in order, and never for ever; work
outside the month never waits. Between commands, the month's CPU work runs in slices with a
short sleep between them while the flood lasts."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from application.foreground import (
    GIVE_WAY_SECONDS,
    SLICE,
    Foreground,
    YieldPolicy,
    month_work,
    sliced,
)
from infrastructure.settings import Settings, SettingsError

POLICY = YieldPolicy(above_rps=100, pace_seconds=0.2, hold_seconds=1.0, window_seconds=0.1)


class FakeTime:
    """A monotonic clock that moves only when the code under test sleeps (or a test says)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Sleeps side by side overlap, as real ones do: the clock moves to the latest end."""
        self.slept.append(seconds)
        until = self.now + seconds
        await asyncio.sleep(0)
        self.now = max(self.now, until)


def foreground(policy: YieldPolicy = POLICY) -> tuple[Foreground, FakeTime, list[float]]:
    clock = FakeTime()
    waits: list[float] = []
    return Foreground(policy, clock, clock.sleep, waits.append), clock, waits


def flood(fg: Foreground, clock: FakeTime, requests: int, over_seconds: float) -> None:
    for _ in range(requests):
        fg.arrived()
        clock.now += over_seconds / requests


def test_a_flood_is_burst_requests_within_the_window() -> None:
    assert POLICY.burst == 10
    assert YieldPolicy(above_rps=5, window_seconds=0.1).burst == 1


async def test_light_traffic_never_makes_the_month_wait() -> None:
    fg, clock, waits = foreground()
    flood(fg, clock, 200, over_seconds=4.0)  # 50 requests a second: an admin's busy page
    assert not fg.yielding()
    with month_work():
        for _ in range(5):
            await fg.turn()
    assert clock.slept == [] and waits == []


async def test_under_a_flood_one_command_of_the_months_starts_every_pace() -> None:
    fg, clock, waits = foreground()
    flood(fg, clock, 20, over_seconds=0.05)  # 400 requests a second
    assert fg.yielding()
    started = []
    with month_work():
        for _ in range(4):
            await fg.turn()
            started.append(clock.now)
            flood(fg, clock, 20, over_seconds=0.01)  # the flood goes on meanwhile
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(started)]
    assert gaps == [pytest.approx(0.2, abs=0.011)] * 3
    assert sum(waits) == pytest.approx(sum(clock.slept))
    assert len(waits) == 3


async def test_work_outside_the_month_never_waits() -> None:
    """The API's own reads (a snapshot, the dry run) share the adapters: they take no turn."""
    fg, clock, waits = foreground()
    flood(fg, clock, 20, over_seconds=0.05)
    assert fg.yielding()
    for _ in range(5):
        await fg.turn()
    assert clock.slept == [] and waits == []


async def test_commands_in_flight_together_take_turns_in_order_a_pace_apart() -> None:
    fg, clock, _ = foreground()
    flood(fg, clock, 20, over_seconds=0.05)
    order: list[tuple[int, float]] = []

    async def lane(number: int) -> None:
        await fg.turn()
        order.append((number, clock.now))
        flood(fg, clock, 10, over_seconds=0.001)  # the flood lasts while the lanes wait

    with month_work():
        await asyncio.gather(*(lane(n) for n in range(4)))
    assert [number for number, _ in order] == [0, 1, 2, 3]  # first come, first served
    starts = [at for _, at in order]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps == [pytest.approx(0.2, abs=0.002)] * 3


async def test_the_month_is_back_at_full_speed_once_the_flood_has_passed() -> None:
    fg, clock, _ = foreground()
    flood(fg, clock, 20, over_seconds=0.05)
    with month_work():
        await fg.turn()
        clock.now += POLICY.hold_seconds  # no request since
        assert not fg.yielding()
        before = list(clock.slept)
        for _ in range(10):
            await fg.turn()
    assert clock.slept == before


async def test_yielding_is_off_with_zero() -> None:
    fg, clock, waits = foreground(YieldPolicy(above_rps=0))
    flood(fg, clock, 10_000, over_seconds=0.1)
    assert not fg.yielding()
    with month_work():
        await fg.turn()
    assert waits == []


async def test_exactly_the_threshold_is_no_flood() -> None:
    # Binary fractions, so the clock adds up exactly: 64 requests a second, a window of 10/64 s.
    fg, clock, _ = foreground(YieldPolicy(above_rps=64, window_seconds=10 / 64))
    flood(fg, clock, 30, over_seconds=30 / 64)  # blocks of 10 take exactly the window
    assert not fg.yielding()
    flood(fg, clock, 30, over_seconds=29 / 64)  # a little faster
    assert fg.yielding()


def test_the_start_up_line_says_what_it_does() -> None:
    assert POLICY.describe() == (
        "above 100 requests/s the month yields: one bulk database command every 0.2 s"
    )
    assert YieldPolicy(above_rps=0).describe() == "the month never yields to requests"


def test_the_settings_name_the_policy() -> None:
    settings = Settings.from_env(
        {"REWARDS_YIELD_ABOVE_RPS": "250", "REWARDS_YIELD_PACE_SECONDS": "0.5"}
    )
    assert settings.yield_policy == YieldPolicy(above_rps=250, pace_seconds=0.5)
    assert Settings.from_env({"REWARDS_YIELD_ABOVE_RPS": "0"}).yield_policy.above_rps == 0
    with pytest.raises(SettingsError, match="REWARDS_YIELD_ABOVE_RPS"):
        Settings.from_env({"REWARDS_YIELD_ABOVE_RPS": "lots"})
    with pytest.raises(SettingsError, match="REWARDS_YIELD_PACE_SECONDS"):
        Settings.from_env({"REWARDS_YIELD_PACE_SECONDS": "0"})


async def test_the_months_cpu_work_gives_way_only_in_month_work_under_a_flood() -> None:
    fg, clock, _ = foreground()
    with month_work():
        await fg.give_way()
    assert clock.slept == []  # no flood: slices follow each other at once
    flood(fg, clock, 20, over_seconds=0.05)
    assert fg.yielding()
    await fg.give_way()
    assert clock.slept == []  # not month work: the API's own reads never wait
    with month_work():
        await fg.give_way()
        await fg.give_way()
    assert clock.slept == [GIVE_WAY_SECONDS, GIVE_WAY_SECONDS]


@pytest.mark.parametrize("items", [0, 1, SLICE, SLICE + 1, 3 * SLICE, 3 * SLICE + 7])
async def test_sliced_converts_every_item_in_order_and_gives_way_between_slices(
    items: int,
) -> None:
    gave: list[int] = []
    converted: list[int] = []

    def convert(item: int) -> int:
        converted.append(item)
        return item * 2

    async def give_way() -> None:
        gave.append(len(converted))  # how much was converted when the loop got its turn

    result = await sliced(list(range(items)), convert, give_way)
    assert result == [i * 2 for i in range(items)]
    slices = -(-items // SLICE)
    assert gave == [SLICE * n for n in range(1, slices)]
