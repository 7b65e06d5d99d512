"""Discrete choice: users' utility and the multinomial logit (users choose with it, platforms forecast with it).

Utility of platform j for user i (DESIGN §2):

    V_ij = theta_i q_j - alpha_i a_j - lambda_i p_j + J * network_j + affinity_ij
           - 1[j != current_i] * (c0 + c1 * min(tenure_i, T)) * (1 - interop)

where affinity_ij is user i's lasting taste for platform j (horizontal differentiation; a normal
draw fixed at the start, zero when ``users.platform_affinity`` is 0), and network_j = (1 - interop) s_j + interop: interoperable platforms share one network, so the
network effect stops favouring the largest. With social-graph network effects
(``network.social_weight`` w > 0, :mod:`model.social`) the network term is per user: the mix
(1 - w) network_j + w [(1 - interop) c_ij + interop], where c_ij is the share of user i's own
contacts on a platform who are on platform j (:func:`network_terms`; 0 and no interop term if
none is). Leaving a platform for no platform costs the same switching cost (data, contacts,
content are lost either way); users on no platform pay none.
All functions are vectorised over users (rows) and options (columns); none loops over users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.params.schema import Params

NO_PLATFORM = -1
TASTES = ("quality_taste", "ad_aversion", "price_sensitivity")  # the columns of a tastes matrix


def logit_probabilities(utilities: np.ndarray, rationality: float) -> np.ndarray:
    """Choice probabilities exp(beta V_j) / sum_k exp(beta V_k), row by row."""
    scaled = rationality * utilities
    scaled = scaled - scaled.max(axis=1, keepdims=True)  # guards exp() against overflow
    weights = np.exp(scaled)
    return weights / weights.sum(axis=1, keepdims=True)


def log_sum(utilities: np.ndarray, rationality: float) -> np.ndarray:
    """Expected maximum utility (1/beta) ln sum_j exp(beta V_j): the logit consumer surplus."""
    return scaled_log_sum(utilities, rationality) / rationality


def scaled_log_sum(utilities: np.ndarray, rationality: float) -> np.ndarray:
    """ln sum_j exp(beta V_j) over the last axis (options); -inf for a row with no option at all."""
    scaled = rationality * utilities
    top = scaled.max(axis=-1, keepdims=True)
    top[~np.isfinite(top)] = 0.0  # a row of -inf has nothing to guard against
    scaled -= top
    with np.errstate(divide="ignore"):
        return top[..., 0] + np.log(np.exp(scaled, out=scaled).sum(axis=-1))


SINGLE = np.float32  # the precision of forecasts and statistics (option_utilities' ``precision``)
BLOCK = 32_768  # users per block in population_log_sum: a block's options x users fit in the cache


def population_log_sum(
    tastes_by_row, affinity_by_row, platform, switching_cost, offers: Offers, params: Params, block: int = BLOCK,
    precision=np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """``log_sum(option_utilities(...))`` for a whole population, without a users x options matrix,
    and each user's utility of its own platform as :func:`own_utilities` reads it, on the way.

    The same utilities, built option by option for blocks of users small enough to stay in the
    processor's cache: over a large population, memory traffic rather than arithmetic is what a
    log-sum costs. Inactive platforms are left out (they add exp(-inf) = 0). Tastes and affinities
    come by row (3 x users, platform slots x users). The global network term only (no contacts):
    with a social graph use :func:`option_utilities`. ``precision`` as there.
    """
    beta = params.users.rationality
    active = np.flatnonzero(offers.active)
    options = active.size + params.has_outside_option
    levers = np.zeros((3, options), dtype=precision)
    levers[:, : active.size] = offer_levers(offers)[:, active]
    common = np.zeros(options, dtype=precision)
    common[: active.size] = params.network.effect * offers.network[active]
    if params.has_outside_option:
        common[-1] = params.users.outside_utility
    row_of = np.full(offers.quality.size + 1, -1)  # each platform slot's row; NO_PLATFORM (-1) reads the last: none
    row_of[active] = np.arange(active.size)
    paid = np.where(platform != NO_PLATFORM, switching_cost, 0.0).astype(precision)  # users on no platform have nothing to leave
    result = np.empty(platform.size)
    own = np.full(platform.size, np.nan)
    for start in range(0, platform.size, block):
        users = slice(start, start + block)
        size = paid[users].size
        utilities = np.multiply(levers[0][:, None], tastes_by_row[0, users], dtype=precision)  # options x users
        utilities += levers[1][:, None] * tastes_by_row[1, users]
        utilities += levers[2][:, None] * tastes_by_row[2, users]
        utilities += common[:, None]
        utilities[: active.size] += affinity_by_row[active, users]
        utilities -= paid[users]
        own_row = row_of[platform[users]]
        on_active = np.flatnonzero(own_row >= 0)  # the switching cost is refunded on the user's own platform
        own_entry = own_row[on_active] * size + on_active
        utilities.reshape(-1)[own_entry] += paid[users][on_active]
        own[start + on_active] = utilities.reshape(-1)[own_entry]
        top = utilities.max(axis=0)
        utilities -= top
        utilities *= beta
        result[users] = top + np.log(np.exp(utilities, out=utilities).sum(axis=0)) / beta
    return result, own


def own_utilities(utilities: np.ndarray, platform: np.ndarray) -> np.ndarray:
    """V of each user's own platform, read from its row of ``utilities`` (users x options, as
    :func:`option_utilities` builds them: that entry carries no switching cost); NaN for a user on
    no platform or on a closed one (which users never are when they are measured: a failed
    platform's users are released)."""
    on = np.flatnonzero(platform != NO_PLATFORM)
    own = np.full(platform.size, np.nan)
    own[on] = utilities[on, platform[on]]
    own[own == -np.inf] = np.nan  # a closed platform (option_utilities gives it -inf)
    return own


def stay_probability(log_sums: np.ndarray, own: np.ndarray, rationality: float, worse_by: float) -> np.ndarray:
    """Probability that a reviewing user stays on its platform if that platform's offer got worse by
    ``worse_by`` (utility), every other option as it is (a SSNIP test on users).

    With ``own`` its platform's utility V_own and ``log_sums`` its log-sum (1/beta) ln sum_k exp(beta V_k)
    over every option (the others net of the switching cost), the logit probability is
    exp(beta (V_own - d)) / (exp(beta (V_own - d)) + exp(beta L) - exp(beta V_own)), i.e.
    1 / (1 + exp(beta (L - V_own + d)) - exp(beta d)).
    """
    beta = rationality
    with np.errstate(over="ignore"):
        others = np.exp(beta * (log_sums - own + worse_by)) - np.exp(beta * worse_by)
    return 1.0 / (1.0 + np.maximum(others, 0.0))


def logit_choice(utilities: np.ndarray, rationality: float, rng: np.random.Generator) -> np.ndarray:
    """Draw one option per row with logit probabilities (inverse-CDF sampling: one uniform a row)."""
    cumulative = np.cumsum(logit_probabilities(utilities, rationality), axis=1)
    draws = rng.random(utilities.shape[0])[:, None] * cumulative[:, -1:]
    chosen = (cumulative < draws).sum(axis=1)
    return np.minimum(chosen, utilities.shape[1] - 1)


def lognormal(rng: np.random.Generator, mean: float, cv: float, size: int) -> np.ndarray:
    """Positive draws with the given mean and coefficient of variation (cv = 0 gives the mean)."""
    if cv == 0 or mean == 0:
        return np.full(size, mean, dtype=np.float64)
    sigma2 = np.log1p(cv**2)
    return rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), size)


