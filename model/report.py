"""A run's report: one self-contained HTML file with its interactive charts and summary numbers.

``report.html`` holds the four charts of :func:`model.charts.run_charts` (phases shaded, tooltips,
export to PNG or SVG from each chart's menu), the summary numbers and the run's parameters. Vega,
Vega-Lite and vega-embed are written into the file (the bundle that vl-convert ships), and the
charts' data are inline, so the file opens from disk in any browser with no internet access.
``python -m model run`` writes it (:func:`model.outputs.write_run`).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import altair as alt

from model.charts import cache_folder, cached_text, chart_spec
from model.params import Params, flatten, params_to_toml

CHART_TITLES = {"shares": "Who has the users", "surplus": "Who gains, and when",
                "levers": "What the platforms offer", "money": "Who pays the platforms, and whom they pay"}
KNOBS = ("users.count", "platforms.count", "network.effect", "switching.base_cost", "switching.cost_per_month",
         "regulation.interoperability", "investors.patience_mean", "bailout.enabled")
EMBED_OPTIONS = {"renderer": "svg", "actions": {"export": True, "source": False, "compiled": False, "editor": False}}

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 1000px;
       color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { padding: 0.2em 0.8em; text-align: left;
       border-bottom: 1px solid #e5e5e5; vertical-align: top; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
.chart { margin: 1em 0 2em; } .lead { color: #555; } pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
.error { color: #b00; }
"""

_LOADER = """
for (const holder of document.querySelectorAll("div.chart[data-chart]")) {
  const name = holder.dataset.chart;
  const spec = JSON.parse(document.getElementById("spec-" + name).textContent);
  vegaEmbed(holder, spec, EMBED_OPTIONS)
    .then(() => holder.setAttribute("data-rendered", "true"))
    .catch(error => { holder.classList.add("error"); holder.textContent = "This chart could not be drawn: " + error; });
}
"""


def javascript_bundle() -> str:
    """Vega, Vega-Lite (Altair's version) and vega-embed as one script that defines ``vegaEmbed``,
    kept on disk between runs (:func:`report_bundle_path`): vl-convert takes 1.7 s to build it."""
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    version = vl_version_for_vl_convert()
    return cached_text(report_bundle_path(), lambda: vl_convert.javascript_bundle(vl_version=version))


def report_bundle_path() -> Path:
    """Where the report's JavaScript bundle is kept (model.charts.cache_folder): one file per version of
    Vega-Lite and of vl-convert."""
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    return cache_folder() / f"report-bundle-{vl_version_for_vl_convert()}-vl-convert-{vl_convert.__version__}.js"


def _script_json(value) -> str:
    """JSON safe inside a <script> element (no "</" that could close it)."""
    return json.dumps(value, allow_nan=False).replace("</", "<\\/")


def _month(month) -> str:
    return "not reached" if month is None else f"month {month} (year {month / 12:.1f})"


def _money(value) -> str:
    return "n/a" if value is None else f"{value:,.0f} $"


