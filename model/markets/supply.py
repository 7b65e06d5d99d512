"""Compute suppliers and their clients: sales, circular deals and contagion (the AI scenario, ODD 6.16).

Platform j buys its compute from supplier j mod count. When a platform raises a round, its
supplier may invest in it against a purchase commitment and build capacity for it (circular
financing); the announcement lifts the funding market. A client's failure costs the supplier its
stake and the unpaid commitment, and a supplier that cannot pay fails: either event frightens the
funding market (contagion). Unless the state rescues it: with ``bailout.covers_suppliers``, a
supplier whose clients hold a systemic share of users gets a loan, a grant, or a guarantee of the
bonds it issues to pay its way (ODD 6.9); a guarantee is called if it fails all the same.
"""

from __future__ import annotations

from model.investors import appetite
from model.ledger import GOVERNMENT, OUTSIDE
from model.markets.funding import FundingMarket
from model.params.schema import Params
from model.platforms import Platform
from model.suppliers import Supplier


class ComputeMarket:
    def __init__(self, model, params: Params, funding: FundingMarket) -> None:
        self.model = model
        self.params = params
        self.funding = funding
        suppliers = model.suppliers
        for platform in model.platforms if suppliers else ():
            platform.buy_compute_from(suppliers[platform.platform_id % len(suppliers)].account)

    def supplier_of(self, platform: Platform) -> Supplier | None:
        return next((s for s in self.model.suppliers if s.account == platform.supplier_account and s.active), None)

    def settle(self) -> None:
        """Suppliers book their clients' compute purchases, pay their costs and bonds; one that cannot, fails."""
        for platform in self.model.platforms:
            supplier = self.supplier_of(platform)
            if supplier and platform.compute_paid:
                supplier.sell(platform.platform_id, platform.compute_paid)
        government = self.model.government
        for supplier in self.model.suppliers:
            if supplier.active:
                government.release_guarantee(supplier.operate())
                government.accrue_subsidy(supplier.public_loan, supplier.guaranteed_bonds, self.params.suppliers.bond_rate)
                repayment = supplier.service_public_loan(government.policy.loan_rate, GOVERNMENT)
                if repayment > 0:
                    government.record_recovery(repayment)
                if supplier.cash < 0 and not self.rescue(supplier):
                    self.supplier_fails(supplier)

    def rescue(self, supplier: Supplier) -> bool:
        """The state rescues a supplier whose clients are systemic, if its policy covers suppliers: a loan
        or grant of its deficit and a runway of bond service, or a guarantee of bonds it issues for them."""
        government = self.model.government
        systemic = government.is_systemic_supplier(supplier, self.model.platforms)
        amount = government.rescue_amount(-supplier.cash, supplier.bond_service(), systemic)
        if not amount:
            return False
        government.rescue_supplier(supplier, amount)
        return True

    def circular_deal(self, platform: Platform) -> None:
        """Its supplier invests in the round against a purchase commitment, and builds capacity for it."""
        supplier = self.supplier_of(platform)
        terms = self.params.suppliers
        # The supplier's appetite for a client's round is the investors' (it invests beside them).
        offer = supplier.investment_offer(self.funding.sentiment) if supplier else 0.0
        amount = offer * appetite(self.funding.promise(platform), self.params)
        if amount <= 0:
            return
        supplier.raise_for(amount)
        platform.issue_shares([(supplier.account, amount)], self.funding.valuation_of(platform), "supplier_equity")
        commitment = terms.commitment_multiple * amount
        platform.commit(supplier.account, commitment, terms.commitment_months)
        supplier.record_investment(platform.platform_id, amount)
        supplier.build_capacity(commitment)
        # Valuations follow announcements: the deal itself lifts the funding market.
        self.funding.shift_sentiment(terms.announcement_boost)

    def supplier_fails(self, supplier: Supplier) -> None:
        """A supplier that cannot pay fails: the state pays any bonds it guaranteed, its clients lose their
        contracts, the funding market takes fright."""
        guaranteed = supplier.fail()
        if guaranteed:
            self.model.government.call_guarantee(OUTSIDE, guaranteed)
        self.funding.hear_of_failure()
        for platform in self.model.platforms:
            if platform.supplier_account == supplier.account:
                platform.end_contract()
        self.funding.hear_of_contagion()

    def client_failed(self, platform: Platform) -> None:
        """Suppliers lose their stake in a failed platform, and its supplier the unpaid commitment (contagion)."""
        for supplier in self.model.suppliers:
            stake = sum(h.invested - h.paid_out for h in platform.cap_table.holdings if h.holder == supplier.account)
            commitment = platform.commitment_left if platform.supplier_account == supplier.account else 0.0
            if supplier.write_off(platform.platform_id, max(stake, 0.0), commitment) > 0:
                self.funding.hear_of_contagion()
        platform.cancel_commitments()

    def circularity(self) -> float:
        """Share of all suppliers' reported sales so far that their own investments paid for."""
        suppliers = self.model.suppliers
        total = sum(x.total_revenue for x in suppliers)
        return sum(x.total_round_tripped for x in suppliers) / total if total > 0 else 0.0
