"""The users' wallets: the guarded single-document credit that makes paying idempotent.

A wallet remembers the key of every reward credited into it (`monthlyRewardKeys`), and the credit
is one update whose filter refuses a wallet holding the key: coins, badge and key change together
or not at all. Keys are plain strings because FerretDB cannot `$elemMatch` on sub-documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection
from pymongo import UpdateOne

from application.ports.wallet import CreditOutcome, CreditResult, Wallet
from domain.reward import Reward
from infrastructure.mongo.bulk import DEFAULT_UPDATE_CHUNK, bulk_update, find_by_ids
from infrastructure.mongo.mappers import badge_to_raw, user_id_to_db

KEYS_FIELD = "monthlyRewardKeys"
_REPAIR_ROUNDS = 3


def credit_operation(reward: Reward) -> UpdateOne:
    # The $type guards keep nulls out: $inc/$push on null fail, and a failed write inside a bulk
    # breaks PyMongo on FerretDB. Wallets with nulls take the repair path instead.
    return UpdateOne(
        {
            "_id": user_id_to_db(reward.user_id),
            KEYS_FIELD: {"$ne": reward.wallet_key},
            "badges": {"$type": "array"},
            "rewards.coins": {"$type": "number"},
        },
        {
            "$inc": {"rewards.coins": reward.coins},
            "$push": {"badges": badge_to_raw(reward), KEYS_FIELD: reward.wallet_key},
            "$set": {"updatedAt": reward.created_at},  # the platform's timestamp; = earnedAt
        },
    )


class MongoWallet(Wallet):
    def __init__(
        self,
        users: AsyncIOMotorCollection[dict[str, Any]],
        update_chunk: int = DEFAULT_UPDATE_CHUNK,
    ) -> None:
        self._users = users
        self._chunk = update_chunk

    async def _bulk(self, operations: list[UpdateOne], ordered: bool = False) -> list[int]:
        return await bulk_update(self._users, operations, ordered=ordered, chunk=self._chunk)

    async def credit(self, rewards: Sequence[Reward]) -> list[CreditResult]:
        if not rewards:
            return []
        matched = await self._bulk([credit_operation(r) for r in rewards])
        # A chunk whose every wallet matched is settled; the others hold a rerun's wallet, a
        # missing user or null fields. Only those chunks are read to find out which.
        short = [
            reward
            for index, count in enumerate(matched)
            if count < len(chunk := rewards[index * self._chunk : (index + 1) * self._chunk])
            for reward in chunk
        ]
        outcomes = await self._resolve(short) if short else {}
        credited = CreditResult(CreditOutcome.CREDITED)
        return [outcomes.get(r.key, credited) for r in rewards]

    async def _resolve(self, unresolved: list[Reward]) -> dict[str, CreditResult]:
        outcomes: dict[str, CreditResult] = {}
        for round_no in range(_REPAIR_ROUNDS):
            wallets = await self._read([r.user_id for r in unresolved])
            retry: list[Reward] = []
            repairs: list[UpdateOne] = []
            for reward in unresolved:
                doc = wallets.get(reward.user_id)
                if doc is None:
                    outcomes[reward.key] = CreditResult(CreditOutcome.USER_MISSING)
                elif reward.wallet_key in (doc.get(KEYS_FIELD) or []):
                    outcomes[reward.key] = CreditResult(CreditOutcome.CREDITED)
                elif (problem := _unfixable(doc)) is not None:
                    outcomes[reward.key] = CreditResult(CreditOutcome.NOT_CREDITABLE, problem)
                else:
                    retry.append(reward)
                    repairs.extend(_repairs(doc))
            if not retry:
                break
            if round_no == _REPAIR_ROUNDS - 1:
                for reward in retry:  # read just now: not credited, and it keeps changing
                    outcomes[reward.key] = CreditResult(
                        CreditOutcome.NOT_CREDITABLE, "wallet kept changing while being credited"
                    )
                break
            if repairs:
                await self._bulk(repairs, ordered=True)
            await self._bulk([credit_operation(r) for r in retry])
            unresolved = retry
        return outcomes

    async def _read(self, user_ids: list[str]) -> dict[str, dict[str, Any]]:
        docs = await find_by_ids(
            self._users,
            [user_id_to_db(u) for u in user_ids],
            {KEYS_FIELD: 1, "badges": 1, "rewards": 1},
        )
        return {str(doc["_id"]): doc for doc in docs}


def _unfixable(doc: dict[str, Any]) -> str | None:
    badges = doc.get("badges")
    if badges is not None and not isinstance(badges, list):
        return f"badges is a {type(badges).__name__}, not a list"
    wallet = doc.get("rewards")
    if wallet is not None and not isinstance(wallet, dict):
        return f"rewards is a {type(wallet).__name__}, not a document"
    coins = (wallet or {}).get("coins")
    if coins is not None and (isinstance(coins, bool) or not isinstance(coins, int | float)):
        return f"rewards.coins is a {type(coins).__name__}, not a number"
    return None


def _repairs(doc: dict[str, Any]) -> list[UpdateOne]:
    """Sets null or missing wallet fields to their empty value (the SPEC reads them as 0/[])."""
    user = doc["_id"]
    ops: list[UpdateOne] = []
    if doc.get("badges") is None:
        ops.append(UpdateOne({"_id": user, "badges": None}, {"$set": {"badges": []}}))
    wallet = doc.get("rewards")
    if wallet is None:
        ops.append(UpdateOne({"_id": user, "rewards": None}, {"$set": {"rewards": {"coins": 0}}}))
    elif wallet.get("coins") is None:
        ops.append(UpdateOne({"_id": user, "rewards.coins": None}, {"$set": {"rewards.coins": 0}}))
    return ops
