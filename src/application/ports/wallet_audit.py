"""Totals over every wallet: what an audit compares with what a job says it paid."""

from __future__ import annotations

import abc
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WalletTotals:
    coins: int
    badges: int


class WalletAudit(abc.ABC):
    @abc.abstractmethod
    async def totals(self) -> WalletTotals:
        """Coins and badges held by all users together (a null wallet or badge list is 0)."""
