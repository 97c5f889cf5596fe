from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.errors import InvalidPeriod, PeriodNotEnded
from domain.period import Period

UTC_ZONE = ZoneInfo("UTC")


def test_a_call_on_new_years_morning_rewards_december() -> None:
    assert Period.just_ended(datetime(2025, 1, 1, 0, 5, tzinfo=UTC), UTC_ZONE) == Period(2024, 12)


def test_just_ended_follows_the_configured_time_zone() -> None:
    # 2025-03-31T23:30Z is already April 1st in Berlin: March has ended there.
    moment = datetime(2025, 3, 31, 23, 30, tzinfo=UTC)
    assert Period.just_ended(moment, UTC_ZONE) == Period(2025, 2)
    assert Period.just_ended(moment, ZoneInfo("Europe/Berlin")) == Period(2025, 3)


@pytest.mark.parametrize(("month", "year"), [(13, 2024), (0, 2024), (12, 99999), (12, 2019)])
def test_impossible_months_are_refused(month: int, year: int) -> None:
    with pytest.raises(InvalidPeriod):
        Period(year=year, month=month)


def test_a_month_that_has_not_ended_is_refused() -> None:
    now = datetime(2024, 12, 31, 23, 59, tzinfo=UTC)
    with pytest.raises(PeriodNotEnded, match="has not ended"):
        Period(2024, 12).ensure_ended(now, UTC_ZONE)
    Period(2024, 12).ensure_ended(datetime(2025, 1, 1, tzinfo=UTC), UTC_ZONE)


def test_month_end_in_a_time_zone_east_of_utc() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    assert Period(2024, 12).ends_at(tokyo) == datetime(2025, 1, 1, tzinfo=tokyo)
    Period(2024, 12).ensure_ended(datetime(2024, 12, 31, 15, 0, tzinfo=UTC), tokyo)


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        Period.just_ended(datetime(2025, 1, 1), UTC_ZONE)


def test_key_sorts_like_the_calendar() -> None:
    assert Period(2024, 9).key < Period(2024, 10).key < Period(2025, 1).key
    assert str(Period(2024, 12)) == "12/2024"
