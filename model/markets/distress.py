"""Finance and distress: each month's runway, rounds, loans, payouts, rescues and failures (ODD 6.7-6.9, 6.14).

For each active platform, in order: it services any rescue loan and repays its lenders out of
profit; if its cash is negative or covers less than ``funding.runway_trigger_months`` of burn it
raises a round (its supplier first offers a circular deal, in the AI scenario; a parent's platform
gets it from its parent) and, if lending is
on, borrows what investors did not provide. A platform that still cannot pay is rescued (if it is
systemic and the state's policy covers it: money, or a guarantee of a private loan) or fails: the
state pays any guaranteed debt, its lenders write off the rest, its suppliers their stakes and
commitments, and its users must choose again. A platform with cash left pays out to its
shareholders.
"""

from __future__ import annotations

from model.ledger import GOVERNMENT
from model.markets.funding import FundingMarket
from model.markets.supply import ComputeMarket
from model.params.schema import Params
from model.platforms import Platform


class Distress:
    def __init__(self, model, params: Params, funding: FundingMarket, supply: ComputeMarket) -> None:
        self.model = model
        self.params = params
        self.funding = funding
        self.supply = supply

    def resolve(self) -> None:
        """The month's finance, platform by platform."""
        model = self.model
        trigger = self.params.funding.runway_trigger_months
        for platform in model.active_platforms:
            self.service_public_loan(platform)
            if model.lender:
                self.repay_lenders(platform)
            if platform.cash < 0 or platform.cash < trigger * platform.burn:
                self.raise_money(platform)
                if model.lender and platform.cash < trigger * platform.burn:
                    self.borrow(platform)
            if platform.cash < 0:
                systemic = model.government.is_systemic(platform, model.platforms)
                rescue = model.government.rescue_amount(-platform.cash, platform.burn, systemic)
                if not (rescue and self.rescue(platform, rescue)):
                    self.fail(platform)
            else:
                model.government.record_payouts(platform, platform.pay_out())

    def raise_money(self, platform: Platform) -> None:
        """A round: its supplier's circular deal first (the AI scenario), then investors."""
        if platform.nonprofit:
            return  # venture investors and suppliers buy no shares in a platform that pays no dividends
        if platform.parent is not None:
            self.funding.parent_round(platform)  # its parent pays: it never goes to investors, nor to the state
            return
        if self.model.suppliers:
            self.supply.circular_deal(platform)
        self.funding.raise_round(platform)

    def borrow(self, platform: Platform) -> None:
        """What investors did not provide, lenders lend against the valuation, up to their credit line."""
        lender = self.model.lender
        wanted = self.params.funding.round_months * platform.burn + max(0.0, -platform.cash)
        amount = min(wanted, lender.credit_line(self.funding.valuation_of(platform), platform.debt))
        if amount > 0:
            platform.borrow(lender.account, amount)

    def repay_lenders(self, platform: Platform) -> None:
        """Debt is repaid out of profit; as a guaranteed loan is repaid, the state's exposure shrinks."""
        guaranteed = platform.guaranteed_debt
        platform.repay_debt(self.model.lender.account)
        self.model.government.release_guarantee(guaranteed - platform.guaranteed_debt)

    def service_public_loan(self, platform: Platform) -> None:
        """Rescue loans accrue interest and are repaid out of profit; the rate's shortfall from the risk is a subsidy."""
        government = self.model.government
        government.accrue_subsidy(platform.public_loan, platform.guaranteed_debt, self.params.lending.interest_rate)
        repayment = platform.service_public_loan(government.policy.loan_rate, GOVERNMENT)
        if repayment > 0:
            government.record_recovery(repayment)

    def rescue(self, platform: Platform, amount: float) -> bool:
        """The state taxes households and puts the money in (a grant, a loan or equity), or guarantees a loan.

        Returns whether the platform was rescued: a guaranteed loan needs lenders with the capital to make it.
        """
        government, lender = self.model.government, self.model.lender
        form = government.policy.form
        if form == "guarantee":
            if lender.capital < amount:
                return False
            government.guarantee(platform, lender.account, amount)
        else:
            valuation = self.funding.valuation_of(platform) if form == "equity" else None
            government.rescue(platform, amount, valuation)
        return True

    def fail(self, platform: Platform) -> None:
        """The platform closes; unpaid bills fall on its creditors and suppliers; its users must choose again."""
        model = self.model
        guaranteed = platform.guaranteed_debt
        lost = platform.close()
        if guaranteed:
            model.government.call_guarantee(model.lender.account, guaranteed)
        if model.lender:
            model.lender.write_off(lost - guaranteed)
        self.supply.client_failed(platform)
        model.users.release(platform.platform_id)
        self.funding.hear_of_failure()
