"""Users: a vectorised population (one array row per user) that adopts, reviews and chooses.

Each month potential users look at the market at the Bass hazard; they, users whose platform
failed and a ``review_rate`` share of the others choose a platform (or none) by logit over the
utility in :func:`model.choice.option_utilities`, and a potential user adopts when it picks a
platform. Each platform's captive share (lock-in measured from behaviour) comes from the same
log-sums as the consumer surplus. With social-graph network effects (``network.social_weight``
> 0) users also know their contacts on a social network (:mod:`model.social`) and value their
contacts' shares of each platform. Nothing here loops over users.
"""

from __future__ import annotations

import numpy as np

from model.choice import (NO_PLATFORM, TASTES, Offers, UserSample, log_sum, logit_choice, lognormal, option_utilities,
                          own_utilities, population_log_sum, SINGLE, stay_probability)
from model.params.schema import Params
from model.social import Contacts, social_graph
from model.trends import logistic_trend


PANEL_MEMBERS = 1_000  # a group of users with fewer members in the panel is measured whole (UserPopulation.measured)


PANEL_STREAM = 0x50414E454C  # the panel's draws come from this child of the model's seed (see panel)


def panel(count: int, size: int, rng: np.random.Generator) -> np.ndarray | None:
    """The users measured each month in a population of more than ``size``: a random ``size`` of them,
    sorted; None (everyone) in a population of at most ``size``. Drawn from a child of the model's seed
    with a fixed key of its own (PANEL_STREAM), not from the model's generator nor by spawning from it:
    every other draw of the run, and every child it spawns later, stays what it is without a panel."""
    if count <= size:
        return None
    seed = rng.bit_generator.seed_seq
    child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, PANEL_STREAM))
    return np.sort(np.random.default_rng(child).choice(count, size, replace=False))


