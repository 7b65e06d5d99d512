"""Case studies (issue 18): each real market in its own file, with its moments, targets and regime."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.cases import MOMENTS, CaseError, available_cases, load_case, moment_column, moment_table, moment_value
from model.data import read_series
from model.metrics import ad_volume_and_price
from model.params import ParamsError
from tests.conftest import ROOT

CASES = {path.stem: path for path in available_cases()}


def write_case(tmp_path, case_table: str, extra: str = "") -> str:
    path = tmp_path / "case.toml"
    path.write_text(f'extends = "{ROOT / "params" / "baseline.toml"}"\n{extra}\n[case]\n{case_table}', encoding="utf-8")
    return path


VALID = '''name = "toy"
market = "A toy market."
start_year = 2004
[[case.free]]
key = "network.effect"
low = 1.0
high = 4.0
[[case.moments]]
name = "leader_share_at_end"
low = 0.8
regime = "tipped"
source = "made up"
[[case.moments]]
name = "final_hhi"
low = 0.5
high = 0.9
held_out = true
source = "made up"
'''


# -- the case files -----------------------------------------------------------------------------
def test_there_is_a_case_for_each_market_of_the_design():
    assert set(CASES) == {"social_network", "search", "ride_hailing", "ai_buildout"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_case_loads_and_keeps_a_moment_out_of_the_fit(name):
    case = load_case(CASES[name])
    assert case.name == name
    moments = case.spec.moments
    assert any(m.held_out for m in moments) and any(not m.held_out for m in moments)
    for moment in moments:  # every series a target names is in data/, and says where it comes from
        if moment.data:
            frame, meta = read_series(moment.data)
            assert len(frame) and meta["source"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_case_file_opens_with_the_market_it_stands_for(name):
    text = CASES[name].read_text(encoding="utf-8")
    header = text.split("extends", 1)[0]
    assert header.startswith("# Case:") and "The market:" in header and "Fitted:" in header and "Held out:" in header


def test_the_cases_are_the_markets_they_stand_for():
    assert load_case(CASES["social_network"]).params.platforms.market == "ad_funded"
    assert load_case(CASES["search"]).params.platforms.market == "ad_funded"
    assert load_case(CASES["ride_hailing"]).params.platforms.market == "paid"
    assert load_case(CASES["ai_buildout"]).params.suppliers.enabled


def test_a_case_runs_over_the_window_its_data_cover():
    years = {name: load_case(path).params.simulation.steps / 12 for name, path in CASES.items()}
    assert years == {"social_network": 20, "search": 23, "ride_hailing": 15, "ai_buildout": 6}


# -- errors -------------------------------------------------------------------------------------
def test_a_valid_toy_case_loads(tmp_path):
    case = load_case(write_case(tmp_path, VALID))
    assert case.spec.free[0].key == "network.effect" and case.params.network.effect == 3.09


def test_a_parameter_file_without_a_case_table_is_not_a_case():
    with pytest.raises(CaseError, match=r"baseline.toml: no \[case\] table"):
        load_case(ROOT / "params" / "baseline.toml")


@pytest.mark.parametrize("change, message", [
    (("name = \"leader_share_at_end\"", "name = \"leader_share\""), "moment 'leader_share' is unknown; known moments"),
    (("key = \"network.effect\"", "key = \"network.efect\""), "free parameter 'network.efect' is not a parameter"),
    (("low = 1.0\nhigh = 4.0", "low = 4.0\nhigh = 1.0"), "low (4.0) must be below high (1.0)"),
    (("held_out = true\n", ""), "at least one moment fitted and at least one held out"),
    (("regime = \"tipped\"", "regime = \"tipping\""), "case.moments.0.regime"),
    (("start_year = 2004\n", "start_year = 2004\nyear = 1\n"), "case.year: Extra inputs are not permitted"),
])
def test_a_bad_case_table_names_the_file_and_the_key(tmp_path, change, message):
    path = write_case(tmp_path, VALID.replace(*change))
    with pytest.raises(CaseError) as error:
        load_case(path)
    assert str(error.value).startswith(f"{path}: ") and message in str(error.value)


def test_a_free_parameters_bounds_must_be_values_the_model_accepts(tmp_path):
    path = write_case(tmp_path, VALID.replace("low = 1.0\nhigh = 4.0", "low = -1.0\nhigh = 4.0"))
    with pytest.raises(CaseError, match=r"case.free 'network.effect': bound -1 is not allowed"):
        load_case(path)


def test_a_chart_of_a_series_with_several_rows_a_period_must_choose_its_rows(tmp_path):
    """rideshare_share_us has Uber's and Lyft's rows for each month: a chart of it names the company."""
    chart = '\n[[case.charts]]\ndata = "rideshare_share_us"\nmodel = "leader_share"\ntitle = "Uber"\n'
    for choice, message in (("", "several rows for period(s)"), ('where = { company = "via" }\n', "no row has company = 'via'")):
        path = write_case(tmp_path, VALID + chart + choice)
        with pytest.raises(CaseError) as error:
            load_case(path)
        assert str(error.value).startswith(f"{path}: case.charts.0") and message in str(error.value)
    assert load_case(write_case(tmp_path, VALID + chart + 'where = { company = "uber" }\n')).spec.charts[0].where == {"company": "uber"}


def test_a_target_series_must_be_in_the_data_folder(tmp_path):
    path = write_case(tmp_path, VALID.replace('source = "made up"\n[[case.moments]]', 'data = "nowhere"\nsource = "made up"\n[[case.moments]]'))
    with pytest.raises(CaseError, match="no series 'nowhere' in data/"):
        load_case(path)


def test_the_parameters_of_a_case_are_checked_as_any_parameter_file(tmp_path):
    with pytest.raises(ParamsError, match="unknown key 'users.cont'"):
        load_case(write_case(tmp_path, VALID, extra="[users]\ncont = 3\n"))


# -- moments and their statement over seeds ------------------------------------------------------
def summary(regime, share, hhi=None, rise=None):
    return {"regime": regime, "leader_final_share": share, "final_hhi": hhi,
            "calibration": {"revenue_per_user_rise": rise}}


def test_every_moment_reads_a_figure_the_run_summary_has():
    from model.economy import PlatformEconomy
    from tests.conftest import scenario

    from model.experiments.runner import summary_outputs

    economy = PlatformEconomy(scenario(users__count=300, simulation__steps=60)).run()
    run = economy.summary()
    columns = summary_outputs(run)
    for name in MOMENTS:
        where = run
        for part in MOMENTS[name][0].split("."):  # every key on the path is in the summary (its value may be None)
            assert isinstance(where, dict) and part in where, (name, part)
            where = where[part]
        assert isinstance(moment_value(run, name), float), name  # a number, or NaN where the run has none
        assert moment_column(name) in columns, name  # and a sweep's runs have it as a column


def test_a_moment_the_run_lacks_is_nan_and_never_in_range(tmp_path):
    case = load_case(write_case(tmp_path, VALID))
    assert math.isnan(moment_value({"calibration": {}}, "revenue_per_user_rise"))
    assert not case.spec.moments[0].in_range(np.array([np.nan]))[0]


def test_the_statement_counts_the_seeds_in_range_among_those_of_the_moments_regime(tmp_path):
    case = load_case(write_case(tmp_path, VALID))
    runs = [summary("tipped", 0.9, 0.82), summary("tipped", 0.85, 0.74), summary("tipped", 0.7, 0.6),
            summary("contested", 0.5, 0.3), summary("contested", 0.95, None)]
    table = moment_table(case, runs).set_index("moment")
    share = table.loc["leader_share_at_end"]  # regime "tipped": three runs, two of them at 0.8 or more
    assert (share.runs, share.in_range) == (3, 2) and share.share_in_range == pytest.approx(2 / 3)
    assert share.share_low < 2 / 3 < share.share_high and 0 <= share.share_low and share.share_high <= 1
    assert share["median"] == pytest.approx(0.85) and share.missing == 0
    hhi = table.loc["final_hhi"]  # regime "any": all five runs; one has no HHI (nobody on a platform)
    assert (hhi.runs, hhi.in_range, hhi.missing, bool(hhi.held_out)) == (5, 3, 1, True)


def test_impressions_and_price_per_impression_are_read_from_revenue_and_price():
    """Impressions sold are 1,000 x ad revenue / price: +28 % impressions at a 9 % lower price
    means revenue x 1.28 x 0.91."""
    months = np.arange(1, 25)
    before, after = months <= 12, months > 12
    price = np.where(before, 10.0, 9.1)
    impressions = np.where(before, 1000.0, 1280.0)
    leader = pd.DataFrame({"ad_price": price, "ad_revenue": impressions * price / 1000.0}, index=months)
    found = ad_volume_and_price(leader)
    assert found["impressions_growth_last_year"] == pytest.approx(0.28)
    assert found["price_per_impression_growth_last_year"] == pytest.approx(-0.09)
    assert ad_volume_and_price(leader.iloc[:20])["impressions_growth_last_year"] is None  # under two years
    silent = leader.assign(ad_revenue=0.0)
    assert ad_volume_and_price(silent) == {"impressions_growth_last_year": None, "price_per_impression_growth_last_year": None}


# -- estimation (model.estimation, `python -m model calibrate CASE`) ----------------------------------
TINY_CASE = '''name = "tiny"
market = "A tiny market, to test the machinery."
start_year = 2008
[[case.charts]]
data = "search_share_us_google"
model = "leader_share"
title = "Google's share beside the leader's"
[[case.free]]
key = "network.effect"
low = 0.5
high = 4.0
[[case.moments]]
name = "leader_share_at_end"
low = 0.5
regime = "any"
source = "made up"
[[case.moments]]
name = "final_hhi"
low = 0.3
held_out = true
source = "made up"
'''


def estimate_tiny_case(folder, *options: str):
    """A whole estimation of the tiny case (24 months, 120 users), serially: 4 points x 2 seeds of 150 users, then
    3 seeds at the estimate, with any other ``options`` of calibrate. Returns the exit code, the results folder and
    the case."""
    from model.cli import main

    path = folder / "tiny.toml"
    path.write_text(f'extends = "{ROOT / "params" / "baseline.toml"}"\n[simulation]\nsteps = 24\n[users]\ncount = 120\n'
                    f'[case]\n{TINY_CASE}', encoding="utf-8")
    out = folder / "out"
    code = main(["calibrate", str(path), "--out", str(out), "--points", "4", "--search-seeds", "2",
                 "--search-users", "150", "--seeds", "3", *options, "--serial", "--no-progress"])
    return code, out, load_case(path)


@pytest.fixture(scope="module")
def tiny_estimate(tmp_path_factory):
    return estimate_tiny_case(tmp_path_factory.mktemp("estimate"))


def test_calibrate_estimates_a_case_and_writes_its_results(tiny_estimate, capsys):
    import json

    code, out, case = tiny_estimate
    assert code == 0
    results = json.loads((out / "calibration.json").read_text())
    from model.estimation import case_fingerprint

    assert results["case"] == "tiny" and results["search"]["points_finished"] == 4
    assert results["fingerprint"] == case_fingerprint(case)
    estimate = results["estimate"]["network.effect"]
    low, high = results["ranges"]["network.effect"]
    assert 0.5 <= low <= estimate <= high <= 4.0 and 1 <= results["accepted_points"] <= 4
    assert results["statement"] == {"seeds": 3, "users": 120, "enough": False}
    fitted, held = results["moments"]
    assert (fitted["name"], fitted["held_out"], held["name"], held["held_out"]) == ("leader_share_at_end", False, "final_hhi", True)
    assert fitted["runs"] == 3 and 0 <= fitted["in_range"] <= 3 and len(fitted["quartiles"]) == 3
    assert sum(r["runs"] for r in results["regimes"]) == 3


def test_calibrate_sets_each_real_series_beside_the_models_band_on_the_real_calendar(tiny_estimate):
    """2008-2009 (24 months): a band for each year over the 3 runs at the estimate, Google's 2009 share beside it."""
    _, out, _ = tiny_estimate
    series = pd.read_csv(out / "series.csv", dtype={"period": str})
    band, real = series[series["source"] == "model"], series[series["source"] == "real"]
    assert list(band["period"]) == ["2008", "2009"] and (band["runs"] == 3).all()
    assert (band["q25"] <= band["median"]).all() and (band["median"] <= band["q75"]).all()
    assert list(real["period"]) == ["2009"] and real["value"].iloc[0] == pytest.approx(0.80)
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_results_say_which_free_parameters_the_search_told_apart(tiny_estimate):
    import json

    from model.estimation import IDENTIFIED_SPAN

    _, out, _ = tiny_estimate
    results = json.loads((out / "calibration.json").read_text())
    (low, high), (bound_low, bound_high) = results["ranges"]["network.effect"], results["bounds"]["network.effect"]
    told_apart = results["best_score"] > 0 and high - low <= IDENTIFIED_SPAN * (bound_high - bound_low)
    assert results["identified"] == {"network.effect": told_apart}


