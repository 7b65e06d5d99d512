"""Lenders: a credit sector that lends platforms money against their valuation, and loses on default.

A platform short of runway that investors will not (fully) fund may borrow up to
``lending.leverage_cap x valuation`` in all, times the lender's appetite. It pays
``lending.interest_rate`` on its debt every month in cash and repays principal out of profit.
When a platform fails, its debt is written off: the lender's loss. Each default cuts the lender's
appetite by ``lending.tightening`` (credit tightens for everyone); appetite then recovers towards
normal with a time constant of ``lending.recovery_months``.
"""

from __future__ import annotations

import mesa

from model.ledger import OUTSIDE, lender_account
from model.params.schema import Params


class Lender(mesa.Agent):
    def __init__(self, model, params: Params) -> None:
        super().__init__(model)
        self.terms = params.lending
        self.account = lender_account(0)
        self.appetite = 1.0  # share of the normal leverage cap it lends up to
        self.losses = 0.0  # debt written off on defaults
        self.defaults = 0
        capital = self.terms.capital_per_user * params.users.count
        self.model.ledger.transfer(0, OUTSIDE, self.account, capital, "capital_commitment")

    @property
    def capital(self) -> float:
        return self.model.ledger.balance(self.account)

    def credit_line(self, valuation: float, debt: float) -> float:
        """Most it would lend now to a platform with this valuation and debt."""
        limit = self.terms.leverage_cap * self.appetite * max(valuation, 0.0)
        return max(0.0, min(limit - debt, self.capital))

    def write_off(self, debt: float) -> None:
        """A borrower failed: the debt is lost, and credit tightens."""
        if debt <= 0:
            return
        self.losses += debt
        self.defaults += 1
        self.appetite *= 1.0 - self.terms.tightening

    def recover(self) -> None:
        """Appetite drifts back towards normal after defaults."""
        self.appetite += (1.0 - self.appetite) / self.terms.recovery_months