class UserPopulation:
    """All potential users of the market, held as numpy arrays."""

    def __init__(self, params: Params, rng: np.random.Generator) -> None:
        users = params.users
        count = users.count
        self.params = params
        self.rng = rng
        # One row per user: taste for quality theta, aversion to ads alpha, price sensitivity lambda.
        # Held by row (one row per taste, one per platform slot): the population's log-sums read them row by row.
        self.tastes_by_row = np.vstack(
            [lognormal(rng, getattr(users, f"{name}_mean"), getattr(users, f"{name}_cv"), count) for name in TASTES]
        ).astype(np.float32)
        draws = rng.standard_normal((count, params.platforms.count))
        spares = params.platform_slots - params.platforms.count
        if spares:  # slots kept for divestitures draw from a child generator: the rest of the run's draws stay the same
            draws = np.hstack([draws, rng.spawn(1)[0].standard_normal((count, spares))])
        self.affinity_by_row = np.ascontiguousarray((users.platform_affinity * draws).T, dtype=np.float32)
        self.adopted = np.zeros(count, dtype=bool)
        self.platform = np.full(count, NO_PLATFORM, dtype=np.int16)
        self.tenure = np.zeros(count, dtype=np.int16)
        self.must_choose = np.zeros(count, dtype=bool)  # set for users whose platform failed
        self.reach = count  # potential users the market reaches: the first ``reach`` of them (extend_reach)
        self.extend_reach(0)
        self.new_adopters = 0
        self.switchers = 0
        self.arrivals = np.zeros(params.platform_slots, dtype=np.int64)  # users won per platform this month
        # The social network (sparse adjacency), only when users value their contacts: drawing its seed
        # otherwise would shift every later draw of the model.
        network = params.network
        self.contacts = None
        if network.social_weight > 0:
            seed = int(rng.integers(2**31))
            graph = social_graph(count, network.graph, network.contacts, network.rewiring, seed)
            self.contacts = Contacts(graph, self.affinity.shape[1])  # one column per platform slot
        self.panel = panel(count, params.simulation.measured_users, rng)
        self._recount()

    @property
    def tastes(self) -> np.ndarray:
        """Users x 3 (TASTES): quality taste theta, ad aversion alpha, price sensitivity lambda."""
        return self.tastes_by_row.T

    @property
    def affinity(self) -> np.ndarray:
        """Users x platform slots: each user's lasting taste for each platform."""
        return self.affinity_by_row.T

    @property
    def count(self) -> int:
        return self.platform.size

    @property
    def price_sensitivity(self) -> np.ndarray:
        return self.tastes[:, 2]

    # -- adoption -----------------------------------------------------------------------------
    def extend_reach(self, month: int) -> None:
        """The market reaches users.reach_start of the potential users at the start, a share that grows
        as a logistic path (model.trends): the cities a ride-hailing app serves, the people with a
        smartphone. The users reached are the first ``reach`` (their tastes are drawn alike, so any
        set of them is a random one); only they can adopt. The path is set by nobody in the model."""
        users = self.params.users
        if users.reach_start < 1.0:
            reached = round(self.count * logistic_trend(month, users.reach_start, users.reach_growth))
            self.reach = min(max(reached, 1), self.count)

    def waiting(self) -> np.ndarray:
        """Potential users the market reaches who have not adopted."""
        return np.flatnonzero(~self.adopted[: self.reach])

    def adoption_hazard(self) -> float:
        """Bass hazard p + q x (share of the users reached on a platform): the chance that a potential
        user looks at the market this month (word of mouth comes from the platforms' users, and
        reaches the people the market reaches)."""
        users = self.params.users
        on_platforms = np.count_nonzero(self.platform != NO_PLATFORM) / self.reach
        return min(1.0, users.adoption_innovation + users.adoption_imitation * on_platforms)

    def consider(self) -> np.ndarray:
        """Potential users who look at the market this month (Bass hazard), among those it reaches.
        Each then chooses by logit among the platforms and the outside option (:meth:`choose`); one
        that prefers the outside option stays a potential user. So adoption runs at the Bass hazard
        times the logit probability that the best offers beat the outside option: better offers (a
        subsidy, more quality) buy growth, and degradation slows it (DESIGN §2)."""
        candidates = self.waiting()
        return candidates[self.rng.random(candidates.size) < self.adoption_hazard()]

    def renew(self) -> int:
        """Generational turnover: a ``turnover`` share of adopted users leave the market each month.

        Each is replaced by a newcomer of the same tastes, who has no platform, no tenure and no
        switching cost and chooses this month: the market keeps adopting sequentially after it has
        stopped growing (Arthur 1989), so newcomers still follow the network.
        """
        turnover = self.params.users.turnover
        if turnover == 0:  # no draw: a run without turnover keeps every other draw of the model
            return 0
        leaving = np.flatnonzero(self.adopted & (self.rng.random(self.count) < turnover))
        self.platform[leaving] = NO_PLATFORM
        self.tenure[leaving] = 0
        self.must_choose[leaving] = True
        self._recount()
        return leaving.size

    # -- choice -------------------------------------------------------------------------------
    def switching_cost(self, index=slice(None)) -> np.ndarray:
        """Cost of leaving the current platform: c0 + c1 * min(tenure, T), cut by interoperability."""
        switching = self.params.switching
        tenure = np.minimum(self.tenure[index], switching.tenure_cap).astype(np.float32)
        cost = (switching.base_cost + switching.cost_per_month * tenure) * (1.0 - self.params.regulation.interoperability)
        return cost.astype(np.float32)

    def contact_shares(self, index=slice(None)) -> np.ndarray | None:
        """Each user's contacts' shares of each platform slot (users x slots), None without a social graph.

        The counts of contacts on each platform follow the users who moved since they were last
        read (:class:`model.social.Contacts`); the shares are computed for the rows asked for.
        """
        if self.contacts is None:
            return None
        return self.contacts.shares(self.platform, index)

    def utilities(self, index, offers: Offers, precision=np.float64) -> np.ndarray:
        return option_utilities(
            self.tastes[index],
            self.affinity[index],
            self.platform[index],
            self.switching_cost(index),
            offers,
            self.params,
            contacts=self.contact_shares(index),
            precision=precision,
        )

    def choose(self, offers: Offers, newcomers: np.ndarray) -> None:
        """Newcomers, users of failed platforms and a review_rate share of the rest pick by logit.

        A newcomer that picks a platform has adopted; one that picks the outside option has not
        (it may look again in a later month).
        """
        on_market = self.adopted & ~self.must_choose
        on_market[newcomers] = False
        reviewing = on_market & (self.rng.random(self.count) < self.params.users.review_rate)
        chooser_mask = reviewing | self.must_choose
        chooser_mask[newcomers] = True
        choosers = np.flatnonzero(chooser_mask)
        something_to_choose = offers.active.any() or self.params.has_outside_option
        if choosers.size and something_to_choose:
            picks = logit_choice(self.utilities(choosers, offers), self.params.users.rationality, self.rng)
            picks = np.where(picks >= offers.quality.size, NO_PLATFORM, picks).astype(np.int16)
        else:  # no platform left and no outside option: nobody can choose anything
            picks = np.full(choosers.size, NO_PLATFORM, dtype=np.int16)
        before = self.platform[choosers]
        moved = picks != before
        arrivals = picks[moved & (picks != NO_PLATFORM)]
        self.arrivals = np.bincount(arrivals, minlength=offers.quality.size)[: offers.quality.size]
        self.switchers = int((moved & (before != NO_PLATFORM)).sum())
        joined = newcomers[picks[np.searchsorted(choosers, newcomers)] != NO_PLATFORM]
        self.adopted[joined] = True
        self.new_adopters = joined.size
        self.tenure[choosers[moved]] = 0
        self.platform[choosers] = picks
        self.must_choose[:] = False
        self.tenure += self.platform != NO_PLATFORM  # int16 holds it: runs last at most 6,000 months
        self._count_moves(before[moved], picks[moved])

    def release(self, platform_id: int) -> int:
        """Users of a failed platform lose it and must choose again next month."""
        leaving = self.platform == platform_id
        self.platform[leaving] = NO_PLATFORM
        self.tenure[leaving] = 0
        self.must_choose |= leaving
        self._recount()
        return int(leaving.sum())

    def merge(self, acquired_id: int, acquirer_id: int) -> int:
        """Users of an acquired platform find themselves on the acquirer, with their data and tenure."""
        moving = self.platform == acquired_id
        self.platform[moving] = acquirer_id
        self._recount()
        return int(moving.sum())

    def split(self, platform_id: int, new_id: int, share: float) -> int:
        """Forced divestiture: a random ``share`` of a platform's users find themselves on the new one."""
        on = np.flatnonzero(self.platform == platform_id)
        moving = on[self.rng.random(on.size) < share]
        self.platform[moving] = new_id  # with their data and tenure
        self._recount()
        return int(moving.size)

    # -- measures -----------------------------------------------------------------------------
    def _recount(self) -> None:
        slots = self.affinity.shape[1]
        self._counts = np.bincount(self.platform + 1, minlength=slots + 1)[1 : slots + 1]  # 0: no platform

    def _count_moves(self, left: np.ndarray, joined: np.ndarray) -> None:
        """The counts :meth:`_recount` would give, from the platforms users left and joined (NO_PLATFORM
        for none): a month's movers, not a pass over every user."""
        slots = self._counts.size
        self._counts = (self._counts + np.bincount(joined + 1, minlength=slots + 1)[1 : slots + 1]
                        - np.bincount(left + 1, minlength=slots + 1)[1 : slots + 1])

    def counts(self, slots: int) -> np.ndarray:
        """Users on each platform slot (kept up to date whenever users move)."""
        return self._counts[:slots].copy()

    def measured(self) -> tuple[np.ndarray, np.ndarray]:
        """The adopted users whose surplus and lock-in are measured this month, and how many users each stands for.

        In a population of at most ``simulation.measured_users``: every adopted user, each for itself.
        In a larger one, the members of the panel (:func:`panel`), each standing for its group's users
        divided by the group's members in the panel, where a group is the users of one platform slot,
        or the adopted users on none; a group with fewer than PANEL_MEMBERS in the panel is measured
        over all its users, each for itself. So each group's mean is estimated from at least
        PANEL_MEMBERS of its users, and the weights of a platform's measured users sum to its users.
        """
        if self.panel is None:
            adopted = np.flatnonzero(self.adopted)
            return adopted, np.ones(adopted.size)
        members = self.panel[self.adopted[self.panel]]
        group_of = self.platform[members] + 1  # each member's group: 0 for no platform, else its slot + 1
        sizes = np.concatenate([[np.count_nonzero(self.adopted) - self._counts.sum()], self._counts]).astype(float)
        in_panel = np.bincount(group_of, minlength=sizes.size)
        whole = in_panel < PANEL_MEMBERS
        weight_of_group = np.divide(sizes, in_panel, out=np.ones(sizes.size), where=~whole)
        who, weight = members[~whole[group_of]], weight_of_group[group_of[~whole[group_of]]]
        if not (whole & (sizes > 0)).any():
            return who, weight
        # Every user of the groups measured whole, in one pass (users on a platform have all adopted).
        everyone = np.flatnonzero(whole[self.platform + 1] & self.adopted)
        order = np.argsort(np.concatenate([who, everyone]), kind="stable")  # in user order: gathers read memory forward
        return np.concatenate([who, everyone])[order], np.concatenate([weight, np.ones(everyone.size)])[order]

    def log_sums(self, offers: Offers, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The users ``who``'s logit log-sums (1/beta) ln sum_k exp(beta V_ik) in utility (0 when there is
        nothing to choose), and each one's utility V of its own platform (NaN for one on none), from the
        same utilities. Statistics (surplus, lock-in): computed in single precision (model.choice.SINGLE)."""
        if who.size == 0 or (not offers.active.any() and not self.params.has_outside_option):
            return np.zeros(who.size), np.full(who.size, np.nan)
        # For most of the population, computing everyone's log-sum and keeping the rows asked for is
        # cheaper than gathering those rows.
        if who.size > self.count / 2 and self.contacts is None:
            everyone, own = population_log_sum(self.tastes_by_row, self.affinity_by_row, self.platform, self.switching_cost(),
                                               offers, self.params, precision=SINGLE)
            return everyone[who], own[who]
        utilities = self.utilities(who, offers, precision=SINGLE)
        return log_sum(utilities, self.params.users.rationality).astype(float), own_utilities(utilities, self.platform[who])

    def surplus_and_lock_in(self, offers: Offers, slots: int, worse_by: float) -> dict:
        """The month's statistics of the users, from the users :meth:`measured` (ODD 6.12).

        consumer_surplus: the market's consumer surplus in dollars, each adopted user's logit log-sum
        divided by its price sensitivity (DESIGN §2), users on no platform included;
        user_surplus: the mean of it over each platform slot's users (0 for a slot with none);
        switching_cost: the mean switching cost (utility) of each slot's users, how locked in they are;
        captive_share: each slot's share of users who would stay on it, if they reviewed, were its offer
        ``worse_by`` utility worse (:func:`model.choice.stay_probability`): lock-in measured from
        behaviour (DESIGN §4). Switching costs, the network and users' tastes for the platform raise it;
        interoperability lowers it. NaN for a slot with no users.
        """
        who, weight = self.measured()
        log_sums, own = self.log_sums(offers, who)
        dollars = log_sums / self.price_sensitivity[who]
        on = self.platform[who] != NO_PLATFORM
        users_on, platform_on = who[on], self.platform[who][on]
        staying = stay_probability(log_sums[on], own[on], self.params.users.rationality, worse_by)
        counts = self.counts(slots)

        def mean_by_platform(values, empty):
            totals = np.bincount(platform_on, weights=weight[on] * values, minlength=slots)[:slots]
            return np.divide(totals, counts, out=np.full(slots, empty), where=counts > 0)

        return {
            "consumer_surplus": float((weight * dollars).sum()),
            "user_surplus": mean_by_platform(dollars[on], 0.0),
            "switching_cost": mean_by_platform(self.switching_cost(users_on), 0.0),
            "captive_share": mean_by_platform(staying, np.nan),
        }

    def sample(self, size: int, rng: np.random.Generator) -> tuple[UserSample, UserSample]:
        """Two samples for demand forecasts: current adopters, and users about to adopt.

        Each sampled adopter reviews with probability review_rate (or surely, if its platform
        failed); each sampled newcomer chooses surely. Weights scale the samples to the market.
        Users are drawn with replacement, so a sample's noise is that of ``size`` independent draws
        however many users the run simulates (without replacement, a sample of most of a small
        population would forecast better than the same sample of a large one). A user drawn more
        than once is held once, with the number of times it was drawn (``UserSample.draws``): a
        forecast over it is the same sum, computed once a user (in populations smaller than the
        sample most draws repeat a user).
        """
        review_rate = self.params.users.review_rate
        adopted = np.flatnonzero(self.adopted)
        waiting = self.waiting()
        samples = []
        for pool, expected in ((adopted, adopted.size), (waiting, self.adoption_hazard() * waiting.size)):
            take, draws = draw_with_replacement(pool, size, rng)
            reviewing = np.full(take.size, review_rate if pool is adopted else 1.0)
            if pool is adopted:
                reviewing[self.must_choose[take]] = 1.0
            samples.append(
                UserSample(
                    tastes=self.tastes[take],
                    affinity=self.affinity[take],
                    platform=self.platform[take] if pool is adopted else np.full(take.size, NO_PLATFORM, np.int16),
                    switching_cost=self.switching_cost(take) if pool is adopted else np.zeros(take.size, np.float32),
                    reviewing=reviewing,
                    draws=draws,
                    weight=expected / size if take.size else 0.0,
                    contacts=self.contact_shares(take),
                )
            )
        return samples[0], samples[1]


SORT_ABOVE = 8  # draw_with_replacement counts by index in pools of at most this many users per draw


def draw_with_replacement(pool: np.ndarray, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``size`` draws with replacement from ``pool`` (ascending, distinct), as ``rng.choice(pool, size)``
    draws them: the users drawn, ascending, and how many times each was drawn.

    The same draws, counted by index when the pool is small (a count per member costs less than
    sorting the draws), else by sorting them.
    """
    if pool.size == 0:
        return pool, np.zeros(0, dtype=np.int64)
    drawn = rng.integers(0, pool.size, size)  # what rng.choice(pool, size) draws, in the same order
    if pool.size > SORT_ABOVE * size:
        index, draws = np.unique(drawn, return_counts=True)
        return pool[index], draws
    counts = np.bincount(drawn, minlength=pool.size)
    index = np.flatnonzero(counts)
    return pool[index], counts[index]

