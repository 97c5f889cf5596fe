"""What a month's run is told, grouped: the policy it pays by, how it holds its lease, how big
its batches are and how patient it is with the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from application.lease import LeaseTerms
from application.retrying import IsTransient, RetryPolicy
from domain.policy import RewardPolicy


def never_transient(_: BaseException) -> bool:
    return False


@dataclass(frozen=True)
class RunSettings:
    policy: RewardPolicy
    lease: LeaseTerms
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    is_transient: IsTransient = never_transient
