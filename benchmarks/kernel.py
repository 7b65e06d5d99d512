"""The user-choice rule as a bare numpy kernel: the speed the full model should come close to.

One function per step (``kernel_step``): draw the reviewers, build the utilities of the
reviewers only, draw their choices by inverse CDF of the logit, update platform and tenure,
recompute the shares. Written from the rule (benchmarks/rule.py), not from model/: it is the
floor of what the vectorised user step costs, without anything else of the economy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.rule import NO_PLATFORM, ChoiceRule, FixedOffers, draw_users, market_shares


@dataclass
class KernelState:
    """The population as arrays: tastes, affinities, current platform, tenure; J x network term."""

    quality_taste: np.ndarray
    ad_aversion: np.ndarray
    price_sensitivity: np.ndarray
    affinity: np.ndarray  # users x platforms
    platform: np.ndarray  # int16, NO_PLATFORM for the outside option
    tenure: np.ndarray  # int32, months on the current platform
    network: np.ndarray  # J x network term of each platform, from the last step's shares
    adopted: np.ndarray  # bool: has been on a platform (the others look again at the Bass hazard)


def kernel_choose(state: KernelState, who: np.ndarray, rule: ChoiceRule, offers: FixedOffers, rng: np.random.Generator) -> None:
    """Users ``who`` pick by logit; movers restart their tenure."""
    slots = offers.count
    outside = rule.has_outside_option
    current = state.platform[who]
    on = current != NO_PLATFORM
    cost = np.where(on, rule.switching_cost(state.tenure[who]), 0.0)
    utilities = np.empty((who.size, slots + outside))
    view = utilities[:, :slots]
    np.multiply.outer(state.quality_taste[who], np.asarray(offers.quality), out=view)
    view -= np.multiply.outer(state.ad_aversion[who], np.asarray(offers.ad_load))
    view -= np.multiply.outer(state.price_sensitivity[who], np.asarray(offers.user_price))
    view += state.network
    view += state.affinity[who]
    if outside:
        utilities[:, slots] = rule.outside_utility
    utilities -= cost[:, None]  # charged on every option, refunded on the user's own platform
    rows = np.flatnonzero(on)
    utilities[rows, current[rows]] += cost[rows]
    utilities *= rule.rationality
    utilities -= utilities.max(axis=1, keepdims=True)
    np.exp(utilities, out=utilities)
    np.cumsum(utilities, axis=1, out=utilities)
    draws = rng.random(who.size) * utilities[:, -1]
    picks = np.minimum((utilities < draws[:, None]).sum(axis=1), slots + outside - 1)
    picks = np.where(picks == slots, NO_PLATFORM, picks).astype(state.platform.dtype)
    state.tenure[who[picks != current]] = 0
    state.platform[who] = picks


def kernel_update(state: KernelState, rule: ChoiceRule, slots: int) -> None:
    """End of the month: users on a platform gain a month of tenure; shares are recomputed."""
    on = state.platform != NO_PLATFORM
    state.tenure += on
    state.network = rule.network(np.bincount(state.platform[on], minlength=slots)[:slots])


def kernel_step(state: KernelState, rule: ChoiceRule, offers: FixedOffers, rng: np.random.Generator) -> None:
    """One month of the choice rule on numpy arrays: adopters review, the others look at the Bass hazard."""
    adopted = state.adopted
    looking = rule.looking_probability(float((state.platform != NO_PLATFORM).mean()))
    reviewers = np.flatnonzero(rng.random(state.platform.size) < np.where(adopted, rule.review_rate, looking))
    kernel_choose(state, reviewers, rule, offers, rng)
    adopted |= state.platform != NO_PLATFORM
    kernel_update(state, rule, offers.count)


class KernelMarket:
    """The kernel with its state: every user enters at construction (a first choice, no network yet)."""

    def __init__(self, params, users: int, offers: FixedOffers | None = None, seed: int | None = None) -> None:
        self.rule = ChoiceRule.from_params(params)
        self.offers = offers or FixedOffers.from_params(params)
        self.rng = np.random.default_rng(params.simulation.seed if seed is None else seed)
        slots = self.offers.count
        self.state = KernelState(
            **draw_users(self.rule, slots, users, self.rng),
            platform=np.full(users, NO_PLATFORM, dtype=np.int16),
            tenure=np.zeros(users, dtype=np.int32),
            network=np.zeros(slots),
            adopted=np.zeros(users, dtype=bool),
        )
        kernel_choose(self.state, np.arange(users), self.rule, self.offers, self.rng)
        self.state.adopted |= self.state.platform != NO_PLATFORM
        kernel_update(self.state, self.rule, slots)

    def step(self) -> None:
        kernel_step(self.state, self.rule, self.offers, self.rng)

    def shares(self) -> np.ndarray:
        """Share of all users on each platform, then on the outside option."""
        return market_shares(self.state.platform, self.offers.count)
