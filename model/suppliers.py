"""Suppliers of compute and circular financing (the AI scenario).

Platforms buy compute from a supplier (platform j from supplier j mod count): a share of their
infrastructure cost per user. A supplier may invest in a client's funding round against a purchase
commitment: the client promises to buy ``commitment_multiple`` times the investment over
``commitment_months`` (take-or-pay), and the supplier builds capacity for it at once, financed by
bonds. The money it invested comes back as its own revenue ("round-tripping"): it reports all
sales, but keeps apart the round-tripped part (sales paid for with its own investment) from
external revenue, with a circularity ratio. It is valued on reported revenue, and that valuation
pays for deals its cash cannot: it sells new shares at it (up to ``share_issue_limit`` of it), so
round-tripped sales raise the value that funds the next deal (the circle of essay 002).

When a client fails, the supplier writes off its stake and the unpaid commitment; without that
revenue it may be unable to service its bonds, and fail in turn. Either event hits the funding
market's sentiment, and so every platform's funding (contagion, applied by the economy). If the
state's rescues cover suppliers (``bailout.covers_suppliers``), one whose clients are systemic is
rescued instead: a loan it repays out of its monthly margin, a grant, or a guarantee of new bonds.
"""

from __future__ import annotations

import mesa

from model.ledger import OUTSIDE, supplier_account
from model.params.schema import Params

ACTIVE, FAILED = "active", "failed"


