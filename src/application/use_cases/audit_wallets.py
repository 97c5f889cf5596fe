"""What all wallets hold together: the demo's (and an operator's) proof that a month was paid
once, comparing the totals before and after with what the job reports."""

from __future__ import annotations

from application.ports.wallet_audit import WalletAudit, WalletTotals


class AuditWallets:
    def __init__(self, wallets: WalletAudit) -> None:
        self._wallets = wallets

    async def execute(self) -> WalletTotals:
        return await self._wallets.totals()
