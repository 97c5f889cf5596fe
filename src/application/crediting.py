"""The credit step: pay one batch of rewards exactly once, without transactions.

Order matters and is what makes a crash anywhere harmless:
1. the reward record is inserted `pending` under its unique key (a rerun finds it, not a twin);
2. the wallet update adds coins and badge in one single-document write whose filter refuses a
   wallet that already holds the reward's key (a rerun after a crash here pays nothing more);
3. the record is settled `awarded` (or `failed` with the reason), naming the attempt that paid.

The fence runs before 2 and before 3: a worker whose lease was taken over stops before it
credits, and leaves the settling of what it credited to the attempt that superseded it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from application.ports.clock import Clock
from application.ports.reward_repository import RewardRepository
from application.ports.wallet import CreditOutcome, Wallet
from domain.reward import Reward, RewardStatus

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
        stored = await self._rewards.record_pending(batch)
        pending = [r for r in stored if r.status is RewardStatus.PENDING]
        settled: dict[str, Reward] = {}
        if pending:
            if fence is not None:
                await fence()
            results = await self._wallet.credit(pending)
            now = self._clock.now()
            for reward, result in zip(pending, results, strict=True):
                if result.outcome is CreditOutcome.CREDITED:
                    settled[reward.key] = reward.awarded(now, attempt)
                else:
                    reason = _FAILURE_REASONS[result.outcome]
                    detail = f"{reason}: {result.reason}" if result.reason else reason
                    settled[reward.key] = reward.failed(detail)
            if fence is not None:
                await fence()
            await self._rewards.settle(list(settled.values()))
        outcome = BatchOutcome()
        for reward in stored:
            final = settled.get(reward.key, reward)
            if final.status is RewardStatus.AWARDED:
                outcome.awarded.append(final)
            elif final.status is RewardStatus.FAILED:
                outcome.failed.append(final)
        return outcome
