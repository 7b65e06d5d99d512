"""Platforms forecast their demand with the users' own choice rule (the fast path is the formula)."""

from dataclasses import replace

import numpy as np
import pytest

from model.choice import logit_probabilities, option_utilities
from model.economy import PlatformEconomy
from model.platforms import sustained_quality
from tests.conftest import scenario


def brute_force_forecast(platform, view, candidates):
    """Users and users won for each candidate: the full logit over every option, one candidate at a time."""
    params = platform.params
    j = platform.platform_id
    users, inflow = np.zeros(len(candidates)), np.zeros(len(candidates))
    for c, (ad_load, price, spend) in enumerate(candidates):
        offers = view.offers
        quality = offers.quality.copy()
        quality[j] = sustained_quality(spend, platform.quality_max, params.platforms.quality_spend_half)
        loads, prices = offers.ad_load.copy(), offers.user_price.copy()
        loads[j], prices[j] = ad_load, price
        candidate_offers = replace(offers, quality=quality, ad_load=loads, user_price=prices)
        for sample in (view.adopters, view.newcomers):
            if sample.platform.size == 0:
                continue
            utilities = option_utilities(sample.tastes, sample.affinity, sample.platform, sample.switching_cost,
                                         candidate_offers, params, contacts=sample.contacts)
            mine = logit_probabilities(utilities, params.users.rationality)[:, j]
            here = sample.platform == j
            users[c] += sample.weight * (sample.reviewing * mine + (1 - sample.reviewing) * here).sum()
            inflow[c] += sample.weight * (sample.reviewing * mine * ~here).sum()
    return users, inflow


SOCIAL = {"network__social_weight": 0.7, "regulation__interoperability": 0.3}  # contacts' shares, partly interoperable


@pytest.mark.parametrize("months", [1, 30])
@pytest.mark.parametrize("settings", [{}, SOCIAL], ids=["global_shares", "social_graph"])
def test_forecast_users_is_the_users_logit_rule(months, settings):
    economy = PlatformEconomy(scenario(users__count=3000, platforms__data_noise=0.0, **settings)).run(months)
    view = economy.market_view()
    assert (view.adopters.contacts is None) == (not settings)  # sampled users come with their contacts' shares
    for platform in economy.active_platforms:
        candidates = platform._candidate_levers()
        fast = platform.forecast_users(view, candidates)
        slow = brute_force_forecast(platform, view, candidates)
        assert np.allclose(fast[0], slow[0], rtol=1e-9)
        assert np.allclose(fast[1], slow[1], rtol=1e-9, atol=1e-9)


def test_the_data_advantage_depends_on_the_share_of_the_market_not_on_the_population():
    """The same share, the same estimation error, and a larger share a smaller one (DESIGN §5)."""
    from model.forecasts import perception_error

    def spread(share):
        rng = np.random.default_rng(0)
        return np.std([perception_error(rng, 0.3, share) for _ in range(2000)])

    assert spread(0.1) == pytest.approx(0.3, rel=0.05)  # data_noise is the error at a tenth of the market
    assert spread(0.4) == pytest.approx(0.15, rel=0.05)  # 1 / sqrt(share)
    assert np.array_equal(perception_error(np.random.default_rng(5), 0.3, 200 / 2000),
                          perception_error(np.random.default_rng(5), 0.3, 20_000 / 200_000))
