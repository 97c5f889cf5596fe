"""The users' wallets: the guarded single-document credit that makes paying idempotent.

A wallet remembers the key of every reward credited into it (`monthlyRewardKeys`), and the credit
is one update whose filter refuses a wallet holding the key: coins, badge and key change together
or not at all. Keys are plain strings because FerretDB cannot `$elemMatch` on sub-documents.

Null or missing `badges`/`rewards`/`rewards.coins` count as `[]`/`0` (the SPEC), but MongoDB
refuses `$push`/`$inc` on null, so such a wallet is credited by `$set` with a filter on that very
shape. The ranking read has just seen every wallet it ranks, so it notes the shapes
(`WalletShapes`) and the credit sends the right update at once; a chunk that still falls short
(a rerun, a deleted user, a wallet changed since) is read back by `_id` to find out why.

Chunks of updates go several at a time (`WriteLimits`, from the server's profile); `credit`
returns only once every write it sent has been answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection
from pymongo import UpdateOne

from application.foreground import Turn, no_wait, sliced
from application.ports.wallet import CreditOutcome, CreditResult, Wallet
from domain.reward import Reward
from infrastructure.mongo.bulk import bulk_update, chunked, find_by_ids
from infrastructure.mongo.mappers import badge_to_raw, user_id_to_db
from infrastructure.mongo.server_profile import ServerLimits, WriteLimits

KEYS_FIELD = "monthlyRewardKeys"
_READ_ROUNDS = 3
# What of a wallet is null or missing (bits of WalletShapes' notes): the SPEC reads them as
# [] and 0, so the credit sets them where it would push or add.
_BADGES = 1  # badges
_WALLET = 2  # rewards
_COINS = 4  # rewards.coins, in a rewards document
# The wallet fields the ranking read must project for WalletShapes.note.
SHAPE_PROJECTION = {"badges": 1, "rewards.coins": 1}


def credit_operation(reward: Reward, needs: int = 0) -> UpdateOne:
    """The guarded credit of one wallet whose null or missing fields are `needs` (bits): those
    are set (to the coins, to a list of the badge) instead of incremented or pushed, and the
    filter asks for exactly that shape, so a wallet that changed since matches nothing and is
    read back. One statement either way: on FerretDB each costs about a round trip."""
    # The $type guards keep nulls out: $inc/$push on null fail, and a failed write inside a bulk
    # breaks PyMongo on FerretDB (it stops the command and answers without nModified).
    query: dict[str, Any] = {
        "_id": user_id_to_db(reward.user_id),
        KEYS_FIELD: {"$ne": reward.wallet_key},
    }
    # updatedAt: the platform's timestamp of a change to the user (= the badge's earnedAt).
    change: dict[str, dict[str, Any]] = {"$set": {"updatedAt": reward.created_at}}
    badge = badge_to_raw(reward)
    if needs & _BADGES:
        query["badges"] = None
        change["$set"]["badges"] = [badge]
        change["$push"] = {KEYS_FIELD: reward.wallet_key}
    else:
        query["badges"] = {"$type": "array"}
        change["$push"] = {"badges": badge, KEYS_FIELD: reward.wallet_key}
    if needs & _WALLET:
        query["rewards"] = None
        change["$set"]["rewards"] = {"coins": reward.coins}
    elif needs & _COINS:
        query["rewards"] = {"$type": "object"}
        query["rewards.coins"] = None
        change["$set"]["rewards.coins"] = reward.coins
    else:
        query["rewards.coins"] = {"$type": "number"}
        change["$inc"] = {"rewards.coins": reward.coins}
    return UpdateOne(query, change)


def _needs(doc: Mapping[str, Any]) -> int:
    """What of a wallet is null or missing (bits), read from a document projected on its wallet
    fields. Values of the wrong type count as present: nothing can credit them (`_unfixable`)."""
    needs = _BADGES if doc.get("badges") is None else 0
    wallet = doc.get("rewards")
    if wallet is None:
        needs |= _WALLET
    elif isinstance(wallet, Mapping) and wallet.get("coins") is None:
        needs |= _COINS
    return needs


class WalletShapes:
    """Which wallets the ranking reads saw with null or missing fields, by category and user id,
    until the credit takes them. Only a hint: a wrong note makes its chunk fall short and be read
    back."""

    def __init__(self) -> None:
        self._needs: dict[str, dict[str, int]] = {}

    def restart(self, category: str) -> None:
        """A new ranking read of `category`: forget what an earlier read of it saw. The memory
        stays bounded by one read per category, and the next category's read, running while
        this one is credited, leaves this one's notes alone."""
        self._needs[category] = {}

    def note(self, category: str, user_id: str, doc: Mapping[str, Any]) -> None:
        if needs := _needs(doc):
            self._needs.setdefault(category, {})[user_id] = needs

    def take(self, user_ids: Sequence[str]) -> dict[str, int]:
        """The notes of these users, forgotten here (a user is in one category: one role)."""
        taken: dict[str, int] = {}
        for notes in self._needs.values():
            taken.update((u, n) for u in user_ids if (n := notes.pop(u, 0)))
        return taken

    def __len__(self) -> int:
        return sum(len(notes) for notes in self._needs.values())


