"""The credit step: pay one batch of rewards exactly once, without transactions.

1. the wallet update adds coins and badge in one single-document write whose filter refuses a
   wallet that already holds the reward's key: that key, written with the coins, is what makes a
   rerun after a crash anywhere pay nothing more;
2. the reward record is inserted under its unique key with its outcome, `awarded` (naming the
   attempt that recorded it) or `failed` with the reason; a rerun finds it there.

A record is written once, when its outcome is known: a record first written as pending and
settled after would cost a second update per user. The fence runs before each step: a worker
whose lease was taken over stops before it credits, and leaves the record to the attempt that
superseded it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from application.ports.clock import Clock
from application.ports.reward_repository import RewardRepository
from application.ports.wallet import CreditOutcome, Wallet
from domain.reward import Reward

_FAILURE_REASONS = {
    CreditOutcome.USER_MISSING: "user no longer exists",
    CreditOutcome.NOT_CREDITABLE: "wallet cannot be credited",
}


@dataclass
class BatchOutcome:
    awarded: list[Reward] = field(default_factory=list)
    failed: list[Reward] = field(default_factory=list)


class CreditStep:
    def __init__(self, rewards: RewardRepository, wallet: Wallet, clock: Clock) -> None:
        self._rewards = rewards
        self._wallet = wallet
        self._clock = clock

    async def pay(
        self,
        batch: Sequence[Reward],
        fence: Callable[[], Awaitable[None]] | None = None,
        attempt: int | None = None,
    ) -> BatchOutcome:
        if not batch:
            return BatchOutcome()
        if fence is not None:
            await fence()
        results = await self._wallet.credit(batch)
        now = self._clock.now()
        outcome = BatchOutcome()
        for reward, result in zip(batch, results, strict=True):
            if result.outcome is CreditOutcome.CREDITED:
                outcome.awarded.append(reward.awarded(now, attempt))
            else:
                reason = _FAILURE_REASONS[result.outcome]
                detail = f"{reason}: {result.reason}" if result.reason else reason
                outcome.failed.append(reward.failed(detail))
        if fence is not None:
            await fence()
        await self._rewards.record(outcome.awarded + outcome.failed)
        return outcome
