"""The edge turns query-string text and JSON values into a Period, or refuses them."""

import pytest

from domain.errors import InvalidPeriod
from domain.period import Period
from interfaces.http.schemas import InvalidRequest, optional_period


@pytest.mark.parametrize(
    ("month", "year"),
    [
        (13, 2024),
        (0, 2024),
        (12, 99999),
        ("twelve", 2024),
        (12, "20x4"),
        (True, 2024),
        (1.5, 2024),
        (None, 2024),
        (12, None),
        ("", 2024),
    ],
)
def test_impossible_values_are_refused(month: object, year: object) -> None:
    with pytest.raises((InvalidPeriod, InvalidRequest)):
        optional_period(month, year)


def test_text_numbers_from_a_query_string_are_accepted() -> None:
    assert optional_period("12", " 2024 ") == Period(2024, 12)


def test_no_month_and_no_year_mean_the_default_period() -> None:
    assert optional_period(None, None) is None
