"""Parameter files: defaults, extends, overrides, and clear errors that name the file, the key and what is allowed."""

import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.params import (
    Params,
    ParamsError,
    flatten,
    format_reference,
    load_params,
    parameter_reference,
    params_to_dict,
    params_to_toml,
    parse_override,
    reference_markdown,
)
from model.params.reference import bounds_of, schema_fields

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "params" / "baseline.toml"
NETWORK_ONLY = ROOT / "params" / "classroom" / "network_only.toml"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path, overrides=None) -> str:
    with pytest.raises(ParamsError) as caught:
        load_params(path, overrides)
    return str(caught.value)


# -- what a file means ------------------------------------------------------------------------
def test_an_empty_file_gives_the_defaults(tmp_path):
    assert load_params(write(tmp_path, "empty.toml", "")) == Params()


def test_the_baseline_file_lists_every_parameter_at_its_default():
    text = BASELINE.read_text()
    assert load_params(BASELINE) == Params()
    for key in flatten(Params()):
        assert f"\n{key.split('.')[1]} = " in text, key


def test_extends_chain_merges_table_by_table_key_by_key(tmp_path):
    write(tmp_path, "a.toml", "[users]\ncount = 100\nreview_rate = 0.5\n[network]\neffect = 3.0\n")
    write(tmp_path, "b.toml", 'extends = "a.toml"\n[users]\ncount = 200\n')
    params = load_params(write(tmp_path, "c.toml", 'extends = "b.toml"\n[network]\neffect = 1.0\n'))
    assert (params.users.count, params.users.review_rate, params.network.effect) == (200, 0.5, 1.0)
    assert params.platforms == Params().platforms  # untouched tables keep their defaults


def test_extends_is_relative_to_the_file_that_says_it(tmp_path):
    write(tmp_path, "base.toml", "[users]\ncount = 123\n")
    scenario = write(tmp_path, "scenarios/deep/s.toml", 'extends = "../../base.toml"\n')
    assert load_params(scenario).users.count == 123


def test_classroom_scenario_extends_the_baseline():
    params = load_params(NETWORK_ONLY)
    assert params.platforms.count == 2 and params.platforms.strategy == "fixed"
    assert params.users.review_rate == 1.0 and params.users.outside_utility == "none"
    assert params.advertisers.count == 0 and params.switching.base_cost == 0


def test_overrides_win_over_the_file_and_the_files_it_extends(tmp_path):
    write(tmp_path, "base.toml", "[users]\ncount = 100\n")
    path = write(tmp_path, "s.toml", 'extends = "base.toml"\n[platforms]\nstrategy = "adaptive"\n')
    params = load_params(path, {"users.count": 5000, "platforms.strategy": "fixed"})
    assert params.users.count == 5000 and params.platforms.strategy == "fixed"


def test_whole_numbers_are_accepted_where_a_number_is_expected(tmp_path):
    params = load_params(write(tmp_path, "x.toml", "[network]\neffect = 3\n"))
    assert params.network.effect == 3.0 and isinstance(params.network.effect, float)


def test_outside_utility_takes_a_number_or_none(tmp_path):
    empty = write(tmp_path, "empty.toml", "")
    assert load_params(empty, {"users.outside_utility": "none"}).has_outside_option is False
    assert load_params(empty, {"users.outside_utility": -1.0}).users.outside_utility == -1.0
    message = error_of(empty, {"users.outside_utility": "nope"})
    assert message.endswith("""users.outside_utility: expected a number or "none", got string 'nope'""")
    message = error_of(empty, {"users.outside_utility": 1000.0})
    assert message.endswith("users.outside_utility = 1000.0 is out of range: must be >= -100 and <= 100 (utility)")


def test_loading_writes_nothing(tmp_path):
    write(tmp_path, "base.toml", "[users]\ncount = 100\n")
    path = write(tmp_path, "s.toml", 'extends = "base.toml"\n')
    before = sorted(tmp_path.rglob("*"))
    load_params(path, {"network.effect": 1.0})
    error_of(write(tmp_path, "bad.toml", "[users]\ncount = -1\n"))
    assert sorted(tmp_path.rglob("*")) == sorted([*before, tmp_path / "bad.toml"])


# -- errors: names -----------------------------------------------------------------------------
def test_unknown_key_suggests_the_closest_name(tmp_path):
    message = error_of(write(tmp_path, "x.toml", "[users]\ncont = 3\n"))
    assert message == f"{tmp_path / 'x.toml'}: unknown key 'users.cont' — did you mean 'users.count'?"