class MongoWallet(Wallet):
    def __init__(
        self,
        users: AsyncIOMotorCollection[dict[str, Any]],
        limits: ServerLimits | WriteLimits | None = None,
        shapes: WalletShapes | None = None,
        turn: Turn = no_wait,
        give_way: Turn = no_wait,
    ) -> None:
        self._users = users
        self._turn = turn
        self._give_way = give_way
        self._limits = limits if limits is not None else ServerLimits(users.database.client)
        self._shapes = shapes
        # One limit for every credit of this wallet at once (two batches overlapping, two
        # jobs in one process): the statement budget is per process, not per call.
        self._gate: asyncio.Semaphore | None = None

    async def _write_limits(self) -> WriteLimits:
        limits = self._limits
        found = limits if isinstance(limits, WriteLimits) else await limits.get()
        if self._gate is None:
            self._gate = asyncio.Semaphore(found.concurrency)
        return found

    async def credit(self, rewards: Sequence[Reward]) -> list[CreditResult]:
        if not rewards:
            return []
        limits = await self._write_limits()
        needs = self._shapes.take([r.user_id for r in rewards]) if self._shapes else {}
        short = await self._credit_shaped(rewards, needs, limits)
        # A chunk whose every wallet matched is settled; the others hold a rerun's wallet, a
        # missing user or null fields nobody noted. Only those chunks are read to find out which.
        outcomes = await self._resolve(short, limits) if short else {}
        credited = CreditResult(CreditOutcome.CREDITED)
        return [outcomes.get(r.key, credited) for r in rewards]

    async def _credit_shaped(
        self, rewards: Sequence[Reward], needs: Mapping[str, int], limits: WriteLimits
    ) -> list[Reward]:
        """One credit per reward, shaped by what is known of its wallet, in chunks several in
        flight; returns the rewards of the chunks that fell short."""
        operations = await sliced(
            rewards, lambda r: credit_operation(r, needs.get(r.user_id, 0)), self._give_way
        )
        matched = await bulk_update(
            self._users,
            operations,
            ordered=False,
            chunk=limits.update_chunk,
            concurrency=limits.concurrency,
            gate=self._gate,
            turn=self._turn,
        )
        parts = chunked(rewards, limits.update_chunk)
        return [
            r for part, count in zip(parts, matched, strict=True) if count < len(part) for r in part
        ]

    async def _resolve(
        self, unresolved: list[Reward], limits: WriteLimits
    ) -> dict[str, CreditResult]:
        """Reads the wallets of chunks that fell short and credits again those that can be, with
        the shape just read; a chunk that falls short again is read again, a few times."""
        outcomes: dict[str, CreditResult] = {}
        for round_no in range(_READ_ROUNDS):
            wallets = await self._read([r.user_id for r in unresolved])
            retry: list[Reward] = []
            shapes: dict[str, int] = {}
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
                    shapes[reward.user_id] = _needs(doc)
            if not retry:
                break
            if round_no == _READ_ROUNDS - 1:
                for reward in retry:  # read just now: not credited, and it keeps changing
                    outcomes[reward.key] = CreditResult(
                        CreditOutcome.NOT_CREDITABLE, "wallet kept changing while being credited"
                    )
                break
            unresolved = await self._credit_shaped(retry, shapes, limits)
            # Chunks that matched in full are credited now; only the others are read again.
            again = {r.key for r in unresolved}
            credited = CreditResult(CreditOutcome.CREDITED)
            outcomes.update((r.key, credited) for r in retry if r.key not in again)
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
