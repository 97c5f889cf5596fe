import pytest

from domain.errors import InvalidPolicy
from domain.policy import RewardPolicy
from domain.tiers import DEFAULT_TIERS, Tier, TierTable
from infrastructure.policy_file import policy_from_mapping


@pytest.mark.parametrize(
    ("rank", "tier", "coins", "badge"),
    [
        (1, "CHAMPION", 1000, "Monthly Champion"),
        (2, "ELITE", 500, "Monthly Elite"),
        (10, "ELITE", 500, "Monthly Elite"),
        (11, "ACHIEVER", 200, "Monthly Achiever"),
        (50, "ACHIEVER", 200, "Monthly Achiever"),
        (51, "PERFORMER", 100, "Monthly Performer"),
        (100, "PERFORMER", 100, "Monthly Performer"),
        (101, "UNPLACED", 10, "Monthly Unplaced"),
        (1_000_000, "UNPLACED", 10, "Monthly Unplaced"),
    ],
)
def test_default_tier_boundaries(rank: int, tier: str, coins: int, badge: str) -> None:
    found = DEFAULT_TIERS.tier_for(rank)
    assert (found.name, found.coins, found.badge_name) == (tier, coins, badge)


def test_rank_zero_has_no_tier() -> None:
    with pytest.raises(ValueError):
        DEFAULT_TIERS.tier_for(0)


@pytest.mark.parametrize(
    "tiers",
    [
        [],
        [Tier("A", 2, None, 1, "a")],  # does not start at 1
        [Tier("A", 1, 5, 1, "a"), Tier("B", 7, None, 1, "b")],  # gap
        [Tier("A", 1, 5, 1, "a"), Tier("B", 5, None, 1, "b")],  # overlap
        [Tier("A", 1, 5, 1, "a"), Tier("B", 6, 9, 1, "b")],  # last not open-ended
        [Tier("A", 1, None, -1, "a")],  # negative coins
        [Tier("A", 1, 1, 1, "a"), Tier("A", 2, None, 1, "b")],  # duplicate names
    ],
)
def test_tables_that_would_leave_a_rank_unpaid_are_refused(tiers: list[Tier]) -> None:
    with pytest.raises(InvalidPolicy):
        TierTable(tiers)


def test_a_policy_file_overrides_weights_and_tiers() -> None:
    policy = policy_from_mapping(
        {
            "categories": [
                {"name": "learners", "role": "student", "weights": {"student.totalTests": 2}}
            ],
            "tiers": [
                {"name": "TOP", "firstRank": 1, "lastRank": 3, "coins": 50, "badgeName": "Top"},
                {"name": "REST", "firstRank": 4, "lastRank": None, "coins": 1, "badgeName": "Rest"},
            ],
        }
    )
    assert [c.name for c in policy.categories] == ["learners"]
    assert policy.categories[0].score([7]) == 14
    assert policy.tiers.tier_for(3).name == "TOP"
    assert policy.tiers.tier_for(4).coins == 1


def test_policy_defaults_when_keys_are_left_out() -> None:
    assert policy_from_mapping({}) == RewardPolicy.default()


@pytest.mark.parametrize(
    "data",
    [
        {"categories": [{"name": "x", "role": "student"}]},  # no weights
        {"categories": [{"name": "x", "role": "student", "weights": {"a": "15"}}]},
        {"categories": []},
        {"tiers": [{"name": "A", "firstRank": 1}]},
        {
            "categories": [
                {"name": "x", "role": "s", "weights": {"a": 1}},
                {"name": "x", "role": "t", "weights": {"b": 1}},
            ]
        },
    ],
)
def test_malformed_policies_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(InvalidPolicy):
        policy_from_mapping(data)
