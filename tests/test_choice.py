"""The logit choice kernel and the ad market clearing, as pure functions."""

import numpy as np
import pytest

from model.admarket import audience_reach, budget_shares, clear, clearing_price, effectiveness
from model.trends import logistic_trend
from model.choice import (NO_PLATFORM, SINGLE, Offers, log_sum, logit_choice, logit_probabilities, option_utilities,
                          own_utilities, population_log_sum)
from tests.conftest import ROOT, scenario


def test_logit_probabilities_follow_the_formula():
    utilities = np.array([[1.0, 0.0, -0.5]])
    beta = 1.7
    expected = np.exp(beta * utilities) / np.exp(beta * utilities).sum()
    assert np.allclose(logit_probabilities(utilities, beta), expected)


def test_logit_probabilities_survive_huge_utilities():
    probabilities = logit_probabilities(np.array([[1000.0, 999.0]]), 5.0)
    assert np.all(np.isfinite(probabilities)) and probabilities.sum() == pytest.approx(1.0)


def test_log_sum_is_expected_maximum_utility():
    utilities = np.array([[0.3, -1.0, 2.0]])
    beta = 0.8
    assert log_sum(utilities, beta)[0] == pytest.approx(np.log(np.exp(beta * utilities).sum()) / beta)


def test_logit_choice_frequencies_match_probabilities():
    rng = np.random.default_rng(0)
    utilities = np.tile([0.0, 0.5, 1.0], (200_000, 1))
    picks = logit_choice(utilities, 1.0, rng)
    frequencies = np.bincount(picks, minlength=3) / picks.size
    assert np.allclose(frequencies, logit_probabilities(utilities[:1], 1.0)[0], atol=0.005)


def test_impossible_options_are_never_chosen():
    utilities = np.array([[0.0, -np.inf, 1.0]] * 1000)
    assert not (logit_choice(utilities, 1.0, np.random.default_rng(1)) == 1).any()