def test_a_parameter_every_point_fits_equally_is_not_identified(tmp_path):
    from model.estimation import identified

    case = load_case(write_case(tmp_path, VALID))  # network.effect in [1, 4]
    assert identified(case, {"network.effect": [2.0, 3.0]}, best_score=0.4) == {"network.effect": True}
    assert identified(case, {"network.effect": [1.2, 3.9]}, best_score=0.4) == {"network.effect": False}  # spans 90 %
    assert identified(case, {"network.effect": [2.0, 2.0]}, best_score=0.0) == {"network.effect": False}  # nothing fit


def test_the_estimate_is_the_point_whose_weakest_fitted_moment_scores_best(tiny_estimate):
    from model.estimation import choose, finished_runs, point_scores

    _, out, case = tiny_estimate
    scores = point_scores(case, finished_runs(out / "search"))
    assert len(scores) == 4 and (scores["weakest_moment"] == "leader_share_at_end").all()  # the only fitted moment
    table = moment_table(case, finished_runs(out / "search").query("point == 0")).set_index("moment")
    assert scores.loc[0, "score"] == pytest.approx(table.loc["leader_share_at_end", "share_low"])
    estimate, accepted = choose(case, scores)
    best = scores.loc[scores["score"].idxmax()]
    assert estimate["network.effect"] == best["network.effect"] and best["point"] in set(accepted["point"])
    assert (accepted["weakest_upper"] >= best["weakest_share"]).all()  # not told apart from the best by these seeds
    rejected = scores[~scores["point"].isin(accepted["point"])]
    assert (rejected["weakest_upper"] < best["weakest_share"]).all()