class Supplier(mesa.Agent):
    def __init__(self, model, supplier_id: int, params: Params) -> None:
        super().__init__(model)
        self.terms = params.suppliers
        self.supplier_id = supplier_id
        self.account = supplier_account(supplier_id)
        self.status = ACTIVE
        self.recycled: dict[int, float] = {}  # per client: invested money not yet come back as sales
        self.bonds = 0.0  # capacity financed by bonds, still to repay
        self.revenue = self.external_revenue = self.round_tripped = 0.0  # this month
        self.total_revenue = self.total_round_tripped = 0.0
        self.revenue_trend = 0.0
        self.losses = 0.0  # stakes and commitments written off
        self.invested = 0.0
        self.margin = 0.0  # this month: sales less production costs and bond service
        self.public_loan = 0.0  # a rescue loan, with its interest, still to repay
        self.guaranteed_bonds = 0.0  # bonds the state guarantees, still to repay
        self.public_money = self.repaid_to_state = 0.0  # rescue grants and loans received; loan repayments made
        self.guaranteed_issued = 0.0  # bonds issued under the state's guarantee
        self.shares_sold = 0.0  # new shares sold to outside investors, at its valuation, to fund deals
        capital = self.terms.capital_per_user * params.users.count
        self.model.ledger.transfer(0, OUTSIDE, self.account, capital, "capital_commitment")

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    @property
    def rescued(self) -> bool:
        """Whether the state has rescued it (money or a guarantee): what it does afterwards follows a public rescue."""
        return self.public_money > 0 or self.guaranteed_issued > 0

    @property
    def cash(self) -> float:
        return self.model.ledger.balance(self.account)

    @property
    def circularity(self) -> float:
        """Share of all its reported sales so far paid for with its own investments."""
        return self.total_round_tripped / self.total_revenue if self.total_revenue > 0 else 0.0

    def valuation(self, sentiment: float) -> float:
        """Valued on reported revenue, round-tripped or not: multiple x annual revenue x sentiment."""
        return self.terms.revenue_multiple * 12.0 * self.revenue_trend * sentiment if self.active else 0.0

    def spare_cash(self) -> float:
        """Cash beyond a year of bond service, which it keeps."""
        return max(0.0, self.cash - 12.0 * self.bond_service())

    def share_room(self, sentiment: float) -> float:
        """What it could still raise in new shares: ``share_issue_limit`` of its valuation, less what it has sold."""
        return max(0.0, self.terms.share_issue_limit * self.valuation(sentiment) - self.shares_sold)

    def investment_offer(self, sentiment: float) -> float:
        """What it would invest in a client's round now: out of its spare cash, and new shares at its valuation."""
        wanted = self.terms.investment_per_user * self.model.params.users.count
        return min(wanted, self.spare_cash() + self.share_room(sentiment)) if self.active else 0.0

    def raise_for(self, amount: float) -> None:
        """Sell new shares to outside investors for the part of an investment its spare cash does not cover."""
        short = amount - self.spare_cash()
        if short > 0:
            self.model.ledger.transfer(self.model.month, OUTSIDE, self.account, short, "supplier_shares")
            self.shares_sold += short

    def build_capacity(self, commitment: float) -> None:
        """Capacity for a new commitment, paid at once, financed by bonds."""
        capex = self.terms.capacity_share * commitment
        ledger, step = self.model.ledger, self.model.month
        ledger.transfer(step, OUTSIDE, self.account, capex, "bonds")
        ledger.transfer(step, self.account, OUTSIDE, capex, "capacity")
        self.bonds += capex

    def record_investment(self, client: int, amount: float) -> None:
        self.recycled[client] = self.recycled.get(client, 0.0) + amount
        self.invested += amount

    def clear_month(self) -> None:
        self.revenue = self.external_revenue = self.round_tripped = 0.0

    def sell(self, client: int, amount: float) -> None:
        """A client paid for compute: the part its investment paid for is round-tripped."""
        back = min(amount, self.recycled.get(client, 0.0))
        if back:
            self.recycled[client] -= back
        self.revenue += amount
        self.round_tripped += back
        self.external_revenue += amount - back
        self.total_revenue += amount
        self.total_round_tripped += back

    def bond_service(self) -> float:
        """Monthly principal and interest due on its bonds."""
        return self.bonds / self.terms.commitment_months + self.bonds * self.terms.bond_rate

    def operate(self) -> float:
        """Pay production costs on this month's sales and service the bonds. Returns the guaranteed bonds repaid."""
        ledger, step = self.model.ledger, self.model.month
        production = self.terms.production_cost * self.revenue
        if production:
            ledger.transfer(step, self.account, OUTSIDE, production, "production_costs")
        service = self.bond_service()
        repaid = self.guaranteed_bonds / self.terms.commitment_months
        if service:
            ledger.transfer(step, self.account, OUTSIDE, service, "bond_service")
            self.bonds -= self.bonds / self.terms.commitment_months
            self.guaranteed_bonds -= repaid
        self.margin = self.revenue - production - service
        self.revenue_trend += 0.3 * (self.revenue - self.revenue_trend)
        return repaid if service else 0.0

    def take_rescue(self, government: str, amount: float, form: str, valuation: float | None = None) -> None:
        """A public rescue: a grant, or a loan it must repay (its shares are not modelled: no equity)."""
        self.model.ledger.transfer(self.model.month, government, self.account, amount, "bailout")
        self.public_money += amount
        if form == "loan":
            self.public_loan += amount

    def issue_guaranteed_bonds(self, amount: float) -> None:
        """A rescue by guarantee: it issues bonds for ``amount``, which the state guarantees."""
        self.model.ledger.transfer(self.model.month, OUTSIDE, self.account, amount, "bonds")
        self.bonds += amount
        self.guaranteed_bonds += amount
        self.guaranteed_issued += amount

    def service_public_loan(self, rate: float, government: str) -> float:
        """A rescue loan accrues interest at ``rate`` a month and is repaid out of its margin. Returns the repayment."""
        if self.public_loan <= 0:
            return 0.0
        self.public_loan, repayment = self.model.ledger.repay_loan(self.model.month, self.account, government,
                                                                   self.public_loan, rate, self.margin)
        self.repaid_to_state += repayment
        return repayment

    def write_off(self, client: int, stake: float, commitment: float) -> float:
        """A client failed: its stake and unpaid commitment are lost. Returns the loss."""
        self.recycled.pop(client, None)
        loss = stake + commitment
        self.losses += loss
        return loss

    def fail(self) -> float:
        """It cannot pay: its creditors (the outside world) write off what it owes. Returns its guaranteed bonds."""
        if self.cash < 0:
            self.model.ledger.transfer(self.model.month, OUTSIDE, self.account, -self.cash, "creditor_loss")
        guaranteed, self.bonds, self.guaranteed_bonds = self.guaranteed_bonds, 0.0, 0.0
        self.status = FAILED
        return guaranteed
