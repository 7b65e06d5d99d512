"""DESIGN §7: the model's core reproduces known analytic results."""

import numpy as np
import pytest
from scipy.optimize import brentq

from tests.conftest import NETWORK_ONLY, run, scenario


def mean_field_winner_share(beta_j: float) -> float:
    """Winner's share (1 + m) / 2, m the positive root of m = tanh(beta J m / 2) (Brock & Durlauf)."""
    if beta_j <= 2:
        return 0.5
    m = brentq(lambda x: x - np.tanh(beta_j * x / 2), 1e-6, 1.0)
    return (1 + m) / 2


def final_shares(economy, months=20):
    frame = economy.platform_frame()
    last = frame[frame["step"] > frame["step"].max() - months]
    return last.groupby("step").apply(lambda rows: rows.set_index("platform_id")["users"]).mean()


def test_shares_match_the_logit_formula_without_network_effects_or_frictions():
    """McFadden: shares of two platforms and the outside option equal exp(beta V) / sum exp(beta V)."""
    params = scenario(NETWORK_ONLY, network__effect=0.0, users__outside_utility=0.5, simulation__steps=40)
    economy = run(params)
    beta, users = params.users.rationality, params.users.count
    utilities = np.array([0.0, 0.0, 0.5])  # two identical platforms, then the outside option
    expected = np.exp(beta * utilities) / np.exp(beta * utilities).sum()
    on_platforms = final_shares(economy).sum()
    outside_share = 1 - on_platforms / users
    standard_error = np.sqrt(expected[2] * (1 - expected[2]) / users / 20)
    assert outside_share == pytest.approx(expected[2], abs=4 * standard_error + 1e-3)


@pytest.mark.parametrize("beta_j", [1.5, 1.8])
def test_symmetric_market_stays_split_below_the_tipping_point(beta_j):
    params = scenario(NETWORK_ONLY, network__effect=beta_j / 1.5, simulation__steps=80)
    shares = final_shares(run(params)) / params.users.count
    assert abs(shares.iloc[0] - shares.iloc[1]) < 0.1


@pytest.mark.parametrize("beta_j", [2.4, 3.0, 4.0])
def test_symmetric_market_tips_above_the_tipping_point_to_the_mean_field_share(beta_j):
    params = scenario(NETWORK_ONLY, network__effect=beta_j / 1.5, simulation__steps=150)
    shares = final_shares(run(params)) / params.users.count
    assert shares.max() == pytest.approx(mean_field_winner_share(beta_j), abs=0.015)


def test_which_platform_wins_depends_on_early_chance_events():
    """Arthur (1989): with strong network effects and sequential adoption the market locks in to
    one platform, but which one is decided by early accidents (here: the seed)."""
    winners = []
    for seed in range(8):
        params = scenario(
            NETWORK_ONLY,
            network__effect=3.0,
            users__count=2000,
            users__adoption_innovation=0.01,
            users__adoption_imitation=0.05,
            users__review_rate=0.1,
            simulation__steps=120,
            simulation__seed=seed,
        )
        economy = run(params)
        summary = economy.summary()
        assert summary["final_hhi"] > 0.8, f"seed {seed} did not lock in"
        winners.append(summary["leader_id"])
    assert len(set(winners)) == 2
