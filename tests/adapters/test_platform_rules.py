"""A policy that would write what the platform's models refuse is refused at start-up, naming the
value (the platform's enums: tiers, categories, ranked roles; no negative score)."""

import json
from pathlib import Path
from typing import Any

import pytest

from domain.errors import InvalidPeriod
from domain.period import Period
from domain.policy import RewardPolicy
from infrastructure.platform_rules import HEAD_MAX_RANKS, head_size, platform_problems
from infrastructure.settings import Settings, SettingsError

STUDENTS = {"name": "students", "role": "student", "weights": {"student.totalTests": 15}}


def tiers(*rows: tuple[str, int, int | None, int]) -> list[dict[str, Any]]:
    return [
        {"name": n, "firstRank": f, "lastRank": last, "coins": c, "badgeName": f"Monthly {n}"}
        for n, f, last, c in rows
    ]


def start_with(tmp_path: Path, policy: dict[str, Any]) -> Settings:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    return Settings.from_env({"REWARDS_POLICY_FILE": str(path)})


@pytest.mark.parametrize(
    ("policy", "named"),
    [
        ({"tiers": tiers(("CHAMPION", 1, 1, 9), ("LEGEND", 2, None, 1))}, "'LEGEND'"),
        ({"categories": [{**STUDENTS, "name": "learners"}]}, "'learners'"),
        ({"categories": [{**STUDENTS, "role": "admin"}]}, "'admin'"),
        (
            {"categories": [{**STUDENTS, "weights": {"student.totalTests": -2}}]},
            "by -2",
        ),
        (
            {"tiers": tiers(("CHAMPION", 1, 20_000, 1), ("UNPLACED", 20_001, None, 0))},
            "rank 20000",
        ),
        ({"tiers": tiers(("CHAMPION", 1, None, -5))}, "negative coins"),  # the domain's rule
    ],
)
def test_a_policy_the_platform_would_refuse_stops_the_start(
    tmp_path: Path, policy: dict[str, Any], named: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        start_with(tmp_path, policy)
    assert named in str(refused.value)
    assert "REWARDS_POLICY_FILE" in str(refused.value)


def test_a_policy_within_the_platform_rules_starts(tmp_path: Path) -> None:
    settings = start_with(
        tmp_path,
        {
            "categories": [STUDENTS],
            "tiers": tiers(
                ("CHAMPION", 1, 3, 50), ("ELITE", 4, 250, 5), ("UNPLACED", 251, None, 0)
            ),
        },
    )
    assert [c.name for c in settings.policy.categories] == ["students"]
    assert platform_problems(settings.policy) == []
    assert head_size(settings.policy) == 250  # every placed user is in the snapshot's head


def test_the_default_policy_is_the_platforms_and_its_head_is_ranks_1_to_100() -> None:
    assert platform_problems(RewardPolicy.default()) == []
    assert head_size(RewardPolicy.default()) == 100
    assert HEAD_MAX_RANKS == 10_000


def test_a_month_before_2020_is_refused_naming_the_year() -> None:
    with pytest.raises(InvalidPeriod, match="2019"):
        Period(2019, 12)
