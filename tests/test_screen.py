"""The knob census (`python -m model screen`): its ranges, its reading of effects, and no inert knob.

The last test runs the screening at a tiny size and fails, naming them, if knobs move nothing in
every scenario where they can act.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.experiments import ExperimentError, load_experiment, make_design
from model.experiments.designs import sampled_design
from model.experiments.runner import check_points
from model.experiments.screen import (
    INERT_TOLERANCE,
    NOT_MOVED,
    ZERO_RANGES,
    Edges,
    effects_of,
    inert_knobs,
    knob_range,
    knobs_inert_everywhere,
    plan_screen,
    screen_experiment,
    shipped_scenarios,
)
from model.experiments.spec import Factor
from model.params import flatten, load_params
from model.params.reference import bounds_of, schema_fields, takes_number
from tests.conftest import BASELINE, ROOT

SCENARIOS = [ROOT / path for path in shipped_scenarios()]
PAID = ROOT / "params" / "scenarios" / "paid.toml"


# -- ranges -------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.stem)
def test_every_knob_is_screened_or_listed_with_the_reason(path):
    plan = plan_screen(path)
    screened = [factor.key for factor in plan.factors]
    assert sorted(screened + list(plan.not_screened)) == sorted(schema_fields())
    assert {"users.count", "simulation.steps", "simulation.seed"} <= set(plan.not_screened)
    assert all(reason for reason in plan.not_screened.values())


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.stem)
def test_ranges_respect_the_schema_and_surround_the_value(path):
    plan = plan_screen(path)
    values = flatten(load_params(path))
    for factor in plan.factors:
        field = schema_fields()[factor.key]
        assert factor.low < factor.high, factor
        bounds = bounds_of(field)
        assert factor.low >= bounds.get("ge", -np.inf) and factor.low > bounds.get("gt", -np.inf), factor
        assert factor.high <= bounds.get("le", np.inf) and factor.high < bounds.get("lt", np.inf), factor
        if field.annotation is bool:
            assert factor.switch and (factor.low, factor.high) == (0.0, 1.0)
        elif field.annotation is int:
            assert factor.integer and factor.low == int(factor.low) and factor.high == int(factor.high), factor
        value = values[factor.key]
        if not factor.switch and value != 0 and factor.key != "regulation.max_share":  # max_share: see the next test
            assert factor.low <= value <= factor.high or factor.key == "cooperative.count", factor


def test_a_number_moves_by_half_its_value_cut_to_its_bounds():
    params = load_params(BASELINE)
    fields = schema_fields()

    def moved(key, value, limits=None):
        found = knob_range(key, value, fields[key], limits or {}, params)
        return found if isinstance(found, str) else (found.low, found.high)

    assert moved("network.effect", 2.5) == (1.25, 3.75)
    assert moved("platforms.min_user_price", -3.0) == (-4.5, -1.5)  # a negative value: the same half either way
    assert moved("regulation.ad_load_cap", 1.0) == (0.5, 1.0)  # le 1: cut at 1
    low, high = moved("regulation.max_share", 1.0, {"lt": 1})  # divestiture needs it below 1
    assert low == 0.5 and 0.99 < high < 1.0
    assert moved("users.turnover", 0.0) == (0.0, ZERO_RANGES["users.turnover"])  # a zero: its set range
    assert moved("users.outside_utility", "none") == 'set to "none" here, a word, not a number to move'
    assert "ad-funded" in moved("platforms.initial_user_price", 0.0)
    assert "common random numbers" in moved("simulation.seed", 42)
    assert moved("platforms.strategy", "adaptive").startswith('a choice ("adaptive" | "fixed")')


def test_a_whole_number_moves_by_whole_levels_and_a_switch_both_ways():
    params = load_params(BASELINE)
    fields = schema_fields()

    def levels(key, value, limits=None):
        factor = knob_range(key, value, fields[key], limits or {}, params)
        return list(np.linspace(factor.low, factor.high, 4))

    assert levels("platforms.count", 4) == [2, 3, 4, 5]
    assert levels("advertisers.count", 40) == [14, 27, 40, 53]
    assert levels("entry.entrants", 0) == [0, 1, 2, 3]  # a zero: shifted up to the bound (ge 0)
    assert levels("suppliers.count", 1) == [1, 2, 3, 4]
    assert levels("network.contacts", 10) == [2, 6, 10, 14]  # even: a small-world graph needs it
    assert levels("cooperative.entry_month", 36, {"lt": 48}) == [11, 23, 35, 47]  # it opens before the run ends
    switch = knob_range("bailout.enabled", False, fields["bailout.enabled"], {}, params)
    assert switch.switch and switch.values == (False, True)


def test_edges_take_the_tightest_bound_and_stay_inside_open_ones():
    edges = Edges.of({"ge": 0, "le": 1}, {"lt": 1})
    assert (edges.low, edges.low_open, edges.high, edges.high_open) == (0, False, 1, True)
    assert edges.whole() == (0, 0)
    low, high = edges.clip(-1.0, 2.0)
    assert low == 0.0 and high < 1.0
    assert Edges.of({"gt": 1, "lt": 60}).whole() == (2, 59)


@pytest.mark.parametrize("name", ["baseline", "ai_circular_finance", "cooperative", "public_platform", "paid",
                                  "social_graph"])  # the scenarios where the schema's rules across knobs bite
def test_ordered_pairs_and_cross_knob_rules_keep_every_point_valid(name):
    """Every point of a screen is a valid scenario (checked as a sweep checks them, before any run)."""
    plan = plan_screen(scenario_file(name), users=300, steps=60)
    experiment = screen_experiment(plan, trajectories=1)
    check_points(experiment, make_design(experiment))  # raises, naming the point and the rule, if not
    factors = {f.key: f for f in plan.factors}
    assert factors["cooperative.count"].high <= factors["platforms.count"].low
    assert factors["platforms.min_user_price"].high <= factors["platforms.max_user_price"].low
    assert factors["cooperative.entry_month"].high < 60


def test_a_rescue_by_guarantee_keeps_its_lenders_at_every_point():
    """bailout.form = "guarantee" needs lending.enabled: a screen holds whichever switch would break that."""
    bailout = scenario_file("bailout")
    with_lenders = plan_screen(bailout, users=300, steps=60,
                               overrides={"bailout.form": "guarantee", "lending.enabled": True})
    assert "lending.enabled" in with_lenders.not_screened and "bailout.enabled" in {f.key for f in with_lenders.factors}
    without = plan_screen(BASELINE, users=300, steps=60, overrides={"bailout.form": "guarantee"})
    assert "bailout.enabled" in without.not_screened and "lending.enabled" in {f.key for f in without.factors}
    for plan in (with_lenders, without):
        experiment = screen_experiment(plan, trajectories=1)
        check_points(experiment, make_design(experiment))


def test_a_switch_flips_at_every_morris_move():
    design = sampled_design("morris", (Factor("bailout.enabled", values=(False, True), low=0.0, high=1.0),
                                       Factor("network.effect", low=1.0, high=3.0)), 6, 7, {"levels": 4})
    switch = design.points["bailout.enabled"].to_numpy().reshape(6, 3)  # a trajectory: 3 points, one move per factor
    raw = design.samples[:, 0].reshape(6, 3)
    moves = np.diff(raw, axis=1) != 0
    assert switch.dtype == bool and moves.sum() == 6
    assert (np.diff(switch.astype(int), axis=1)[moves] != 0).all()


def test_an_experiment_file_takes_a_switch_in_a_sampled_design(tmp_path):
    text = f"""
