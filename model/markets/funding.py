"""The funding market: how investors value platforms, found them, fund their rounds, and how they feel.

Investors price a growing platform on the users they expect it to hold once the market has
adopted (its share of platform users x potential users), at a value per user that moves with
sentiment; a profitable one on its earnings (DESIGN §2, ODD 6.7). They back a round only while the
platform is promising and its losses have not outlasted their patience. Sentiment drifts toward
1 + hype x the market's annual growth, less penalties for the year's failures and contagion
(ODD 6.10). While a platform makes a profit, or users have no platform at all, and an entry slot
is free, investors found entrants (ODD 6.17); cooperative and public platforms open with members' or the state's money (ODD 6.15);
a parent company funds its own platform from its profits elsewhere (ODD 6.7).
"""

from __future__ import annotations

import numpy as np

from model.investors import Investor, appetite
from model.ledger import HOUSEHOLDS, OUTSIDE
from model.params.schema import Params
from model.platforms import PLANNED, Platform


class FundingMarket:
    """Valuations, rounds, entry and sentiment. ``model`` holds the actors (platforms, investors, users, state)."""

    def __init__(self, model, params: Params) -> None:
        self.model = model
        self.params = params
        self.sentiment = params.market.initial_sentiment
        self.adoption_history: list[int] = [0]  # adopted users at the end of each month
        self.failure_months: list[int] = []  # platforms' and suppliers' failures, as the market hears of them
        self.contagion_months: list[int] = []  # suppliers' write-offs and failures (suppliers.enabled)
        self.entries: list[dict] = []  # one record per entrant founded during the run
        # Entry decisions draw from a child generator: until the first entrant, a run with entry is the run without.
        self.entry_rng = model.rng.spawn(1)[0] if params.entry.entrants else None

    # -- what a user, and a platform, is worth -------------------------------------------------
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
        return self.value_per_user * self.promise(platform) ** self.params.funding.winner_take_all * self.rescue_premium(platform)

    def rescue_premium(self, platform: Platform) -> float:
        """Moral hazard: investors who believe a systemic platform would be rescued (investors.bailout_belief)
        count on the state to take part of its downside, so they pay 1 + belief times as much for its
        users and fund rounds 1 + belief times as long (``raise_round``), as they wait 1 + belief times as
        long for profit (``Investor.effective_patience``)."""
        model = self.model
        return 1.0 + self.params.investors.bailout_belief * model.government.is_systemic(platform, model.platforms)

    def expected_users(self, platform: Platform) -> float:
        """Users investors expect the platform to hold once the market has adopted: its share of platform
        users (each active platform credited with the judgement prior, as in ``promise``) x potential users.

        Investors price a growing platform on its market share, not on the users it has so far: a
        founding round is then priced like the rounds after it, and a platform that keeps its share
        while the market grows raises at a rising price (DESIGN §2: early investors own more per dollar).
        """
        active = self.model.active_platforms
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
        leader = max(p.users for p in self.model.platforms)
        return (platform.users + prior) / (leader + prior) if leader + prior > 0 else 1.0

    def in_seed_stage(self, platform: Platform) -> bool:
        """A platform lives on its founding round for its first funding.round_months: its backers bet on it
        before they can compare it with the leader (an entrant starts with no users)."""
        return self.model.month - platform.founded_month < self.params.funding.round_months

    def user_values(self) -> np.ndarray:
        """Value each platform puts on a user won or lost: what the funding market pays for it.

        A profitable platform's users are worth its earnings valuation per user. A growing one's
        are worth the market's value per user as far as investors would fund it: times their appetite
        for its promise (in full from min_share_of_leader, in proportion below; in full in its seed stage),
        and only for as many months of losses as their patience allows, so that within one round's worth
        of months of that limit the value shrinks to zero and the platform must live on its profit.
        """
        funding = self.params.funding
        model = self.model
        values = np.zeros(len(model.platforms))
        for platform in model.active_platforms:
            earnings = platform.earnings_value(self.sentiment) / platform.users if platform.users else 0.0
            if platform.parent is not None:  # its parent values its users whatever its share, for as long as the run
                values[platform.platform_id] = max(self.params.parent.user_value_share * self.value_per_user, earnings)
                continue
            backed = 1.0 if self.in_seed_stage(platform) else appetite(self.promise(platform), self.params)
            systemic = model.government.is_systemic(platform, model.platforms)
            patience = max((i.effective_patience(systemic) for i in model.investors if i.capital > 0), default=0.0)
            runway = (patience - platform.months_of_losses) / funding.round_months
            growth = self.value_per_user_of(platform) * backed * float(np.clip(runway, 0.0, 1.0))
            values[platform.platform_id] = max(growth, earnings)
        return values

    # -- founding and rounds -------------------------------------------------------------------
    def found_first_platforms(self) -> None:
        """Month 0: each for-profit platform's founding round, from up to two investors drawn at random
        (a parent's platform from its parent)."""
        for platform in self.model.platforms:
            if platform.parent is not None:
                seed = self.params.platforms.seed_funding * self.params.users.count
                platform.found([(platform.parent, self.parent_pays(platform, seed))])
            elif not (platform.nonprofit or platform.spare):
                self.found(platform)

    def found(self, platform: Platform, funds: list[Investor] | None = None) -> None:
        """A founding round of platforms.seed_funding per potential user, from up to two investors drawn at random."""
        seed = self.params.platforms.seed_funding * self.params.users.count
        funds = [i for i in self.model.investors if i.capital > 0] if funds is None else funds
        backers = self.model.rng.choice(len(funds), size=min(2, len(funds)), replace=False)
        purchases = []
        for b in backers:
            amount = min(seed / len(backers), funds[b].capital)
            if amount > 0:
                purchases.append((funds[b].account, amount))
        platform.found(purchases)

    def raise_round(self, platform: Platform) -> None:
        """Willing investors fund their appetite's share of ``round_months`` of burn (plus any deficit), pro rata
        to capital."""
        if platform.nonprofit:
            return  # venture investors buy no shares in a platform that pays no dividends
        model = self.model
        asked = self.round_asked(platform, self.rescue_premium(platform))
        wanted = appetite(self.promise(platform), self.params) * asked
        systemic = model.government.is_systemic(platform, model.platforms)
        backers = [i for i in model.investors if i.will_fund(platform.months_of_losses, systemic)]
        available = sum(i.capital for i in backers)
        if wanted <= 0 or available <= 0:
            return
        raised = min(wanted, available)
        purchases = [(i.account, raised * i.capital / available) for i in backers]
        platform.issue_shares(purchases, self.valuation_of(platform), "equity")

    def round_asked(self, platform: Platform, premium: float = 1.0) -> float:
        """What a round asks for: ``round_months x premium`` months of burn, plus any deficit."""
        return self.params.funding.round_months * premium * platform.burn + max(0.0, -platform.cash)

    def parent_round(self, platform: Platform) -> None:
        """A parent's platform short of runway gets ``round_months`` of burn (plus any deficit) from its parent,
        in new shares at its valuation: the parent has profits of its own and no limit of patience."""
        asked = self.round_asked(platform)
        if asked > 0:
            platform.issue_shares([(platform.parent, self.parent_pays(platform, asked))], self.valuation_of(platform), "equity")

    def parent_pays(self, platform: Platform, amount: float) -> float:
        """The parent takes ``amount`` from the profits of its other businesses (the outside world). Returns it."""
        self.model.ledger.transfer(self.model.month, OUTSIDE, platform.parent, amount, "parent_profits")
        return amount

    def open_nonprofits(self) -> None:
        """Cooperative or public platforms open in their entry month, with members' or the state's money."""
        coop = self.params.cooperative
        model = self.model
        for platform in model.platforms:
            if not platform.nonprofit or platform.status != PLANNED or model.month < coop.entry_month:
                continue
            platform.open()
            members = coop.member_funding_per_user * self.params.users.count
            if members > 0:  # members are households: they put in money from their income, for service, not dividends
                model.ledger.transfer(model.month, OUTSIDE, HOUSEHOLDS, members, "income")
                platform.issue_shares([(HOUSEHOLDS, members)], platform.earnings_value(self.sentiment), "member_funding")
            grant = coop.public_funding_per_user * self.params.users.count
            if grant > 0:
                model.government.fund_platform(platform, grant)

    def enter(self) -> None:
        """Entry: investors found a new platform in a free slot when the market leaves money on the table.

        Rents attract capital: while some platform makes a profit, an entrant is founded with
        probability entry.rate a month. Users with no platform at all are an open market: an entrant
        is founded at once. An entrant gets the same founding round as the first platforms, starts
        from the same levers and quality, and must win users from any installed base.
        """
        model = self.model
        slot = next((p for p in model.platforms if p.free_for("entry")), None)
        rents = any(p.profit_trend > 0 for p in model.active_platforms if not p.nonprofit)
        unserved = not model.active_platforms and model.users.adopted.any()
        # Only funds that can still put in their part of a full founding round (two backers, as at the start) back an entrant.
        backers = min(2, len(model.investors))
        stake = self.params.platforms.seed_funding * self.params.users.count / max(backers, 1)
        funds = [i for i in model.investors if i.capital >= stake]
        if slot is None or not (rents or unserved) or backers == 0:
            return
        new_money = 0.0
        if unserved and len(funds) < backers:
            funds, new_money = self.raise_new_money(backers, stake)
        if len(funds) < backers or (not unserved and self.entry_rng.random() >= self.params.entry.rate):
            return
        slot.open()
        self.found(slot, funds)
        self.entries.append({"step": model.month, "platform": slot.platform_id, "new_money": new_money})

    def raise_new_money(self, backers: int, stake: float) -> tuple[list[Investor], float]:
        """An open market draws new money: the funds with most capital left get commitments from their
        limited partners (the outside world) up to a founding round's stake each. Returns the funds and
        the new money."""
        funds = sorted(self.model.investors, key=lambda i: i.capital, reverse=True)[:backers]
        new_money = 0.0
        for fund in funds:
            if fund.capital < stake:
                new_money += stake - fund.capital
                self.model.ledger.transfer(self.model.month, OUTSIDE, fund.account, stake - fund.capital, "capital_commitment")
        return funds, new_money

    # -- sentiment -----------------------------------------------------------------------------
    def hear_of_failure(self) -> None:
        """A platform or a supplier failed this month: it weighs on sentiment for a year."""
        self.failure_months.append(self.model.month)

    def hear_of_contagion(self) -> None:
        """A supplier's loss frightens the funding market: sentiment falls now, and its target for a year."""
        self.contagion_months.append(self.model.month)
        self.shift_sentiment(-self.params.suppliers.contagion_penalty)

    def shift_sentiment(self, change: float) -> None:
        market = self.params.market
        self.sentiment = float(np.clip(self.sentiment + change, market.min_sentiment, market.max_sentiment))

    def update_sentiment(self, adopted: int) -> None:
        """Sentiment drifts toward 1 + hype x the year's adoption - penalties for failures and contagion in the year.

        The year's adoption is the net gain in users over twelve months as a share of potential users:
        it swells while the market takes off and fades as it saturates, so the boom and the bust come from
        the market's own growth, and it reads the same at any number of simulated users (DESIGN §4).
        """
        market = self.params.market
        month = self.model.month
        self.adoption_history.append(adopted)
        year_ago = self.adoption_history[max(0, len(self.adoption_history) - 13)]
        adoption_in_the_year = (adopted - year_ago) / self.params.users.count
        recent_failures = sum(1 for m in self.failure_months if m > month - 12)
        recent_contagion = sum(1 for m in self.contagion_months if m > month - 12)
        target = (1.0 + market.hype_sensitivity * adoption_in_the_year - market.failure_penalty * recent_failures
                  - self.params.suppliers.contagion_penalty * recent_contagion)
        self.sentiment += market.sentiment_adjustment * (target - self.sentiment)
        self.sentiment = float(np.clip(self.sentiment, market.min_sentiment, market.max_sentiment))
