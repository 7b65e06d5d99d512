"""The documentation stays true to the code."""

import json

import pytest

from model.estimation import results_markdown
from model.params import reference_markdown
from tests.conftest import ROOT

ODD = (ROOT / "docs" / "ODD.md").read_text()


def section(name: str) -> str:
    return ODD.split(f"<!-- {name}:start -->", 1)[1].split(f"<!-- {name}:end -->", 1)[0].strip()


def test_odd_lists_every_parameter_as_the_schema_defines_it():
    assert section("parameters") == reference_markdown().strip()


@pytest.mark.parametrize("results", sorted((ROOT / "docs" / "calibration").glob("*/calibration.json")),
                         ids=lambda path: path.parent.name)
def test_odd_shows_each_case_estimate_as_its_committed_results_say(results):
    """ODD section 7's tables are those `calibrate --odd` writes from the committed results, number for number."""
    content = json.loads(results.read_text())
    assert section(f"calibration:{content['case']}") == results_markdown(content).strip()


def test_odd_has_a_table_for_every_case_file():
    from model.cases import available_cases, load_case

    for path in available_cases():
        assert f"<!-- calibration:{load_case(path).name}:start -->" in ODD, path


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "`make test`" in readme and "make test" in ci


def test_the_knob_census_covers_every_knob_and_every_shipped_scenario():
    """docs/knobs.md comes from a census of about an hour and a half that the suite cannot repeat (its header
    gives the command; the suite screens every knob at a tiny size instead, tests/test_screen.py). A knob or
    a scenario added since the census ran is missing from it: run the census again."""
    import re

    from model.params.reference import schema_fields

    census = (ROOT / "docs" / "knobs.md").read_text()
    listed = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", census, flags=re.MULTILINE))
    assert set(schema_fields()) <= listed, f"not in docs/knobs.md: {sorted(set(schema_fields()) - listed)}"
    screened = re.search(r"^Scenarios \(\d+\): (.+)\.$", census, flags=re.MULTILINE).group(1).split(", ")
    shipped = {"baseline", *(path.stem for path in (ROOT / "params" / "scenarios").glob("*.toml"))}
    assert shipped <= set(screened), f"scenarios not in the census: {sorted(shipped - set(screened))}"
