"""report.html: written with the run, one self-contained file (no script or style fetched), the charts' specs inside."""

import html
import json
import re

import pytest

from model import charts
from model.cli import main
from model.outputs import write_run
from model.report import report_html, summary_rows
from tests.conftest import run, scenario

REMOTE = re.compile(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?\s*(https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def economy():
    return run(scenario(users__count=400, simulation__steps=72, simulation__seed=5))


@pytest.fixture(scope="module")
def report(economy, tmp_path_factory):
    out = write_run(economy, tmp_path_factory.mktemp("run") / "run")
    return (out / "report.html").read_text(encoding="utf-8")


def specs_in(text: str) -> dict[str, dict]:
    return {name: json.loads(body.replace("<\\/", "</")) for name, body in
            re.findall(r'<script type="application/json" id="spec-(\w+)">(.*?)</script>', text, re.DOTALL)}


def test_the_report_is_written_with_the_run(report):
    assert report.startswith("<!DOCTYPE html>") and report.rstrip().endswith("</html>")


def test_no_script_style_or_image_is_fetched(report):
    assert not REMOTE.search(report)
    assert not re.search(r"<script\b[^>]*\bsrc\s*=", report, re.IGNORECASE)  # every script is inline
    assert not re.search(r"@import|url\(\s*['\"]?https?:", report)


def test_vega_is_inlined(report):
    assert "window.vegaEmbed=" in report.replace(" ", "")
    assert len(report) > 500_000  # Vega, Vega-Lite and vega-embed are about 0.9 MB


def test_the_report_holds_the_four_charts_of_the_run(economy, report):
    specs = specs_in(report)
    assert set(specs) == {"shares", "surplus", "levers", "money"}
    expected = charts.run_charts(economy.model_frame(), economy.platform_frame(), economy.ledger_frame())
    for name, chart in expected.items():
        assert specs[name] == json.loads(json.dumps(chart.to_dict())), name
        assert f'data-chart="{name}"' in report
    assert "phase" in json.dumps(specs["shares"])  # the phases are shaded


def test_the_chart_data_are_inline(report):
    for name, spec in specs_in(report).items():
        body = json.dumps({key: value for key, value in spec.items() if key != "$schema"})
        assert "http" not in body and '"url"' not in body, name


def test_the_summary_numbers_are_shown(economy, report):
    summary = economy.summary()
    for what, value in summary_rows(summary):
        assert html.escape(what) in report and html.escape(value) in report
    assert f"{summary['final_hhi']:.2f}" in report
    assert "network.effect" in report  # the knobs and the parameters


def test_a_report_with_a_closing_tag_in_a_title_stays_well_formed(economy):
    made = charts.run_charts(economy.model_frame(), economy.platform_frame(), economy.ledger_frame())
    made["shares"] = made["shares"].properties(title="</script><b>")
    text = report_html(made, economy.summary(), economy.params, title="<run>")
    assert "</script><b>" not in text and "&lt;run&gt;" in text
    assert specs_in(text)["shares"]["title"] == "</script><b>"


def test_the_command_line_writes_it(tmp_path, root):
    out = tmp_path / "cli"
    code = main(["run", str(root / "params" / "baseline.toml"), "--out", str(out), "--set", "users.count=200",
                 "--steps", "24", "--no-progress"])
    assert code == 0
    assert set(specs_in((out / "report.html").read_text(encoding="utf-8"))) == {"shares", "surplus", "levers", "money"}


def test_a_failed_report_leaves_nothing_behind(economy, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("model.report.write_report", broken)  # model.outputs imports it when it writes
    with pytest.raises(OSError):
        write_run(economy, tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_the_reports_javascript_is_built_once_and_read_by_later_runs(tmp_path, monkeypatch):
    """vl-convert's bundle of Vega for the report is kept on disk: a later run reads it, and an empty
    cache file is built again, never served."""
    from model import report

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = report.javascript_bundle()
    path = report.report_bundle_path()
    assert "vegaEmbed" in built and path.parent == tmp_path / "platform-economy"
    assert path.read_text(encoding="utf-8") == built
    written = path.stat().st_mtime_ns
    assert report.javascript_bundle() == built and path.stat().st_mtime_ns == written  # read, not rebuilt
    path.write_text("")
    assert report.javascript_bundle() == built and path.read_text(encoding="utf-8") == built  # rebuilt
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left
