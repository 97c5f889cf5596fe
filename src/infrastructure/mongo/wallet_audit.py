"""Totals over the main application's wallets, for audits (the demo's proof of paying once)."""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorCollection

from application.ports.wallet_audit import WalletAudit, WalletTotals


class MongoWalletAudit(WalletAudit):
    def __init__(self, users: AsyncIOMotorCollection[dict[str, Any]]) -> None:
        self._users = users

    async def totals(self) -> WalletTotals:
        # Summed here rather than by an aggregation: `$size` of a null `badges` fails on the
        # server, and the seeding makes wallets and badge lists null on purpose.
        coins = badges = 0
        async for doc in self._users.find({}, {"rewards.coins": 1, "badges": 1}):
            coins += (doc.get("rewards") or {}).get("coins") or 0
            badges += len(doc.get("badges") or [])
        return WalletTotals(coins=coins, badges=badges)
