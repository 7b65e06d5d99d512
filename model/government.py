"""Government: rescues systemic platforms that run out of money, and taxes households to pay.

It also collects the excess-profit tax (model.regulation holds the regulator's rules) and funds
public platforms (``cooperative.kind = "public"``).

"Privatise profits, socialise losses": a rescue is paid by a tax on households; a loan is repaid
with interest, equity earns dividends, a grant returns nothing. Disbursed, recovered and net
public cost are kept apart (as the US Treasury reports TARP).
"""

from __future__ import annotations

import mesa

from model.ledger import GOVERNMENT, HOUSEHOLDS, OUTSIDE
from model.params.schema import Params


class Government(mesa.Agent):
    def __init__(self, model, params: Params) -> None:
        super().__init__(model)
        self.policy = params.bailout
        self.cap = params.bailout.cap_per_user * params.users.count
        self.disbursed = 0.0
        self.recovered = 0.0
        self.taxes = 0.0
        self.rescues = 0
        self.tax_revenue = 0.0  # excess-profit tax paid by platforms
        self.platform_funding = 0.0  # grants to public (or cooperative) platforms

    def record_tax_revenue(self, amount: float) -> None:
        self.tax_revenue += amount

    @property
    def net_cost(self) -> float:
        return self.disbursed - self.recovered

    def is_systemic(self, platform, platforms) -> bool:
        """Too big to fail: the platform holds at least ``bailout.systemic_share`` of all platform users.

        The one definition of "systemic", for the rescues and for investors who count on them.
        """
        total = sum(p.users for p in platforms)
        share = platform.users / total if total else 0.0
        return share >= self.policy.systemic_share

    def rescue_amount(self, deficit: float, burn: float, systemic: bool) -> float:
        """How much a rescue would disburse, or 0 if the policy does not cover this platform."""
        if not self.policy.enabled or not systemic:
            return 0.0
        wanted = deficit + self.policy.runway_months * burn
        room = self.cap - self.disbursed
        return wanted if 0 < wanted <= room else 0.0

    def levy(self, amount: float) -> None:
        """Raise a tax on households to fund a rescue (their income comes from the outside economy)."""
        ledger, step = self.model.ledger, self.model.month
        ledger.transfer(step, OUTSIDE, HOUSEHOLDS, amount, "income")
        ledger.transfer(step, HOUSEHOLDS, GOVERNMENT, amount, "tax")
        self.taxes += amount

    def fund_platform(self, platform, amount: float) -> None:
        """Fund a public or cooperative platform with a grant, raised by a tax on households."""
        self.levy(amount)
        self.model.ledger.transfer(self.model.month, GOVERNMENT, platform.account, amount, "public_funding")
        self.platform_funding += amount

    def record_disbursement(self, amount: float) -> None:
        self.disbursed += amount
        self.rescues += 1

    def record_recovery(self, amount: float) -> None:
        self.recovered += amount