def test_the_statement_runs_at_the_estimate(tiny_estimate):
    from model.estimation import finished_runs

    import json

    _, out, _ = tiny_estimate
    estimate = json.loads((out / "calibration.json").read_text())["estimate"]["network.effect"]
    statement = finished_runs(out / "statement")
    assert len(statement) == 3 and (statement["network.effect"] == estimate).all()
    assert sorted(statement["seed"]) == sorted(set(statement["seed"]))  # three different seeds


@pytest.fixture(scope="module")
def tiny_refined(tmp_path_factory):
    """The tiny estimation with a refinement: its 2 best points run again on 3 other seeds at the case's 120 users."""
    code, out, case = estimate_tiny_case(tmp_path_factory.mktemp("refined"), "--refine", "2", "--refine-seeds", "3")
    assert code == 0
    return out, case


def test_a_refinement_runs_the_best_points_again_on_other_seeds_and_takes_the_best_of_them(tiny_refined):
    import json

    from model.estimation import finished_runs, point_scores, results_markdown

    out, case = tiny_refined
    results = json.loads((out / "calibration.json").read_text())
    scores = point_scores(case, finished_runs(out / "search"))
    best_two = scores.sort_values(["score", "point"], ascending=[False, True])["point"].head(2).tolist()
    assert sorted(folder.name for folder in (out / "refine").iterdir()) == sorted(f"point-{p}" for p in best_two)
    refined = {p: finished_runs(out / "refine" / f"point-{p}") for p in best_two}
    assert all(len(runs) == 3 for runs in refined.values())
    others = set(finished_runs(out / "search")["seed"]) | set(finished_runs(out / "statement")["seed"])
    assert not any(set(runs["seed"]) & others for runs in refined.values())  # seeds neither the search's nor the statement's
    rescored = {p: point_scores(case, runs)["score"].iloc[0] for p, runs in refined.items()}
    chosen = max(best_two, key=lambda p: (rescored[p], -best_two.index(p)))
    assert results["refine"]["chosen_point"] == chosen and results["refine"]["points"] == 2
    assert results["estimate"]["network.effect"] == pytest.approx(scores.set_index("point").loc[chosen, "network.effect"])
    assert "run again on 3 other seeds x 120 users" in results_markdown(results)


