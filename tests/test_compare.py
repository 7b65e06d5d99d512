"""`python -m model compare`: scenarios over the same seeds, key outcomes with 95% intervals."""

import numpy as np
import pandas as pd
import pytest

from model.compare import compare, comparison_table
from model.outcomes import OUTCOMES, POLICY_LATE_MONTHS, outcomes, outcomes_and_summary, policy_outcomes
from model import metrics
from model.economy import PlatformEconomy
from model.experiments.analysis import group_summary
from tests.conftest import ROOT, scenario
from tests.test_cli import cli

SMALL = {"users__count": 800, "simulation__steps": 36}
SMALL_SET = ["--set", "users.count=800", "--steps", "36"]


def test_outcomes_are_read_from_the_run():
    economy = PlatformEconomy(scenario(**SMALL, bailout__enabled=True)).run()
    measured = outcomes(economy)
    assert set(measured) == set(OUTCOMES)
    frame = economy.model_frame()
    assert measured["final_hhi"] == frame["hhi"].iloc[-1]
    assert measured["users_surplus"] == pytest.approx(frame["consumer_surplus"].sum() / 800)
    assert measured["failures"] == frame["failures"].iloc[-1]
    assert 0 <= measured["leader_peak_ad_load"] <= economy.params.platforms.max_ad_load


def test_policy_outcomes_read_the_last_five_years_and_the_runs_totals():
    """Notebook 04's reading of a policy run (model.outcomes.policy_outcomes)."""
    economy = PlatformEconomy(scenario(users__count=800, simulation__steps=120, regulation__excess_profit_tax=0.5)).run()
    measured = policy_outcomes(economy)
    frame, leader = economy.model_frame(), metrics.leader_series(economy.platform_frame())
    assert POLICY_LATE_MONTHS == 60 and len(frame) > POLICY_LATE_MONTHS  # the window is the last five years, not the run
    assert measured["leader's ad load"] == pytest.approx(leader["ad_load"].iloc[-60:].mean())
    assert measured["leader's ad load"] != pytest.approx(leader["ad_load"].mean())  # the early, ad-free months left out
    assert measured["users' surplus per user ($/month)"] == pytest.approx(
        (frame["consumer_surplus"] / frame["adopted_users"].clip(lower=1)).iloc[-60:].mean())
    assert measured["final HHI"] == frame["hhi"].iloc[-1]
    assert measured["excess-profit tax collected ($)"] == economy.summary()["public_revenue"]
    assert measured["platforms active at the end"] == frame["active_platforms"].iloc[-1]


def test_the_processes_that_run_and_reduce_runs_do_not_import_the_charts():
    """compare's workers load the model and model.outcomes, not Altair (about 2.7 s a process here)."""
    import subprocess
    import sys

    code = ("import sys, model.economy, model.outcomes, model.replicates, model.experiments.runner; "
            "print(sorted(name for name in sys.modules if name.split('.')[0] in ('altair', 'vl_convert')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_same_seeds_run_every_scenario_so_identical_scenarios_agree_exactly():
    runs, summary = compare({"a": scenario(**SMALL), "b": scenario(**SMALL)}, seeds=2, processes=1)
    a, b = (runs[runs["scenario"] == name].drop(columns="scenario").reset_index(drop=True) for name in "ab")
    pd.testing.assert_frame_equal(a, b)
    assert list(runs["seed"]) == [0, 1, 0, 1]


def test_each_outcome_has_a_mean_inside_its_95_percent_interval():
    _, summary = compare({"baseline": scenario(**SMALL), "ad_cap": scenario(**SMALL, regulation__ad_load_cap=0.1)},
                         seeds=3, processes=2)
    assert set(summary["output"]) == set(OUTCOMES) and list(dict.fromkeys(summary["scenario"])) == ["baseline", "ad_cap"]
    finite = summary.dropna(subset=["ci95_low"])
    assert (finite["ci95_low"] <= finite["mean"] + 1e-12).all() and (finite["mean"] <= finite["ci95_high"] + 1e-12).all()
    capped = summary[(summary["scenario"] == "ad_cap") & (summary["output"] == "leader_peak_ad_load")]["mean"].iloc[0]
    assert capped <= 0.1 + 1e-12
    table = comparison_table(summary)
    assert list(table.columns) == ["baseline", "ad_cap"] and len(table) == len(OUTCOMES)


def test_a_measure_can_keep_each_runs_summary_beside_its_outcomes():
    runs, summary = compare({"baseline": scenario(**SMALL)}, seeds=2, processes=1, measure=outcomes_and_summary)
    again = PlatformEconomy(scenario(**SMALL, simulation__seed=1)).run()
    assert runs.loc[1, "summary"] == again.summary()  # the run of seed 1, whole
    assert runs.loc[1, "final_hhi"] == outcomes(again)["final_hhi"]
    assert set(summary["output"]) == set(OUTCOMES)


def test_runs_are_summarised_by_any_columns_in_the_order_groups_first_appear():
    runs = pd.DataFrame({"scenario": ["b", "b", "a", "a", "b"], "size": [1, 1, 1, 1, 2],
                         "y": [1.0, 3.0, 5.0, np.nan, 7.0]})
    summary = group_summary(runs, ["scenario", "size"], ["y"])
    assert summary[["scenario", "size", "n", "mean"]].values.tolist() == [["b", 1, 2, 2.0], ["a", 1, 1, 5.0],
                                                                         ["b", 2, 1, 7.0]]
    b = summary.iloc[0]
    assert b["ci95_high"] - b["mean"] == pytest.approx(12.706205, rel=1e-6)  # t(0.975, 1) * sd / sqrt(n), sd = sqrt(2)
    assert summary.iloc[1][["sd", "ci95_low", "ci95_high"]].isna().all()  # one value: no interval
    assert list(group_summary(runs, ["scenario"], ["y"], sort=True)["scenario"]) == ["a", "b"]


def test_compare_prints_the_table_and_writes_csv_and_chart(tmp_path):
    result = cli("compare", "params/baseline.toml", "params/scenarios/ad_cap.toml", "--seeds", "2", *SMALL_SET,
                 "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Final HHI" in result.stdout and "ad_cap" in result.stdout and "baseline" in result.stdout
    assert {p.name for p in tmp_path.iterdir()} == {"compare.csv", "compare_runs.csv", "compare_paired.csv", "compare.png"}
    assert len(pd.read_csv(tmp_path / "compare_runs.csv")) == 4
    paired = pd.read_csv(tmp_path / "compare_paired.csv")
    assert set(paired["scenario"]) == {"ad_cap"} and set(paired["against"]) == {"baseline"} and len(paired) == len(OUTCOMES)
    assert "Seed by seed against baseline" in result.stdout and "ad_cap - baseline" in result.stdout


def test_a_paired_comparison_counts_the_seeds_where_an_outcome_moves_and_tests_the_count():
    from model.statistics import paired_differences

    before = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, np.nan])
    after = before + np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, -0.5, 0.0, 1.0])
    paired = paired_differences(before, after)
    assert (paired["pairs"], paired["higher"], paired["lower"], paired["same"]) == (9, 7, 1, 1)  # the NaN pair left out
    assert paired["p_higher"] == pytest.approx(9 / 256)  # 7 or 8 of 8 moving pairs up, each as likely as down
    assert paired["p_lower"] == pytest.approx(1 - 1 / 256)
    assert paired["mean_difference"] == pytest.approx(3.0 / 9)
    low, high = paired["mean_difference_interval"]
    assert low <= paired["mean_difference"] <= high
    assert paired["mean_after"] - paired["mean_before"] == pytest.approx(paired["mean_difference"])


