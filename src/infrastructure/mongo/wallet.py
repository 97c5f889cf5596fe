"""The users' wallets: the guarded single-document credit that makes paying idempotent.

A wallet remembers the key of every reward credited into it (`monthlyRewardKeys`), and the credit
is one update whose filter refuses a wallet holding the key: coins, badge and key change together
or not at all. Keys are plain strings because FerretDB cannot `$elemMatch` on sub-documents.

Null or missing `badges`/`rewards`/`rewards.coins` must be set to `[]`/`0` first (MongoDB refuses
`$push`/`$inc` on null). The ranking read has just seen every wallet it ranks, so it notes which
need that (`WalletShapes`) and the credit repairs exactly those first; a chunk that still falls
short (a rerun, a deleted user, a wallet changed since) is read back by `_id` to find out why.

Chunks of updates go several at a time (`WriteLimits`, from the server's profile); `credit`
returns only once every write it sent has been answered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection
from pymongo import UpdateOne

from application.ports.wallet import CreditOutcome, CreditResult, Wallet
from domain.reward import Reward
from infrastructure.mongo.bulk import bounded, bulk_update, chunked, find_by_ids
from infrastructure.mongo.mappers import badge_to_raw, user_id_to_db
from infrastructure.mongo.server_profile import ServerLimits, WriteLimits

KEYS_FIELD = "monthlyRewardKeys"
_REPAIR_ROUNDS = 3
# What a wallet needs before it can be credited (bits of WalletShapes' notes).
_BADGES = 1  # badges null or missing: set to []
_WALLET = 2  # rewards null or missing: set to {coins: 0}
_COINS = 4  # rewards.coins null or missing: set to 0
# The wallet fields the ranking read must project for WalletShapes.note.
SHAPE_PROJECTION = {"badges": 1, "rewards.coins": 1}


def credit_operation(reward: Reward) -> UpdateOne:
    # The $type guards keep nulls out: $inc/$push on null fail, and a failed write inside a bulk
    # breaks PyMongo on FerretDB (it stops the command and answers without nModified).
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
        },
    )


def _needs(doc: Mapping[str, Any]) -> int:
    """The repairs a wallet needs (bits), read from a document projected on its wallet fields.
    Values of the wrong type need none: no repair can fix them (`_unfixable` says why)."""
    needs = _BADGES if doc.get("badges") is None else 0
    wallet = doc.get("rewards")
    if wallet is None:
        needs |= _WALLET
    elif isinstance(wallet, Mapping) and wallet.get("coins") is None:
        needs |= _COINS
    return needs


def _repair_operations(user: Any, needs: int) -> list[UpdateOne]:
    """Sets null or missing wallet fields to their empty value (the SPEC reads them as 0/[]);
    each filter matches only while the field is still null or missing, so a repair is safe to
    send again and harmless when the wallet changed meanwhile."""
    ops: list[UpdateOne] = []
    if needs & _BADGES:
        ops.append(UpdateOne({"_id": user, "badges": None}, {"$set": {"badges": []}}))
    if needs & _WALLET:
        ops.append(UpdateOne({"_id": user, "rewards": None}, {"$set": {"rewards": {"coins": 0}}}))
    if needs & _COINS:
        ops.append(UpdateOne({"_id": user, "rewards.coins": None}, {"$set": {"rewards.coins": 0}}))
    return ops


class WalletShapes:
    """Which wallets the ranking read saw needing a repair, by user id, until the credit takes
    them. Only a hint: a stale note costs one repair that matches nothing, a missing one a read."""

    def __init__(self) -> None:
        self._needs: dict[str, int] = {}

    def restart(self) -> None:
        """A new ranking read: forget what an earlier one saw (bounds the memory to one read)."""
        self._needs.clear()

    def note(self, user_id: str, doc: Mapping[str, Any]) -> None:
        if needs := _needs(doc):
            self._needs[user_id] = needs

    def take(self, user_ids: Sequence[str]) -> dict[str, int]:
        return {u: n for u in user_ids if (n := self._needs.pop(u, 0))}

    def __len__(self) -> int:
        return len(self._needs)


class MongoWallet(Wallet):
    def __init__(
        self,
        users: AsyncIOMotorCollection[dict[str, Any]],
        limits: ServerLimits | WriteLimits | None = None,
        shapes: WalletShapes | None = None,
    ) -> None:
        self._users = users
        self._limits = limits if limits is not None else ServerLimits(users.database.client)
        self._shapes = shapes

    async def _write_limits(self) -> WriteLimits:
        limits = self._limits
        return limits if isinstance(limits, WriteLimits) else await limits.get()

    async def credit(self, rewards: Sequence[Reward]) -> list[CreditResult]:
        if not rewards:
            return []
        limits = await self._write_limits()
        needs = self._shapes.take([r.user_id for r in rewards]) if self._shapes else {}
        short = await self._repair_and_credit(rewards, needs, limits)
        # A chunk whose every wallet matched is settled; the others hold a rerun's wallet, a
        # missing user or null fields nobody noted. Only those chunks are read to find out which.
        outcomes = await self._resolve(short, limits) if short else {}
        credited = CreditResult(CreditOutcome.CREDITED)
        return [outcomes.get(r.key, credited) for r in rewards]

    async def _repair_and_credit(
        self, rewards: Sequence[Reward], needs: Mapping[str, int], limits: WriteLimits
    ) -> list[Reward]:
        """Credits in chunks, several in flight; each chunk's noted repairs go just before it, on
        the same lane. Returns the rewards of the chunks that fell short."""
        chunk = limits.update_chunk

        def lane(part: Sequence[Reward]) -> Any:
            async def call() -> list[Reward]:
                repairs = [
                    op
                    for r in part
                    if (n := needs.get(r.user_id))
                    for op in _repair_operations(user_id_to_db(r.user_id), n)
                ]
                for repair_part in chunked(repairs, chunk):
                    await self._users.bulk_write(list(repair_part), ordered=False)
                result = await self._users.bulk_write(
                    [credit_operation(r) for r in part], ordered=False
                )
                return [] if result.matched_count == len(part) else list(part)

            return call

        shortfalls = await bounded([lane(p) for p in chunked(rewards, chunk)], limits.concurrency)
        return [reward for part in shortfalls for reward in part]

    async def _resolve(
        self, unresolved: list[Reward], limits: WriteLimits
    ) -> dict[str, CreditResult]:
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
                    repairs.extend(_repair_operations(doc["_id"], _needs(doc)))
            if not retry:
                break
            if round_no == _REPAIR_ROUNDS - 1:
                for reward in retry:  # read just now: not credited, and it keeps changing
                    outcomes[reward.key] = CreditResult(
                        CreditOutcome.NOT_CREDITABLE, "wallet kept changing while being credited"
                    )
                break
            if repairs:
                await bulk_update(
                    self._users,
                    repairs,
                    ordered=False,
                    chunk=limits.update_chunk,
                    concurrency=limits.concurrency,
                )
            matched = await bulk_update(
                self._users,
                [credit_operation(r) for r in retry],
                ordered=False,
                chunk=limits.update_chunk,
                concurrency=limits.concurrency,
            )
            # Chunks that matched in full are credited now; only the others are read again.
            unresolved = []
            for part, count in zip(chunked(retry, limits.update_chunk), matched, strict=True):
                if count == len(part):
                    outcomes.update((r.key, CreditResult(CreditOutcome.CREDITED)) for r in part)
                else:
                    unresolved.extend(part)
            if not unresolved:
                break
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