def test_a_removed_key_says_it_was_removed_and_what_replaced_it(tmp_path):
    message = error_of(write(tmp_path, "x.toml", "[platforms]\ninitial_ad_price = 5.0\n"))
    assert message.startswith(f"{tmp_path / 'x.toml'}: key 'platforms.initial_ad_price' was removed: ")
    assert "platforms.min_ad_price" in message and "did you mean" not in message


def test_a_key_in_the_wrong_table_suggests_the_right_table(tmp_path):
    assert "unknown key 'users.effect' — did you mean 'network.effect'?" in error_of(
        write(tmp_path, "x.toml", "[users]\neffect = 3.0\n"))


def test_unknown_table_suggests_the_closest_name(tmp_path):
    assert "unknown table 'userz' — did you mean 'users'?" in error_of(write(tmp_path, "x.toml", "[userz]\ncount = 3\n"))


def test_a_key_outside_any_table_names_the_tables_that_have_it(tmp_path):
    message = error_of(write(tmp_path, "x.toml", "effect = 3.0\n"))
    assert "unknown key 'effect' outside any table — did you mean 'network.effect'?" in message


def test_a_table_given_as_a_single_value_is_an_error(tmp_path):
    assert "users = 3: expected a table [users], got integer 3" in error_of(write(tmp_path, "x.toml", "users = 3\n"))


# -- errors: values ----------------------------------------------------------------------------
def test_wrong_type_names_the_key_and_the_expected_type(tmp_path):
    message = error_of(write(tmp_path, "x.toml", '[users]\nrationality = "abc"\n'))
    assert message == f"{tmp_path / 'x.toml'}: users.rationality: expected a number, got string 'abc'"


def test_a_number_in_quotes_is_not_silently_converted(tmp_path):
    message = error_of(write(tmp_path, "x.toml", '[users]\ncount = "3"\n'))
    assert "users.count: expected a whole number, got string '3'" in message


def test_a_fraction_is_rejected_where_a_whole_number_is_expected(tmp_path):
    assert "simulation.steps: expected a whole number, got number 2.5" in error_of(
        write(tmp_path, "x.toml", "[simulation]\nsteps = 2.5\n"))


def test_a_switch_takes_true_or_false_only(tmp_path):
    assert "bailout.enabled: expected true or false, got string 'yes'" in error_of(
        write(tmp_path, "x.toml", '[bailout]\nenabled = "yes"\n'))


def test_out_of_range_value_names_the_bounds_and_the_unit(tmp_path):
    message = error_of(write(tmp_path, "x.toml", "[users]\nreview_rate = 1.5\n"))
    assert message == f"{tmp_path / 'x.toml'}: users.review_rate = 1.5 is out of range: must be > 0 and <= 1 (1/month)"


def test_nan_and_infinity_are_rejected_even_where_there_are_no_bounds(tmp_path):
    message = error_of(write(tmp_path, "x.toml", "[platforms]\ninitial_user_price = nan\nquality_max = inf\n"))
    assert "platforms.initial_user_price = nan is not allowed: must be a finite number" in message
    assert "platforms.quality_max = inf" in message


def test_choice_fields_list_the_allowed_values(tmp_path):
    message = error_of(write(tmp_path, "x.toml", '[platforms]\nstrategy = "smart"\n[bailout]\nform = "gift"\n'))
    assert """platforms.strategy = 'smart' is not allowed: must be "adaptive" or "fixed\"""" in message
    assert """bailout.form = 'gift' is not allowed: must be "grant", "loan", "equity" or "guarantee\"""" in message


def test_a_guarantee_needs_lenders(tmp_path):
    message = error_of(write(tmp_path, "x.toml", '[bailout]\nenabled = true\nform = "guarantee"\n'))
    assert 'bailout.form = "guarantee" needs lending.enabled = true' in message
    assert "x.toml" in message


def test_suppliers_cannot_be_rescued_with_equity(tmp_path):
    message = error_of(write(tmp_path, "x.toml", '[bailout]\nenabled = true\nform = "equity"\ncovers_suppliers = true\n'))
    assert "x.toml" in message and 'bailout.covers_suppliers = true with bailout.form = "equity"' in message
    assert 'use "loan", "grant" or "guarantee"' in message


