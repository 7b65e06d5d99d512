"""Intervals over seeds stay inside what they describe (model/statistics.py)."""

import numpy as np
import pytest

from model.statistics import bootstrap_mean_interval, wilson_interval


def test_a_bootstrap_interval_of_bounded_values_stays_inside_their_range():
    hhi = [1.0, 1.0, 0.5, 1.0]  # two regimes in four seeds: a t-interval of this mean goes above 1
    low, high = bootstrap_mean_interval(hhi)
    assert 0.5 <= low < np.mean(hhi) < high <= 1.0


def test_a_bootstrap_interval_narrows_with_more_seeds():
    rng = np.random.default_rng(1)
    few, many = rng.normal(size=8), rng.normal(size=200)
    assert np.diff(bootstrap_mean_interval(many)) < np.diff(bootstrap_mean_interval(few))


def test_a_bootstrap_interval_is_reproducible_and_ignores_missing_values():
    values = [0.2, np.nan, 0.4, 0.9]
    assert bootstrap_mean_interval(values) == bootstrap_mean_interval([0.2, 0.4, 0.9])
    assert all(np.isnan(bootstrap_mean_interval([0.3])))


@pytest.mark.parametrize("successes, trials", [(0, 10), (10, 10), (5, 10), (1, 4)])
def test_a_wilson_interval_stays_in_zero_one_and_holds_the_frequency(successes, trials):
    low, high = wilson_interval(successes, trials)
    assert 0.0 <= low <= successes / trials <= high <= 1.0
    assert high - low > 0


def test_a_wilson_interval_matches_the_textbook_value():
    # 8 of 10 at 95%: Wilson (1927) score interval [0.490, 0.943]
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-3) and high == pytest.approx(0.9433, abs=1e-3)


def test_calibration_reports_how_often_each_regime_occurs_with_wilson_intervals():
    from model.calibration import regime_frequencies, regimes_sentence

    summaries = [{"regime": "tipped"}] * 6 + [{"regime": "contested"}] * 3 + [{"regime": "empty"}]
    regimes = regime_frequencies(summaries)
    assert list(regimes.index) == ["tipped", "contested", "empty"]
    assert list(regimes["runs"]) == [6, 3, 1]
    assert regimes.loc["tipped", "share"] == pytest.approx(0.6)
    assert (regimes.loc["tipped", "low"], regimes.loc["tipped", "high"]) == pytest.approx(wilson_interval(6, 10))
    assert regimes_sentence(regimes).startswith("Regimes over 10 runs: tipped 6 (60%, 95% interval 31% to 83%)")


def test_the_sign_tests_p_values_are_the_binomial_tails_scipy_stats_gives():
    """paired_differences' one-sided sign tests: P(X >= k) for X ~ Binomial(pairs that differ, 1/2)."""
    from scipy import stats

    from model.statistics import paired_differences

    for higher, lower in [(0, 1), (1, 0), (3, 5), (8, 0), (17, 23), (40, 0)]:
        before = np.zeros(higher + lower + 2)  # two ties, left out
        after = np.concatenate([np.ones(higher), -np.ones(lower), np.zeros(2)])
        table = paired_differences(before, after)
        differ = higher + lower
        assert table["p_higher"] == pytest.approx(stats.binomtest(higher, differ, 0.5, alternative="greater").pvalue, rel=1e-12)
        assert table["p_lower"] == pytest.approx(stats.binomtest(lower, differ, 0.5, alternative="greater").pvalue, rel=1e-12)
    assert paired_differences([1.0, 2.0], [1.0, 2.0])["p_higher"] is None  # nothing differs: no test
