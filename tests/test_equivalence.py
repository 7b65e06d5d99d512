"""The distribution check for numerical changes made for speed (benchmarks/equivalence.py, issue 19).

A refactor keeps the golden frames bit-identical (test_regression.py); a numerical change may move
low digits, after which the same seed tells another story, so runs are compared as distributions.
These tests check the check: it passes the code against its own runs, it rejects outcomes that
moved, and Holm's correction counts every test. The full check (48 seeds x 2 scenarios at 2,000
users) is a documented command, not part of the suite.
"""

import json

import numpy as np

from benchmarks import equivalence
from benchmarks.distributions import OUTCOMES, agreement, holm_rejections
from tests.conftest import ROOT

def rows(rng, shift=0.0, tipped_share=0.5, runs=40):
    """Made-up runs: every outcome normal around 1 (plus ``shift``), a market tipped in ``tipped_share`` of them."""
    return [{"regime": "tipped" if rng.random() < tipped_share else "contested",
             **{name: float(rng.normal(1.0 + shift, 0.2)) for name in OUTCOMES}} for _ in range(runs)]


def test_the_same_distribution_passes_and_a_moved_one_is_rejected():
    rng = np.random.default_rng(0)
    before = rows(rng)
    assert holm_rejections(agreement(before, rows(rng)), 0.05) == []
    moved = holm_rejections(agreement(before, rows(rng, shift=0.5)), 0.05)
    assert {f"{name}_mannwhitney_p" for name in OUTCOMES} <= set(moved)
    assert "tipped_fisher_p" in holm_rejections(agreement(before, rows(rng, tipped_share=0.98)), 0.05)


def test_a_missing_outcome_is_compared_by_how_often_it_is_missing():
    rng = np.random.default_rng(1)
    before, after = rows(rng), rows(rng)
    for row in after[:30]:
        row["lock_in_month"] = None  # lock-in never reached in most runs after the change
    tests = agreement(before, after)
    assert "lock_in_month_missing_fisher_p" in holm_rejections(tests, 0.05)


def test_holm_steps_down_from_the_smallest_p_value():
    p_values = {"a": 0.001, "b": 0.03, "c": 0.04, "d": None}  # d: no test
    assert holm_rejections(p_values, 0.05) == ["a"]  # 0.001 <= 0.05 / 3, then 0.03 > 0.05 / 2: it stops there
    assert holm_rejections({"a": 0.001, "b": 0.02, "c": 0.03}, 0.05) == ["a", "b", "c"]  # 0.02 <= 0.05 / 2, 0.03 <= 0.05


def test_the_command_records_a_reference_and_passes_the_code_that_recorded_it(tmp_path, capsys):
    reference = tmp_path / "reference.json"
    common = ["--reference", str(reference), "--processes", "1"]
    assert equivalence.main([*common, "--record", "--seeds", "2", "--users", "200", "--steps", "24"]) == 0
    saved = json.loads(reference.read_text())
    assert saved["seeds"] == 2 and saved["users"] == 200 and saved["steps"] == 24 and len(saved["runs"]) == 2
    assert equivalence.main(common) == 0
    assert "equivalent: no test rejects" in capsys.readouterr().out


def test_a_check_without_a_reference_says_how_to_record_one(tmp_path, capsys):
    assert equivalence.main(["--reference", str(tmp_path / "none.json")]) == 2
    assert "record one first with --record" in capsys.readouterr().err


def test_the_committed_reference_covers_48_seeds_of_each_scenario():
    saved = json.loads((ROOT / "benchmarks" / "equivalence.json").read_text())
    assert saved["seeds"] >= 40 and all(len(runs) == saved["seeds"] for runs in saved["runs"].values())
    assert set(saved["outcomes"]) == set(OUTCOMES)


def test_the_seed_by_seed_count_says_which_outcomes_kept_their_values():
    rng = np.random.default_rng(2)
    before = rows(rng, runs=4)
    after = [dict(row) for row in before]
    after[0]["lock_in_month"] = -1.0  # one seed's lock-in moved, nothing else
    counts = equivalence.seed_by_seed(before, after)
    assert "lock_in_month 3/4" in counts and "users_surplus 4/4" in counts and "regime 4/4" in counts