def test_keys_that_bound_each_other_are_checked_together(tmp_path):
    message = error_of(write(tmp_path, "x.toml", "[platforms]\nmin_user_price = 5.0\nmax_user_price = 1.0\n"))
    assert "platforms.min_user_price must not exceed platforms.max_user_price" in message
    assert "platforms.min_user_price = 5.0, platforms.max_user_price = 1.0" in message
    message = error_of(write(tmp_path, "y.toml", "[market]\nmin_sentiment = 5.0\n"))  # the other bound is a default
    assert "market.min_sentiment = 5.0, market.max_sentiment = 3.0" in message


def test_all_problems_are_reported_one_per_line(tmp_path):
    path = write(tmp_path, "x.toml", '[users]\nreview_rate = 2.0\ncount = -1\ncont = 3\n[platforms]\nstrategy = "smart"\n')
    lines = error_of(path).splitlines()
    assert len(lines) == 4 and all(line.startswith(f"{path}: ") for line in lines)
    for key in ("users.cont", "users.review_rate", "users.count", "platforms.strategy"):
        assert any(key in line for line in lines), key


# -- errors: files -----------------------------------------------------------------------------
def test_malformed_toml_reports_the_line(tmp_path):
    message = error_of(write(tmp_path, "x.toml", "[users]\ncount = 3\nreview_rate = \n"))
    assert message.startswith(f"{tmp_path / 'x.toml'}: malformed TOML") and "line 3" in message


def test_malformed_toml_at_the_end_of_the_file_still_reports_a_line(tmp_path):
    message = error_of(write(tmp_path, "x.toml", '[users]\ncount = 3\n[network'))
    assert "malformed TOML" in message and "line 3" in message


def test_a_repeated_key_is_malformed_toml(tmp_path):
    assert "line 3" in error_of(write(tmp_path, "x.toml", "[users]\ncount = 1\ncount = 2\n"))


def test_missing_file_is_named(tmp_path):
    assert error_of(tmp_path / "nowhere.toml") == f"{tmp_path / 'nowhere.toml'}: no such parameter file"


def test_missing_extends_names_both_files(tmp_path):
    message = error_of(write(tmp_path, "x.toml", 'extends = "gone.toml"\n'))
    assert message == f"{tmp_path / 'x.toml'}: extends 'gone.toml', but {tmp_path / 'gone.toml'} does not exist"


def test_extends_must_be_a_file_name(tmp_path):
    assert "extends = 3: expected the name of a parameter file" in error_of(write(tmp_path, "x.toml", "extends = 3\n"))


def test_circular_extends_is_named(tmp_path):
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    assert error_of(a) == f"{a}: circular 'extends': {a} -> {b} -> {a}"


def test_a_file_extending_itself_is_circular(tmp_path):
    assert "circular 'extends'" in error_of(write(tmp_path, "a.toml", 'extends = "a.toml"\n'))


def test_a_problem_in_an_extended_file_names_that_file(tmp_path):
    write(tmp_path, "base.toml", "[users]\ncount = -1\n")
    message = error_of(write(tmp_path, "s.toml", 'extends = "base.toml"\n'))
    assert message.startswith(f"{tmp_path / 'base.toml'}: users.count = -1 is out of range")


def test_an_unknown_key_in_an_extended_file_names_that_file(tmp_path):
    write(tmp_path, "base.toml", "[users]\ncont = 3\n[userz]\ncount = 3\n")
    message = error_of(write(tmp_path, "s.toml", 'extends = "base.toml"\n[network]\neffect = 3.0\n'))
    base = tmp_path / "base.toml"
    assert message == (f"{base}: unknown key 'users.cont' — did you mean 'users.count'?\n"
                       f"{base}: unknown table 'userz' — did you mean 'users'?")


# -- errors: values nested too deep to read ------------------------------------------------------
@pytest.mark.parametrize("value", ["[" * 5000 + "]" * 5000, "{a = " * 3000 + "1" + "}" * 3000, "[" * 21 + "]" * 21],
                         ids=["arrays", "inline tables", "just too deep"])
def test_a_value_nested_too_deep_is_named_with_its_file_line_and_key(tmp_path, value):
    path = write(tmp_path, "deep.toml", f"[platforms]\ncount = 2\n\n[users]\n# tastes\ncount = {value}\n")
    assert error_of(path) == (f"{path}: line 6 (users.count): arrays or tables nested more than 20 deep; "
                              "a parameter takes a single value")