@pytest.fixture(scope="module")
def tiny_zoomed(tmp_path_factory):
    """The tiny estimation with a zoom: 3 more points inside the box of the search's accepted points, 2 seeds each."""
    code, out, case = estimate_tiny_case(tmp_path_factory.mktemp("zoomed"), "--zoom", "3", "--zoom-seeds", "2")
    assert code == 0
    return out, case


def test_a_zoom_draws_more_points_inside_the_accepted_points_box_and_chooses_among_both_stages(tiny_zoomed):
    import json

    from model.estimation import ZOOM_LEAST_SPAN, accepted_ranges, choose, finished_runs, point_scores, results_markdown

    out, case = tiny_zoomed
    results = json.loads((out / "calibration.json").read_text())
    search = point_scores(case, finished_runs(out / "search"))
    first_estimate, first_accepted = choose(case, search)
    (free,) = case.spec.free
    low, high = results["zoom"]["box"][free.key]
    spanned = accepted_ranges(first_accepted, first_estimate)[free.key]
    least = ZOOM_LEAST_SPAN * (free.high - free.low)
    assert free.low <= low <= first_estimate[free.key] <= high <= free.high
    if spanned[1] - spanned[0] >= least:  # the accepted points' span, or at least a tenth of the bounds
        assert [low, high] == pytest.approx(spanned)
    else:
        assert high - low == pytest.approx(least)
    zoom = finished_runs(out / "zoom")
    assert len(zoom) == 3 * 2 and zoom["point"].nunique() == 3
    assert zoom[free.key].between(low, high).all()
    assert not set(zoom["seed"]) & set(finished_runs(out / "search")["seed"])  # its own seeds
    scores = __import__("pandas").read_csv(out / "search_scores.csv")
    assert list(scores["stage"]) == ["search"] * 4 + ["zoom"] * 3
    assert sorted(scores.loc[scores["stage"] == "zoom", "point"]) == [4, 5, 6]  # numbered after the search's
    best = scores.loc[scores["score"].idxmax()]
    assert results["estimate"][free.key] == pytest.approx(best[free.key])
    assert results["zoom"]["points_finished"] == 3 and results["search"]["points_finished"] == 4
    assert "a zoom of 3 points x 2 seeds" in results_markdown(results)