@dataclass(frozen=True)
class Offers:
    """What the active platforms offer this month, as users see it (one entry per platform slot)."""

    active: np.ndarray  # bool per platform slot
    quality: np.ndarray
    ad_load: np.ndarray
    user_price: np.ndarray
    network: np.ndarray  # the network term per platform (share, or shared network under interop)


@dataclass(frozen=True)
class UserSample:
    """A random sample of users, as a platform sees them when it forecasts its demand."""

    tastes: np.ndarray  # users x 3: quality taste, ad aversion, price sensitivity (TASTES)
    affinity: np.ndarray  # users x platform slots
    platform: np.ndarray
    switching_cost: np.ndarray
    reviewing: np.ndarray  # probability that each sampled user chooses this month
    draws: np.ndarray  # times each user was drawn (users are drawn with replacement; each is held once)
    weight: float  # users represented by each draw
    contacts: np.ndarray | None = None  # users x platform slots: contacts' shares (None: no social graph)

    def network_terms(self, offers: Offers, params: Params) -> np.ndarray:
        """The network term as these users see it (per platform, or users x platforms): :func:`network_terms`."""
        return network_terms(offers, params, self.contacts)


def network_term(shares: np.ndarray, interoperability: float) -> np.ndarray:
    """Network benefit per platform: its own share, or (under interoperability) the whole network.

    ``shares`` is one row of shares (per platform) or one row per user (a user's contacts' shares);
    a row with nobody on any platform has no network to share.
    """
    connected = shares.sum(axis=-1, keepdims=True) > 0
    return (1.0 - interoperability) * shares + interoperability * connected


