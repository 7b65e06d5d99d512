"""A platform's choice of levers (ODD 6.6): the candidates it weighs and the objective it maximises.

The forecasts are given (tests/test_forecasts.py checks how they are made): each test sets a
platform's forecast users and profits and reads the lever it takes, as the Axelrod library tests a
strategy's reply to a scripted opponent.
"""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from model.ledger import OUTSIDE, Ledger
from model.platforms import Platform
from model.regulation import normal_profit
from tests.conftest import scenario

# Three candidates (ad load, user price, quality spend): keep, more ads, fewer ads.
KEEP, MORE_ADS, FEWER_ADS = 0, 1, 2
CANDIDATES = np.array([[0.3, 0.0, 1.0], [0.4, 0.0, 1.0], [0.2, 0.0, 1.0]])
USERS_NOW = 1000.0
# More ads earn more and lose users; fewer ads earn less and win users.
FORECAST_USERS = np.array([1000.0, 900.0, 1100.0])
PRE_TAX_PROFIT = np.array([500.0, 900.0, 300.0])


class Stage(mesa.Model):
    """One platform around a ledger: no users, no markets."""

    def __init__(self, **overrides) -> None:
        super().__init__(rng=0)
        self.params = scenario(**overrides)
        self.month = 0
        self.ledger = Ledger()


def platform_on_stage(nonprofit: bool = False, **overrides) -> Platform:
    stage = Stage(**overrides)
    platform = Platform(stage, 0, stage.params, nonprofit=nonprofit)
    platform.count_users(int(USERS_NOW), 0)
    return platform


def chosen(platform: Platform, value_per_user: float, pre_tax_profit=PRE_TAX_PROFIT, users=FORECAST_USERS) -> int:
    """The candidate the platform takes, given forecast users and pre-tax profits (its ad revenue is what
    covers its costs plus that profit; the user price is 0, so nothing comes from subscriptions)."""
    inflow = np.zeros(len(CANDIDATES))
    costs = platform.monthly_costs(users, inflow, CANDIDATES[:, 2], CANDIDATES[:, 1])
    profit = platform.forecast_profit(CANDIDATES, users, inflow, pre_tax_profit + costs)
    platform.choose_levers(CANDIDATES, profit, users, value_per_user)
    return int(np.flatnonzero((CANDIDATES == (platform.ad_load, platform.user_price, platform.quality_spend)).all(axis=1))[0])


# -- the candidates ----------------------------------------------------------------------------
def test_candidate_zero_keeps_the_levers_and_every_combination_of_steps_appears_once():
    platform = platform_on_stage(platforms__market="paid")
    platform.ad_load, platform.user_price, platform.quality_spend = 0.3, 1.0, 1.0
    candidates = platform.candidate_levers()
    assert tuple(candidates[0]) == (0.3, 1.0, 1.0)
    assert len(candidates) == 27 and len({tuple(row) for row in candidates}) == 27
    steps = platform.params.platforms
    moves = np.abs(candidates - candidates[0])
    assert np.allclose(moves.max(axis=0), [steps.ad_load_step, steps.user_price_step, steps.quality_spend_step])


def test_a_lever_at_its_bound_has_no_step_beyond_it():
    platform = platform_on_stage(platforms__market="paid")
    platform.ad_load, platform.user_price, platform.quality_spend = 0.0, 1.0, 1.0
    candidates = platform.candidate_levers()
    assert candidates[:, 0].min() == 0.0 and len(candidates) == 18  # no ad load below zero: two steps of it, not three


def test_in_an_ad_funded_market_users_pay_nothing():
    platform = platform_on_stage(platforms__market="ad_funded")
    assert (platform.candidate_levers()[:, 1] == 0.0).all()


# -- the objective -----------------------------------------------------------------------------
def test_a_for_profit_platform_maximises_profit_plus_the_value_of_the_users_it_wins():
    """Objective: profit + value_per_user x (users - users now). Cheap users: it takes the ads; dear users: it wins them."""
    assert chosen(platform_on_stage(), value_per_user=2.5) == MORE_ADS  # 500, 900 - 250, 300 + 250
    assert chosen(platform_on_stage(), value_per_user=5.0) == FEWER_ADS  # 500, 900 - 500, 300 + 500


def test_a_tie_keeps_the_current_levers():
    assert chosen(platform_on_stage(), value_per_user=0.0, pre_tax_profit=np.array([500.0, 500.0, 500.0])) == KEEP


def test_a_tax_on_excess_profit_leaves_the_choice_alone_where_users_won_are_worth_nothing():
    """A tax on rent scales every candidate's profit above the normal return alike: the best stays the best (the
    classic neutrality, and why a taxed leader's peak ad load hardly moves: tests/test_policy.py)."""
    untaxed = chosen(platform_on_stage(), value_per_user=0.0)
    taxed = chosen(platform_on_stage(regulation__excess_profit_tax=0.5), value_per_user=0.0)
    assert untaxed == taxed == MORE_ADS


def test_a_tax_on_excess_profit_tilts_the_choice_towards_users_it_does_not_tax():
    """The tax falls on the profit term of the objective, not on the value of the users won: with half the
    profit taxed, users the untaxed platform would sell for ads become worth keeping (README's policy table:
    fewer ads and more quality over the run, users' surplus higher in 97 of 100 seeds)."""
    assert chosen(platform_on_stage(), value_per_user=2.5) == MORE_ADS  # 500, 650, 550
    assert chosen(platform_on_stage(regulation__excess_profit_tax=0.5), value_per_user=2.5) == FEWER_ADS  # 250, 200, 400


def test_the_forecast_profit_is_after_the_tax_on_what_exceeds_a_normal_return_on_paid_in_capital():
    platform = platform_on_stage(regulation__excess_profit_tax=0.5)
    platform.cap_table.issue("investor", 120_000.0, 1.0, platform.cap_table.open_round(), 0)
    normal = normal_profit(platform.params.regulation, platform.cap_table.paid_in)
    assert normal > 0
    inflow = np.zeros(len(CANDIDATES))
    costs = platform.monthly_costs(FORECAST_USERS, inflow, CANDIDATES[:, 2], CANDIDATES[:, 1])
    pre_tax = np.array([normal - 100.0, normal, normal + 100.0])
    after_tax = platform.forecast_profit(CANDIDATES, FORECAST_USERS, inflow, pre_tax + costs)
    assert after_tax == pytest.approx([normal - 100.0, normal, normal + 50.0])


def test_a_nonprofit_serves_the_most_users_its_reserves_can_carry():
    """A cooperative covers its costs: among candidates whose loss its cash spread over funding.round_months can
    carry, the one with most users; the profitable candidate with fewer users is not taken."""
    platform = platform_on_stage(nonprofit=True)
    months = platform.params.funding.round_months
    platform.model.ledger.transfer(0, OUTSIDE, platform.account, 100.0 * months, "equity")  # carries a loss of 100 a month
    users = np.array([1000.0, 900.0, 1100.0])
    assert chosen(platform, value_per_user=0.0, pre_tax_profit=np.array([0.0, 900.0, -90.0]), users=users) == FEWER_ADS
    assert chosen(platform, value_per_user=0.0, pre_tax_profit=np.array([0.0, 900.0, -150.0]), users=users) == KEEP
