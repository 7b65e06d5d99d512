"""The platform economy: a Mesa model that wires users, advertisers, platforms, investors and the state.

One step is one month, in this fixed order:

1. potential users adopt (Bass diffusion);
2. newcomers and reviewing users choose a platform (logit);
3. advertisers spread their budgets, ad prices clear, advertisers pay platforms;
4. households pay subscriptions; platforms pay their costs and rebuild or erode quality;
5. finance: platforms short of runway raise rounds (and, if lending is on, borrow what investors
   did not provide); profitable ones repay loans and pay out; a platform that still cannot pay is
   rescued (if systemic and bailouts are on) or fails, and its lenders write its debt off;
   if acquisitions are on, the leader may buy a rising rival unless merger control blocks it;
   while a platform makes a profit and an entry slot is free, investors may found an entrant;
6. adaptive platforms set next month's levers;
7. the funding market's sentiment follows market growth and failures; the month is recorded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

import mesa

from model import metrics
from model.admarket import audience_reach, clear, clearing_price, effectiveness, other_media_weight
from model.advertisers import Advertiser
from model.choice import Offers, lognormal, network_term
from model.government import Government
from model.investors import Investor, is_promising
from model.ledger import ADVERTISERS, GOVERNMENT, HOUSEHOLDS, OUTSIDE, Ledger
from model.lenders import Lender
from model.suppliers import Supplier
from model.params.schema import Params
from model.regulation import merger_allowed
from model.platforms import ACQUIRED, ACTIVE, FAILED, PLANNED, RESCUED, MarketView, Platform
from model.users import UserPopulation


class PlatformEconomy(mesa.Model):
    """The whole market. ``PlatformEconomy(params).run()`` then read the frames."""

    def __init__(self, params: Params) -> None:
        super().__init__(rng=params.simulation.seed)
        self.params = params
        self.month = 0
        self.ledger = Ledger()
        self.users = UserPopulation(params, self.rng)
        first_nonprofit, spares = params.platforms.count - params.cooperative.count, params.platforms.count
        self.platforms = [Platform(self, j, params, nonprofit=first_nonprofit <= j < spares, spare=j >= spares)
                          for j in range(params.platform_slots)]
        self.advertisers = self._create_advertisers()
        self.investors = self._create_investors()
        self.government = Government(self, params)
        self.lender = Lender(self, params) if params.lending.enabled else None
        self.suppliers = self._create_suppliers()
        self.sentiment = params.market.initial_sentiment
        self.adoption_history: list[int] = [0]
        self.failure_months: list[int] = []
        self.contagion_months: list[int] = []  # suppliers' write-offs and failures (suppliers.enabled)
        self.acquisitions: list[dict] = []  # one record per acquisition or blocked merger
        self.divestitures: list[dict] = []  # one record per platform split by the regulator
        self.entries: list[dict] = []  # one record per entrant founded during the run
        self.months_dominant: dict[int, int] = {}  # consecutive months above regulation.max_share, per platform
        self._measures: dict = {}
        self._model_rows: list[dict] = []
        self._platform_rows: list[dict] = []
        self._supplier_rows: list[dict] = []
        self._found_platforms()
        self._open_platforms()
        # Entry decisions draw from a child generator: until the first entrant, a run with entry is the run without.
        self._entry_rng = self.rng.spawn(1)[0] if params.entry.entrants else None

    # -- set-up -------------------------------------------------------------------------------
    def _create_advertisers(self) -> list[Advertiser]:
        ads = self.params.advertisers
        if ads.count == 0:
            return []
        weights = lognormal(self.rng, 1.0, 1.0, ads.count)
        budgets = ads.budget_per_user * self.params.users.count * weights / weights.sum()
        values = lognormal(self.rng, ads.value_per_impression_mean, ads.value_per_impression_cv, ads.count)
        slots = self.params.platform_slots
        return [Advertiser(self, b, v, slots, self.params) for b, v in zip(budgets, values)]

    def _create_investors(self) -> list[Investor]:
        settings = self.params.investors
        spread = settings.patience_spread
        patience = settings.patience_mean * self.rng.uniform(1 - spread, 1 + spread, settings.count)
        weights = self.rng.uniform(0.5, 1.5, settings.count)
        capital = settings.capital_per_user * self.params.users.count * weights / weights.sum()
        investors = [Investor(self, i, patience[i], self.params) for i in range(settings.count)]
        for investor, amount in zip(investors, capital):
            self.ledger.transfer(0, OUTSIDE, investor.account, float(amount), "capital_commitment")
        return investors

    def _create_suppliers(self) -> list[Supplier]:
        """Suppliers of compute (the AI scenario); platform j buys from supplier j mod count."""
        settings = self.params.suppliers
        if not settings.enabled:
            return []
        suppliers = [Supplier(self, k, self.params) for k in range(settings.count)]
        for platform in self.platforms:
            platform.supplier_account = suppliers[platform.platform_id % settings.count].account
        return suppliers

    def supplier_of(self, platform: Platform) -> Supplier | None:
        return next((s for s in self.suppliers if s.account == platform.supplier_account and s.active), None)

    def _found_platforms(self) -> None:
        """Month 0: each for-profit platform's founding round, from up to two investors drawn at random."""
        for platform in self.platforms:
            if not (platform.nonprofit or platform.spare):
                self._found(platform)

    def _found(self, platform: Platform, funds: list[Investor] | None = None) -> None:
        """A founding round of platforms.seed_funding per potential user, from up to two investors drawn at random."""
        seed = self.params.platforms.seed_funding * self.params.users.count
        funds = [i for i in self.investors if i.capital > 0] if funds is None else funds
        backers = self.rng.choice(len(funds), size=min(2, len(funds)), replace=False)
        purchases = []
        for b in backers:
            amount = min(seed / len(backers), funds[b].capital)
            if amount > 0:
                purchases.append((funds[b].account, amount))
        platform.found(purchases)

    def _open_platforms(self) -> None:
        """Cooperative or public platforms open in their entry month, with members' or the state's money."""
        coop = self.params.cooperative
        for platform in self.platforms:
            if not platform.nonprofit or platform.status != PLANNED or self.month < coop.entry_month:
                continue
            platform.status = ACTIVE
            members = coop.member_funding_per_user * self.params.users.count
            if members > 0:  # members are households: they put in money from their income, for service, not dividends
                self.ledger.transfer(self.month, OUTSIDE, HOUSEHOLDS, members, "income")
                platform.issue_shares([(HOUSEHOLDS, members)], platform.earnings_value(self.sentiment), "member_funding")
            grant = coop.public_funding_per_user * self.params.users.count
            if grant > 0:
                self.government.fund_platform(platform, grant)

    # -- the month ----------------------------------------------------------------------------
    def step(self) -> None:
        self.month += 1
        self._open_platforms()
        for platform in self.platforms:
            platform.clear_month()
        for supplier in self.suppliers:
            supplier.clear_month()
        self.users.renew()
        newcomers = self.users.adopt()
        self.users.choose(self.offers(), newcomers)
        self._count_users()
        self._trade_ads()
        self._collect_subscriptions()
        for platform in self.active_platforms:
            platform.pay_costs()
        self._run_suppliers()
        self.government.record_tax_revenue(sum(p.tax for p in self.platforms))
        self._households_spend()
        self._measure()
        self._finance()
        if self.params.acquisitions.enabled:
            self._consolidate()
        if self.params.regulation.divestiture:
            self._divest()
        if self.params.entry.entrants:
            self._enter()
        view = self.market_view()
        for platform in self.platforms:
            platform.set_levers(view)
        if self.lender:
            self.lender.recover()
        self._update_sentiment()
        self._record()

    def run(self, steps: int | None = None, progress: bool = False) -> PlatformEconomy:
        """Run ``steps`` months (default: simulation.steps), with a progress bar if asked."""
        steps = self.params.simulation.steps if steps is None else steps
        for _ in tqdm(range(steps), desc="months", unit="month", disable=not progress, leave=False):
            self.step()
        return self

    # -- what users and advertisers see ------------------------------------------------------
    @property
    def active_platforms(self) -> list[Platform]:
        return [p for p in self.platforms if p.active]

    def user_counts(self) -> np.ndarray:
        return self.users.counts(len(self.platforms))

    def offers(self) -> Offers:
        counts = self.user_counts().astype(float)
        shares = counts / counts.sum() if counts.sum() else counts
        return Offers(
            active=np.array([p.active for p in self.platforms]),
            quality=np.array([p.quality for p in self.platforms]),
            ad_load=np.array([p.ad_load for p in self.platforms]),
            user_price=np.array([p.user_price for p in self.platforms]),
            network=network_term(shares, self.params.regulation.interoperability),
        )

    @property
    def value_per_user(self) -> float:
        """What the funding market pays for a user: sentiment x expected margin x months of margin.

        A valuation multiple, not the investors' patience: patience is how long they fund losses
        (see ``user_values``), not what a user is worth.
        """
        funding = self.params.funding
        return self.sentiment * funding.expected_margin_per_user * funding.user_value_months

    def value_per_user_of(self, platform: Platform) -> float:
        """What the funding market pays for one of this platform's users.

        Investors bet on the platform they expect to win the market: a user of the leader is worth
        the full value per user, a rival's user (its users / the leader's) ** funding.winner_take_all
        of it (0: the same for every platform).
        """
        return self.value_per_user * self.promise(platform) ** self.params.funding.winner_take_all

    def expected_users(self, platform: Platform) -> float:
        """Users investors expect the platform to hold once the market has adopted: its share of platform
        users (each active platform credited with the judgement prior, as in ``promise``) x potential users.

        Investors price a growing platform on its market share, not on the users it has so far: a
        founding round is then priced like the rounds after it, and a platform that keeps its share
        while the market grows raises at a rising price (DESIGN §2: early investors own more per dollar).
        """
        active = self.active_platforms
        if not platform.active or not active:
            return 0.0
        prior = self.judgement_prior
        total = sum(p.users for p in active) + prior * len(active)
        share = (platform.users + prior) / total if total > 0 else 1.0 / len(active)
        return share * self.params.users.count

    def valuation_of(self, platform: Platform) -> float:
        """The platform's valuation in the funding market: its expected users' worth, or its earnings'."""
        return platform.valuation(self.sentiment, self.value_per_user_of(platform), self.expected_users(platform))

    @property
    def judgement_prior(self) -> float:
        """Users investors credit every platform with before judging it (they do not judge on the first handful)."""
        return self.params.funding.judgement_users * self.params.users.count

    def promise(self, platform: Platform) -> float:
        """How the platform compares with the leader in investors' eyes: users (plus a prior) / leader's."""
        prior = self.judgement_prior
        leader = max(p.users for p in self.platforms)
        return (platform.users + prior) / (leader + prior) if leader + prior > 0 else 1.0

    def is_systemic(self, platform: Platform) -> bool:
        total = sum(p.users for p in self.platforms)
        return self.government.is_systemic(platform.users / total if total else 0.0)

    def user_values(self) -> np.ndarray:
        """Value each platform puts on a user won or lost: what the funding market pays for it.

        A profitable platform's users are worth its earnings valuation per user. A growing one's
        are worth the market's value per user while investors would fund it: only if it is
        promising (min_share_of_leader), and only for as many months of losses as their patience
        allows, so that within one round's worth of months of that limit the value shrinks to zero
        and the platform must live on its profit.
        """
        funding = self.params.funding
        values = np.zeros(len(self.platforms))
        for platform in self.active_platforms:
            earnings = platform.earnings_value(self.sentiment) / platform.users if platform.users else 0.0
            growth = 0.0
            if is_promising(self.promise(platform), self.params) or self.in_seed_stage(platform):
                systemic = self.is_systemic(platform)
                patience = max((i.effective_patience(systemic) for i in self.investors if i.capital > 0), default=0.0)
                runway = (patience - platform.months_of_losses) / funding.round_months
                growth = self.value_per_user_of(platform) * float(np.clip(runway, 0.0, 1.0))
            values[platform.platform_id] = max(growth, earnings)
        return values

    def in_seed_stage(self, platform: Platform) -> bool:
        """A platform lives on its founding round for its first funding.round_months: its backers bet on it
        before they can compare it with the leader (an entrant starts with no users)."""
        return self.month - platform.founded_month < self.params.funding.round_months

    def market_view(self) -> MarketView:
        adopters, newcomers = self.users.sample(self.params.platforms.demand_sample, self.rng)
        return MarketView(
            offers=self.offers(),
            users=self.user_counts(),
            potential_users=self.params.users.count,
            adopters=adopters,
            newcomers=newcomers,
            ad_budgets=np.array([a.budget for a in self.advertisers]),
            ad_values=np.array([a.value for a in self.advertisers]),
            ad_prices=np.array([p.ad_price for p in self.platforms]),
            other_media=self._ad_conditions(
                self.user_counts().astype(float), np.zeros(len(self.platforms)), np.zeros(len(self.platforms))
            )["other_media"],
            value_per_user=self.user_values(),
        )

    def _count_users(self) -> None:
        counts = self.user_counts()
        for platform in self.platforms:
            platform.count_users(int(counts[platform.platform_id]), int(self.users.arrivals[platform.platform_id]))

    # -- money --------------------------------------------------------------------------------
    def _ad_conditions(self, users: np.ndarray, ad_load: np.ndarray, active: np.ndarray) -> dict:
        """Inventory, reach, effectiveness and other media's weight, as the ad market sees them."""
        ads = self.params.advertisers
        inventory = users * self.params.users.engagement * ad_load * active
        potential = self.params.users.count
        return {
            "inventory": inventory,
            "reach": audience_reach(users, inventory, potential, ads.audience_premium),
            "effect": effectiveness(ad_load, ads.clutter),
            "other_media": other_media_weight(ads.outside_weight, ads.audience_shift, users.sum() / potential),
        }

    def _trade_ads(self) -> None:
        """Reviewing advertisers reallocate at the clearing prices; everyone pays; value is delivered."""
        slots = len(self.platforms)
        self._ads = {"spend": np.zeros(slots), "surplus": np.zeros(slots), "impressions": np.zeros(slots)}
        if not self.advertisers:
            return
        ads = self.params.advertisers
        users = np.array([p.users for p in self.platforms], dtype=float)
        ad_load = np.array([p.ad_load for p in self.platforms])
        market = self._ad_conditions(users, ad_load, np.array([p.active for p in self.platforms]))
        reviewing = [a for a in self.advertisers if a.reviews()]
        staying = [a for a in self.advertisers if a not in reviewing]
        committed = sum((a.spend(market["reach"]) for a in staying), np.zeros(slots))
        _, shares = clear(
            committed_spend=committed,
            values=np.array([a.value for a in reviewing]),
            budgets=np.array([a.budget for a in reviewing]),
            reach=market["reach"],
            effect=market["effect"],
            inventory=market["inventory"],
            prices=np.array([p.ad_price for p in self.platforms]),
            adjusts=market["inventory"] > 0,
            sensitivity=ads.return_sensitivity,
            other_media=market["other_media"],
            floor=self.params.platforms.min_ad_price,
        )
        for advertiser, plan in zip(reviewing, shares):
            advertiser.commit(plan)
        spend = np.array([a.spend(market["reach"]) for a in self.advertisers])
        per_platform = spend.sum(axis=0)
        price = clearing_price(per_platform, market["inventory"], self.params.platforms.min_ad_price)
        bought = 1000.0 * spend / price  # impressions each advertiser buys on each platform
        values = np.array([a.value for a in self.advertisers])[:, None]
        delivered = values * market["effect"][None, :] * bought / 1000.0
        self._ads = {
            "spend": per_platform,
            "surplus": (delivered - spend).sum(axis=0),
            "impressions": bought.sum(axis=0),
        }
        self.ledger.transfer(self.month, OUTSIDE, ADVERTISERS, float(per_platform.sum()), "sales")
        for platform in self.platforms:
            j = platform.platform_id
            if market["inventory"][j] > 0:
                platform.ad_price = float(price[j])
            platform.ad_revenue = float(per_platform[j])
            self.ledger.transfer(self.month, ADVERTISERS, platform.account, platform.ad_revenue, "ad_spend")

    def _collect_subscriptions(self) -> None:
        """Households pay positive user prices out of income from the outside economy."""
        for platform in self.active_platforms:
            amount = max(platform.user_price, 0.0) * platform.users
            platform.subscription_revenue = amount
            self.ledger.transfer(self.month, OUTSIDE, HOUSEHOLDS, amount, "income")
            self.ledger.transfer(self.month, HOUSEHOLDS, platform.account, amount, "subscription")

    def _households_spend(self) -> None:
        """Subsidies households received are spent in the outside economy."""
        balance = self.ledger.balance(HOUSEHOLDS)
        if balance > 0:
            self.ledger.transfer(self.month, HOUSEHOLDS, OUTSIDE, balance, "consumption")

    def _finance(self) -> None:
        funding = self.params.funding
        for platform in self.active_platforms:
            self._service_public_loan(platform)
            self._repay_debt(platform)
            if platform.cash < 0 or platform.cash < funding.runway_trigger_months * platform.burn:
                self._raise_round(platform)
                if self.lender and platform.cash < funding.runway_trigger_months * platform.burn:
                    self._borrow(platform)
            if platform.cash < 0:
                total = sum(p.users for p in self.platforms)
                share = platform.users / total if total else 0.0
                rescue = self.government.rescue_amount(-platform.cash, platform.burn, share)
                if rescue:
                    self._rescue(platform, rescue)
                else:
                    self._fail(platform)
            else:
                for holder, amount in platform.pay_out():
                    if holder == GOVERNMENT:
                        self.government.record_recovery(amount)

    def _raise_round(self, platform: Platform) -> None:
        """Willing investors fund ``round_months`` of burn (plus any deficit) pro rata to capital."""
        if platform.nonprofit:
            return  # venture investors buy no shares in a platform that pays no dividends
        if self.suppliers:
            self._circular_deal(platform)
        wanted = self.params.funding.round_months * platform.burn + max(0.0, -platform.cash)
        promise, systemic = self.promise(platform), self.is_systemic(platform)
        backers = [i for i in self.investors if i.will_fund(platform.months_of_losses, promise, systemic)]
        available = sum(i.capital for i in backers)
        if wanted <= 0 or available <= 0:
            return
        raised = min(wanted, available)
        purchases = [(i.account, raised * i.capital / available) for i in backers]
        platform.issue_shares(purchases, self.valuation_of(platform), "equity")

    def _borrow(self, platform: Platform) -> None:
        """What investors did not provide, lenders lend against the valuation, up to their credit line."""
        wanted = self.params.funding.round_months * platform.burn + max(0.0, -platform.cash)
        amount = min(wanted, self.lender.credit_line(self.valuation_of(platform), platform.debt))
        if amount > 0:
            self.ledger.transfer(self.month, self.lender.account, platform.account, amount, "loan")
            platform.debt += amount

    def _repay_debt(self, platform: Platform) -> None:
        """A profitable platform repays its lenders' principal out of profit (interest is a monthly cost)."""
        repayment = min(platform.debt, max(platform.profit, 0.0), max(platform.cash, 0.0))
        if repayment > 0:
            self.ledger.transfer(self.month, platform.account, self.lender.account, repayment, "debt_repayment")
            platform.debt -= repayment

    def _run_suppliers(self) -> None:
        """Suppliers book their clients' compute purchases, pay their costs and bonds; one that cannot, fails."""
        for platform in self.platforms:
            supplier = self.supplier_of(platform)
            if supplier and platform.compute_paid:
                supplier.sell(platform.platform_id, platform.compute_paid)
        for supplier in self.suppliers:
            if supplier.active:
                supplier.operate()
                if supplier.cash < 0:
                    self._supplier_fails(supplier)

    def _circular_deal(self, platform: Platform) -> None:
        """Its supplier invests in the round against a purchase commitment, and builds capacity for it."""
        supplier = self.supplier_of(platform)
        terms = self.params.suppliers
        amount = supplier.investment_offer() if supplier else 0.0
        if amount <= 0 or not is_promising(self.promise(platform), self.params):
            return
        platform.issue_shares([(supplier.account, amount)], self.valuation_of(platform), "supplier_equity")
        commitment = terms.commitment_multiple * amount
        platform.commit(supplier.account, commitment, terms.commitment_months)
        supplier.record_investment(platform.platform_id, amount)
        supplier.build_capacity(commitment)
        # Valuations follow announcements: the deal itself lifts the funding market.
        self._shift_sentiment(terms.announcement_boost)

    def _shift_sentiment(self, change: float) -> None:
        market = self.params.market
        self.sentiment = float(np.clip(self.sentiment + change, market.min_sentiment, market.max_sentiment))

    def _contagion(self) -> None:
        """A supplier's loss frightens the funding market: sentiment falls now, and its target for a year."""
        penalty = self.params.suppliers.contagion_penalty
        self.contagion_months.append(self.month)
        self._shift_sentiment(-penalty)

    def _supplier_fails(self, supplier: Supplier) -> None:
        """A supplier that cannot pay fails: its clients lose their contracts; the funding market takes fright."""
        supplier.fail()
        self.failure_months.append(self.month)
        for platform in self.platforms:
            if platform.supplier_account == supplier.account:
                platform.supplier_account, platform.commitment_left, platform.commitment_months_left = None, 0.0, 0.0
        self._contagion()

    def _rescue(self, platform: Platform, amount: float) -> None:
        government = self.government
        government.levy(amount)
        if government.policy.form == "equity":
            platform.issue_shares([(GOVERNMENT, amount)], self.valuation_of(platform), "bailout")
        else:
            self.ledger.transfer(self.month, GOVERNMENT, platform.account, amount, "bailout")
            if government.policy.form == "loan":
                platform.public_loan += amount
        government.record_disbursement(amount)
        platform.status = RESCUED

    def _service_public_loan(self, platform: Platform) -> None:
        """Rescue loans accrue interest and are repaid out of profit."""
        if platform.public_loan <= 0:
            return
        platform.public_loan *= 1.0 + self.government.policy.loan_rate
        repayment = min(platform.public_loan, max(platform.profit, 0.0), max(platform.cash, 0.0))
        if repayment > 0:
            self.ledger.transfer(self.month, platform.account, GOVERNMENT, repayment, "loan_repayment")
            platform.public_loan -= repayment
            self.government.record_recovery(repayment)

    def _consolidate(self) -> None:
        """The leader bids for the largest rising rival; merger control may block the deal."""
        active = self.active_platforms
        total = sum(p.users for p in active)
        if len(active) < 2 or total == 0:
            return
        leader = max(active, key=lambda p: p.users)
        rising = [p for p in active if p is not leader and not p.nonprofit  # members do not sell
                  and p.user_growth >= self.params.acquisitions.rising_growth]
        if not rising:
            return
        target = max(rising, key=lambda p: p.users)
        value = self.user_values()[leader.platform_id]
        # The leader buys the target's market share: the users investors expect it to hold, priced as they price them.
        price = leader.acquisition_offer(self.expected_users(target), self.valuation_of(target), value)
        if not price:
            return
        merged_share = (leader.users + target.users) / total
        allowed = merger_allowed(self.params.regulation, merged_share)
        self.acquisitions.append(
            {"step": self.month, "acquirer": leader.platform_id, "target": target.platform_id,
             "price": price, "merged_share": merged_share, "blocked": not allowed}
        )
        if allowed:
            self._acquire(leader, target, price)

    def _divest(self) -> None:
        """The regulator splits a platform that has held more than the maximum share for a year.

        Only lasting dominance of a real market counts: a year above ``regulation.max_share`` of
        platform users, with at least ``funding.judgement_users`` of the potential users (the
        early noise investors also discount). Part of it becomes a new platform (a spare slot).
        """
        rules = self.params.regulation
        total = sum(p.users for p in self.platforms)
        least = self.judgement_prior
        for platform in self.active_platforms:
            dominant = total > 0 and platform.users / total > rules.max_share and platform.users >= least
            self.months_dominant[platform.platform_id] = self.months_dominant.get(platform.platform_id, 0) + 1 if dominant else 0
            spare = next((p for p in self.platforms if p.spare and p.status == PLANNED), None)
            if spare is None or self.months_dominant[platform.platform_id] < 12:
                continue
            self.months_dominant[platform.platform_id] = 0
            moved = self.users.split(platform.platform_id, spare.platform_id, rules.divested_share)
            platform.split_off(spare, rules.divested_share, moved)
            self.divestitures.append({"step": self.month, "platform": platform.platform_id,
                                      "spin_off": spare.platform_id, "users": moved})

    def _acquire(self, acquirer: Platform, target: Platform, price: float) -> None:
        """The acquirer pays the target's shareholders, takes its cash, debts and users; the target closes."""
        for holding, part in target.cap_table.split(price):
            self.ledger.transfer(self.month, acquirer.account, holding.holder, part, "acquisition")
            if holding.holder == GOVERNMENT:
                self.government.record_recovery(part)
        if target.cash > 0:
            self.ledger.transfer(self.month, target.account, acquirer.account, target.cash, "merger")
        acquirer.public_loan += target.public_loan
        target.public_loan = 0.0
        acquirer.debt += target.debt
        target.debt = 0.0
        moved = self.users.merge(target.platform_id, acquirer.platform_id)
        acquirer.users += moved
        target.users = 0
        target.status = ACQUIRED

    def _fail(self, platform: Platform) -> None:
        """The platform closes; unpaid bills fall on its suppliers; its users must choose again."""
        if platform.cash < 0:
            self.ledger.transfer(self.month, OUTSIDE, platform.account, -platform.cash, "creditor_loss")
        platform.status = FAILED
        if self.lender:
            self.lender.write_off(platform.debt)
        platform.debt = 0.0
        self._suppliers_write_off(platform)
        self.users.release(platform.platform_id)
        self.failure_months.append(self.month)

    def _suppliers_write_off(self, platform: Platform) -> None:
        """Suppliers lose their stake in a failed platform, and its supplier the unpaid commitment (contagion)."""
        for supplier in self.suppliers:
            stake = sum(h.invested - h.paid_out for h in platform.cap_table.holdings if h.holder == supplier.account)
            commitment = platform.commitment_left if platform.supplier_account == supplier.account else 0.0
            if supplier.write_off(platform.platform_id, max(stake, 0.0), commitment) > 0:
                self._contagion()
        platform.commitment_left = platform.commitment_months_left = 0.0

    def _enter(self) -> None:
        """Entry: while some platform makes a profit, investors found a new one in a free slot (entry.rate a month).

        Rents attract capital: an entrant gets the same founding round as the first platforms, starts
        from the same levers and quality, and must win users from an installed base.
        """
        slot = next((p for p in self.platforms if p.spare and p.status == PLANNED), None)
        rents = any(p.profit_trend > 0 for p in self.active_platforms if not p.nonprofit)
        # Only funds that can still put in their part of a full founding round (two backers, as at the start) back an entrant.
        backers = min(2, len(self.investors))
        stake = self.params.platforms.seed_funding * self.params.users.count / max(backers, 1)
        funds = [i for i in self.investors if i.capital >= stake]
        if slot is None or not rents or backers == 0 or len(funds) < backers:
            return
        if self._entry_rng.random() >= self.params.entry.rate:
            return
        slot.status = ACTIVE
        self._found(slot, funds)
        self.entries.append({"step": self.month, "platform": slot.platform_id})

    def _update_sentiment(self) -> None:
        """Sentiment drifts toward 1 + hype x annual user growth - penalties for failures and contagion in the year."""
        market = self.params.market
        adopted = int(self.users.adopted.sum())
        self.adoption_history.append(adopted)
        year_ago = self.adoption_history[max(0, len(self.adoption_history) - 13)]
        growth = min(1.0, adopted / year_ago - 1.0) if year_ago > 0 else (1.0 if adopted else 0.0)
        recent_failures = sum(1 for m in self.failure_months if m > self.month - 12)
        recent_contagion = sum(1 for m in self.contagion_months if m > self.month - 12)
        target = (1.0 + market.hype_sensitivity * growth - market.failure_penalty * recent_failures
                  - self.params.suppliers.contagion_penalty * recent_contagion)
        self.sentiment += market.sentiment_adjustment * (target - self.sentiment)
        self.sentiment = float(np.clip(self.sentiment, market.min_sentiment, market.max_sentiment))

    # -- measurement --------------------------------------------------------------------------
    def _measure(self) -> None:
        """Surplus of each side this month, with the levers users and advertisers faced."""
        slots = len(self.platforms)
        total, per_platform, counts = self.users.surplus_by_platform(self.offers(), slots)
        self._measures = {
            "consumer_surplus": total,
            "user_surplus": np.divide(per_platform, counts, out=np.zeros(slots), where=counts > 0),
            "switching_cost": self.users.mean_switching_cost(slots),
        }

    def _circularity(self) -> float:
        """Share of all suppliers' reported sales so far that their own investments paid for."""
        total = sum(x.total_revenue for x in self.suppliers)
        return sum(x.total_round_tripped for x in self.suppliers) / total if total > 0 else 0.0

    def _record(self) -> None:
        counts = np.array([p.users for p in self.platforms], dtype=float)
        on_platforms = counts.sum()
        shares = counts / on_platforms if on_platforms else counts
        leader = int(np.argmax(counts)) if on_platforms else -1
        ads = self._ads
        impressions = ads["impressions"].sum()
        active = self.active_platforms
        for supplier in self.suppliers:
            self._supplier_rows.append({
                "step": self.month, "supplier_id": supplier.supplier_id, "status": supplier.status,
                "revenue": supplier.revenue, "external_revenue": supplier.external_revenue,
                "round_tripped_revenue": supplier.round_tripped, "circularity_ratio": supplier.circularity,
                "invested": supplier.invested, "bonds": supplier.bonds, "losses": supplier.losses,
                "cash": supplier.cash, "valuation": supplier.valuation(self.sentiment),
            })
        self._model_rows.append(
            {
                "step": self.month,
                "adopted_users": int(self.users.adopted.sum()),
                "active_platforms": len(active),
                "hhi": metrics.hhi(counts),
                "leader_id": leader,
                "leader_share": float(shares[leader]) if leader >= 0 else 0.0,
                # what users on a platform face; nobody on any platform faces nothing
                "mean_ad_load": float(np.average([p.ad_load for p in self.platforms], weights=counts)) if on_platforms else np.nan,
                "mean_quality": float(np.average([p.quality for p in self.platforms], weights=counts)) if on_platforms else np.nan,
                "consumer_surplus": self._measures["consumer_surplus"],
                "advertiser_spend": float(ads["spend"].sum()),
                "advertiser_surplus": float(ads["surplus"].sum()),
                "mean_ad_price": float(1000.0 * ads["spend"].sum() / impressions) if impressions else np.nan,
                "platform_revenue": float(sum(p.revenue for p in self.platforms)),
                "platform_profit": float(sum(p.profit for p in self.platforms)),
                "funding_raised": float(sum(p.funding_raised for p in self.platforms)),
                "public_cost": self.government.net_cost,
                "public_disbursed": self.government.disbursed,
                "public_recovered": self.government.recovered,
                "sentiment": self.sentiment,
                "value_per_user": self.value_per_user,
                "new_adopters": self.users.new_adopters,
                "switchers": self.users.switchers,
                "failures": len(self.failure_months),
                "rescues": self.government.rescues,
                "public_revenue": self.government.tax_revenue,
                "acquisitions": sum(not deal["blocked"] for deal in self.acquisitions),
                "blocked_mergers": sum(deal["blocked"] for deal in self.acquisitions),
                "divestitures": len(self.divestitures),
                "entries": len(self.entries),
                "public_platform_funding": self.government.platform_funding,
                "debt": float(sum(p.debt for p in self.platforms)),
                "supplier_revenue": float(sum(x.revenue for x in self.suppliers)),
                "supplier_external_revenue": float(sum(x.external_revenue for x in self.suppliers)),
                "circularity_ratio": self._circularity(),
                "commitments": float(sum(p.commitment_left for p in self.platforms)),
                "supplier_losses": float(sum(x.losses for x in self.suppliers)),
                "supplier_failures": sum(not x.active for x in self.suppliers),
                "lender_losses": self.lender.losses if self.lender else 0.0,
                "credit_appetite": self.lender.appetite if self.lender else np.nan,
            }
        )
        for p in self.platforms:
            j = p.platform_id
            self._platform_rows.append(
                {
                    "step": self.month,
                    "platform_id": j,
                    "users": p.users,
                    "share": float(shares[j]),
                    "quality": p.quality,
                    "ad_load": p.ad_load,
                    "user_price": p.user_price,
                    "ad_price": p.ad_price,
                    "revenue": p.revenue,
                    "costs": p.costs,
                    "profit": p.profit,
                    "cash": p.cash,
                    "valuation": self.valuation_of(p),
                    "status": p.status,
                    "ad_revenue": p.ad_revenue,
                    "subscription_revenue": p.subscription_revenue,
                    "quality_spend": p.quality_spend,
                    "new_users": p.new_users,
                    "user_surplus": float(self._measures["user_surplus"][j]),
                    "advertiser_spend": float(ads["spend"][j]),
                    "advertiser_surplus": float(ads["surplus"][j]),
                    "burn_multiple": p.costs / p.revenue if p.revenue > 0 else np.nan,
                    "funding_raised": p.funding_raised,
                    "months_of_losses": p.months_of_losses,
                    "mean_switching_cost": float(self._measures["switching_cost"][j]),
                    "public_loan": p.public_loan,
                    "debt": p.debt,
                    "compute_paid": p.compute_paid,
                    "commitment_left": p.commitment_left,
                    "nonprofit": p.nonprofit,
                    "tax": p.tax,
                }
            )

    # -- frames -------------------------------------------------------------------------------
    def model_frame(self) -> pd.DataFrame:
        """One row per month; ``phase`` is detected on the whole run so far (metrics.phases)."""
        frame = pd.DataFrame(self._model_rows)
        if frame.empty:
            return frame
        platforms = self.platform_frame()
        frame["phase"] = metrics.label_phases(frame, platforms)
        frame["enshittification_index"] = metrics.enshittification_index(platforms, frame)
        return frame

    def platform_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self._platform_rows)

    def supplier_frame(self) -> pd.DataFrame:
        """One row per month and supplier (empty unless suppliers.enabled): reported and round-tripped revenue."""
        return pd.DataFrame(self._supplier_rows)

    def ledger_frame(self) -> pd.DataFrame:
        return self.ledger.frame()

    def investor_frame(self) -> pd.DataFrame:
        """One row per holding: who invested in which platform, in which round, and what came back."""
        rows = []
        pioneer_rounds = self.params.funding.pioneer_rounds
        for platform in self.platforms:
            outstanding = platform.cap_table.shares_outstanding
            value = self.valuation_of(platform)
            for h in platform.cap_table.holdings:
                holding_value = value * h.shares / outstanding if outstanding else 0.0
                rows.append(
                    {
                        "holder": h.holder,
                        "investor_id": int(h.holder.split(":")[1]) if h.holder.startswith("investor:") else -1,
                        "founders": h.holder.startswith("founders:"),
                        "platform_id": platform.platform_id,
                        "round": h.round,
                        "step_invested": h.step,
                        "invested": h.invested,
                        "paid_out": h.paid_out,
                        "holding_value": holding_value,
                        "moic": (h.paid_out + holding_value) / h.invested if h.invested else np.nan,
                        "pioneer": h.round < pioneer_rounds,
                    }
                )
        return pd.DataFrame(rows)

    def summary(self) -> dict:
        return metrics.summarize(self.model_frame(), self.platform_frame(), self.investor_frame(), self.params)
