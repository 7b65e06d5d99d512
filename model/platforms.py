"""Platforms: firms that set ad load, user price and quality spending, and live on their cash.

An adaptive (for-profit) platform chooses, each month, the levers that maximise

    forecast profit next month + value_per_user * (forecast users next month - users now)

where value_per_user is what the funding market currently pays for a user (DESIGN §2). While
users are still free to choose (newcomers, short tenures) each lever move wins or loses many of
them and growth wins: the platform subsidises. As switching costs rise with tenure and rivals
fade, the same move barely changes its users: demand turns inelastic and the profit term wins
(Lerner; Farrell-Klemperer "bargains then rip-offs"). Nothing here depends on the date.

Demand is forecast with the users' own logit rule on a sample of users, seen through the
platform's estimates of their tastes, whose error shrinks as 1/sqrt(its share of the market): the data advantage
(:mod:`model.forecasts`). The markets (``model/markets/``) change a platform's state only through
its methods here: rounds, loans, rescues, failure, acquisition, divestiture.
"""

from __future__ import annotations

import itertools

import mesa
import numpy as np

from model.captable import CapTable
from model.forecasts import MarketView, forecast_ad_revenue, forecast_users, perception_error
from model.ledger import GOVERNMENT, OUTSIDE, founders_account, parent_account, platform_account
from model.params.schema import Params
from model.regulation import ad_load_ceiling, excess_profit_tax

ACTIVE, RESCUED, FAILED, ACQUIRED = "active", "rescued", "failed", "acquired"
PLANNED = "planned"  # a cooperative or public platform that has not opened yet


def sustained_quality(spend_per_user, quality_max: float, spend_half: float):
    """Quality that a monthly spend per user sustains: q_max * m / (m + m_half)."""
    spend = np.maximum(spend_per_user, 0.0)
    return quality_max * spend / (spend + spend_half)


