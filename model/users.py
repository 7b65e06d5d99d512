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
    def adoption_hazard(self) -> float:
        """Bass hazard p + q x (share of the population on a platform): the chance that a potential
        user looks at the market this month (word of mouth comes from the platforms' users)."""
        users = self.params.users
        on_platforms = (self.platform != NO_PLATFORM).mean()
        return min(1.0, users.adoption_innovation + users.adoption_imitation * on_platforms)

    def consider(self) -> np.ndarray:
        """Potential users who look at the market this month (Bass hazard). Each then chooses by
        logit among the platforms and the outside option (:meth:`choose`); one that prefers the
        outside option stays a potential user. So adoption runs at the Bass hazard times the logit
        probability that the best offers beat the outside option: better offers (a subsidy, more
        quality) buy growth, and degradation slows it (DESIGN §2)."""
        candidates = np.flatnonzero(~self.adopted)
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
        moved = picks != self.platform[choosers]
        arrivals = picks[moved & (picks != NO_PLATFORM)]
        self.arrivals = np.bincount(arrivals, minlength=offers.quality.size)[: offers.quality.size]
        self.switchers = int((moved & (self.platform[choosers] != NO_PLATFORM)).sum())
        joined = newcomers[picks[np.searchsorted(choosers, newcomers)] != NO_PLATFORM]
        self.adopted[joined] = True
        self.new_adopters = joined.size
        self.tenure[choosers[moved]] = 0
        self.platform[choosers] = picks
        self.must_choose[:] = False
        self.tenure += self.platform != NO_PLATFORM  # int16 holds it: runs last at most 6,000 months
        self._recount()

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
    def by_platform(self, weights=None) -> np.ndarray:
        """Sum of ``weights`` (default: 1 a user) over each platform slot's users."""
        slots = self.affinity.shape[1]
        return np.bincount(self.platform + 1, weights=weights, minlength=slots + 1)[1 : slots + 1]  # 0: no platform

    def _recount(self) -> None:
        self._counts = self.by_platform()

    def counts(self, slots: int) -> np.ndarray:
        """Users on each platform slot (kept up to date whenever users move)."""
        return self._counts[:slots].copy()

    def log_sums(self, offers: Offers) -> np.ndarray:
        """Each user's logit log-sum (1/beta) ln sum_k exp(beta V_ik) in utility; 0 for users who have
        not adopted, and for everyone when there is nothing to choose. A statistic (surplus, lock-in):
        computed in single precision (model.choice.SINGLE)."""
        if not self.adopted.any() or (not offers.active.any() and not self.params.has_outside_option):
            return np.zeros(self.count)
        # Once most users have adopted, computing everyone's log-sum and zeroing the rest is
        # cheaper than gathering the adopters' rows.
        if self.adopted.sum() > self.count / 2 and self.contacts is None:
            utility = population_log_sum(self.tastes_by_row, self.affinity_by_row, self.platform, self.switching_cost(),
                                         offers, self.params, precision=SINGLE)
            return np.where(self.adopted, utility, 0.0)
        users = slice(None) if self.adopted.sum() > self.count / 2 else np.flatnonzero(self.adopted)
        result = np.zeros(self.count)
        result[users] = log_sum(self.utilities(users, offers, precision=SINGLE), self.params.users.rationality)
        return np.where(self.adopted, result, 0.0)

    def surplus_by_platform(self, offers: Offers, slots: int, log_sums: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Consumer surplus in dollars: market total, and total and count per current platform.

        The logit log-sum of each adopted user (:meth:`log_sums`), divided by its price sensitivity
        to turn utility into dollars (DESIGN §2). Users on no platform are reported in the market
        total only.
        """
        dollars = log_sums / self.price_sensitivity
        per_platform = self.by_platform(dollars)[:slots]
        return float(dollars.sum()), per_platform, self.counts(slots)

    def captive_shares(self, offers: Offers, slots: int, log_sums: np.ndarray, worse_by: float) -> np.ndarray:
        """Per platform slot, the share of its users who would stay on it, if they reviewed, were its
        offer ``worse_by`` utility worse (:func:`model.choice.stay_probability`): lock-in measured
        from behaviour (DESIGN §4). Switching costs, the network and users' tastes for the platform
        raise it; interoperability lowers it. NaN for a slot with no users."""
        on = np.flatnonzero(self.platform != NO_PLATFORM)
        own = own_utilities(self.tastes[on], self.affinity[on], self.platform[on], offers, self.params,
                            contacts=self.contact_shares(on))
        staying = stay_probability(log_sums[on], own, self.params.users.rationality, worse_by)
        counts = self.counts(slots)
        totals = np.bincount(self.platform[on], weights=staying, minlength=slots)[:slots]
        return np.divide(totals, counts, out=np.full(slots, np.nan), where=counts > 0)

    def mean_switching_cost(self, slots: int) -> np.ndarray:
        """Mean switching cost (utility) of each platform's users: how locked in they are."""
        totals = self.by_platform(self.switching_cost())[:slots]
        counts = self.counts(slots)
        return np.divide(totals, counts, out=np.zeros(slots), where=counts > 0)

    def sample(self, size: int, rng: np.random.Generator) -> tuple[UserSample, UserSample]:
        """Two samples for demand forecasts: current adopters, and users about to adopt.

        Each sampled adopter reviews with probability review_rate (or surely, if its platform
        failed); each sampled newcomer chooses surely. Weights scale the samples to the market.
        Users are drawn with replacement, so a sample's noise is that of ``size`` independent draws
        however many users the run simulates (without replacement, a sample of most of a small
        population would forecast better than the same sample of a large one).
        """
        review_rate = self.params.users.review_rate
        adopted = np.flatnonzero(self.adopted)
        waiting = np.flatnonzero(~self.adopted)
        samples = []
        for pool, expected in ((adopted, adopted.size), (waiting, self._expected_adopters())):
            take = rng.choice(pool, size, replace=True) if pool.size else pool
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
                    weight=expected / take.size if take.size else 0.0,
                    contacts=self.contact_shares(take),
                )
            )
        return samples[0], samples[1]

    def _expected_adopters(self) -> float:
        """Potential users expected to look at the market next month (each then chooses, surely)."""
        return self.adoption_hazard() * (~self.adopted).sum()
