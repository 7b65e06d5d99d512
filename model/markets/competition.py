"""Competition policy: acquisitions, merger control and divestiture (ODD 6.13).

If acquisitions are on, the leader bids each month for its largest rising rival when the users it
would gain are worth the price to it, and pays in cash and in its own shares; merger control blocks
a deal that would take the merged platform above ``regulation.max_share``. If divestiture is on, a platform that has held more than
the maximum share for a year is split: part of it becomes a new platform in a spare slot.
"""

from __future__ import annotations

from model.ledger import GOVERNMENT
from model.markets.funding import FundingMarket
from model.params.schema import Params
from model.platforms import Platform
from model.regulation import merger_allowed


class Competition:
    def __init__(self, model, params: Params, funding: FundingMarket) -> None:
        self.model = model
        self.params = params
        self.funding = funding
        self.acquisitions: list[dict] = []  # one record per acquisition or blocked merger
        self.divestitures: list[dict] = []  # one record per platform split by the regulator
        self.months_dominant: dict[int, int] = {}  # consecutive months above regulation.max_share, per platform

    def consolidate(self) -> None:
        """The leader bids for the largest rising rival; merger control may block the deal."""
        active = self.model.active_platforms
        total = sum(p.users for p in active)
        if len(active) < 2 or total == 0:
            return
        leader = max(active, key=lambda p: p.users)
        rising = [p for p in active if p is not leader and not p.nonprofit  # members do not sell
                  and p.user_growth >= self.params.acquisitions.rising_growth]
        if not rising:
            return
        target = max(rising, key=lambda p: p.users)
        values = self.funding.user_values()
        # The leader buys the target's market share: the users investors expect it to hold, priced as they price them.
        target_users = self.funding.expected_users(target)
        own_valuation = self.funding.valuation_of(leader)
        price = leader.acquisition_offer(target_users, self.funding.valuation_of(target), values[leader.platform_id],
                                         own_valuation)
        if not price or (target.parent is not None and price < values[target.platform_id] * target_users):
            return  # no offer, or a parent that values its platform's users above the bid keeps them
        merged_share = (leader.users + target.users) / total
        allowed = merger_allowed(self.params.regulation, merged_share)
        deal = {"step": self.model.month, "acquirer": leader.platform_id, "target": target.platform_id,
                "price": price, "paid_in_cash": 0.0, "merged_share": merged_share, "blocked": not allowed}
        self.acquisitions.append(deal)
        if allowed:
            deal["paid_in_cash"] = self.acquire(leader, target, price, own_valuation)

    def acquire(self, acquirer: Platform, target: Platform, price: float, valuation: float) -> float:
        """The acquirer pays the target's shareholders, in cash and in its shares at its ``valuation``, takes
        its cash, debts and users; the target closes. Returns the part paid in cash."""
        model = self.model
        payments = acquirer.buy_out(target, price, valuation)
        for holder, part in payments:
            if holder == GOVERNMENT:
                model.government.record_recovery(part)
        moved = model.users.merge(target.platform_id, acquirer.platform_id)
        acquirer.absorb(target, moved)
        return sum(part for _, part in payments)

    def divest(self) -> None:
        """The regulator splits a platform that has held more than the maximum share for a year.

        Only lasting dominance of a real market counts: a year above ``regulation.max_share`` of
        platform users, with at least ``funding.judgement_users`` of the potential users (the
        early noise investors also discount). Part of it becomes a new platform (a spare slot).
        """
        model = self.model
        rules = self.params.regulation
        total = sum(p.users for p in model.platforms)
        least = self.funding.judgement_prior
        for platform in model.active_platforms:
            dominant = total > 0 and platform.users / total > rules.max_share and platform.users >= least
            self.months_dominant[platform.platform_id] = self.months_dominant.get(platform.platform_id, 0) + 1 if dominant else 0
            spare = next((p for p in model.platforms if p.free_for("divestiture")), None)
            if spare is None or self.months_dominant[platform.platform_id] < 12:
                continue
            self.months_dominant[platform.platform_id] = 0
            moved = model.users.split(platform.platform_id, spare.platform_id, rules.divested_share)
            platform.split_off(spare, rules.divested_share, moved)
            self.divestitures.append({"step": model.month, "platform": platform.platform_id,
                                      "spin_off": spare.platform_id, "users": moved})
