"""What the platform's own Mongoose models accept (`../shared/PLATFORM.md`), checked before
anything is written: one value outside these rules in a user's badge makes every later save of
that user fail in the platform, so a policy that could write one is refused at start-up.

The domain keeps its own rules (a year from 2020, no negative coins, ranks from 1, contiguous
tiers); these are the platform's enums and bounds on top of them.
"""

from __future__ import annotations

from domain.errors import InvalidPolicy
from domain.policy import RewardPolicy

CATEGORIES = ("global", "students", "teachers")  # badge, reward and snapshot `category`
RANKED_ROLES = ("student", "teacher")  # a snapshot's rankings[].role
TIERS = ("CHAMPION", "ELITE", "ACHIEVER", "PERFORMER", "UNPLACED")  # badge and reward `tier`

# A snapshot document holds the head of its ranking: ranks 1-100 at least, and every placed user
# (every rank a bounded tier covers). The platform's own job kept at most 10,000 users in it; a
# policy placing more would push the document towards its 16 MB limit.
HEAD_MIN_RANKS = 100
HEAD_MAX_RANKS = 10_000


def platform_problems(policy: RewardPolicy) -> list[str]:
    """Every value of the policy the platform's models would refuse, each named."""
    problems = []
    for category in policy.categories:
        if category.name not in CATEGORIES:
            problems.append(f"category {category.name!r} is not one of {', '.join(CATEGORIES)}")
        if category.role not in RANKED_ROLES:
            problems.append(
                f"category {category.name!r} ranks role {category.role!r}; the platform's "
                f"snapshots rank only {' and '.join(RANKED_ROLES)}"
            )
        for path, weight in category.weights:
            if weight < 0:
                problems.append(
                    f"category {category.name!r} weighs {path} by {weight:g}: a negative weight "
                    "can make a negative score, which a snapshot refuses"
                )
    for tier in policy.tiers.tiers:
        if tier.name not in TIERS:
            problems.append(f"tier {tier.name!r} is not one of {', '.join(TIERS)}")
    placed = _last_placed_rank(policy)
    if placed > HEAD_MAX_RANKS:
        problems.append(
            f"the tiers place users down to rank {placed}; a snapshot document keeps every "
            f"placed user, at most {HEAD_MAX_RANKS}"
        )
    return problems


def check_policy(policy: RewardPolicy) -> None:
    """Raises InvalidPolicy naming every value the platform would refuse."""
    problems = platform_problems(policy)
    if problems:
        raise InvalidPolicy(
            "the platform would refuse what this policy writes: " + "; ".join(problems)
        )


def head_size(policy: RewardPolicy) -> int:
    """How many of the best ranks a snapshot document lists in its `rankings`."""
    return max(HEAD_MIN_RANKS, _last_placed_rank(policy))


def _last_placed_rank(policy: RewardPolicy) -> int:
    """The last rank a bounded tier covers (the open-ended last tier is 'unplaced')."""
    bounded = [t.last_rank for t in policy.tiers.tiers if t.last_rank is not None]
    return max(bounded, default=0)