def test_a_zoom_box_narrower_than_a_tenth_of_the_bounds_is_widened_around_the_estimate_within_them():
    from types import SimpleNamespace

    from model.estimation import zoom_box

    free = [SimpleNamespace(key="a", low=0.0, high=10.0), SimpleNamespace(key="b", low=0.0, high=1.0)]
    case = SimpleNamespace(spec=SimpleNamespace(free=free))
    assert zoom_box(case, {"a": 5.0, "b": 0.5}, {"a": [5.0, 5.0], "b": [0.1, 0.9]}) == {"a": [4.5, 5.5], "b": [0.1, 0.9]}
    assert zoom_box(case, {"a": 0.2, "b": 0.5}, {"a": [0.2, 0.2], "b": [0.5, 0.5]})["a"] == [0.0, 1.0]
    assert zoom_box(case, {"a": 9.9, "b": 0.5}, {"a": [9.9, 9.9], "b": [0.5, 0.5]})["a"] == [9.0, 10.0]


def test_calibrate_a_case_needs_an_out_folder(tmp_path, capsys):
    from model.cli import main

    path = write_case(tmp_path, VALID)
    assert main(["calibrate", str(path)]) == 2
    assert "a case is estimated into a results folder: give --out FOLDER" in capsys.readouterr().err


# -- the committed estimates (docs/calibration/CASE/calibration.json) --------------------------------
COMMITTED = sorted(path.parent for path in (ROOT / "docs" / "calibration").glob("*/calibration.json"))


