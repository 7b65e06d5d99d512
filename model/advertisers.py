"""Advertisers: business customers who spread a monthly budget over platforms and other media.

Each month an advertiser reconsiders with probability ``review_rate``; when it does, it spreads
its budget by :func:`model.admarket.budget_shares`: where the users are (reach) and where a dollar
buys more than a dollar of value (return = value x effectiveness / price), at the prices the ad
auction clears at (:func:`model.admarket.clear`). Otherwise it keeps last month's split. The
months it has spent on each platform in a row are its attachment there (:func:`model.admarket.attachment`):
what it has built on the platform, which it loses by leaving.

Like the users, the advertisers are arrays, one entry (or row) per advertiser: the month's work is
a few array operations, not a loop over advertisers.
"""

from __future__ import annotations

import numpy as np

from model.admarket import attachment
from model.trends import logistic_trend
from model.choice import lognormal
from model.params.schema import Params


class Advertisers:
    """Every advertiser's budget, value, split of its budget and months on each platform slot."""

    def __init__(self, full_budgets: np.ndarray, values: np.ndarray, slots: int, params: Params) -> None:
        self.params = params
        self.full_budgets = full_budgets  # $/month each, were all of its advertising online
        self.values = values  # $ per 1,000 effective impressions
        self.shares = np.zeros((values.size, slots))  # share of each budget on each platform slot
        self.months_on = np.zeros((values.size, slots))  # months in a row each has spent on each slot
        self.has_plan = np.zeros(values.size, dtype=bool)

    def __len__(self) -> int:
        return self.values.size

    def budgets(self, month: int) -> np.ndarray:
        """This month's budgets for the platforms' market: the part of their advertising now online."""
        ads = self.params.advertisers
        return self.full_budgets * logistic_trend(month, ads.online_share_start, ads.online_share_growth)

    def reviewing(self, rng: np.random.Generator) -> np.ndarray:
        """Who reallocates this month: every advertiser without a plan yet, each other with probability review_rate."""
        reviews = ~self.has_plan
        reviews[self.has_plan] = rng.random(int(self.has_plan.sum())) < self.params.advertisers.review_rate
        return reviews

    def commit(self, who: np.ndarray, shares: np.ndarray) -> None:
        """The reallocating advertisers (``who``, a mask) adopt their new splits."""
        self.shares[who] = shares
        self.has_plan[who] = True

    def spend(self, month: int, reach: np.ndarray) -> np.ndarray:
        """This month's spend per advertiser and platform slot: no ads can be bought where nobody is reached."""
        return np.where(reach > 0, self.budgets(month)[:, None] * self.shares, 0.0)

    def attachment(self) -> np.ndarray:
        """Their attachment to each platform slot (advertisers x slots; :func:`model.admarket.attachment`)."""
        ads = self.params.advertisers
        return attachment(self.months_on, ads.attachment_per_month, ads.attachment_months)

    def count_months(self, spend: np.ndarray) -> None:
        """A month more on every platform each spent on; what one had built elsewhere is gone."""
        self.months_on = np.where(spend > 0, self.months_on + 1, 0.0)


def create_advertisers(rng: np.random.Generator, params: Params) -> Advertisers:
    """Advertisers with log-normal budgets (adding up to budget_per_user x potential users) and values."""
    ads = params.advertisers
    if ads.count == 0:
        return Advertisers(np.zeros(0), np.zeros(0), params.platform_slots, params)
    weights = lognormal(rng, 1.0, 1.0, ads.count)
    budgets = ads.budget_per_user * params.users.count * weights / weights.sum()
    values = lognormal(rng, ads.value_per_impression_mean, ads.value_per_impression_cv, ads.count)
    return Advertisers(budgets, values, params.platform_slots, params)
