"""The platforms' forecaster: next month's users and ad revenue for each candidate set of levers.

A platform forecasts its demand with the users' own logit rule (:mod:`model.choice`) on samples of
users, seen through its estimates of their tastes, and its advertisers' spend with the ad market's
own clearing (:mod:`model.admarket`), every advertiser reallocating and rivals' prices held. The
estimates' error shrinks as 1/sqrt(its share of the market): the data advantage (:func:`perception_error`).

Everything here is a pure function of a :class:`MarketView`, which the economy builds once a month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.admarket import ad_conditions, own_price_spend
from model.choice import NO_PLATFORM, SINGLE, Offers, UserSample, option_levers, user_terms
from model.params.schema import Params


@dataclass(frozen=True)
class MarketView:
    """What a platform knows when it sets its levers (built by the economy once a month)."""

    offers: Offers
    users: np.ndarray  # users per platform slot
    potential_users: int
    adopters: UserSample
    newcomers: UserSample
    ad_budgets: np.ndarray  # per advertiser, $/month
    ad_values: np.ndarray  # per advertiser, $ per 1,000 effective impressions
    ad_attachment: np.ndarray  # advertisers x platform slots: their switching costs (admarket.attachment)
    ad_prices: np.ndarray  # per platform slot, last clearing price
    other_media: float  # weight of other media in advertisers' allocation
    value_per_user: np.ndarray  # per platform slot: $ the funding market pays for its users' growth


NOISE_REFERENCE_SHARE = 0.1  # platforms.data_noise is the error of a platform holding this share of potential users
LEAST_SHARE = 0.001  # a platform with less than this share estimates as badly as one with it


def perception_error(rng: np.random.Generator, data_noise: float, share: float) -> np.ndarray:
    """Multipliers on the users' tastes as a platform holding ``share`` of the potential users estimates
    them: its data advantage. The error shrinks as 1/sqrt(share), so it depends on the platform's
    share of the market, never on how many users the run simulates (DESIGN §5)."""
    noise = data_noise * np.sqrt(NOISE_REFERENCE_SHARE / max(share, LEAST_SHARE))
    return np.clip(1.0 + rng.normal(0.0, noise, 3), 0.1, 3.0)


def forecast_users(view: MarketView, platform_ids: np.ndarray, candidates: np.ndarray, planned_quality: np.ndarray,
                   perceptions: np.ndarray, params: Params) -> tuple[np.ndarray, np.ndarray]:
    """Expected users next month and users won, for each forecasting platform and each of its
    candidates (ad load, price, quality spend): arrays platforms x candidates.

    ``candidates`` is platforms x candidates x 3, ``planned_quality`` (platforms x candidates) the
    quality each candidate's spending sustains, ``perceptions`` (platforms x 3) each platform's
    multipliers on the users' tastes (:func:`perception_error`). A reviewing user picks the platform
    with the logit probability, written in its binary form 1 / (1 + exp(others - mine)): ``mine`` is
    beta V of the candidate offer, ``others`` the log-sum of beta V over every other option, which no
    candidate changes. With a social graph, the network term is each sampled user's own (its
    contacts' shares, as they are now). Every platform is forecast in one pass over each sample:
    the month's cost of forecasting then hardly grows with the number of platforms.
    """
    beta = params.users.rationality
    forecasters, count = candidates.shape[:2]
    # beta times what each taste multiplies, as each platform perceives the users: every option as it
    # is now, then each of its candidates (platforms x 3 x (options + candidates)).
    offered = np.broadcast_to(option_levers(view.offers, params), (forecasters, 3, view.offers.quality.size + params.has_outside_option))
    candidate_levers = np.stack([planned_quality, -candidates[..., 0], -candidates[..., 1]], axis=1)
    perceived = (beta * perceptions[:, :, None] * np.concatenate([offered, candidate_levers], axis=2)).astype(SINGLE)
    by_taste = np.swapaxes(perceived, 1, 2).reshape(-1, 3)  # (platforms x (options + candidates)) x 3
    options = offered.shape[2]
    users = np.zeros((forecasters, count))
    inflow = np.zeros((forecasters, count))
    for sample in (view.adopters, view.newcomers):  # one sample at a time: its arrays stay in the cache
        if sample.platform.size == 0:
            continue
        # Every taste term in one product: platforms x (options + candidates) x users, in single precision
        # (SINGLE): its error is far below the sample's noise.
        taste_terms = (by_taste @ sample.tastes.T.astype(SINGLE)).reshape(forecasters, -1, sample.platform.size)
        terms = beta * user_terms(sample.affinity, sample.platform, sample.switching_cost, view.offers, params,
                                  sample.contacts, precision=SINGLE)  # options x users
        others = other_options(taste_terms[:, :options] + terms, platform_ids)  # platforms x users
        # The platform's own offer but the tastes' terms (leavers pay the switching cost): the same for every candidate.
        others -= terms[platform_ids]
        # 1 / (1 + exp(others - beta V)), in place: fewer passes over a large array
        choose_me = taste_terms[:, options:]  # platforms x candidates x users
        np.subtract(others[:, None, :], choose_me, out=choose_me)
        with np.errstate(over="ignore"):  # exp -> inf is a probability of 0, as it should be
            np.exp(choose_me, out=choose_me)
        choose_me += 1.0
        np.reciprocal(choose_me, out=choose_me)
        here = sample.platform[None, :] == platform_ids[:, None]  # platforms x users
        staying = (sample.draws * (1.0 - sample.reviewing) * here).sum(axis=1)
        # The sums over draws (each user times the times it was drawn), in double precision.
        choosing = sample.draws * sample.reviewing
        users += sample.weight * (staying[:, None] + np.matmul(choose_me, choosing, dtype=float))
        inflow += sample.weight * np.matmul(choose_me, (choosing * ~here)[..., None], dtype=float)[..., 0]
    return users, inflow


def other_options(utilities: np.ndarray, platform_ids: np.ndarray) -> np.ndarray:
    """ln sum_k exp(beta V_ik) over every option but the forecasting platform's (rivals as they are
    now), for each forecasting platform: platforms x users, from ``utilities`` (beta V) platforms x options x users."""
    # The platform's own option adds exp(-inf) = 0 to the sum, as closed platforms do.
    utilities[np.arange(platform_ids.size), platform_ids] = -np.inf
    top = utilities.max(axis=1)
    top[~np.isfinite(top)] = 0.0  # a user with no other option has nothing to guard against
    utilities -= top[:, None, :]
    with np.errstate(divide="ignore"):
        return top + np.log(np.exp(utilities, out=utilities).sum(axis=1))


def forecast_ad_revenue(view: MarketView, platform_ids: np.ndarray, ad_load: np.ndarray, users: np.ndarray,
                        params: Params) -> np.ndarray:
    """Ad spend each forecasting platform would attract once advertisers have reallocated, per
    candidate (platforms x candidates, as ``ad_load`` and ``users``).

    Each platform solves the same clearing as the market (:func:`model.admarket.clear`) for its
    own price, every advertiser reallocating and rivals' prices held where they are, and reads the
    spend at that price (:func:`model.admarket.own_price_spend`).
    """
    if view.ad_budgets.size == 0:
        return np.zeros_like(users)
    mine = np.arange(platform_ids.size)
    shape = (*users.shape, view.users.size)  # platforms x candidates x platform slots
    all_users = np.broadcast_to(view.users.astype(float), shape).copy()
    all_users[mine, :, platform_ids] = users
    all_ad_load = np.broadcast_to(view.offers.ad_load, shape).copy()
    all_ad_load[mine, :, platform_ids] = ad_load
    market = ad_conditions(all_users, all_ad_load, view.offers.active, params)
    spend = own_price_spend(
        values=view.ad_values,
        budgets=view.ad_budgets,
        reach=market.reach,
        attachment=view.ad_attachment,
        effect=market.effect,
        inventory=market.inventory,
        prices=view.ad_prices,
        moving=np.broadcast_to(platform_ids[:, None, None], (*users.shape, 1)),  # only the forecasting platform's price moves
        sensitivity=params.advertisers.return_sensitivity,
        other_media=view.other_media,
        floor=params.platforms.min_ad_price,
    )
    return np.where(market.inventory[mine, :, platform_ids] > 0, spend, 0.0)