class Platform(mesa.Agent):
    """A platform: levers, a quality stock, a cap table; its cash is its ledger balance."""

    def __init__(self, model, platform_id: int, params: Params, nonprofit: bool = False,
                 kept_for: str | None = None, parent_owned: bool = False) -> None:
        super().__init__(model)
        settings = params.platforms
        self.params = params
        self.platform_id = platform_id
        self.account = platform_account(platform_id)
        # A cooperative or public platform recovers its costs and pays no dividends (section 6.15).
        self.nonprofit = nonprofit
        # A parent company with profits elsewhere owns it, founds it and covers its losses (section 6.7).
        self.parent = parent_account(platform_id) if parent_owned else None
        # A spare slot is kept for a platform split off by the regulator (``"divestiture"``) or for an
        # entrant (``"entry"``); it opens when one of them is created, and only for it.
        self.kept_for = kept_for
        spare = kept_for is not None
        self.status = PLANNED if nonprofit or spare else ACTIVE  # a non-profit opens in cooperative.entry_month
        self.founded_month = 0  # an entrant's is the month investors found it
        spread = settings.quality_efficiency_spread
        # A spare slot's draw comes from a child generator, so the other draws stay the same.
        rng = self.model.rng.spawn(1)[0] if spare else self.model.rng
        self.quality_max = settings.quality_max * (1.0 + spread * rng.uniform(-1.0, 1.0))
        self.quality = settings.initial_quality
        self.ad_load = settings.initial_ad_load
        self.user_price = settings.initial_user_price
        self.quality_spend = settings.initial_quality_spend
        # The ad market's clearing finds the price; before the first auction it starts from the floor.
        self.ad_price = settings.min_ad_price
        self.cap_table = CapTable()
        self.public_loan = 0.0
        self.debt = 0.0  # owed to lenders (lending.enabled)
        self.guaranteed_debt = 0.0  # the part of the debt the state guarantees (bailout.form = "guarantee")
        # Its compute contract (suppliers.enabled), set by the economy: who it buys compute from,
        # and what it still has to buy under purchase commitments (take-or-pay).
        self.supplier_account: str | None = None
        self.commitment_left = 0.0
        self.commitment_months_left = 0.0
        self.months_of_losses = 0  # months, since founding, whose last twelve months lost money
        self.last_year_profits: list[float] = []
        self.users = 0
        self.new_users = 0
        self.user_history: list[int] = []  # users at the end of each of the last 13 months
        self.clear_month()
        self.profit_trend = 0.0  # exponential average of profit, for valuation and burn

    # -- state --------------------------------------------------------------------------------
    @property
    def spare(self) -> bool:
        """A slot kept for a platform created during the run (a spin-off or an entrant)."""
        return self.kept_for is not None

    @property
    def rescued(self) -> bool:
        """Whether the state has rescued it (it stays so: its later payouts follow a public rescue)."""
        return self.status == RESCUED

    def free_for(self, purpose: str) -> bool:
        """Whether this slot is kept for ``purpose`` ("divestiture" or "entry") and still unused."""
        return self.kept_for == purpose and self.status == PLANNED

    @property
    def active(self) -> bool:
        return self.status not in (FAILED, ACQUIRED, PLANNED)

    @property
    def cash(self) -> float:
        return self.model.ledger.balance(self.account)

    @property
    def burn(self) -> float:
        """Monthly cash burn the platform plans around (zero when it makes money)."""
        return max(0.0, -self.profit_trend)

    def count_users(self, users: int, new_users: int) -> None:
        self.users, self.new_users = users, new_users
        self.user_history = [*self.user_history[-12:], users]

    @property
    def user_growth(self) -> float:
        """Growth of its users over the past twelve months (0 before it has a year of history)."""
        if len(self.user_history) < 13 or self.user_history[0] == 0:
            return 0.0
        return self.user_history[-1] / self.user_history[0] - 1.0

    def clear_month(self) -> None:
        self.ad_revenue = self.subscription_revenue = self.costs = self.tax = self.funding_raised = 0.0
        self.compute_paid = 0.0

    @property
    def revenue(self) -> float:
        return self.ad_revenue + self.subscription_revenue

    @property
    def profit(self) -> float:
        """Profit after tax (the excess-profit tax, when the regulator levies one)."""
        return self.revenue - self.costs - self.tax

    def earnings_value(self, sentiment: float) -> float:
        """What its profits are worth: sentiment x funding.earnings_multiple years of its profit trend (0 if none)."""
        if not self.active:
            return 0.0
        return max(sentiment * self.params.funding.earnings_multiple * 12.0 * self.profit_trend, 0.0)

    def valuation(self, sentiment: float, value_per_user: float, expected_users: float) -> float:
        """Growth-stage value (expected users x value per user) or earnings value, whichever is larger.

        Expected users are the users investors expect it to hold once the market has adopted (the
        economy's ``expected_users``).
        """
        if not self.active:
            return 0.0
        return max(value_per_user * expected_users, self.earnings_value(sentiment))

    def open(self) -> None:
        """A planned platform (a cooperative, a public platform, a spare slot for an entrant) opens."""
        self.status = ACTIVE

    def record_ad_sales(self, revenue: float, price: float | None) -> None:
        """This month's ad revenue, and the price its inventory cleared at (None: it had none to sell)."""
        self.ad_revenue = revenue
        if price is not None:
            self.ad_price = price

    def record_subscriptions(self, revenue: float) -> None:
        self.subscription_revenue = revenue

    # -- operations ---------------------------------------------------------------------------
    def monthly_costs(self, users, gross_inflow, quality_spend, user_price):
        """Fixed + (infrastructure + quality) per user + subsidies + customer acquisition (floats or arrays)."""
        settings = self.params.platforms
        return (
            settings.fixed_cost * self.params.users.count
            + (settings.cost_per_user + quality_spend + np.maximum(-user_price, 0.0)) * users
            + settings.acquisition_cost * gross_inflow
        )

    def pay_costs(self, households: str, lender: str | None) -> None:
        """Pay this month's operating costs, subsidies (to ``households``), interest (to ``lender``) and any
        excess-profit tax; rebuild or erode quality."""
        if not self.active:
            return
        settings = self.params.platforms
        subsidies = max(-self.user_price, 0.0) * self.users
        operating = self.monthly_costs(self.users, self.new_users, self.quality_spend, 0.0)
        ledger, step = self.model.ledger, self.model.month
        self.compute_paid = self._buy_compute()
        if self.compute_paid:  # the compute it uses is part of its operating costs; a commitment may ask more
            operating = max(operating - self.compute_use(), 0.0)
            ledger.transfer(step, self.account, self.supplier_account, self.compute_paid, "compute")
        ledger.transfer(step, self.account, OUTSIDE, operating, "operating_costs")
        if subsidies:
            ledger.transfer(step, self.account, households, subsidies, "subsidy")
        interest = self.debt * self.params.lending.interest_rate
        if interest:  # only a platform that borrowed has debt
            ledger.transfer(step, self.account, lender, interest, "interest")
        self.costs = operating + self.compute_paid + subsidies + interest
        self.tax = float(excess_profit_tax(self.params.regulation, self.profit, self.cap_table.paid_in))
        if self.tax:
            ledger.transfer(step, self.account, GOVERNMENT, self.tax, "excess_profit_tax")
        target = sustained_quality(self.quality_spend, self.quality_max, settings.quality_spend_half)
        self.quality += settings.quality_depreciation * (target - self.quality)
        self.profit_trend += 0.3 * (self.profit - self.profit_trend)
        # Investors' clock: months spent waiting for profit, i.e. with the last twelve months in loss.
        # It never resets: one good month, or a good year, does not buy a second round of patience.
        self.last_year_profits = [*self.last_year_profits[-11:], self.profit]
        self.months_of_losses += sum(self.last_year_profits) < 0

    def compute_use(self) -> float:
        """Compute its users need this month, at the supplier's price: part of the cost per user."""
        return self.params.suppliers.compute_share * self.params.platforms.cost_per_user * self.users

    def _buy_compute(self) -> float:
        """What it pays its supplier this month: what it uses, or the committed instalment if more."""
        if self.supplier_account is None:
            return 0.0
        instalment = self.commitment_left / max(self.commitment_months_left, 1.0) if self.commitment_left > 0 else 0.0
        bill = max(self.compute_use(), instalment)
        if self.commitment_left > 0:
            self.commitment_left = max(self.commitment_left - bill, 0.0)
            self.commitment_months_left = max(self.commitment_months_left - 1.0, 0.0)
        return bill

    def buy_compute_from(self, supplier_account: str) -> None:
        """Its compute supplier (the AI scenario)."""
        self.supplier_account = supplier_account

    def end_contract(self) -> None:
        """Its supplier failed: no more compute bills, no commitment left."""
        self.supplier_account, self.commitment_left, self.commitment_months_left = None, 0.0, 0.0

    def cancel_commitments(self) -> None:
        """It failed: what it still had to buy will never be bought."""
        self.commitment_left = self.commitment_months_left = 0.0

    def commit(self, supplier_account: str, amount: float, months: float) -> None:
        """A purchase commitment signed with its supplier (added to any still running)."""
        self.supplier_account = supplier_account
        self.commitment_left += amount
        self.commitment_months_left = max(self.commitment_months_left, months)

    # -- strategy (the function set_levers, below, decides for every platform at once) -------------
    def decides(self) -> bool:
        """Whether it sets its levers this month: it is open and adaptive."""
        return self.active and self.params.platforms.strategy != "fixed"

    def candidate_levers(self) -> np.ndarray:
        """Current levers, then every distinct combination of -1, 0, +1 step on each (clipped to bounds;
        in an ad-funded market the user price stays at 0).

        A step that a bound makes the same as an earlier one is dropped on its own lever, so every
        combination appears once, in the order of the steps (0, -1, +1): candidate 0 is "keep".
        """
        s = self.params.platforms
        current = (self.ad_load, self.user_price, self.quality_spend)
        steps = (s.ad_load_step, s.user_price_step, s.quality_spend_step)
        lowest_price, highest_price = (0.0, 0.0) if s.market == "ad_funded" else (s.min_user_price, s.max_user_price)
        low = (0.0, lowest_price, 0.0)
        high = (ad_load_ceiling(self.params.regulation, s.max_ad_load), highest_price, s.max_quality_spend)
        values = []
        for now, step, lowest, highest in zip(current, steps, low, high):
            moved = [min(max(now + move * step, lowest), highest) for move in (0, -1, 1)]
            values.append(list(dict.fromkeys(moved)))  # distinct, first occurrence first
        return np.array(list(itertools.product(*values)))

    def perception(self) -> np.ndarray:
        """This month's estimate of the users' tastes (multipliers): the better, the larger its share."""
        return perception_error(self.model.rng, self.params.platforms.data_noise, self.users / self.params.users.count)

    def planned_quality(self, candidates: np.ndarray) -> np.ndarray:
        """The quality each candidate's quality spend would sustain."""
        return sustained_quality(candidates[:, 2], self.quality_max, self.params.platforms.quality_spend_half)

    def forecast_users(self, view: MarketView, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Expected users next month and users won, for each candidate, through its own estimates of the users
        (set_levers forecasts every platform at once; this is the same forecast for one)."""
        users, inflow = forecast_users(view, np.array([self.platform_id]), candidates[None], self.planned_quality(candidates)[None],
                                       self.perception()[None], self.params)
        return users[0], inflow[0]

    def forecast_profit(self, candidates: np.ndarray, users: np.ndarray, inflow: np.ndarray,
                        ad_revenue: np.ndarray) -> np.ndarray:
        """Profit after tax next month for each candidate, from its forecast users, users won and ad revenue."""
        _, user_price, quality_spend = candidates.T
        subscriptions = np.maximum(user_price, 0.0) * users
        profit = ad_revenue + subscriptions - self.monthly_costs(users, inflow, quality_spend, user_price)
        return profit - excess_profit_tax(self.params.regulation, profit, self.cap_table.paid_in)

    def choose_levers(self, candidates: np.ndarray, profit: np.ndarray, users: np.ndarray, value_per_user: float) -> None:
        """Take the candidate with the best objective.

        A for-profit platform maximises profit plus the value of user growth. A non-profit one
        (cooperative, public) serves as many users as it can while covering its costs: among the
        candidates whose forecast loss its reserves can carry (at most its cash spread over
        funding.round_months) it takes the one with most users, so it never sets ads or prices
        above what covers its costs; if none is affordable, the least loss.
        """
        if not self.nonprofit:
            objective = profit + value_per_user * (users - self.users)
        elif (affordable := profit >= -max(self.cash, 0.0) / self.params.funding.round_months).any():
            objective = np.where(affordable, users, -np.inf)
        else:
            objective = profit
        best = int(np.argmax(objective))  # candidate 0 is "keep": ties keep the current levers
        self.ad_load, self.user_price, self.quality_spend = (float(x) for x in candidates[best])

    # -- acquisitions -------------------------------------------------------------------------
    def acquisition_offer(self, target_users: float, target_valuation: float, value_per_user: float,
                          own_valuation: float) -> float:
        """Price it would offer for a rival (0: no offer).

        It offers the target's valuation plus the premium its shareholders ask, if the users it
        would gain (the target's expected users) are worth that much to it. It pays in cash what it
        can spare and the rest in its own shares at ``own_valuation`` (``buy_out``), so the deal
        rests on what the users are worth, not on the cash at hand; shares worth nothing buy nothing.
        """
        price = (1.0 + self.params.acquisitions.premium) * target_valuation
        worth_it = value_per_user * target_users >= price
        can_pay = own_valuation > 0 or self.spare_cash() >= price
        return price if price > 0 and worth_it and can_pay else 0.0

    def spare_cash(self) -> float:
        """Cash beyond the buffer of funding.cash_buffer_months of costs it keeps."""
        return max(self.cash - self.params.funding.cash_buffer_months * self.costs, 0.0)

    # -- divestiture --------------------------------------------------------------------------
    def split_off(self, spin_off: Platform, share: float, users: int) -> None:
        """Forced divestiture: ``spin_off`` opens with ``share`` of this platform's cash, debts and past.

        It starts with the same levers, quality and technology, and the same shareholders, who
        hold as many shares of it as of this platform; the capital they invested is split in the
        same proportion, so their multiples still add up.
        """
        spin_off.status = ACTIVE
        spin_off.nonprofit = self.nonprofit  # a split cooperative's pieces are cooperatives too
        spin_off.quality, spin_off.quality_max, spin_off.ad_price = self.quality, self.quality_max, self.ad_price
        spin_off.ad_load, spin_off.user_price, spin_off.quality_spend = self.ad_load, self.user_price, self.quality_spend
        for holding in self.cap_table.holdings:
            spin_off.cap_table.issue(holding.holder, holding.invested * share, 1.0, holding.round, holding.step,
                                     shares=holding.shares)
            holding.invested *= 1.0 - share
        spin_off.cap_table.rounds = self.cap_table.rounds
        if self.cash > 0:
            self.model.ledger.transfer(self.model.month, self.account, spin_off.account, share * self.cash, "divestiture")
        for debt in ("debt", "guaranteed_debt", "public_loan"):
            setattr(spin_off, debt, share * getattr(self, debt))
            setattr(self, debt, (1.0 - share) * getattr(self, debt))
        spin_off.months_of_losses = self.months_of_losses
        spin_off.profit_trend, self.profit_trend = share * self.profit_trend, (1.0 - share) * self.profit_trend
        spin_off.last_year_profits = [share * p for p in self.last_year_profits]
        spin_off.user_history = [round(share * u) for u in self.user_history]
        spin_off.users, self.users = users, self.users - users

    # -- finance ------------------------------------------------------------------------------
    def found(self, seed_purchases: list[tuple[str, float]]) -> None:
        """Founding round: founders get shares for nothing, seed investors buy the rest at $1 a share.

        A parent's platform is built in-house: its parent holds every share.
        """
        month = self.founded_month = self.model.month
        round_index = self.cap_table.open_round()
        seed = sum(amount for _, amount in seed_purchases)
        if self.parent is None:
            founder_share = self.params.funding.founder_share
            founders_shares = seed * founder_share / (1.0 - founder_share)
            self.cap_table.issue(founders_account(self.platform_id), 0.0, 1.0, round_index, month, shares=founders_shares)
        for holder, amount in seed_purchases:
            self.cap_table.issue(holder, amount, 1.0, round_index, month)
            self.model.ledger.transfer(month, holder, self.account, amount, "equity")
            self.funding_raised += amount

    def issue_shares(self, purchases: list[tuple[str, float]], pre_money_valuation: float, kind: str) -> None:
        """One funding round: each (holder, amount) buys new shares at the pre-money valuation."""
        round_index = self.cap_table.open_round()
        price = self.cap_table.share_price(pre_money_valuation)
        for holder, amount in purchases:
            self.cap_table.issue(holder, amount, price, round_index, self.model.month)
            self.model.ledger.transfer(self.model.month, holder, self.account, amount, kind)
            self.funding_raised += amount

    def borrow(self, lender: str, amount: float) -> None:
        self.model.ledger.transfer(self.model.month, lender, self.account, amount, "loan")
        self.debt += amount

    def repay_debt(self, lender: str) -> float:
        """A profitable platform repays its lenders' principal out of profit (interest is a monthly cost)."""
        repayment = min(self.debt, max(self.profit, 0.0), max(self.cash, 0.0))
        if repayment > 0:
            self.model.ledger.transfer(self.model.month, self.account, lender, repayment, "debt_repayment")
            self.debt -= repayment
            # A guaranteed loan is repaid first, as rescue terms require.
            self.guaranteed_debt = max(0.0, self.guaranteed_debt - repayment)
        return repayment

    def service_public_loan(self, rate: float, government: str) -> float:
        """A rescue loan accrues interest at ``rate`` a month and is repaid out of profit. Returns the repayment."""
        if self.public_loan <= 0:
            return 0.0
        self.public_loan, repayment = self.model.ledger.repay_loan(self.model.month, self.account, government,
                                                                   self.public_loan, rate, self.profit)
        return repayment

    def take_rescue(self, government: str, amount: float, form: str, pre_money_valuation: float | None = None) -> None:
        """A public rescue: new shares for the state (``equity``), or a grant or a loan it must repay."""
        if form == "equity":
            self.issue_shares([(government, amount)], pre_money_valuation, "bailout")
        else:
            self.model.ledger.transfer(self.model.month, government, self.account, amount, "bailout")
            if form == "loan":
                self.public_loan += amount
        self.status = RESCUED

    def take_guaranteed_loan(self, lender: str, amount: float) -> None:
        """A rescue by guarantee: lenders lend what the state guarantees."""
        self.borrow(lender, amount)
        self.guaranteed_debt += amount
        self.status = RESCUED

    def close(self) -> float:
        """It fails: its unpaid bills fall on its creditors (the outside world). Returns the debt its lenders lose."""
        if self.cash < 0:
            self.model.ledger.transfer(self.model.month, OUTSIDE, self.account, -self.cash, "creditor_loss")
        self.status = FAILED
        lost, self.debt, self.guaranteed_debt = self.debt, 0.0, 0.0
        return lost

    def buy_out(self, target: Platform, price: float, valuation: float) -> list[tuple[str, float]]:
        """It pays ``price`` for a rival, to the rival's shareholders pro rata to their shares.

        Cash it can spare goes first (``acquisition``); the rest is paid in new shares of its own at
        its ``valuation``, as large deals are (Facebook paid for WhatsApp mostly in stock): each
        holder of the target receives shares worth its part, recorded as paid out of the target
        and invested in the acquirer, so no money moves for them. Returns the cash payments.
        """
        cash = min(price, self.spare_cash())
        in_shares = price - cash
        share_price = self.cap_table.share_price(valuation) if in_shares > 0 else 0.0
        round_index = self.cap_table.open_round() if in_shares > 0 else None
        payments = []
        for holding, part in target.cap_table.split(price):
            paid_in_cash = part * cash / price
            self.model.ledger.transfer(self.model.month, self.account, holding.holder, paid_in_cash, "acquisition")
            payments.append((holding.holder, paid_in_cash))
            if in_shares > 0:
                self.cap_table.issue(holding.holder, part - paid_in_cash, share_price, round_index, self.model.month)
        return payments

    def absorb(self, target: Platform, users: int) -> None:
        """An acquisition (its shareholders already paid): it takes the target's cash, debts and ``users``."""
        if target.cash > 0:
            self.model.ledger.transfer(self.model.month, target.account, self.account, target.cash, "merger")
        public_loan, debt, guaranteed_debt = target.hand_over()
        self.public_loan += public_loan
        self.debt += debt
        self.guaranteed_debt += guaranteed_debt
        self.users += users

    def hand_over(self) -> tuple[float, float, float]:
        """It is acquired: it closes, and hands its public loan, its debt and the debt's guaranteed part to the acquirer."""
        handed = (self.public_loan, self.debt, self.guaranteed_debt)
        self.public_loan = self.debt = self.guaranteed_debt = 0.0
        self.users = 0
        self.status = ACQUIRED
        return handed

    def pay_out(self) -> list[tuple[str, float]]:
        """A profitable platform pays part of its cash beyond a buffer to its shareholders."""
        funding = self.params.funding
        if not self.active or self.nonprofit or self.profit <= 0:
            return []
        amount = funding.payout_ratio * (self.cash - funding.cash_buffer_months * self.costs)
        if amount <= 0:
            return []
        payments = [(holding.holder, part) for holding, part in self.cap_table.split(amount)]
        for holder, part in payments:
            self.model.ledger.transfer(self.model.month, self.account, holder, part, "dividend")
        return payments


def set_levers(platforms: list[Platform], view: MarketView) -> None:
    """Adaptive platforms move each lever by at most one step towards a better objective (Platform.choose_levers).

    Each forecasts, for each of its candidates, its users through its own estimate of the users' tastes,
    and the ad revenue they would bring, rivals as they are now (model.forecasts). Every platform's users
    and ad revenue are forecast in one pass, because that is faster than one per platform; a platform with
    fewer candidates (a lever at a bound) has its list padded there with "keep", whose forecast is dropped.
    """
    deciding = [platform for platform in platforms if platform.decides()]
    if not deciding:
        return
    candidates = [platform.candidate_levers() for platform in deciding]
    most = max(len(levers) for levers in candidates)
    padded = _padded(candidates, most)  # platforms x candidates x levers
    ids = np.array([platform.platform_id for platform in deciding])
    planned_quality = np.array([platform.planned_quality(levers) for platform, levers in zip(deciding, padded)])
    perceptions = np.array([platform.perception() for platform in deciding])
    params = deciding[0].params
    users, inflow = forecast_users(view, ids, padded, planned_quality, perceptions, params)
    ad_revenue = forecast_ad_revenue(view, ids, padded[..., 0], users, params)
    for platform, levers, its_users, its_inflow, its_revenue in zip(deciding, candidates, users, inflow, ad_revenue):
        n = len(levers)
        profit = platform.forecast_profit(levers, its_users[:n], its_inflow[:n], its_revenue[:n])
        platform.choose_levers(levers, profit, its_users[:n], view.value_per_user[platform.platform_id])


def _padded(rows: list[np.ndarray], length: int) -> np.ndarray:
    """The rows as one array, each padded to ``length`` with copies of its first entry (candidate 0, "keep")."""
    return np.array([np.concatenate([row, np.repeat(row[:1], length - len(row), axis=0)]) for row in rows])
