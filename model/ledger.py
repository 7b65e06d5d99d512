"""The ledger: every money flow of the economy, with payer, payee, amount and kind.

Balances live here and only here: an agent's cash *is* its ledger balance, so no code path can
create or destroy money without leaving a row. ``outside`` is the rest of the world, the only
source of exogenous money (households' income, advertisers' sales, investors' capital).
"""

from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd

OUTSIDE = "outside"
HOUSEHOLDS = "households"
ADVERTISERS = "advertisers"
GOVERNMENT = "government"


def platform_account(platform_id: int) -> str:
    return f"platform:{platform_id}"


def investor_account(investor_id: int) -> str:
    return f"investor:{investor_id}"


def lender_account(lender_id: int) -> str:
    return f"lender:{lender_id}"


def supplier_account(supplier_id: int) -> str:
    return f"supplier:{supplier_id}"


def parent_account(platform_id: int) -> str:
    return f"parent:{platform_id}"


def founders_account(platform_id: int) -> str:
    return f"founders:{platform_id}"


class Ledger:
    """Double-entry record of transfers between named accounts."""

    def __init__(self) -> None:
        self._balances: dict[str, float] = defaultdict(float)
        self._steps: list[int] = []
        self._payers: list[str] = []
        self._payees: list[str] = []
        self._amounts: list[float] = []
        self._kinds: list[str] = []

    def transfer(self, step: int, payer: str, payee: str, amount: float, kind: str) -> None:
        """Move ``amount`` dollars from payer to payee. Zero transfers leave no row."""
        if not math.isfinite(amount) or amount < 0:
            raise ValueError(f"ledger: {kind} from {payer} to {payee} has invalid amount {amount!r}")
        if payer == payee:
            raise ValueError(f"ledger: {kind} pays {payer} to itself")
        if amount == 0:
            return
        self._balances[payer] -= amount
        self._balances[payee] += amount
        self._steps.append(step)
        self._payers.append(payer)
        self._payees.append(payee)
        self._amounts.append(float(amount))
        self._kinds.append(kind)

    def balance(self, account: str) -> float:
        return self._balances.get(account, 0.0)

    def repay_loan(self, step: int, borrower: str, lender: str, owed: float, rate: float, surplus: float) -> tuple[float, float]:
        """A loan accrues interest at ``rate`` for the month and is repaid out of the borrower's
        ``surplus`` (its profit or margin), within its cash. Returns what is still owed, and the repayment."""
        owed *= 1.0 + rate
        repayment = min(owed, max(surplus, 0.0), max(self.balance(borrower), 0.0))
        if repayment > 0:
            self.transfer(step, borrower, lender, repayment, "loan_repayment")
            owed -= repayment
        return owed, repayment

    def balances(self) -> dict[str, float]:
        return dict(self._balances)

    def __len__(self) -> int:
        return len(self._amounts)

    def frame(self) -> pd.DataFrame:
        """All transfers as a tidy frame: step, payer, payee, amount, kind."""
        return pd.DataFrame(
            {
                "step": pd.array(self._steps, dtype="int64"),
                "payer": pd.array(self._payers, dtype="string"),
                "payee": pd.array(self._payees, dtype="string"),
                "amount": pd.array(self._amounts, dtype="float64"),
                "kind": pd.array(self._kinds, dtype="string"),
            }
        )
