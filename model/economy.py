"""The platform economy: a Mesa model that builds the actors and the markets where they meet, and steps them.

One step is one month, in this fixed order (ODD §3):

1. the month's accounts open; cooperative or public platforms due to open, open (funding market);
2. potential users look at the market (Bass hazard); they and reviewing users choose a platform
   or none (logit), and a potential user adopts when it picks a platform;
3. advertisers spread their budgets, ad prices clear, advertisers pay platforms (ad market);
4. households pay subscriptions; platforms pay their costs and rebuild or erode quality;
   suppliers book their sales and pay their bonds (compute market); households spend;
5. the month's surplus is measured;
6. finance: platforms short of runway raise rounds or borrow; one that still cannot pay is
   rescued or fails; the others pay out (distress); the leader may buy a rising rival and the
   regulator split a dominant platform (competition); investors may found an entrant (funding);
7. adaptive platforms set next month's levers;
8. lenders' appetite recovers; the funding market's sentiment follows market growth and
   failures; the month is recorded.

It wires; it does not decide: each rule lives in its actor (``model/users.py``, ``platforms.py``,
...) or its market (``model/markets/``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

import mesa

from model import metrics
from model.advertisers import create_advertisers
from model.choice import Offers, network_term
from model.forecasts import MarketView
from model.government import Government
from model.investors import create_investors
from model.ledger import HOUSEHOLDS, Ledger
from model.lenders import Lender
from model.markets import AdMarket, Competition, ComputeMarket, Distress, FundingMarket, Households
from model.memory import keep_freed_memory
from model.params.schema import Params
from model.platforms import Platform, set_levers
from model.recorder import Recorder
from model.suppliers import Supplier
from model.users import UserPopulation


class PlatformEconomy(mesa.Model):
    """The whole market. ``PlatformEconomy(params).run()`` then read the frames."""

    def __init__(self, params: Params) -> None:
        keep_freed_memory()  # a month reuses the memory the last one freed (model.memory)
        super().__init__(rng=params.simulation.seed)
        self.params = params
        self.month = 0
        self.ledger = Ledger()
        # The actors (the order of creation is the order of their random draws).
        self.users = UserPopulation(params, self.rng)
        self.platforms = [Platform(self, j, params, nonprofit=params.is_nonprofit_slot(j), kept_for=params.slot_kept_for(j),
                                   parent_owned=params.is_parent_slot(j))
                          for j in range(params.platform_slots)]
        self.advertisers = create_advertisers(self.rng, params)
        self.investors = create_investors(self, params)
        self.government = Government(self, params)
        self.lender = Lender(self, params) if params.lending.enabled else None
        self.suppliers = ([Supplier(self, k, params) for k in range(params.suppliers.count)]
                          if params.suppliers.enabled else [])
        # The markets where they meet.
        self.funding = FundingMarket(self, params)
        self.ad_market = AdMarket(self, params)
        self.households = Households(self)
        self.supply = ComputeMarket(self, params, self.funding)
        self.distress = Distress(self, params, self.funding, self.supply)
        self.competition = Competition(self, params, self.funding)
        self.recorder = Recorder(self)
        self.funding.found_first_platforms()
        self.funding.open_nonprofits()

    # -- the month ----------------------------------------------------------------------------
    def step(self) -> None:
        self.month += 1
        for agent in (*self.platforms, *self.suppliers):
            agent.clear_month()
        self.funding.open_nonprofits()
        self.users.renew()
        self.users.extend_reach(self.month)
        newcomers = self.users.consider()
        self.users.choose(self.offers(), newcomers)
        self._count_users()
        self.ad_market.trade()
        self.households.pay_subscriptions()
        lender = self.lender.account if self.lender else None
        for platform in self.active_platforms:
            platform.pay_costs(HOUSEHOLDS, lender)
        self.supply.settle()
        self.government.record_tax_revenue(sum(p.tax for p in self.platforms))
        self.households.spend()
        self.recorder.measure()
        self.distress.resolve()
        if self.params.acquisitions.enabled:
            self.competition.consolidate()
        if self.params.regulation.divestiture:
            self.competition.divest()
        if self.params.entry.entrants:
            self.funding.enter()
        set_levers(self.platforms, self.market_view())
        if self.lender:
            self.lender.recover()
        self.funding.update_sentiment(int(np.count_nonzero(self.users.adopted)))
        self.recorder.record()

    def run(self, steps: int | None = None, progress: bool = False) -> PlatformEconomy:
        """Run ``steps`` months (default: simulation.steps), with a progress bar if asked."""
        steps = self.params.simulation.steps if steps is None else steps
        for _ in tqdm(range(steps), desc="months", unit="month", disable=not progress, leave=False):
            self.step()
        return self

    # -- what users, advertisers and platforms see ---------------------------------------------
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

    def market_view(self) -> MarketView:
        """What platforms know when they set their levers: offers, samples of users, advertisers, user values."""
        adopters, newcomers = self.users.sample(self.params.platforms.demand_sample, self.rng)
        users = self.user_counts()
        return MarketView(
            offers=self.offers(),
            users=users,
            potential_users=self.params.users.count,
            adopters=adopters,
            newcomers=newcomers,
            ad_budgets=self.advertisers.budgets(self.month),
            ad_values=self.advertisers.values,
            ad_attachment=self.advertisers.attachment(),
            ad_prices=np.array([p.ad_price for p in self.platforms]),
            other_media=self.ad_market.other_media(users.astype(float)),
            value_per_user=self.funding.user_values(),
        )

    def _count_users(self) -> None:
        counts = self.user_counts()
        for platform in self.platforms:
            platform.count_users(int(counts[platform.platform_id]), int(self.users.arrivals[platform.platform_id]))

    # -- frames -------------------------------------------------------------------------------
    def model_frame(self) -> pd.DataFrame:
        """One row per month; ``phase`` is detected on the whole run so far (metrics.phases)."""
        return self.recorder.model_frame()

    def platform_frame(self) -> pd.DataFrame:
        """One row per month and platform."""
        return self.recorder.platform_frame()

    def supplier_frame(self) -> pd.DataFrame:
        """One row per month and supplier (empty unless suppliers.enabled): reported and round-tripped revenue."""
        return self.recorder.supplier_frame()

    def investor_frame(self) -> pd.DataFrame:
        """One row per holding: who invested in which platform, in which round, and what came back."""
        return self.recorder.investor_frame()

    def ledger_frame(self) -> pd.DataFrame:
        """Every money flow: step, payer, payee, amount, kind."""
        return self.ledger.frame()

    def summary(self) -> dict:
        return metrics.summarize(self.model_frame(), self.platform_frame(), self.investor_frame(), self.params)