def test_tables_nested_too_deep_by_dotted_keys_are_named(tmp_path):
    path = write(tmp_path, "deep.toml", "[users]\ncount." + ".".join(["a"] * 3000) + " = 1\n")
    assert error_of(path) == f"{path}: users.count: tables nested more than 20 deep; a parameter takes a single value"


def test_nesting_that_a_file_may_need_is_read(tmp_path):
    path = write(tmp_path, "x.toml", "[users]\ncount = " + "[" * 20 + "]" * 20 + '\n# [[[[[[[[[[[[[[[[[[[[[[[[\n'
                                      'outside_utility = "[[[[[[[[[[[[[[[[[[[[[[[["\n')
    assert "users.count: expected a whole number, got array" in error_of(path)  # read, then refused as a value


# -- errors: overrides -------------------------------------------------------------------------
def test_an_unknown_override_key_suggests_the_closest_name(tmp_path):
    message = error_of(write(tmp_path, "x.toml", ""), {"network.efect": 3.0})
    assert message == f"{tmp_path / 'x.toml'} (override): unknown key 'network.efect' — did you mean 'network.effect'?"


def test_a_bad_override_value_is_blamed_on_the_override(tmp_path):
    message = error_of(write(tmp_path, "x.toml", ""), {"users.count": -5})
    assert message.startswith(f"{tmp_path / 'x.toml'} (override): users.count = -5 is out of range: must be >= 1")


@pytest.mark.parametrize(
    "text, expected",
    [("network.effect=3", ("network.effect", 3)),
     ("network.effect = 2.5", ("network.effect", 2.5)),
     ("platforms.strategy=fixed", ("platforms.strategy", "fixed")),
     ('platforms.strategy="adaptive"', ("platforms.strategy", "adaptive")),
     ("bailout.enabled=true", ("bailout.enabled", True)),
     ("users.count=2_000", ("users.count", 2000)),
     ("users.outside_utility=none", ("users.outside_utility", "none"))],
)
def test_command_line_overrides_are_read_as_toml_values_or_else_as_words(text, expected):
    assert parse_override(text) == expected


@pytest.mark.parametrize(
    "text, reason",
    [("network.effect", "expected key=value"),
     ("=3", "expected key=value"),
     ("network.efect=3", "unknown key 'network.efect' — did you mean 'network.effect'?"),
     ("network.effect=", "no value given"),
     ("users.count=[1,", "cannot read the value '[1,'"),
     ('platforms.strategy="fixed', "cannot read the value"),
     ("users.count=3\nusers.review_rate=1", "on one line"),
     ("users.count=" + "[" * 5000 + "]" * 5000, "the value nests arrays or tables more than 20 deep"),
     ("users.count=" + "9" * 5000, "a number has too many digits to read"),
     ("users.count." + ".".join(["a"] * 3000) + "=1", "unknown key 'users.count.a.a.a")],
    ids=["no equals sign", "no key", "unknown key", "no value", "unclosed array", "unclosed string", "two lines",
         "nested too deep", "a number too long to read", "a key nested too deep"],
)
def test_bad_command_line_overrides_are_explained(text, reason):
    with pytest.raises(ParamsError) as caught:
        parse_override(text)
    message = str(caught.value)
    shown = repr(text) if len(repr(text)) <= 80 else repr(text)[:77] + "..."  # a long value is cut short
    assert message.startswith(f"--set {shown}: ") and reason in message and len(message) < 300


# -- writing parameters out --------------------------------------------------------------------
def test_resolved_parameters_round_trip_through_toml(tmp_path):
    params = load_params(BASELINE, {"users.count": 1234, "users.outside_utility": "none", "bailout.form": "equity",
                                    "platforms.market": "paid", "platforms.initial_user_price": -0.1, "network.effect": 1 / 3})
    assert load_params(write(tmp_path, "resolved.toml", params_to_toml(params))) == params


def test_resolved_toml_lists_every_table_and_key():
    assert set(params_to_dict(Params())) == set(Params.model_fields)
    text = params_to_toml(Params())
    for table in Params.model_fields:
        assert f"[{table}]" in text


def test_flatten_gives_every_parameter_under_its_dotted_key():
    flat = flatten(load_params(BASELINE, {"users.count": 77}))
    assert list(flat) == list(schema_fields()) and flat["users.count"] == 77