def test_the_baseline_takes_the_social_network_cases_estimate():
    """Readers meet first the market the social network's case fits to Meta (issue 18, item 5)."""
    import json

    from model.params import load_params
    from model.params.files import flatten

    results = json.loads((ROOT / "docs" / "calibration" / "social_network" / "calibration.json").read_text())
    baseline = flatten(load_params(ROOT / "params" / "baseline.toml"))
    for key, estimate in results["estimate"].items():
        assert baseline[key] == pytest.approx(estimate, rel=0.01), key


def test_a_free_parameters_value_in_the_files_does_not_make_results_stale(tmp_path):
    """Every run draws the free parameters, so the baseline may take a case's estimate; any other value counts."""
    from model.estimation import case_fingerprint

    original = case_fingerprint(load_case(write_case(tmp_path, VALID)))
    assert case_fingerprint(load_case(write_case(tmp_path, VALID, "[network]\neffect = 3.3"))) == original
    assert case_fingerprint(load_case(write_case(tmp_path, VALID, "[users]\nplatform_affinity = 0.5"))) != original


@pytest.mark.parametrize("folder", COMMITTED, ids=[folder.name for folder in COMMITTED])
def test_the_committed_results_match_the_committed_case_files(folder):
    """An edit of a case file (or of a file it extends) after its estimate shows here: re-run the command."""
    import json

    from model.estimation import case_fingerprint

    results = json.loads((folder / "calibration.json").read_text())
    case = load_case(ROOT / results["file"])
    assert results["case"] == case.name == folder.name
    assert results["fingerprint"] == case_fingerprint(case), f"re-run: python -m model calibrate {results['file']}"
    assert [(m["name"], m["target"], m["regime"], m["held_out"]) for m in results["moments"]] == \
        [(m.name, m.target, m.regime, m.held_out) for m in case.spec.moments]
    assert results["statement"]["seeds"] >= 100  # a statement, not a quick look
    for moment in results["moments"]:  # the shares are what the counts say
        if moment["runs"]:
            assert moment["share_in_range"] == pytest.approx(moment["in_range"] / moment["runs"])


@pytest.mark.parametrize("folder", COMMITTED, ids=[folder.name for folder in COMMITTED])
def test_the_committed_statements_first_run_is_what_the_code_computes_now(folder, tmp_path):
    """The committed results are the code's, not an earlier version's: the statement's first seed, run again
    at the estimate and the statement's population, gives every moment's value and the regime it recorded
    (one run per case; a change of the model that moves results must re-run the case's command)."""
    import json

    from model.cases import moment_column
    from model.estimation import finished_runs, statement_experiment
    from model.experiments.runner import run_experiment

    results = json.loads((folder / "calibration.json").read_text())
    case = load_case(ROOT / results["file"])
    recorded = results["statement_first_run"]
    experiment = statement_experiment(case, results["estimate"], 1, results["statement"]["users"], charts=False)
    run_experiment(experiment, tmp_path / "again", progress=False, serial=True)
    again = finished_runs(tmp_path / "again").iloc[0]
    assert int(again["seed"]) == recorded["seed"] and again["regime"] == recorded["regime"]
    for name, value in recorded["moments"].items():
        now = float(again[moment_column(name)]) if moment_column(name) in again else float("nan")
        assert (value is None and not np.isfinite(now)) or now == pytest.approx(value, rel=1e-12, abs=1e-12), \
            f"{name}: {now} now, {value} committed: re-run python -m model calibrate {results['file']}"


# Issue 18's bar, at the committed estimates: what each case still misses (docs/ODD.md, section 7.2).
BELOW_THE_BAR: dict[str, str] = {
    # none since 2026-12-04: ride-hailing meets it once its market opens with three apps (Uber, Lyft, Sidecar)
}


@pytest.mark.parametrize("folder", [pytest.param(folder, id=folder.name, marks=pytest.mark.xfail(
    strict=True, reason=BELOW_THE_BAR[folder.name])) if folder.name in BELOW_THE_BAR else
    pytest.param(folder, id=folder.name) for folder in COMMITTED])
