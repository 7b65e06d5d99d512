"""Parameter files: defaults, extends, overrides, and clear errors that name the file and the key."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.params import (
    Params,
    ParamsError,
    flatten,
    load_params,
    parameter_reference,
    params_to_toml,
    parse_override,
)
from model.params.files import _fields
from tests.conftest import BASELINE, NETWORK_ONLY


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(path, overrides=None) -> str:
    with pytest.raises(ParamsError) as caught:
        load_params(path, overrides)
    return str(caught.value)


def test_an_empty_file_gives_the_defaults(tmp_path):
    assert load_params(write(tmp_path, "empty.toml", "")) == Params()


def test_the_baseline_file_lists_every_parameter_at_its_default():
    text = BASELINE.read_text()
    assert load_params(BASELINE) == Params()
    for key in flatten(Params()):
        assert f"\n{key.split('.')[1]} = " in text, key


def test_extends_chain_merges_table_by_table(tmp_path):
    write(tmp_path, "a.toml", "[users]\ncount = 100\nreview_rate = 0.5\n")
    write(tmp_path, "b.toml", 'extends = "a.toml"\n[users]\ncount = 200\n')
    params = load_params(write(tmp_path, "c.toml", 'extends = "b.toml"\n[network]\neffect = 1.0\n'))
    assert (params.users.count, params.users.review_rate, params.network.effect) == (200, 0.5, 1.0)


def test_classroom_scenario_extends_the_baseline():
    params = load_params(NETWORK_ONLY)
    assert params.platforms.count == 2 and params.platforms.strategy == "fixed"
    assert params.users.review_rate == 1.0 and params.users.outside_utility == "none"
    assert params.advertisers.count == 0 and params.switching.base_cost == 0


def test_overrides_win_over_the_file():
    params = load_params(BASELINE, {"users.count": 5000, "platforms.strategy": "fixed"})
    assert params.users.count == 5000 and params.platforms.strategy == "fixed"


def test_unknown_key_suggests_the_closest_name(tmp_path):
    message = error_of(write(tmp_path, "x.toml", "[users]\ncont = 3\n"))
    assert "x.toml" in message and "users.cont" in message and "did you mean 'users.count'" in message


def test_unknown_table_suggests_the_closest_name(tmp_path):
    assert "did you mean 'users'" in error_of(write(tmp_path, "x.toml", "[userz]\ncount = 3\n"))


def test_wrong_type_names_the_key_and_the_expected_type(tmp_path):
    message = error_of(write(tmp_path, "x.toml", '[users]\ncount = "many"\n'))
    assert "users.count" in message and "expected a whole number" in message and "'many'" in message


def test_a_string_number_is_not_silently_converted(tmp_path):
    assert "users.count" in error_of(write(tmp_path, "x.toml", '[users]\ncount = "3"\n'))


def test_out_of_range_value_names_the_allowed_range_and_unit(tmp_path):
    message = error_of(write(tmp_path, "x.toml", "[users]\nreview_rate = 1.5\n"))
    assert "users.review_rate = 1.5 is out of range" in message and "(0, 1]" in message and "1/month" in message


def test_choice_fields_list_the_allowed_values(tmp_path):
    message = error_of(write(tmp_path, "x.toml", '[platforms]\nstrategy = "smart"\n'))
    assert '"adaptive" | "fixed"' in message


def test_all_problems_are_reported_not_just_the_first(tmp_path):
    message = error_of(write(tmp_path, "x.toml", "[users]\nreview_rate = 2.0\ncount = -1\n"))
    assert "users.review_rate" in message and "users.count" in message


def test_malformed_toml_reports_the_line(tmp_path):
    message = error_of(write(tmp_path, "x.toml", "[users]\ncount = 3\nreview_rate = \n"))
    assert "x.toml" in message and "malformed TOML" in message and "line 3" in message


def test_missing_file_is_named(tmp_path):
    assert "no such parameter file" in error_of(tmp_path / "nowhere.toml")


def test_missing_extends_names_both_files(tmp_path):
    message = error_of(write(tmp_path, "x.toml", 'extends = "gone.toml"\n'))
    assert "x.toml" in message and "gone.toml" in message and "does not exist" in message


def test_circular_extends_is_named(tmp_path):
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    message = error_of(tmp_path / "a.toml")
    assert "circular" in message and "a.toml -> " in message and "b.toml" in message


def test_inconsistent_bounds_are_rejected(tmp_path):
    message = error_of(write(tmp_path, "x.toml", "[platforms]\nmin_user_price = 5.0\nmax_user_price = 1.0\n"))
    assert "min_user_price" in message


def test_outside_utility_takes_a_number_or_none():
    assert load_params(BASELINE, {"users.outside_utility": "none"}).has_outside_option is False
    assert load_params(BASELINE, {"users.outside_utility": -1.0}).users.outside_utility == -1.0
    assert '"none"' in error_of(BASELINE, {"users.outside_utility": "nope"})


@pytest.mark.parametrize(
    "text, expected",
    [("network.effect=3", ("network.effect", 3)), ("platforms.strategy=fixed", ("platforms.strategy", "fixed")),
     ("bailout.enabled=true", ("bailout.enabled", True)), ('users.outside_utility="none"', ("users.outside_utility", "none"))],
)
def test_command_line_overrides_are_read_as_toml_values(text, expected):
    assert parse_override(text) == expected


@pytest.mark.parametrize("text", ["network.effect", "=3", "network.efect=3", "network.effect="])
def test_bad_command_line_overrides_are_explained(text):
    with pytest.raises(ParamsError, match="--set"):
        parse_override(text)


def test_resolved_parameters_round_trip_through_toml(tmp_path):
    params = load_params(BASELINE, {"users.count": 1234, "users.outside_utility": "none", "bailout.form": "equity"})
    assert load_params(write(tmp_path, "resolved.toml", params_to_toml(params))) == params


def test_every_parameter_is_documented_with_unit_default_range_and_meaning():
    rows = parameter_reference()
    assert {row["key"] for row in rows} == set(flatten(Params()))
    for row in rows:
        assert row["unit"] and row["range"] and row["meaning"], row["key"]


NUMERIC = {key: field for key, field in _fields().items() if field.annotation in (int, float)}


@settings(max_examples=60, deadline=None)
@given(key=st.sampled_from(sorted(NUMERIC)), data=st.data())
def test_values_inside_the_bounds_validate_and_outside_are_rejected(key, data):
    field = NUMERIC[key]
    bounds = {type(m).__name__: getattr(m, type(m).__name__.lower()) for m in field.metadata}
    low = bounds.get("Ge", bounds.get("Gt"))
    high = bounds.get("Le", bounds.get("Lt"))
    integer = field.annotation is int
    draw = st.integers if integer else lambda lo, hi: st.floats(lo, hi, allow_nan=False)
    lo = low if low is not None else -1e6
    hi = high if high is not None else 1e6
    if "Gt" in bounds:
        lo = lo + (1 if integer else 1e-9)
    if "Lt" in bounds:
        hi = hi - (1 if integer else 1e-9)
    value = data.draw(draw(lo, min(hi, lo + 1e6)))
    if key in {"platforms.min_user_price", "platforms.max_user_price", "market.min_sentiment", "market.max_sentiment"}:
        return  # bounded by each other too: covered by test_inconsistent_bounds_are_rejected
    assert load_params(BASELINE, {key: value}) is not None
    if low is not None:
        outside = low - 1 if integer else low - 1.0
        with pytest.raises(ParamsError, match=key.replace(".", r"\.")):
            load_params(BASELINE, {key: outside})
