"""Platforms forecast their demand with the users' own choice rule (the fast path is the formula)."""

from dataclasses import replace

import numpy as np
import pytest

from model.choice import logit_probabilities, option_utilities
from model.economy import PlatformEconomy
from model.forecasts import forecast_ad_revenue
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
            draw = np.repeat(np.arange(sample.platform.size), sample.draws)  # every draw, a user drawn twice twice
            contacts = None if sample.contacts is None else sample.contacts[draw]
            utilities = option_utilities(sample.tastes[draw], sample.affinity[draw], sample.platform[draw],
                                         sample.switching_cost[draw], candidate_offers, params, contacts=contacts)
            mine = logit_probabilities(utilities, params.users.rationality)[:, j]
            here, reviewing = sample.platform[draw] == j, sample.reviewing[draw]
            users[c] += sample.weight * (reviewing * mine + (1 - reviewing) * here).sum()
            inflow[c] += sample.weight * (reviewing * mine * ~here).sum()
    return users, inflow


SOCIAL = {"network__social_weight": 0.7, "regulation__interoperability": 0.3}  # contacts' shares, partly interoperable


@pytest.mark.parametrize("months", [1, 30])
@pytest.mark.parametrize("settings", [{}, SOCIAL], ids=["global_shares", "social_graph"])
def test_forecast_users_is_the_users_logit_rule(months, settings):
    economy = PlatformEconomy(scenario(users__count=3000, platforms__data_noise=0.0, **settings)).run(months)
    view = economy.market_view()
    assert (view.adopters.contacts is None) == (not settings)  # sampled users come with their contacts' shares
    assert (view.adopters.draws > 1).any() and (view.newcomers.draws > 1).any()  # users drawn more than once
    for platform in economy.active_platforms:
        candidates = platform.candidate_levers()
        fast = platform.forecast_users(view, candidates)
        slow = brute_force_forecast(platform, view, candidates)
        # the forecast's probabilities are in single precision (model.choice.SINGLE), the brute force's in double
        assert np.allclose(fast[0], slow[0], rtol=1e-5)
        assert np.allclose(fast[1], slow[1], rtol=1e-5, atol=1e-6)


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


def test_platforms_forecasting_ad_revenue_together_forecast_as_each_would_alone():
    """set_levers solves every platform's ad-revenue forecast in one pass: each is the one it would solve by itself
    (its own price moving, every rival's held), and its own price clears its own inventory."""
    from model.admarket import ad_conditions, clear

    economy = PlatformEconomy(scenario(users__count=3000, entry__entrants=0)).run(40)
    view, platforms = economy.market_view(), economy.active_platforms
    assert len(platforms) >= 2 and view.ad_budgets.size
    candidates = np.array([platform.candidate_levers()[:5] for platform in platforms])
    users = np.array([platform.forecast_users(view, levers)[0] for platform, levers in zip(platforms, candidates)])
    ids = np.array([platform.platform_id for platform in platforms])
    together = forecast_ad_revenue(view, ids, candidates[..., 0], users, economy.params)
    assert (together > 0).any()
    for k, platform in enumerate(platforms):
        alone = forecast_ad_revenue(view, ids[k:k + 1], candidates[k:k + 1, :, 0], users[k:k + 1], economy.params)
        # equal up to the root's tolerance: solved together, a root may take a Newton step more
        assert np.allclose(together[k], alone[0], rtol=1e-9, atol=1e-9)
        j = platform.platform_id  # the same market solved the market's way, one candidate at a time
        for c in range(len(candidates[k])):
            market_users, loads = view.users.astype(float), view.offers.ad_load.copy()
            market_users[j], loads[j] = users[k, c], candidates[k, c, 0]
            market = ad_conditions(market_users, loads, view.offers.active, economy.params)
            prices, shares = clear(committed_spend=np.zeros(len(loads)), values=view.ad_values, budgets=view.ad_budgets,
                                   reach=market.reach, attachment=view.ad_attachment, effect=market.effect,
                                   inventory=market.inventory, prices=view.ad_prices, adjusts=np.arange(len(loads)) == j,
                                   sensitivity=economy.params.advertisers.return_sensitivity,
                                   other_media=view.other_media, floor=economy.params.platforms.min_ad_price)
            assert together[k, c] == pytest.approx(shares[:, j] @ view.ad_budgets, rel=1e-9)
            if market.inventory[j] > 0:
                assert 1000 * together[k, c] / market.inventory[j] == pytest.approx(max(prices[j], 0), rel=1e-6) or \
                    prices[j] == economy.params.platforms.min_ad_price
