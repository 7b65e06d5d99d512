"""Funding rounds are priced on market share, so early investors own more per dollar (DESIGN §2).

Investors value a growing platform at what the funding market pays for a user times the users it
would hold, at its share, once the market has adopted (``expected_users``); a profitable one at
its earnings, whichever is larger.
"""

import pytest

from model.economy import PlatformEconomy
from tests.conftest import scenario


def test_at_founding_investors_expect_each_platform_to_hold_an_equal_share_of_the_market():
    economy = PlatformEconomy(scenario(users__count=2000))
    expected = [economy.funding.expected_users(p) for p in economy.active_platforms]
    assert expected == pytest.approx([2000 / 4] * 4)  # the four of the start; the entrants' slots are not yet open


def test_expected_users_are_the_market_shared_among_active_platforms():
    economy = PlatformEconomy(scenario(users__count=2000, simulation__steps=60))
    for _ in range(60):
        economy.step()
        expected = [economy.funding.expected_users(p) for p in economy.platforms if p.active]
        assert sum(expected) == pytest.approx(2000)
        ranking = sorted(economy.active_platforms, key=lambda p: p.users)
        assert [economy.funding.expected_users(p) for p in ranking] == sorted(economy.funding.expected_users(p) for p in ranking)


def test_a_platform_that_keeps_its_share_while_the_market_grows_keeps_its_growth_valuation():
    """Priced on users so far, a round after the seed was a down round; on market share it is not."""
    economy = PlatformEconomy(scenario(users__count=2000))
    platform = economy.platforms[0]
    founding = economy.funding.valuation_of(platform)
    for p in economy.platforms:  # the market grows tenfold, every platform keeping its share
        p.users = 50
    small = economy.funding.valuation_of(platform)
    for p in economy.platforms:
        p.users = 500
    assert economy.funding.valuation_of(platform) == pytest.approx(small) == pytest.approx(founding)
    platform.users = 800  # it gains share
    assert economy.funding.valuation_of(platform) > founding


def test_a_seed_round_is_priced_like_the_rounds_after_it_in_the_baseline():
    """The founding round's post-money valuation and the first growth valuation are of the same size."""
    params = scenario()
    economy = PlatformEconomy(params)
    seed_post_money = params.platforms.seed_funding * params.users.count / (1 - params.funding.founder_share)
    assert 0.5 < economy.funding.valuation_of(economy.platforms[0]) / seed_post_money < 2
