"""The user-choice rule written the usual Mesa way: one Agent per user, ``shuffle_do`` each step.

This is what the issue calls the plain Mesa loop: each ``User`` holds its tastes, affinities,
platform and tenure as attributes and decides in its own ``step``; the model shuffles the users,
lets each step, then recomputes the shares. All randomness comes from the model's generators
(``self.rng``; Mesa's ``self.random``, seeded from it, shuffles). The rule is the same as the
kernel's and the full model's (benchmarks/rule.py).
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from benchmarks.rule import NO_PLATFORM, ChoiceRule, FixedOffers, draw_users


class User(mesa.Agent):
    """One potential user, who looks at the market at the start."""

    def __init__(self, model, quality_taste, ad_aversion, price_sensitivity, affinity) -> None:
        super().__init__(model)
        self.quality_taste = float(quality_taste)
        self.ad_aversion = float(ad_aversion)
        self.price_sensitivity = float(price_sensitivity)
        self.affinity = [float(a) for a in affinity]
        self.platform = NO_PLATFORM
        self.tenure = 0
        self.adopted = False  # has been on a platform; until then it looks again at the Bass hazard

    def utilities(self) -> list[float]:
        """Utility of each platform, then of the outside option (if there is one)."""
        model, rule, offers = self.model, self.model.rule, self.model.offers
        leaving = rule.switching_cost(self.tenure) if self.platform != NO_PLATFORM else 0.0
        values = []
        for j in range(offers.count):
            value = (
                self.quality_taste * offers.quality[j]
                - self.ad_aversion * offers.ad_load[j]
                - self.price_sensitivity * offers.user_price[j]
                + model.network[j]
                + self.affinity[j]
            )
            if j != self.platform:
                value -= leaving
            values.append(value)
        if rule.has_outside_option:
            values.append(rule.outside_utility - leaving)
        return values

    def choose(self) -> None:
        """Pick an option by logit (inverse CDF of one uniform draw)."""
        values = self.utilities()
        beta = self.model.rule.rationality
        top = max(values)
        weights = [math.exp(beta * (value - top)) for value in values]
        draw = self.rng.random() * sum(weights)
        pick, cumulative = len(weights) - 1, 0.0
        for option, weight in enumerate(weights):
            cumulative += weight
            if draw < cumulative:
                pick = option
                break
        if pick == self.model.offers.count:
            pick = NO_PLATFORM
        if pick != self.platform:
            self.platform = pick
            self.tenure = 0
        self.adopted = self.adopted or pick != NO_PLATFORM

    def age(self) -> None:
        if self.platform != NO_PLATFORM:
            self.tenure += 1

    def enter(self) -> None:
        """A newcomer's first choice (no switching cost: it is on no platform yet)."""
        self.choose()
        self.age()

    def step(self) -> None:
        chance = self.model.rule.review_rate if self.adopted else self.model.looking
        if self.rng.random() < chance:
            self.choose()
        self.age()


class MesaChoiceMarket(mesa.Model):
    """The market of users alone; every user enters at construction (no network yet)."""

    def __init__(self, params, users: int, offers: FixedOffers | None = None, seed: int | None = None) -> None:
        super().__init__(rng=params.simulation.seed if seed is None else seed)
        self.rule = ChoiceRule.from_params(params)
        self.offers = offers or FixedOffers.from_params(params)
        self.network = [0.0] * self.offers.count
        drawn = draw_users(self.rule, self.offers.count, users, self.rng)
        User.create_agents(
            self, users, drawn["quality_taste"], drawn["ad_aversion"], drawn["price_sensitivity"], drawn["affinity"]
        )
        self.agents.shuffle_do("enter")
        self.update_network()

    def update_network(self) -> None:
        counts = [0] * self.offers.count
        for user in self.agents:
            if user.platform != NO_PLATFORM:
                counts[user.platform] += 1
        self.network = [float(x) for x in self.rule.network(counts)]

    def step(self) -> None:
        on_platforms = sum(user.platform != NO_PLATFORM for user in self.agents) / len(self.agents)
        self.looking = self.rule.looking_probability(on_platforms)  # the Bass hazard of users who have not adopted
        self.agents.shuffle_do("step")
        self.update_network()

    def shares(self) -> np.ndarray:
        """Share of all users on each platform, then on the outside option."""
        platforms = np.array(self.agents.get("platform"))
        counts = np.bincount(platforms[platforms != NO_PLATFORM], minlength=self.offers.count)[: self.offers.count]
        return np.append(counts, platforms.size - counts.sum()) / max(platforms.size, 1)