def _share(value) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _number(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def summary_rows(summary: dict) -> list[tuple[str, str]]:
    """The summary's main numbers as (what, value) rows, in words; missing entries are left out."""
    rows: list[tuple[str, str]] = []
    transitions = summary.get("phase_transitions") or {}
    for phase in ("lock-in", "extraction", "decline"):
        if phase in transitions:
            rows.append((f"{phase.capitalize()} starts", _month(transitions[phase])))
    if summary.get("leader_id") is not None:
        rows.append(("Leader at the end", f"platform {summary['leader_id']}, {_share(summary.get('leader_final_share'))} of platform users"))
    if summary.get("final_hhi") is not None:
        rows.append(("Concentration at the end (HHI)", f"{summary['final_hhi']:.2f}"))
    for key, label in (("active_platforms", "Platforms active at the end"), ("failures", "Platform failures"),
                       ("acquisitions", "Acquisitions"), ("blocked_mergers", "Mergers blocked"), ("entries", "Entrants")):
        if key in summary:
            rows.append((label, _number(summary[key])))
    peaks = summary.get("peaks") or {}
    for key, label in (("leader_user_surplus", "users' surplus per user"),
                       ("leader_advertiser_surplus", "advertisers' surplus"),
                       ("leader_advertiser_surplus_per_dollar", "advertisers' surplus per dollar"), ("leader_profit", "profit")):
        if key in peaks:
            rows.append((f"Peak of the leader's {label}", _month(peaks[key])))
    advertisers = summary.get("advertisers") or {}
    if advertisers.get("surplus_per_dollar_fall") is not None:
        rows.append(("Advertisers' surplus per dollar, fall from its peak to the last year",
                     f"{advertisers['surplus_per_dollar_fall']:.0%}"))
    public = summary.get("public_cost") or {}
    if public:
        rows.append(("Public money: disbursed / recovered / net cost",
                     " / ".join(_money(public.get(k)) for k in ("disbursed", "recovered", "net"))
                     + f" ({_number(public.get('rescues', 0))} rescues)"))
        if "total" in public:
            rows.append(("Public cost of rescues: net + subsidy + deadweight of taxes",
                         " + ".join(_money(public.get(k)) for k in ("net", "subsidy", "deadweight"))
                         + f" = {_money(public['total'])}"))
            rows.append(("Paid by rescued platforms to private holders", _money(public.get("payouts_after_rescue"))))
    if "total_payouts" in summary:
        rows.append(("Paid out to shareholders", _money(summary["total_payouts"])))
    if "pioneer_share_of_payouts" in summary:
        rows.append(("Pioneers' share of the payouts", _share(summary["pioneer_share_of_payouts"])))
    return rows


def report_html(charts: dict[str, alt.TopLevelMixin | dict], summary: dict, params: Params, title: str | None = None) -> str:
    """The report as one HTML document (about 1 MB, most of it the Vega JavaScript); ``charts`` by name,
    as charts or their specs (model.charts.chart_spec)."""
    specs = {name: chart_spec(chart) for name, chart in charts.items()}
    values = flatten(params)
    title = title or (f"Platform economy: {summary.get('steps', params.simulation.steps)} months, "
                      f"{params.users.count:,} users, seed {params.simulation.seed}")
    table = "\n".join(f"<tr><td>{html.escape(what)}</td><td>{html.escape(value)}</td></tr>"
                      for what, value in summary_rows(summary))
    knobs = "\n".join(f"<tr><td><code>{html.escape(key)}</code></td><td class='number'>{html.escape(_number(values[key]))}</td></tr>"
                      for key in KNOBS if key in values)
    sections = "\n".join(
        f'<div class="chart" id="chart-{name}" data-chart="{name}" aria-label="{html.escape(CHART_TITLES.get(name, name))}"></div>\n'
        f'<script type="application/json" id="spec-{name}">{_script_json(spec)}</script>'
        for name, spec in specs.items())
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="platform-economy (python -m model run)">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style>
<script>
// Vega, Vega-Lite and vega-embed (bundled by vl-convert): the report needs no internet.
{javascript_bundle()}
</script>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p class="lead">Phases (growth, lock-in, extraction, decline) are detected from the run and shaded behind every
chart. Hover over a chart for the values; its menu (&hellip;) saves it as PNG or SVG.</p>
<h2>The run in numbers</h2>
<table id="summary">
{table}
</table>
<h2>Main knobs</h2>
<table id="knobs">
{knobs}
</table>
<h2>Charts</h2>
{sections}
<h2>All parameters and the full summary</h2>
<details><summary>params.toml</summary><pre>{html.escape(params_to_toml(params))}</pre></details>
<details><summary>summary.json</summary><pre>{html.escape(json.dumps(summary, indent=2))}</pre></details>
<script>
const EMBED_OPTIONS = {_script_json(EMBED_OPTIONS)};
{_LOADER}
</script>
</body>
</html>
"""


def write_report(path: str | Path, charts: dict[str, alt.TopLevelMixin | dict], summary: dict, params: Params,
                 title: str | None = None) -> Path:
    """Write :func:`report_html` to ``path``."""
    path = Path(path)
    path.write_text(report_html(charts, summary, params, title), encoding="utf-8")
    return path
