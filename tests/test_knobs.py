"""The knobs move the story in the direction the mechanisms imply (or the test says why not)."""

import numpy as np

from model import metrics
from tests.conftest import replicated_runs


def mean_over_seeds(measure, seeds=range(4), users=4000, **overrides):
    return np.mean([measure(economy) for economy in replicated_runs(tuple(seeds), users, **overrides)])


def test_stronger_network_effects_concentrate_the_market():
    """HHI after ten years, when the network effect has played out.

    Runs end split or tipped, by seed, so it takes several seeds to see the shift. Later in a run,
    platforms that run out of investors' patience fail and tip weak-effect markets too, which
    blurs the comparison without saying anything about network effects.
    """
    ten_years = dict(seeds=range(8), users=2000, simulation__steps=120)

    def concentration(effect):
        """Final HHI of each seed's market; a market that emptied has none and is left out (at most one)."""
        runs = replicated_runs(tuple(ten_years["seeds"]), ten_years["users"], network__effect=effect,
                               simulation__steps=ten_years["simulation__steps"])
        hhi = [economy.summary()["final_hhi"] for economy in runs]
        assert sum(h is None for h in hhi) <= 1, f"markets emptied with network.effect = {effect}: {hhi}"
        return np.mean([h for h in hhi if h is not None])

    strong, weak = concentration(3.5), concentration(1.5)
    assert strong > weak + 0.1


def test_full_interoperability_means_less_extraction():
    """With portable data and a shared network, the leader cannot take as much from its users."""

    def leader_users_surplus_late(economy):
        leader = metrics.leader_series(economy.platform_frame())
        return leader["user_surplus"].iloc[-60:].mean()

    none = mean_over_seeds(leader_users_surplus_late)  # the baseline has no interoperability
    assert mean_over_seeds(leader_users_surplus_late, regulation__interoperability=1.0) > none


def mean_over_patience_runs(measure, patience_mean: float) -> float:
    """Four small baseline runs with the given mean investor patience (shared by the tests below)."""
    return float(mean_over_seeds(measure, investors__patience_mean=patience_mean))


def test_more_patient_investors_mean_a_longer_subsidy():
    def months_of_subsidy(economy):
        """Months in which the eventual leader pays its users (a negative user price)."""
        leader = metrics.leader_series(economy.platform_frame())
        return (leader["user_price"] < 0).sum()

    assert mean_over_patience_runs(months_of_subsidy, 180.0) > mean_over_patience_runs(months_of_subsidy, 60.0)


def test_more_patient_investors_delay_the_leaders_first_profitable_year():
    def years_to_profit(economy):
        years = economy.summary()["calibration"]["years_to_first_profitable_year"]
        return economy.params.simulation.steps / 12 if years is None else years  # never: the whole run

    assert mean_over_patience_runs(years_to_profit, 180.0) > mean_over_patience_runs(years_to_profit, 60.0)
