"""Government: rescues systemic platforms that run out of money, and taxes households to pay.

It also collects the excess-profit tax (model.regulation holds the regulator's rules) and funds
public platforms (``cooperative.kind = "public"``).

"Privatise profits, socialise losses": a rescue is paid by a tax on households; a loan is repaid
with interest, equity earns dividends, a grant returns nothing, and a guarantee costs nothing until
the platform fails and the state pays its lenders. Disbursed, recovered and net public cost are
kept apart (as the US Treasury reports TARP), beside what the cash flows leave out: the subsidy in a
loan or guarantee priced below the rate a private lender would charge, and the deadweight cost of
the taxes (``bailout.marginal_cost_of_public_funds`` a dollar). Their sum is the public cost
(ODD 6.9).
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
        self.supplier_rescues = 0  # of which, rescues of compute suppliers (bailout.covers_suppliers)
        self.rescue_taxes = 0.0  # taxes raised for rescues and guarantee calls
        self.subsidy = 0.0  # interest a private lender would have charged beyond the rescue's rate
        self.guaranteed = 0.0  # platforms' debts the state guarantees now (its exposure)
        self.guarantees_called = 0.0
        self.payouts_after_rescue = 0.0  # paid by rescued platforms to their private holders
        self.tax_revenue = 0.0  # excess-profit tax paid by platforms
        self.platform_funding = 0.0  # grants to public (or cooperative) platforms

    def record_tax_revenue(self, amount: float) -> None:
        self.tax_revenue += amount

    @property
    def net_cost(self) -> float:
        """Cash out minus cash back, as the Treasury reports a programme."""
        return self.disbursed - self.recovered

    @property
    def deadweight_cost(self) -> float:
        """What raising the rescues' taxes cost society beyond the dollars themselves."""
        return self.policy.marginal_cost_of_public_funds * self.rescue_taxes

    @property
    def total_cost(self) -> float:
        """The public cost of rescues: the net cash cost, the subsidy in their rates, and the taxes' deadweight."""
        return self.net_cost + self.subsidy + self.deadweight_cost

    def is_systemic(self, platform, platforms) -> bool:
        """Too big to fail: the platform holds at least ``bailout.systemic_share`` of all platform users.

        The one definition of "systemic", for the rescues and for investors who count on them.
        """
        total = sum(p.users for p in platforms)
        share = platform.users / total if total else 0.0
        return share >= self.policy.systemic_share

    def is_systemic_supplier(self, supplier, platforms) -> bool:
        """A supplier is too big to fail when the policy covers suppliers and its open clients hold at least
        ``bailout.systemic_share`` of all platform users (its failure would cut them off)."""
        if not self.policy.covers_suppliers:
            return False
        total = sum(p.users for p in platforms)
        clients = sum(p.users for p in platforms if p.active and p.supplier_account == supplier.account)
        return total > 0 and clients / total >= self.policy.systemic_share

    def rescue_amount(self, deficit: float, burn: float, systemic: bool) -> float:
        """How much a rescue would disburse, or 0 if the policy does not cover this platform."""
        if not self.policy.enabled or not systemic:
            return 0.0
        wanted = deficit + self.policy.runway_months * burn
        room = self.cap - self.disbursed - self.guaranteed
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

    def rescue(self, rescued, amount: float, valuation: float | None = None) -> None:
        """Put ``amount`` into a platform or supplier as a grant, a loan or equity (at ``valuation``), raised by a tax."""
        self.levy(amount)
        self.rescue_taxes += amount
        rescued.take_rescue(GOVERNMENT, amount, self.policy.form, valuation)
        self.disbursed += amount
        self.rescues += 1

    def guarantee_bonds(self, supplier, amount: float) -> None:
        """Guarantee the bonds a supplier issues to pay its way: no public money moves until it fails."""
        supplier.issue_guaranteed_bonds(amount)
        self.guaranteed += amount
        self.rescues += 1

    def rescue_supplier(self, supplier, amount: float) -> None:
        """Rescue a systemic supplier in the policy's form: a guarantee of its new bonds, or a loan or grant."""
        if self.policy.form == "guarantee":
            self.guarantee_bonds(supplier, amount)
        else:
            self.rescue(supplier, amount)
        self.supplier_rescues += 1

    def guarantee(self, platform, lender: str, amount: float) -> None:
        """Guarantee a private loan of ``amount`` to ``platform``: no public money moves until it is called."""
        platform.take_guaranteed_loan(lender, amount)
        self.guaranteed += amount
        self.rescues += 1

    def release_guarantee(self, amount: float) -> None:
        """A guaranteed loan was repaid: the state's exposure shrinks."""
        self.guaranteed -= amount

    def call_guarantee(self, lender: str, amount: float) -> None:
        """A platform (or supplier) failed: the state pays its lenders (bondholders) the guaranteed debt, raised by a tax."""
        self.levy(amount)
        self.rescue_taxes += amount
        self.model.ledger.transfer(self.model.month, GOVERNMENT, lender, amount, "guarantee_call")
        self.guaranteed -= amount
        self.guarantees_called += amount
        self.disbursed += amount

    def accrue_subsidy(self, public_loan: float, guaranteed: float, guaranteed_rate: float) -> None:
        """A month of subsidy: a rescue loan, or debt the state guarantees (at ``guaranteed_rate``), carries less
        interest than the borrower's risk."""
        private_rate = self.policy.private_rate
        self.subsidy += (public_loan * max(0.0, private_rate - self.policy.loan_rate)
                         + guaranteed * max(0.0, private_rate - guaranteed_rate))

    def record_recovery(self, amount: float) -> None:
        self.recovered += amount

    def record_payouts(self, platform, payments: list[tuple[str, float]]) -> None:
        """A platform paid out: the state's part is recovered; a rescued platform's private holders' part is counted."""
        for holder, amount in payments:
            if holder == GOVERNMENT:
                self.recovered += amount
            elif platform.rescued:
                self.payouts_after_rescue += amount