def test_each_scenario_is_set_against_the_first_on_the_same_seeds():
    from model.compare import paired_summary, paired_table

    runs = pd.DataFrame({"scenario": ["a"] * 4 + ["b"] * 4 + ["c"] * 4, "seed": [0, 1, 2, 3] * 3,
                         **{key: [1.0, 2.0, 3.0, 4.0] + [2.0, 3.0, 4.0, 5.0] + [1.0, 2.0, 3.0, 4.0] for key in OUTCOMES}})
    runs.loc[runs["scenario"] == "b", "seed"] = [3, 2, 1, 0]  # rows in another order: paired by seed, not by row
    runs.loc[runs["scenario"] == "b", list(OUTCOMES)] = [[5.0] * len(OUTCOMES), [4.0] * len(OUTCOMES),
                                                         [3.0] * len(OUTCOMES), [2.0] * len(OUTCOMES)]
    paired = paired_table(runs).set_index(["scenario", "output"])
    b, c = paired.loc[("b", "final_hhi")], paired.loc[("c", "final_hhi")]
    assert (b["higher"], b["lower"], b["mean_difference"], b["against"]) == (4, 0, 1.0, "a")
    assert (c["higher"], c["lower"], c["same"], c["mean_difference"]) == (0, 0, 4, 0.0) and pd.isna(c["p_sign"])
    assert b["p_sign"] == pytest.approx(2 / 16)  # two-sided: four of four up
    assert list(paired_summary(paired_table(runs)).columns) == ["b - a", "c - a"]


@pytest.mark.parametrize("args, message", [
    (["params/baseline.toml"], "two or more"),
    (["params/baseline.toml", "params/scenarios/ad_cap.toml", "--seeds", "1"], "at least 2 seeds"),
    (["params/baseline.toml", "params/scenarios/nope.toml"], "nope.toml"),
    (["params/baseline.toml", "params/scenarios/ad_cap.toml", "--set", "network.efect=2"], "network.effect"),
])
def test_bad_comparisons_are_refused_before_anything_runs(tmp_path, args, message):
    result = cli("compare", *args, "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and message in result.stderr
    assert not (tmp_path / "out").exists()


def test_intervals_stay_inside_what_they_describe_and_tipping_is_a_frequency():
    """Four seeds of a bimodal outcome: a t-interval of the HHI's mean leaves [0, 1]; these do not (issue 16)."""
    from model.compare import seed_intervals

    runs = pd.DataFrame({"scenario": "s", "seed": range(4), "final_hhi": [1.0, 1.0, 0.5, 1.0], "tipped": [1.0, 1.0, 0.0, 1.0]})
    summary = seed_intervals(runs, group_summary(runs, ["scenario"], ["final_hhi", "tipped"]))
    hhi, tipped = (summary[summary["output"] == name].iloc[0] for name in ("final_hhi", "tipped"))
    assert 0.5 <= hhi["ci95_low"] < hhi["mean"] < hhi["ci95_high"] <= 1.0
    assert tipped["mean"] == 0.75 and 0.0 < tipped["ci95_low"] < 0.75 < tipped["ci95_high"] <= 1.0


def test_a_run_counts_as_tipped_when_its_leader_holds_at_least_80_percent():
    economy = PlatformEconomy(scenario(**SMALL)).run()
    assert outcomes(economy)["tipped"] == float(economy.summary()["leader_final_share"] >= 0.8)
    assert outcomes(economy)["tipped"] == float(economy.summary()["regime"] == "tipped")
