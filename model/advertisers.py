"""Advertisers: business customers who spread a monthly budget over platforms and other media.

Each month an advertiser reconsiders with probability ``review_rate``; when it does, it spreads
its budget by :func:`model.admarket.budget_shares`: where the users are (reach) and where a dollar
buys more than a dollar of value (return = value x effectiveness / price), at the prices the ad
auction clears at (:func:`model.admarket.clear`). Otherwise it keeps last month's split. The
months it has spent on each platform in a row are its attachment there (:func:`model.admarket.attachment`):
what it has built on the platform, which it loses by leaving.
"""

from __future__ import annotations

import mesa
import numpy as np

from model.admarket import attachment, online_share
from model.choice import lognormal
from model.params.schema import Params


class Advertiser(mesa.Agent):
    def __init__(self, model, budget: float, value: float, slots: int, params: Params) -> None:
        super().__init__(model)
        self.params = params
        self.full_budget = budget  # $/month, were all of its advertising online
        self.value = value  # $ per 1,000 effective impressions
        self.shares = np.zeros(slots)  # share of the budget on each platform slot
        self.months_on = np.zeros(slots)  # months in a row it has spent on each platform slot
        self.has_plan = False

    @property
    def budget(self) -> float:
        """This month's budget for the platforms' market: the part of its advertising now online."""
        ads = self.params.advertisers
        return self.full_budget * online_share(self.model.month, ads.online_share_start, ads.online_share_growth)

    def reviews(self) -> bool:
        """Whether it reallocates its budget this month (always, the first time)."""
        return not self.has_plan or self.model.rng.random() < self.params.advertisers.review_rate

    def commit(self, shares: np.ndarray) -> None:
        self.shares = np.asarray(shares, dtype=float)
        self.has_plan = True

    def spend(self, reach: np.ndarray) -> np.ndarray:
        """This month's spend per platform slot: no ads can be bought where nobody is reached."""
        return np.where(reach > 0, self.budget * self.shares, 0.0)

    def attachment(self) -> np.ndarray:
        """Its attachment to each platform slot (:func:`model.admarket.attachment`)."""
        ads = self.params.advertisers
        return attachment(self.months_on, ads.attachment_per_month, ads.attachment_months)

    def count_months(self, spend: np.ndarray) -> None:
        """A month more on every platform it spent on; what it had built elsewhere is gone."""
        self.months_on = np.where(spend > 0, self.months_on + 1, 0.0)


def attachments(advertisers: list[Advertiser], slots: int) -> np.ndarray:
    """Each advertiser's attachment to each platform slot (advertisers x slots; no rows if none)."""
    return np.array([a.attachment() for a in advertisers]).reshape(len(advertisers), slots)


def create_advertisers(model, params: Params) -> list[Advertiser]:
    """Advertisers with log-normal budgets (adding up to budget_per_user x potential users) and values."""
    ads = params.advertisers
    if ads.count == 0:
        return []
    weights = lognormal(model.rng, 1.0, 1.0, ads.count)
    budgets = ads.budget_per_user * params.users.count * weights / weights.sum()
    values = lognormal(model.rng, ads.value_per_impression_mean, ads.value_per_impression_cv, ads.count)
    return [Advertiser(model, b, v, params.platform_slots, params) for b, v in zip(budgets, values)]
