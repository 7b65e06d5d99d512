"""The user-choice rule shared by the two references, read from a parameter set.

The rule is the baseline's user step (model/users.py ``choose``, model/choice.py
``option_utilities``): each adopted user, with probability ``users.review_rate``, reconsiders and
picks by multinomial logit (scale ``users.rationality``) over the active platforms and the outside
option, with

    V_ij = theta_i q_j - alpha_i a_j - lambda_i p_j + J n_j + affinity_ij
           - 1[j != current_i] (c0 + c1 min(tenure_i, T)) (1 - interop)
    n_j  = (1 - interop) s_j + interop                 (s_j: platform j's share of platform users)
    V_i0 = outside_utility - 1[i on a platform] (c0 + c1 min(tenure_i, T)) (1 - interop)

A user who moves restarts its tenure; every user on a platform then gains a month of tenure. A
user who has never been on a platform (it preferred the outside option when it looked) has not
adopted: instead of reviewing at ``users.review_rate`` it looks again with the Bass hazard
``p + q F`` (F: the share of users on a platform), as the model's potential users do.
The references take fixed offers (quality q, ad load a, price p per platform) and recompute the
shares s_j from the users' choices after every step, so the network effect is live.

Only numbers are read from ``Params`` here: nothing of the model's code is used, so that the
references stay independent of the implementation they are compared with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NO_PLATFORM = -1


@dataclass(frozen=True)
class ChoiceRule:
    """The numbers of the choice rule (users, network, switching, interoperability)."""

    rationality: float
    review_rate: float
    network_effect: float
    base_cost: float
    cost_per_month: float
    tenure_cap: int
    interoperability: float
    outside_utility: float | None  # None: no outside option
    quality_taste: tuple[float, float]  # (mean, cv) of a lognormal
    ad_aversion: tuple[float, float]
    price_sensitivity: tuple[float, float]
    platform_affinity: float  # standard deviation of the normal affinity of each user for each platform
    adoption_innovation: float = 0.0  # Bass p and q: how often a user who has not adopted looks again
    adoption_imitation: float = 0.0

    @classmethod
    def from_params(cls, params) -> ChoiceRule:
        users, switching = params.users, params.switching
        outside = users.outside_utility
        return cls(
            rationality=float(users.rationality),
            review_rate=float(users.review_rate),
            network_effect=float(params.network.effect),
            base_cost=float(switching.base_cost),
            cost_per_month=float(switching.cost_per_month),
            tenure_cap=int(switching.tenure_cap),
            interoperability=float(params.regulation.interoperability),
            outside_utility=None if outside == "none" else float(outside),
            quality_taste=(float(users.quality_taste_mean), float(users.quality_taste_cv)),
            ad_aversion=(float(users.ad_aversion_mean), float(users.ad_aversion_cv)),
            price_sensitivity=(float(users.price_sensitivity_mean), float(users.price_sensitivity_cv)),
            platform_affinity=float(users.platform_affinity),
            adoption_innovation=float(users.adoption_innovation),
            adoption_imitation=float(users.adoption_imitation),
        )

    def looking_probability(self, on_platforms: float) -> float:
        """Bass hazard of a user who has not adopted, with ``on_platforms`` the share of users on a platform."""
        return min(1.0, self.adoption_innovation + self.adoption_imitation * on_platforms)

    @property
    def has_outside_option(self) -> bool:
        return self.outside_utility is not None

    def switching_cost(self, tenure):
        """c0 + c1 min(tenure, T), cut by interoperability (a number or an array of tenures)."""
        return (self.base_cost + self.cost_per_month * np.minimum(tenure, self.tenure_cap)) * (1.0 - self.interoperability)

    def network(self, counts) -> np.ndarray:
        """J times the network term of each platform, from the users on each platform."""
        counts = np.asarray(counts, dtype=float)
        total = counts.sum()
        shares = counts / total if total > 0 else np.zeros_like(counts)
        connected = 1.0 if total > 0 else 0.0
        return self.network_effect * ((1.0 - self.interoperability) * shares + self.interoperability * connected)


@dataclass(frozen=True)
class FixedOffers:
    """What each platform offers, fixed for the whole run: quality, ad load, user price."""

    quality: tuple[float, ...]
    ad_load: tuple[float, ...]
    user_price: tuple[float, ...]

    @classmethod
    def from_params(cls, params, quality_spread: float = 0.0) -> FixedOffers:
        """The initial levers of ``params.platforms`` for each of its platforms.

        ``quality_spread`` > 0 spreads the qualities evenly over initial_quality x (1 -/+ spread),
        for a market whose platforms differ (the asymmetric sanity check).
        """
        settings = params.platforms
        count = int(settings.count)
        spread = np.linspace(-1.0, 1.0, count) if count > 1 else np.zeros(1)
        return cls(
            quality=tuple(float(settings.initial_quality * (1.0 + quality_spread * s)) for s in spread),
            ad_load=(float(settings.initial_ad_load),) * count,
            user_price=(float(settings.initial_user_price),) * count,
        )

    @property
    def count(self) -> int:
        return len(self.quality)


def lognormal(rng: np.random.Generator, mean: float, cv: float, size: int) -> np.ndarray:
    """Positive draws with the given mean and coefficient of variation (cv = 0: all the mean)."""
    if cv == 0 or mean == 0:
        return np.full(size, float(mean))
    sigma2 = np.log1p(cv * cv)
    return rng.lognormal(np.log(mean) - sigma2 / 2.0, np.sqrt(sigma2), size)


def draw_users(rule: ChoiceRule, platforms: int, count: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Tastes (theta, alpha, lambda) and affinities (count x platforms) of ``count`` users."""
    return {
        "quality_taste": lognormal(rng, *rule.quality_taste, count),
        "ad_aversion": lognormal(rng, *rule.ad_aversion, count),
        "price_sensitivity": lognormal(rng, *rule.price_sensitivity, count),
        "affinity": rule.platform_affinity * rng.standard_normal((count, platforms)),
    }


def market_shares(platform: np.ndarray, platforms: int) -> np.ndarray:
    """Share of all users on each platform, then on the outside option (the last entry)."""
    platform = np.asarray(platform)
    counts = np.bincount(platform[platform != NO_PLATFORM], minlength=platforms)[:platforms]
    return np.append(counts, platform.size - counts.sum()) / max(platform.size, 1)
