"""Trends of the market's surroundings that no agent sets: media moving online, the market's reach.

Each is a logistic path, written by its share at the start and the yearly growth of its log-odds.
"""

from __future__ import annotations

import numpy as np


def logistic_trend(month, start: float, growth_per_year: float):
    """A share ``month`` months into the run (a number or an array of months): a logistic path from
    ``start`` whose log-odds grow by ``growth_per_year`` a year (1 or no growth: it stays at ``start``).

    Ads: the share of advertisers' budgets spent online (the digital share of world ad spend: under
    10% around 2005, about 73% in 2024). Users: the share of potential users the market reaches
    (the cities a ride-hailing app serves, the people with a smartphone)."""
    months = np.asarray(month, dtype=float)
    if start >= 1.0 or growth_per_year == 0.0:
        share = np.full(months.shape, start)
    else:
        log_odds = np.log(start / (1.0 - start)) + growth_per_year * months / 12.0
        share = 1.0 / (1.0 + np.exp(-log_odds))
    return share if months.ndim else float(share)
