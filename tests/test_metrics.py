"""Metrics on hand-made frames with known answers: HHI, peaks, each phase rule, the regime, the bounds.

Each phase rule is checked on both sides of its threshold, so that moving a threshold or
dropping a condition fails a test here (not only the golden frames).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import metrics
from tests.conftest import scenario

MONTHS = 120


def market(leader_users, rival_users=None, revenue_per_user=1.0, profit=-1.0, **leader_columns):
    """A model frame and a platform frame: a leader (platform 0) and a rival (platform 1), month by month.

    ``leader_users``, ``revenue_per_user`` and ``profit`` are sequences (or constants) over the months.
    """
    leader_users = np.asarray(leader_users, dtype=float)
    months = np.arange(1, leader_users.size + 1)
    rival_users = np.full(months.size, 10.0) if rival_users is None else np.asarray(rival_users, dtype=float)
    revenue = np.broadcast_to(revenue_per_user, months.shape) * leader_users
    total = leader_users + rival_users
    rows = []
    for j, users in enumerate((leader_users, rival_users)):
        frame = pd.DataFrame({"step": months, "platform_id": j, "users": users, "share": users / total,
                              "revenue": revenue if j == 0 else users, "profit": np.broadcast_to(profit, months.shape),
                              "status": "active", "user_surplus": 1.0, "advertiser_surplus": 1.0,
                              "ad_load": 0.2, "user_price": 0.0, "quality_spend": 1.0,
                              "captive_share": becoming_captive(months.size) if j == 0 else 0.5})
        for column, values in (leader_columns.items() if j == 0 else ()):
            frame[column] = np.broadcast_to(values, months.shape)
        rows.append(frame)
    platforms = pd.concat(rows, ignore_index=True)
    shares = np.vstack([leader_users, rival_users]).T
    model = pd.DataFrame({"step": months, "hhi": [metrics.hhi(row) for row in shares], "sentiment": 1.0})
    return model, platforms


def becoming_captive(months=MONTHS, until=60):
    """A captive share that rises linearly to 1 by month ``until``: its trailing-year mean reaches 0.9 in month 60."""
    return np.minimum(np.arange(1, months + 1) / until, 1.0)


def saturating(months=MONTHS, until=60, top=1000.0):
    """Users that grow linearly to ``top`` by month ``until``, then stay there."""
    return np.minimum(np.arange(1, months + 1) / until, 1.0) * top


# -- HHI and peaks --------------------------------------------------------------------------------
@pytest.mark.parametrize("users, expected", [([1, 1], 0.5), ([5, 0, 0], 1.0), ([3, 1], 0.625), ([1, 1, 1, 1], 0.25)])
def test_hhi_is_the_sum_of_squared_shares(users, expected):
    assert metrics.hhi(users) == pytest.approx(expected)


def test_a_market_where_nobody_is_on_a_platform_has_no_hhi():
    assert np.isnan(metrics.hhi([0, 0, 0]))


def test_the_peak_is_the_first_month_the_smoothed_series_is_near_its_top():
    rise_and_fall = pd.Series(np.r_[np.arange(50), np.arange(50, 0, -1)], index=np.arange(1, 101), dtype=float)
    assert metrics.peak_month(rise_and_fall) == pytest.approx(50, abs=2)
    assert metrics.peak_month(pd.Series([np.nan, np.nan])) is None


# -- phases --------------------------------------------------------------------------------------
# -- the advertisers' side ------------------------------------------------------------------------
def advertisers(surplus, spend):
    months = np.arange(1, len(spend) + 1)
    return pd.DataFrame({"advertiser_surplus": surplus, "advertiser_spend": spend}, index=months)


def test_surplus_per_dollar_is_read_only_where_the_spend_is_material():
    """A few dollars at a return of 2 in the first year (only the keenest advertisers buy), then
    real spend at 0.5: the trend is 0.5 wherever the money is, and undefined before."""
    spend = np.r_[np.full(12, 1.0), np.full(48, 1000.0)]
    leader = advertisers(np.r_[np.full(12, 2.0), np.full(48, 500.0)], spend)
    trend = metrics.per_dollar(leader["advertiser_surplus"], leader["advertiser_spend"])
    assert trend.iloc[:5].isna().all()
    assert trend.dropna().max() < 0.51 and trend.loc[20:].to_numpy() == pytest.approx(0.5)


def test_the_squeeze_is_the_fall_of_surplus_per_dollar_from_its_peak_to_the_last_year():
    spend = np.full(96, 100.0)
    per_dollar = np.r_[np.full(48, 0.4), np.full(48, 0.1)]
    assert metrics.advertiser_squeeze(advertisers(per_dollar * spend, spend)) == pytest.approx(0.75)
    assert metrics.advertiser_squeeze(advertisers(0.4 * spend, spend)) == pytest.approx(0.0)
    assert metrics.advertiser_squeeze(advertisers(np.zeros(96), np.zeros(96))) is None


def test_the_ad_revenue_share_reads_the_leaders_last_five_years():
    months = np.arange(1, 121)
    leader = pd.DataFrame({"revenue": 10.0, "ad_revenue": np.where(months > 60, 9.0, 1.0)}, index=months)
    assert metrics.ad_revenue_share(leader) == pytest.approx(0.9)
    assert metrics.ad_revenue_share(leader, months=120) == pytest.approx(0.5)
    assert metrics.ad_revenue_share(leader.assign(revenue=0.0, ad_revenue=0.0)) is None


def test_lock_in_starts_when_the_leaders_users_are_captive_over_a_year():
    model, platforms = market(saturating(until=60))
    # the captive share rises as month / 60: its trailing 12-month mean, (month - 5.5) / 60, reaches 0.9 in month 60
    assert metrics.phase_transitions(model, platforms)["lock-in"] == 60


@pytest.mark.parametrize("captive, locked", [(0.91, True), (0.89, False)])
def test_lock_in_needs_90_percent_of_the_leaders_users_captive(captive, locked):
    model, platforms = market(saturating(until=60), captive_share=captive)
    lock_in = metrics.phase_transitions(model, platforms)["lock-in"]
    assert lock_in == 12 if locked else lock_in is None  # the first month with a year of measures


def test_saturation_alone_is_not_lock_in():
    model, platforms = market(saturating(until=30), captive_share=0.6)  # users stopped growing at month 30
    assert metrics.phase_transitions(model, platforms)["lock-in"] is None


def test_a_leader_with_captive_users_is_locked_in_while_it_still_grows():
    model, platforms = market(100.0 * 1.02 ** np.arange(MONTHS), captive_share=0.95)  # 2 % a month throughout
    assert metrics.phase_transitions(model, platforms)["lock-in"] == 12


def test_lock_in_reads_the_eventual_leaders_users_not_a_rivals():
    model, platforms = market(saturating(until=60), captive_share=0.5)
    platforms.loc[platforms["platform_id"] == 1, "captive_share"] = 1.0  # the rival's few users are captive
    assert metrics.phase_transitions(model, platforms)["lock-in"] is None


def arpu_rising_after(month: int, rise: float) -> np.ndarray:
    """Revenue per user: 1 until ``month``, ``rise`` after."""
    return np.where(np.arange(1, MONTHS + 1) > month, rise, 1.0)


@pytest.mark.parametrize("rise, extracts", [(1.3, True), (1.2, False)])
def test_extraction_needs_revenue_per_user_25_percent_above_lock_in(rise, extracts):
    model, platforms = market(saturating(until=60), revenue_per_user=arpu_rising_after(90, rise), profit=5.0)
    extraction = metrics.phase_transitions(model, platforms)["extraction"]
    assert (extraction is not None) == extracts
    if extracts:
        assert 90 < extraction <= 93  # the rule reads a 3-month mean


def test_extraction_needs_a_profit():
    model, platforms = market(saturating(until=60), revenue_per_user=arpu_rising_after(90, 2.0), profit=-5.0)
    assert metrics.phase_transitions(model, platforms)["extraction"] is None


def test_a_profitable_leader_that_does_not_raise_revenue_per_user_is_not_extracting():
    model, platforms = market(saturating(until=60), revenue_per_user=1.0, profit=5.0)
    assert metrics.phase_transitions(model, platforms)["lock-in"] is not None
    assert metrics.phase_transitions(model, platforms)["extraction"] is None


@pytest.mark.parametrize("kept, declines", [(0.85, False), (0.75, True)])
def test_decline_is_the_leader_falling_below_80_percent_of_its_peak_users(kept, declines):
    users = saturating(until=60)
    users[100:] *= kept
    model, platforms = market(users, revenue_per_user=arpu_rising_after(90, 2.0), profit=5.0)
    transitions = metrics.phase_transitions(model, platforms)
    assert transitions["extraction"] is not None
    assert (transitions["decline"] == 101) if declines else (transitions["decline"] is None)


def test_an_extracting_leader_overtaken_by_a_challenger_declines_and_the_phases_stay_its_own():
    """Lock-in, extraction and decline are the incumbent's (the platform with most users at its peak), even
    when a challenger ends with more users than it: that is how the fourth stage happens (DESIGN §2)."""
    users = saturating(until=60)
    users[100:] = 300.0  # from month 101 the incumbent keeps 30% of its peak users
    challenger = np.where(np.arange(1, MONTHS + 1) > 100, 600.0, 10.0)  # and a challenger ends with 600
    model, platforms = market(users, challenger, revenue_per_user=arpu_rising_after(90, 2.0), profit=5.0)
    assert metrics.leader_id(platforms) == 1 and metrics.incumbent_id(platforms) == 0
    transitions = metrics.phase_transitions(model, platforms)
    assert transitions["lock-in"] is not None and 90 < transitions["extraction"] <= 93
    assert transitions["decline"] == 101


def test_every_month_before_lock_in_is_growth_and_labels_follow_the_transitions():
    model, platforms = market(saturating(until=60), revenue_per_user=arpu_rising_after(90, 2.0), profit=5.0)
    transitions = metrics.phase_transitions(model, platforms)
    labels = metrics.label_phases(model, platforms)
    assert set(labels[model["step"] < transitions["lock-in"]]) == {"growth"}
    assert set(labels[(model["step"] >= transitions["lock-in"]) & (model["step"] < transitions["extraction"])]) == {"lock-in"}
    assert set(labels[model["step"] >= transitions["extraction"]]) == {"extraction"}


# -- regime and bounds ---------------------------------------------------------------------------
@pytest.mark.parametrize("share, expected", [(0.8, "tipped"), (0.95, "tipped"), (0.79, "contested"), (0.5, "contested")])
def test_a_run_is_tipped_when_the_leader_holds_at_least_80_percent(share, expected):
    assert metrics.regime(share) == expected


def test_a_market_nobody_is_on_is_neither_tipped_nor_contested():
    assert metrics.regime(0.0, anyone_on_platforms=False) == "empty"


def test_bounds_are_the_share_of_open_platform_months_spent_at_a_bound_of_the_file():
    params = scenario(platforms__market="paid", platforms__max_ad_load=0.6)
    floor, cap = params.platforms.min_user_price, params.platforms.max_ad_load
    prices = np.where(np.arange(1, 11) <= 3, floor, 0.0)  # 3 of the leader's 10 months at the floor
    model, platforms = market(np.full(10, 100.0), user_price=prices, ad_load=cap)
    platforms.loc[(platforms["platform_id"] == 1) & (platforms["step"] > 5), "status"] = "failed"  # 5 open months
    model.loc[model["step"] > 8, "sentiment"] = params.market.max_sentiment
    bounds = metrics.binding_bounds(model, platforms, params)
    assert bounds["platforms.min_user_price"] == pytest.approx(3 / 15)
    assert bounds["platforms.max_ad_load"] == pytest.approx(10 / 15)
    assert bounds["market.max_sentiment"] == pytest.approx(2 / 10)
    assert bounds["platforms.max_user_price"] == 0.0


def test_an_empty_platforms_levers_bind_nothing():
    """A platform nobody uses shows its ads to nobody: its months are not the months concerned."""
    params = scenario(platforms__max_ad_load=0.6)
    rival_users = np.where(np.arange(1, 11) <= 4, 10.0, 0.0)  # the rival empties after month 4
    model, platforms = market(np.full(10, 100.0), rival_users=rival_users)
    platforms.loc[(platforms["platform_id"] == 1) & (platforms["step"] > 4), "ad_load"] = params.platforms.max_ad_load
    assert metrics.binding_bounds(model, platforms, params)["platforms.max_ad_load"] == 0.0
    platforms.loc[(platforms["platform_id"] == 1) & (platforms["step"] == 4), "ad_load"] = params.platforms.max_ad_load
    assert metrics.binding_bounds(model, platforms, params)["platforms.max_ad_load"] == pytest.approx(1 / 14)


def test_in_an_ad_funded_market_the_prices_bounds_are_listed_as_binding_nothing():
    model, platforms = market(np.full(10, 100.0))
    bounds = metrics.binding_bounds(model, platforms, scenario())
    assert bounds["platforms.min_user_price"] is None and bounds["platforms.max_user_price"] is None
    assert list(bounds) == list(metrics.binding_bounds(model, platforms, scenario(platforms__market="paid")))


def test_a_regulators_ad_cap_below_the_platforms_own_bound_is_the_one_that_binds():
    params = scenario(regulation__ad_load_cap=0.3)
    model, platforms = market(np.full(10, 100.0), ad_load=0.3)
    bounds = metrics.binding_bounds(model, platforms, params)
    assert bounds["regulation.ad_load_cap"] == pytest.approx(10 / 20)  # the leader's 10 of 20 open months
    assert metrics.binding_bounds(model, platforms, scenario(regulation__ad_load_cap=0.3, platforms__max_ad_load=0.6))[
        "platforms.max_ad_load"] == 0.0


def test_natural_limits_are_not_bounds_of_the_file():
    """No ads, no quality spending, and an ad load of 1 (the whole feed; a regulator's cap of 1 is
    no cap) are what the levers mean, not limits a parameter file sets."""
    params = scenario(platforms__max_ad_load=1.0, regulation__ad_load_cap=1.0)
    model, platforms = market(np.full(10, 100.0), ad_load=1.0)
    bounds = metrics.binding_bounds(model, platforms, params)
    assert bounds["platforms.max_ad_load"] is None and bounds["regulation.ad_load_cap"] is None
    assert all(bound != 0.0 for _, bound in metrics.lever_bounds(params).values())


def test_the_leader_reaches_half_its_final_users_in_the_first_month_it_holds_them():
    # 1,000 users by month 60 (linearly), kept: half of them first in month 30, year 2.5.
    model, platforms = market(saturating(until=60), revenue_per_user=1.0, profit=5.0, costs=1.0)
    leader = metrics.leader_series(platforms)
    figures = metrics.calibration(leader, metrics.phase_transitions(model, platforms))
    assert figures["years_to_half_final_users"] == pytest.approx(30 / 12)
    shrinking = saturating(until=60)
    shrinking[100:] = 400.0  # ends with 400: half of it (200) first held in month 12
    model, platforms = market(shrinking, revenue_per_user=1.0, profit=5.0, costs=1.0)
    leader = metrics.leader_series(platforms)
    assert metrics.calibration(leader, metrics.phase_transitions(model, platforms))["years_to_half_final_users"] == pytest.approx(1.0)