[experiment]
base = "{BASELINE}"
design = "morris"
samples = 2
[vary]
"bailout.enabled" = [false, true]
"users.outside_utility" = {{ low = 1.0, high = 3.0 }}
"""
    path = tmp_path / "exp.toml"
    path.write_text(text)
    experiment = load_experiment(path)
    values = make_design(experiment).points["bailout.enabled"]
    assert set(values) == {False, True} and values.dtype == bool
    path.write_text(text.replace("[false, true]", "[0, 1]"))
    with pytest.raises(ExperimentError, match="a true/false parameter: \\[false, true\\]"):
        load_experiment(path)


# -- reading effects ----------------------------------------------------------------------------
def synthetic_screen(response, trajectories=3) -> pd.DataFrame:
    """Effects of three knobs a, b, c on two outcomes given by ``response(a, b, c)``, over a Morris design."""
    factors = tuple(Factor(name, low=0.0, high=1.0) for name in "abc")
    design = sampled_design("morris", factors, trajectories, 11, {"levels": 4})
    a, b, c = (design.points[name].to_numpy() for name in "abc")
    first, second = response(a, b, c)
    runs = pd.DataFrame({"point": design.points.index, "status": "ok", "first": first, "second": second})
    return effects_of(design, runs, "synthetic", ["first", "second"], resamples=50)


def test_a_knob_that_moves_no_outcome_is_inert_and_one_that_moves_any_is_not():
    effects = synthetic_screen(lambda a, b, c: (3 * a + np.sin(4 * b), np.ones_like(a) + 1e-3 * c))
    assert inert_knobs(effects).to_dict("list") == {"scenario": [], "knob": []}  # c moves the second outcome a little
    effects = synthetic_screen(lambda a, b, c: (3 * a + np.sin(4 * b), 2 * a + 0 * c))
    assert inert_knobs(effects)["knob"].tolist() == ["c"]
    assert knobs_inert_everywhere(effects) == ["c"]
    row = effects[(effects["knob"] == "a") & (effects["outcome"] == "first")].iloc[0]
    assert row["mu_star"] == pytest.approx(3.0) and row["mu_star_conf"] >= 0 and row["sigma"] == pytest.approx(0.0)


def test_rounding_noise_is_no_effect_and_a_constant_outcome_measures_nothing():
    effects = synthetic_screen(lambda a, b, c: (a + b * 1e-15 * a, np.full_like(a, 5.0)))
    assert sorted(inert_knobs(effects)["knob"]) == ["b", "c"]
    constant = effects[effects["outcome"] == "second"]
    assert (constant["mu_star"] == 0).all() and (constant["normalised_effect"] == 0).all()
    assert (effects["normalised_effect"] <= INERT_TOLERANCE).sum() == 5  # b and c on both outcomes, a on the constant


# -- the census at a tiny size: no knob that moves nothing ----------------------------------------
# Tiny: 100 users and 30 months, one Morris trajectory per screen, about one run per knob in all
# (some 150 runs). For a scenario's twenty-year story (growth, lock-in, extraction, failures, rescues)
# to unfold in 30 months, each scenario is fast-forwarded: its durations are divided, and its
# monthly rates multiplied, by FASTER. Knobs move by SPAN of their value either way (not the
# command's half): along a trajectory every knob moves, and at half of each a tiny fast-forwarded
# market can die (no adopters), where no knob can show anything.
TINY_USERS, TINY_STEPS, FASTER, SPAN = 100, 30, 6, 0.3
DURATIONS = ("switching.tenure_cap", "investors.patience_mean", "funding.round_months", "funding.runway_trigger_months",
             "funding.cash_buffer_months", "advertisers.attachment_months", "cooperative.entry_month",
             "lending.recovery_months", "suppliers.commitment_months", "bailout.runway_months")
RATES = ("users.adoption_innovation", "users.adoption_imitation", "users.review_rate", "switching.cost_per_month",
         "platforms.ad_load_step", "platforms.quality_spend_step", "platforms.user_price_step",
         "platforms.quality_depreciation", "advertisers.online_share_growth", "advertisers.review_rate",
         "advertisers.attachment_per_month", "market.sentiment_adjustment", "entry.rate")

# A gate and the knobs that can act only when it is open (true, above 0, or a paid market): each such
# knob is screened in the first shipped scenario that opens its gate, with the gate held open there;
# the gate itself is screened alone in that scenario (moving it closes the gate). Every other knob
# is screened in the baseline.
GATES = {
    "bailout.enabled": ("bailout.systemic_share", "bailout.cap_per_user", "bailout.runway_months", "bailout.loan_rate",
                        "bailout.private_rate", "bailout.marginal_cost_of_public_funds"),
    "lending.enabled": ("lending.capital_per_user", "lending.interest_rate", "lending.leverage_cap", "lending.tightening",
                        "lending.recovery_months"),
    "suppliers.enabled": tuple(key for key in schema_fields() if key.startswith("suppliers.") and key != "suppliers.enabled"),
    "acquisitions.enabled": ("acquisitions.rising_growth", "acquisitions.premium"),
    "entry.entrants": ("entry.rate",),
    "cooperative.count": ("cooperative.entry_month", "cooperative.member_funding_per_user",
                          "cooperative.public_funding_per_user"),
    "regulation.divestiture": ("regulation.divested_share", "regulation.max_share"),
    "regulation.excess_profit_tax": ("regulation.normal_return",),
    "network.social_weight": ("network.contacts", "network.rewiring"),
    "platforms.market": ("platforms.initial_user_price", "platforms.min_user_price", "platforms.max_user_price",
                         "platforms.user_price_step"),
}
# Settings of a scenario, in its tiny screen only, that make the events its knobs act through happen.
STRESS: dict[str, dict] = {}
# Knobs that move nothing anywhere (see docs/knobs.md): each a strict expected failure, with why.
KNOWN_INERT: dict[str, str] = {}


def scenario_file(name: str) -> Path:
    return BASELINE if name == "baseline" else ROOT / "params" / "scenarios" / f"{name}.toml"


def opens(value) -> bool:
    return value not in (False, 0, "ad_funded")


def opener(gate: str) -> str:
    """The first shipped scenario (the baseline first, then by name) that opens the gate."""
    return next(path.stem for path in SCENARIOS if opens(flatten(load_params(path))[gate]))


def fast_forward(path: Path) -> dict:
    """The scenario's durations divided, and its rates multiplied, by FASTER (within the schema's bounds)."""
    values, fields = flatten(load_params(path)), schema_fields()
    shorter = {key: max(round(values[key] / FASTER), bounds_of(fields[key]).get("ge", 0)) if fields[key].annotation is int
               else values[key] / FASTER for key in DURATIONS}
    faster = {key: min(values[key] * FASTER, bounds_of(fields[key]).get("le", np.inf)) for key in RATES}
    return {**shorter, **faster}


def screenable(key: str) -> bool:
    """A knob a screen moves: true/false or a number, but not the size or the seed."""
    field = schema_fields()[key]
    return key not in NOT_MOVED and (field.annotation is bool or takes_number(field))


def census_screens() -> list[tuple[str, tuple[str, ...]]]:
    """(scenario, knobs) of each tiny screen: the knobs at home in each scenario, then the gates, alone."""
    home = {knob: opener(gate) for gate, knobs in GATES.items() for knob in knobs}
    screens: dict[str, list[str]] = {}
    for key in schema_fields():
        if screenable(key) and key not in GATES:
            screens.setdefault(home.get(key, "baseline"), []).append(key)
    gates = [(opener(gate), (gate,)) for gate in GATES if screenable(gate)]
    return [*((name, tuple(knobs)) for name, knobs in screens.items()), *gates]


@pytest.fixture(scope="module")
def census(tmp_path_factory) -> dict[str, tuple[str, float]]:
    """Each knob's home scenario and its largest normalised effect there (one tiny screen per home)."""
    from model.experiments.screen import knob_effects, run_screen

    folder, found = tmp_path_factory.mktemp("census"), {}
    for number, (name, knobs) in enumerate(census_screens()):
        path = scenario_file(name)
        plan = plan_screen(path, TINY_USERS, TINY_STEPS, list(knobs), {**fast_forward(path), **STRESS.get(name, {})}, SPAN)
        out = folder / f"{number}-{name}"
        run_screen(screen_experiment(plan, trajectories=1), out, serial=True, progress=False)
        largest = knob_effects(out, name, resamples=10).groupby("knob")["normalised_effect"].max()
        found.update({knob: (name, float(effect)) for knob, effect in largest.items()})
    return found


def knob_cases() -> list:
    """Every knob a screen moves; a known inert one a strict expected failure (it fails if it starts to act)."""
    return [pytest.param(key, id=key, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_INERT[key])]
                         if key in KNOWN_INERT else []) for key in schema_fields() if screenable(key)]


@pytest.mark.parametrize("knob", knob_cases())
def test_every_knob_moves_a_run_where_it_can_act(census, knob):
    assert knob in census, f"{knob} was not screened at the tiny size"
    home, effect = census[knob]
    assert effect > INERT_TOLERANCE, (
        f"{knob} moved no outcome in {home} (tiny, fast-forwarded): fix it (wire it in) or remove it, or put it "
        "in KNOWN_INERT with why")