def test_every_fitted_moment_is_in_range_in_most_seeds_of_its_regime(folder):
    """Issue 18: at the estimate, over at least 100 seeds, each fitted moment is in range in at least
    60 % of the seeds of its regime, and that regime occurs in at least 60 % of the seeds
    (model.estimation.meets_bar). A case that meets it here fails loudly until BELOW_THE_BAR forgets it."""
    import json

    from model.estimation import BAR, meets_bar

    results = json.loads((folder / "calibration.json").read_text())
    assert results["statement"]["seeds"] >= 100
    assert meets_bar(results), ([(m["name"], m["share_in_range"]) for m in results["moments"] if not m["held_out"]
                                 and (m["share_in_range"] or 0) < BAR], results["regimes"])


def test_a_case_meets_the_bar_only_with_its_moments_in_range_in_a_regime_that_is_common():
    from model.estimation import meets_bar

    def results(share_in_range, tipped_share, regime="tipped"):
        return {"moments": [{"held_out": False, "regime": regime, "share_in_range": share_in_range},
                            {"held_out": True, "regime": regime, "share_in_range": 0.0}],  # held out: not judged
                "regimes": [{"regime": "tipped", "share": tipped_share}, {"regime": "contested", "share": 1 - tipped_share}]}

    assert meets_bar(results(0.6, 0.6))
    assert not meets_bar(results(0.59, 0.9))  # the moment misses
    assert not meets_bar(results(0.9, 0.19))  # the regime the real market was in is rare
    assert meets_bar(results(0.9, 0.19, regime="any"))  # a moment that names no regime asks for none
    assert not meets_bar(results(None, 0.0))  # no run in its regime


@pytest.mark.parametrize("folder", COMMITTED, ids=[folder.name for folder in COMMITTED])
def test_each_committed_chart_sets_the_real_series_as_it_is_in_data_beside_a_band(folder):
    import json

    from model.bands import real_points

    results = json.loads((folder / "calibration.json").read_text())
    case = load_case(ROOT / results["file"])
    series = pd.read_csv(folder / "series.csv", dtype={"period": str})
    assert (folder / "chart.png").is_file() and len(case.spec.charts) >= 1
    for number, chart in enumerate(case.spec.charts):
        rows = series[series["chart"] == number]
        real = real_points(chart.data, chart.per, case.spec.start_year, case.params.simulation.steps, chart.where)
        assert rows.loc[rows["source"] == "real", "value"].tolist() == pytest.approx(real["value"].tolist())
        band = rows[rows["source"] == "model"]
        assert len(band) and (band["runs"] >= 1).all() and band["time"].is_monotonic_increasing


def test_a_point_whose_seeds_rarely_reach_the_moments_regime_scores_low(tmp_path):
    """One lucky tipped seed in range out of eight is not a fit: the regime itself is scored too."""
    from model.estimation import point_scores

    case = load_case(write_case(tmp_path, VALID))  # leader_share_at_end at least 0.8, among tipped runs
    rare = pd.DataFrame({"point": 0, "network.effect": 1.0, "regime": ["tipped"] + ["contested"] * 7,
                         "leader_final_share": [0.9] + [0.5] * 7, "final_hhi": 0.5})
    common = pd.DataFrame({"point": 1, "network.effect": 3.0, "regime": ["tipped"] * 6 + ["contested"] * 2,
                           "leader_final_share": [0.9] * 6 + [0.5] * 2, "final_hhi": 0.7})
    scores = point_scores(case, pd.concat([rare, common], ignore_index=True)).set_index("point")
    assert scores.loc[0, "weakest_moment"] == "regime: tipped" and scores.loc[0, "weakest_share"] == pytest.approx(1 / 8)
    assert scores.loc[1, "score"] > scores.loc[0, "score"]  # 6 of 8 tipped, all in range


def test_an_interrupted_estimation_writes_no_results_and_says_how_to_resume(tmp_path, monkeypatch, capsys):
    from model.cli import main
    from model.experiments.runner import SweepReport

    def interrupted(experiment, out, **options):
        return SweepReport(Path(out), total=8, already_done=0, ran=3, failed=0, interrupted=True)

    monkeypatch.setattr("model.estimation.run_experiment", interrupted)
    out = tmp_path / "out"
    assert main(["calibrate", str(write_case(tmp_path, VALID)), "--out", str(out), "--serial", "--no-progress"]) == 130
    assert "run the same command to resume" in capsys.readouterr().err
    assert not (out / "calibration.json").exists()
