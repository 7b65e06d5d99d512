"""The ad market's trading: advertisers reallocate, prices clear, advertisers pay platforms (ODD 6.4).

Advertisers that review this month spread their budgets at the prices the market clears at
(:func:`model.admarket.clear`); the others keep last month's split. Each platform's price is then
the one at which the month's spend buys its inventory, never below the floor. The rules are the
pure functions of :mod:`model.admarket`; the conditions (inventory, reach, effectiveness) are the
ones the platforms' forecasts use (:func:`model.admarket.ad_conditions`).
"""

from __future__ import annotations

import numpy as np

from model.admarket import ad_conditions, clear, clearing_price, other_media_weight
from model.ledger import ADVERTISERS, OUTSIDE
from model.params.schema import Params


class AdMarket:
    """Clears the month's ads; ``traded`` keeps the month's spend, surplus and impressions per platform slot."""

    def __init__(self, model, params: Params) -> None:
        self.model = model
        self.params = params
        self.traded = self._nothing_traded()

    def _nothing_traded(self) -> dict[str, np.ndarray]:
        slots = len(self.model.platforms)
        return {"spend": np.zeros(slots), "surplus": np.zeros(slots), "impressions": np.zeros(slots)}

    def other_media(self, users: np.ndarray) -> float:
        """Weight of other media in advertisers' allocation, once ``users`` (per platform) are on platforms."""
        ads = self.params.advertisers
        return other_media_weight(ads.outside_weight, ads.audience_shift, users.sum() / self.params.users.count)

    def trade(self) -> None:
        """Reviewing advertisers reallocate at the clearing prices; everyone pays; value is delivered."""
        model, advertisers = self.model, self.model.advertisers
        self.traded = self._nothing_traded()
        if not len(advertisers):
            return
        platforms = model.platforms
        users = np.array([p.users for p in platforms], dtype=float)
        market = ad_conditions(users, np.array([p.ad_load for p in platforms]), np.array([p.active for p in platforms]),
                               self.params)
        reviewing = advertisers.reviewing(model.rng)
        committed = advertisers.spend(model.month, market.reach)[~reviewing].sum(axis=0)
        floor = self.params.platforms.min_ad_price
        _, shares = clear(
            committed_spend=committed,
            values=advertisers.values[reviewing],
            budgets=advertisers.budgets(model.month)[reviewing],
            reach=market.reach,
            attachment=advertisers.attachment()[reviewing],
            effect=market.effect,
            inventory=market.inventory,
            prices=np.array([p.ad_price for p in platforms]),
            adjusts=market.inventory > 0,
            sensitivity=self.params.advertisers.return_sensitivity,
            other_media=self.other_media(users),
            floor=floor,
        )
        advertisers.commit(reviewing, shares)
        spend = advertisers.spend(model.month, market.reach)
        advertisers.count_months(spend)
        per_platform = spend.sum(axis=0)
        price = clearing_price(per_platform, market.inventory, floor)
        bought = 1000.0 * spend / price  # impressions each advertiser buys on each platform
        delivered = advertisers.values[:, None] * market.effect[None, :] * bought / 1000.0
        self.traded = {"spend": per_platform, "surplus": (delivered - spend).sum(axis=0), "impressions": bought.sum(axis=0)}
        model.ledger.transfer(model.month, OUTSIDE, ADVERTISERS, float(per_platform.sum()), "sales")
        for platform in platforms:
            j = platform.platform_id
            revenue = float(per_platform[j])
            platform.record_ad_sales(revenue, float(price[j]) if market.inventory[j] > 0 else None)
            model.ledger.transfer(model.month, ADVERTISERS, platform.account, revenue, "ad_spend")
