"""The documentation stays true to the code."""

from model.params import reference_markdown
from tests.conftest import ROOT

ODD = (ROOT / "docs" / "ODD.md").read_text()


def section(name: str) -> str:
    return ODD.split(f"<!-- {name}:start -->", 1)[1].split(f"<!-- {name}:end -->", 1)[0].strip()


def test_odd_lists_every_parameter_as_the_schema_defines_it():
    assert section("parameters") == reference_markdown().strip()


def test_odd_shows_the_calibration_table():
    table = section("calibration")
    assert "| stylised fact | target | baseline median |" in table
    assert table.count("\n| ") >= 7  # a header, a rule and six facts


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "`make test`" in readme and "make test" in ci
