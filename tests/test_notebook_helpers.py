"""What the notebooks share (model/notebook.py): the repository's folder, and results written as sentences."""

import math

import pytest

from model import notebook
from model.notebook import DOLLAR, dollars, escape_dollars, find_root, known_parameter, when
from tests.conftest import ROOT


def test_the_repository_is_found_from_its_notebooks_folder_and_from_elsewhere(tmp_path):
    assert find_root(ROOT / "notebooks") == ROOT
    assert find_root(tmp_path) == ROOT  # Jupyter started outside the repository: found from the package
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "baseline.toml").write_text("")
    assert find_root(tmp_path / "a" / "b") == tmp_path


def test_a_notebook_outside_any_repository_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setattr(notebook, "PACKAGE_PARENT", tmp_path / "site-packages")
    with pytest.raises(FileNotFoundError, match="params/baseline.toml not found in .*site-packages"):
        find_root(tmp_path)


def test_dollar_signs_outside_code_cannot_open_a_formula():
    text = "investors put $3.0 million in; advertisers paid $3.2 million; `price = $4`"
    escaped = escape_dollars(text)
    assert escaped == (f"investors put {DOLLAR}3.0 million in; advertisers paid {DOLLAR}3.2 million; "
                       "`price = $4`")
    assert "$" not in escaped.replace("`price = $4`", "")  # no raw sign left for a typesetter to pair


def test_months_are_told_in_months_and_years_and_missing_events_as_never():
    assert when(117) == "month 117 (year 9.8)"
    assert when(None) == when(math.nan) == "never"


@pytest.mark.parametrize("amount, words", [(3_049_000, "$3.0 million"), (35_400.4, "$35,400"), (4.5, "$4.50"),
                                           (0, "$0"), (-2000, "-$2,000"), (-1_250_000, "-$1.2 million")])
def test_amounts_are_told_in_dollars(amount, words):
    assert dollars(amount) == words


def test_a_parameter_the_model_has_is_named_back():
    assert known_parameter("entry.rate") == "entry.rate"
    assert known_parameter("suppliers.enabled") == "suppliers.enabled"


@pytest.mark.parametrize("key, message", [
    ("platforms.entr", r"no parameter 'entr' in the \[platforms\] table.*its keys are .*count"),
    ("supplier.enabled", r"no parameter table \[supplier\] .*did you mean suppliers"),
    ("entry.rates", r"no parameter .rates. in the \[entry\] table \(did you mean rate\b"),
])
def test_a_parameter_the_model_lacks_is_an_error_not_a_missing_mechanism(key, message):
    with pytest.raises(KeyError, match=message):
        known_parameter(key)