# -- the reference -----------------------------------------------------------------------------
def test_every_parameter_is_documented_with_unit_default_range_and_meaning():
    rows = parameter_reference()
    assert [row["key"] for row in rows] == list(flatten(Params()))
    for row in rows:
        assert row["unit"] and row["range"] and row["meaning"], row["key"]
        assert row["default"] == flatten(Params())[row["key"]]


@pytest.mark.parametrize(
    "key, shown",
    [("users.review_rate", "(0, 1]"), ("simulation.seed", ">= 0"), ("simulation.steps", "[1, 6000]"),
     ("platforms.quality_efficiency_spread", "[0, 1)"), ("platforms.strategy", '"adaptive" | "fixed"'),
     ("users.outside_utility", '[-100, 100] | "none"'), ("platforms.initial_user_price", "[-10000, 10000]"),
     ("bailout.enabled", "true | false")],
)
def test_ranges_are_written_as_intervals_conditions_or_choices(key, shown):
    assert {row["key"]: row["range"] for row in parameter_reference()}[key] == shown


def test_the_plain_text_reference_is_grouped_by_table():
    text = format_reference()
    for table in Params.model_fields:
        assert f"\n[{table}]\n" in text
    assert text.index("[users]") < text.index("users.count") < text.index("[network]")


def test_the_markdown_reference_has_a_row_per_parameter():
    rows = [line for line in reference_markdown().splitlines() if line.startswith("| `")]
    assert len(rows) == len(schema_fields())
    assert '| `platforms.strategy` | - | `"adaptive"` | "adaptive" \\| "fixed" |' in reference_markdown()


# -- every bound, as the schema states it ------------------------------------------------------
# Keys that also bound each other (min <= max) are covered by test_keys_that_bound_each_other_are_checked_together;
# cooperative.count and parent.platforms are bounded by platforms.count (tests/test_cooperatives.py, tests/test_parent.py).
PAIRED = {"platforms.min_user_price", "platforms.max_user_price", "market.min_sentiment", "market.max_sentiment",
          "cooperative.count", "parent.platforms"}
NUMERIC = {key: field for key, field in schema_fields().items() if field.annotation in (int, float) and key not in PAIRED}
BOUNDED = [(key, kind, limit) for key, field in NUMERIC.items() for kind, limit in bounds_of(field).items()]


@pytest.fixture(scope="module")
def paid_market(tmp_path_factory):
    """Defaults, in a paid market: there the user price is a lever too, so every bound can be set."""
    return write(tmp_path_factory.mktemp("params"), "paid.toml", '[platforms]\nmarket = "paid"\n')


@pytest.mark.parametrize("key, kind, limit", BOUNDED, ids=[f"{k} {kind} {v}" for k, kind, v in BOUNDED])
def test_a_bound_itself_is_allowed_only_if_inclusive(paid_market, key, kind, limit):
    value = int(limit) if NUMERIC[key].annotation is int else float(limit)
    if kind in ("ge", "le"):
        assert flatten(load_params(paid_market, {key: value}))[key] == value
    else:
        with pytest.raises(ParamsError, match=re.escape(key) + " = .* is out of range"):
            load_params(paid_market, {key: value})


def inside(field):
    """A strategy for values inside a field's bounds (wide but finite where it has none)."""
    b = bounds_of(field)
    low, high = b.get("ge", b.get("gt", -1e6)), b.get("le", b.get("lt", 1e6))
    if field.annotation is int:
        return st.integers(int(low) + ("gt" in b), int(high) - ("lt" in b))
    return st.floats(low, high, exclude_min="gt" in b, exclude_max="lt" in b, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(key=st.sampled_from(sorted(NUMERIC)), data=st.data())
def test_values_inside_the_bounds_validate(paid_market, key, data):
    value = data.draw(inside(NUMERIC[key]))
    assert flatten(load_params(paid_market, {key: value}))[key] == value


@settings(max_examples=150, deadline=None)
@given(bound=st.sampled_from(BOUNDED), distance=st.floats(1e-6, 1e9), data=st.data())
def test_values_outside_the_bounds_are_rejected_with_the_key(paid_market, bound, distance, data):
    key, kind, limit = bound
    value = limit - distance if kind in ("ge", "gt") else limit + distance
    if NUMERIC[key].annotation is int:
        value = math.floor(value) if kind in ("ge", "gt") else math.ceil(value)
    with pytest.raises(ParamsError) as caught:
        load_params(paid_market, {key: value})
    assert f"{key} = " in str(caught.value) and "is out of range: must be" in str(caught.value)