@pytest.mark.parametrize("outside", [0.3, "none"])
def test_population_log_sum_is_the_log_sum_of_every_users_utilities(outside):
    """The blocked, option-by-option log-sum that measures consumer surplus gives the log-sum of the
    utility matrix users choose with: inactive platforms, users on them and users on none included."""
    rng = np.random.default_rng(7)
    users, slots = 1000, 5
    params = scenario(ROOT / "params" / "baseline.toml", users__outside_utility=outside)
    offers = Offers(
        active=np.array([True, False, True, True, False]),
        quality=rng.uniform(1, 4, slots), ad_load=rng.uniform(0, 0.5, slots),
        user_price=rng.uniform(-2, 3, slots), network=rng.uniform(0, 0.6, slots),
    )
    tastes = rng.lognormal(0.0, 0.4, (users, 3)).astype(np.float32)
    affinity = rng.normal(0.0, 0.75, (users, slots)).astype(np.float32)
    platform = rng.integers(NO_PLATFORM, slots, users).astype(np.int16)
    switching_cost = rng.uniform(0, 4, users).astype(np.float32)
    matrix = option_utilities(tastes, affinity, platform, switching_cost, offers, params)
    expected, expected_own = log_sum(matrix, 1.5), own_utilities(matrix, platform)
    by_row = np.ascontiguousarray(tastes.T), np.ascontiguousarray(affinity.T)
    one_block, own = population_log_sum(*by_row, platform, switching_cost, offers, params, block=users)
    assert np.allclose(one_block, expected, rtol=1e-12, atol=1e-12)
    # each user's own platform, read on the way: NaN on none or on a closed one, as from the matrix
    assert np.allclose(own, expected_own, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert np.array_equal(np.isnan(own), (platform == NO_PLATFORM) | ~offers.active[platform])
    for block in (64, 7):  # several blocks: every user's arithmetic is the same
        blocked = population_log_sum(*by_row, platform, switching_cost, offers, params, block=block)
        assert np.array_equal(blocked[0], one_block) and np.array_equal(blocked[1], own, equal_nan=True)
    # the surplus statistics use single precision (SINGLE): the same log-sums to float32's accuracy
    single, single_own = population_log_sum(*by_row, platform, switching_cost, offers, params, precision=SINGLE)
    assert not np.array_equal(single, one_block) and np.allclose(single, expected, rtol=1e-5, atol=1e-5)
    assert np.allclose(single_own, expected_own, rtol=1e-5, atol=1e-5, equal_nan=True)
    single_matrix = log_sum(option_utilities(tastes, affinity, platform, switching_cost, offers, params, precision=SINGLE), 1.5)
    assert single_matrix.dtype == SINGLE and np.allclose(single_matrix, expected, rtol=1e-5, atol=1e-5)


def test_a_users_own_utility_is_its_platforms_entry_without_the_switching_cost():
    offers = Offers(active=np.array([True, True, False]), quality=np.array([2.0, 1.0, 3.0]), ad_load=np.zeros(3),
                    user_price=np.zeros(3), network=np.zeros(3))
    params = scenario(ROOT / "params" / "baseline.toml", users__outside_utility=0.0, network__effect=0.0)
    tastes = np.array([[1.0, 0.0, 0.0]] * 4)
    platform = np.array([0, 1, NO_PLATFORM, 2], dtype=np.int16)
    matrix = option_utilities(tastes, np.zeros((4, 3)), platform, np.full(4, 5.0), offers, params)
    own = own_utilities(matrix, platform)
    assert own[:2].tolist() == [2.0, 1.0]  # its quality, the switching cost of 5 refunded on its own platform
    assert np.isnan(own[2]) and np.isnan(own[3])  # on no platform; on a closed one


def test_ads_lose_effectiveness_with_clutter():
    assert effectiveness(0.0, 2.0) == 1.0
    assert effectiveness(0.5, 2.0) < effectiveness(0.1, 2.0)


def test_advertisers_spend_nothing_where_a_dollar_buys_less_than_a_dollar():
    shares = budget_shares(np.array([0.5, 0.5]), np.array([[0.9, 1.5]]), sensitivity=1.0, other_media=0.2)
    assert shares[0, 0] == 0 and shares[0, 1] > 0 and shares.sum() < 1


def test_advertisers_become_captive_as_other_media_lose_their_audience():
    returns = np.array([[1.2]])
    before = budget_shares(np.array([0.9]), returns, sensitivity=1.0, other_media=0.5)[0, 0]
    after = budget_shares(np.array([0.9]), returns, sensitivity=1.0, other_media=0.05)[0, 0]
    assert after > before


def test_the_online_share_of_ad_budgets_grows_from_where_it_starts_toward_all_of_it():
    path = [logistic_trend(month, 0.1, 0.16) for month in range(0, 241, 12)]
    assert path[0] == pytest.approx(0.1)
    assert all(later > earlier for earlier, later in zip(path, path[1:]))
    assert path[-1] == pytest.approx(0.73, abs=0.01)  # the digital share of 2024, twenty years on
    assert logistic_trend(240, 0.1, 0.0) == 0.1 and logistic_trend(240, 1.0, 0.16) == 1.0
    assert np.allclose(logistic_trend(np.array([0, 120, 240]), 0.1, 0.16), [path[0], path[10], path[-1]])


def test_clearing_price_sells_the_inventory_above_the_floor():
    assert clearing_price(np.array([100.0]), np.array([20_000.0]), 0.5)[0] == pytest.approx(5.0)
    assert clearing_price(np.array([1.0]), np.array([20_000.0]), 0.5)[0] == 0.5
    assert clearing_price(np.array([1.0]), np.array([0.0]), 0.5)[0] == 0.5


def test_market_clears_at_a_fixed_point_within_half_a_percent():
    rng = np.random.default_rng(2)
    values, budgets = rng.lognormal(np.log(12), 0.4, 40), rng.lognormal(0, 1, 40) * 1000
    users, load = np.array([6000.0, 2500.0, 300.0]), np.array([0.2, 0.35, 0.05])
    inventory = users * 1000 * load
    effect = effectiveness(load, 2.0)
    prices, shares = clear(
        committed_spend=np.zeros(3), values=values, budgets=budgets, reach=users / 10_000, attachment=np.ones((40, 3)), effect=effect,
        inventory=inventory, prices=np.full(3, 5.0), adjusts=np.ones(3, bool), sensitivity=1.0,
        other_media=0.3, floor=0.5,
    )
    spend = (shares * budgets[:, None]).sum(axis=0)
    assert np.allclose(prices, clearing_price(spend, inventory, 0.5), rtol=0.005)


def _random_market(rng, platforms, candidates=None):
    """A random ad market: advertisers, platforms (with a leading candidates axis if asked)."""
    shape = (platforms,) if candidates is None else (candidates, platforms)
    advertisers = int(rng.integers(1, 60))
    users = rng.uniform(0, 1000, shape) * (rng.random(shape) > 0.1)
    load = rng.uniform(0, 0.6, shape)
    inventory = users * 1000 * load
    lead = () if candidates is None else (1,)
    return dict(
        committed_spend=rng.uniform(0, 100, shape) * (rng.random() < 0.5),
        values=rng.lognormal(np.log(12), 0.4, lead + (advertisers,)),
        budgets=rng.uniform(10, 200, lead + (advertisers,)),
        reach=np.where(inventory > 0, users / 1000, 0.0), effect=effectiveness(load, 2.0), inventory=inventory,
        attachment=rng.uniform(1, 8, (advertisers, platforms)) if rng.random() < 0.5 else np.ones((advertisers, platforms)),
        prices=rng.uniform(0.5, 20, shape), sensitivity=float(rng.choice([1.0, 0.5, 2.0])),
        other_media=float(rng.uniform(0.05, 0.5)), floor=0.5,
    )


def _clearing_error(prices, shares, market, adjusts):
    """Largest |log price - log clearing price| over the platforms whose price moves and that sell ads."""
    spend = (shares * market["budgets"][..., :, None]).sum(axis=-2) + market["committed_spend"]
    gap = np.log(prices) - np.log(clearing_price(spend, market["inventory"], market["floor"]))
    return np.abs(np.where(adjusts & (market["inventory"] > 0), gap, 0.0)).max()


def test_every_moving_price_clears_its_market_on_random_markets():
    rng = np.random.default_rng(7)
    for _ in range(200):
        market = _random_market(rng, int(rng.integers(1, 7)))
        adjusts = rng.random(market["reach"].size) < 0.8
        prices, shares = clear(adjusts=adjusts, **market)
        assert _clearing_error(prices, shares, market, adjusts) < 1e-8
        held = ~adjusts
        assert np.allclose(prices[held], np.maximum(market["prices"][held], 0.5))


def test_one_moving_price_clears_for_every_candidate_at_once():
    rng = np.random.default_rng(8)
    for _ in range(100):
        platforms = int(rng.integers(1, 6))
        market = _random_market(rng, platforms, candidates=int(rng.integers(1, 30)))
        adjusts = np.zeros(platforms, bool)
        adjusts[rng.integers(platforms)] = True
        prices, shares = clear(adjusts=adjusts, **market)
        assert _clearing_error(prices, shares, market, adjusts) < 1e-8


def test_a_sliver_of_inventory_is_priced_at_the_floor_not_as_nan():
    """A forecast can expect users with a probability of exp(-700): 1,000 dollars over the
    impressions they would see overflows to an infinite price (NaN where nobody would spend, and a
    NaN forecast would win the platform's argmax)."""
    users = np.array([[600.0, 1e-310], [600.0, 300.0]])  # two candidates for platform 1
    inventory, reach = users * 1000 * 0.2, users / 1000
    with np.errstate(over="raise", invalid="raise"):  # an infinite price, or inf - inf
        prices, shares = clear(
            committed_spend=np.zeros(2), values=np.full((1, 10), 12.0), budgets=np.full((1, 10), 100.0),
            reach=reach, attachment=np.ones((10, 2)), effect=effectiveness(np.full(2, 0.2), 2.0), inventory=inventory,
            prices=np.full((2, 2), 4.0), adjusts=np.array([False, True]), sensitivity=1.0, other_media=0.2, floor=0.5,
        )
    assert np.isfinite(prices).all() and np.isfinite(shares).all()
    assert prices[0, 1] == pytest.approx(0.5) and prices[1, 1] > 0.51


def _two_platform_prices(premium):
    """Clearing prices of a leader (600 users) and a rival (300) showing the same ad load."""
    users = np.array([600.0, 300.0])
    inventory = users * 1000 * 0.2
    prices, _ = clear(
        committed_spend=np.zeros(2), values=np.full(10, 12.0), budgets=np.full(10, 100.0),
        reach=audience_reach(users, inventory, 1000, premium), attachment=np.ones((10, 2)), effect=effectiveness(np.full(2, 0.2), 2.0),
        inventory=inventory, prices=np.full(2, 4.0), adjusts=np.ones(2, bool), sensitivity=1.0,
        other_media=0.2, floor=0.5,
    )
    return prices


def test_without_a_premium_advertisers_pay_the_same_for_any_audience():
    leader, rival = _two_platform_prices(premium=0.0)
    assert leader == pytest.approx(rival, rel=1e-6)


def test_a_premium_on_the_largest_audience_makes_the_leaders_impressions_dearer():
    """The must-have platform: advertisers pay the leader more per impression than a smaller rival."""
    leader, rival = _two_platform_prices(premium=1.0)
    assert leader > 1.1 * rival


def test_the_audience_premium_leaves_the_leaders_reach_as_it_is():
    users = np.array([[600.0, 300.0, 0.0]])
    inventory = users * 100
    plain, premium = (audience_reach(users, inventory, 1000, kappa) for kappa in (0.0, 2.0))
    assert premium[0, 0] == plain[0, 0] == 0.6
    assert premium[0, 1] == pytest.approx(0.3 * 0.5**2)
    assert premium[0, 2] == 0.0


def test_the_compiled_price_roots_have_one_type_for_the_market_and_every_forecast():
    """The ad market's own-price roots are a compiled loop (numba, cached on disk): the market's
    clearing and the platforms' forecasts hand it arrays of one type, so a process loads it once
    instead of compiling a variant per caller."""
    from model import admarket
    from model.economy import PlatformEconomy

    PlatformEconomy(scenario(users__count=300, entry__entrants=1)).run(30)
    market = _random_market(np.random.default_rng(3), 3, candidates=4)
    clear(adjusts=np.array([False, True, False]), **market)
    assert len(admarket._roots.signatures) == 1