def network_terms(offers: Offers, params: Params, contacts: np.ndarray | None = None) -> np.ndarray:
    """The network term: per platform (global shares), or users x platforms with a social graph.

    ``contacts`` (users x platform slots) is each user's contacts' shares c_ij (model.social);
    the term is then (1 - w) N_j + w network_term(c_i), w = ``network.social_weight``.
    """
    if contacts is None:
        return offers.network
    weight = params.network.social_weight
    return (1.0 - weight) * offers.network + weight * network_term(contacts, params.regulation.interoperability)


def offer_levers(offers: Offers) -> np.ndarray:
    """What each taste multiplies (3 x platform slots): quality, minus ad load, minus price."""
    return np.vstack([offers.quality, -offers.ad_load, -offers.user_price])


def option_utilities(
    tastes, affinity, platform, switching_cost, offers: Offers, params: Params, contacts=None, precision=np.float64
) -> np.ndarray:
    """Utilities (users x options); the last column is the outside option, if there is one.

    ``tastes`` is users x 3 (TASTES), or has leading axes (e.g. the tastes as each of several
    platforms perceives them), which the utilities then have too. The taste terms of every option
    come from one matrix product, the rest from :func:`user_terms`. ``contacts`` (users x platform
    slots, or None) are the users' contacts' shares, when users value their contacts (:func:`network_terms`).
    ``precision`` is the floating-point type of the result: users choose in double precision; the
    platforms' forecasts and the surplus statistics use single (float32: its exp is several times
    faster, and their errors of 1e-7 are far below their sampling noise; SINGLE).
    """
    levers = option_levers(offers, params, precision)
    # Options x users, returned transposed (column-major) so that the row-wise logit sums read memory
    # in order; einsum rather than a BLAS product, whose threads only slow down a product this thin.
    by_row = np.ascontiguousarray(np.swapaxes(tastes, -1, -2), dtype=precision)
    utilities = np.einsum("to,...tu->...ou", levers, by_row)
    utilities += user_terms(affinity, platform, switching_cost, offers, params, contacts, precision)
    return np.swapaxes(utilities, -1, -2)


def option_levers(offers: Offers, params: Params, precision=np.float64) -> np.ndarray:
    """What each taste multiplies in each option (3 x options): :func:`offer_levers`, and zeros for the outside option."""
    slots = offers.quality.size
    levers = np.zeros((3, slots + params.has_outside_option), dtype=precision)
    levers[:, :slots] = offer_levers(offers)
    return levers


def user_terms(affinity, platform, switching_cost, offers: Offers, params: Params, contacts=None,
               precision=np.float64) -> np.ndarray:
    """Everything in V_ij but the tastes' terms, options x users: the network term, the user's
    affinity, the outside option's utility, and the switching cost, charged on every option and
    refunded on the user's own platform. Closed platforms get -inf so that nobody picks them."""
    slots = offers.quality.size
    users = platform.size
    terms = np.zeros((slots + params.has_outside_option, users), dtype=precision)
    network = network_terms(offers, params, contacts)
    terms[:slots] = params.network.effect * (network[:, None] if network.ndim == 1 else network.T)
    if params.has_outside_option:
        terms[slots] = params.users.outside_utility
    terms[:slots] += affinity.T
    on_platform = np.flatnonzero(platform != NO_PLATFORM)
    paid = np.zeros(users, dtype=precision)
    paid[on_platform] = switching_cost[on_platform]  # users on no platform have nothing to leave
    terms -= paid
    terms[platform[on_platform], on_platform] += paid[on_platform]
    terms[np.flatnonzero(~offers.active)] = -np.inf
    return terms
