"""Charts (Altair) of a run, with the detected phases shaded; PNG export offline via vl-convert.

Every chart puts months on the x axis (ticks labelled in years) and shades the phases detected
in the model frame's ``phase`` column behind the data. Each platform keeps one colour in every
chart. Data are embedded in the specs (never a URL), so the charts render without the internet;
:func:`use_offline_renderer` makes notebooks draw them without the internet too.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path

import altair as alt
import pandas as pd
from altair.utils.schemapi import debug_mode

from model import metrics

PHASE_COLOURS = {"growth": "#c6dbef", "lock-in": "#fdd49e", "extraction": "#fcae91", "decline": "#d9d9d9"}
PLATFORM_PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756",
                    "#72b7b2", "#eeca3b", "#9d755d", "#ff9da6", "#79706e"]
OTHER_PLATFORMS = "other platforms"
OTHER_COLOUR = "#bab0ac"
MAX_PLATFORMS = 8  # more lines than this cannot be told apart; the rest are summed or left out
WIDTH, HEIGHT = 640, 260

# Money into (+1) or out of (-1) the platforms, by ledger kind: label and colour, in stacking order.
# Paired hues: a darker one for what a group pays in, a lighter one for what it gets back.
FLOWS = {
    "ad_spend": ("advertisers pay for ads", "#4c78a8"),
    "subscription": ("users pay subscriptions", "#2f7d32"),
    "equity": ("investors buy shares", "#f58518"),
    "bailout": ("taxpayers rescue platforms", "#d62728"),
    "creditor_loss": ("unpaid bills written off", "#79706e"),
    "operating_costs": ("running costs", "#bab0ac"),
    "subsidy": ("subsidies to users", "#98df8a"),
    "dividend": ("payouts to shareholders", "#ffbb78"),
    "loan_repayment": ("returned to taxpayers", "#ff9896"),
}
OTHER_IN, OTHER_OUT = ("other money in", "#393b79"), ("other money out", "#9c9ede")


# -- shared pieces (also used by the sweep charts, the comparison chart and the explorer) ---------
class SharedRecords(alt.InlineDataset):
    """A frame's records as a chart's data, shared by the copies Altair makes of a chart at each
    ``encode``, ``layer`` or ``concat`` instead of copied record by record (nothing changes them)."""

    def __deepcopy__(self, memo=None) -> SharedRecords:
        return self


class InlineRecords(alt.InlineData):
    """Inline data whose records Altair does not check against the Vega-Lite schema when it gathers a
    chart's datasets: they are a frame's records (numbers, strings and nulls), always valid data.
    (Altair checks the datasets of a chart written out nowhere else: only the rest of the chart.)"""

    def to_dict(self, validate: bool = True, *, ignore=None, context=None) -> dict:
        return super().to_dict(validate=False, ignore=ignore, context=context)


def inline_data(frame: pd.DataFrame) -> alt.InlineData:
    """The frame as inline records (NaN as null).

    Inline values are not subject to Altair's 5,000-row limit, which the platform frame of a
    long run with many platforms exceeds; the charts only ever pass the columns they draw.
    The records are not checked against the Vega-Lite schema (InlineRecords), and the copies of a
    chart share them (SharedRecords): building and writing out the run's four charts took 1.35 s,
    most of it checking and copying the same records, and takes a third of that so. The chart
    written out is the same (tests/test_charts.py).
    """
    clean = frame.astype(object).where(frame.notna(), None)
    with debug_mode(False):
        return InlineRecords(values=SharedRecords(clean.to_dict(orient="records")))


def final_month(model_frame: pd.DataFrame) -> int:
    """The last month recorded in a model frame (12 for an empty frame, so that an axis still has a year)."""
    return int(model_frame["step"].max()) if len(model_frame) else 12


def month_axis(last_month: int, field: str = "step") -> alt.X:
    """Months on the x axis, a tick at the start of every year (fewer on long runs), labelled in years."""
    years_per_tick = max(1, math.ceil(last_month / 12 / 20))
    ticks = list(range(0, last_month + 1, 12 * years_per_tick))
    return alt.X(
        f"{field}:Q",
        title="Years since the market opened",
        scale=alt.Scale(domain=[0, last_month], nice=False, zero=True),
        axis=alt.Axis(values=ticks, labelExpr="datum.value / 12", grid=True),
    )


def chart_title(text: str, *subtitle: str) -> alt.Title:
    """A chart's title, left-aligned, with one subtitle line per further argument (how to read the chart)."""
    return alt.Title(text, subtitle=list(subtitle) if subtitle else alt.Undefined, anchor="start")


def _platform_ids(platform_frame: pd.DataFrame) -> list[int]:
    """The platforms to draw: all of them, or the MAX_PLATFORMS with most users at their peak."""
    if platform_frame.empty:
        return []
    peaks = platform_frame.groupby("platform_id")["users"].max().sort_values(ascending=False, kind="stable")
    return sorted(int(pid) for pid in peaks.index[:MAX_PLATFORMS])


def _leader(platform_frame: pd.DataFrame) -> int | None:
    return metrics.leader_id(platform_frame) if not platform_frame.empty else None


def platform_label(platform_id: int, leader: int | None) -> str:
    """How a platform is named in every legend: "platform 2 (leader)" for the eventual leader."""
    return f"platform {platform_id}" + (" (leader)" if platform_id == leader else "")


def _platform_colours(platform_frame: pd.DataFrame, other: bool = False) -> alt.Scale:
    """One colour per platform, chosen by its id, so a platform looks the same in every chart."""
    leader = _leader(platform_frame)
    ids = _platform_ids(platform_frame)
    domain = [platform_label(pid, leader) for pid in ids]
    colours = [PLATFORM_PALETTE[pid % len(PLATFORM_PALETTE)] for pid in ids]
    if other:
        domain, colours = domain + [OTHER_PLATFORMS], colours + [OTHER_COLOUR]
    return alt.Scale(domain=domain, range=colours)


def _labelled(platform_frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The drawn platforms' rows with a ``platform`` label, up to the month each one failed."""
    ids = _platform_ids(platform_frame)
    rows = platform_frame[platform_frame["platform_id"].isin(ids)].sort_values(["platform_id", "step"])
    # A failed platform's line ends at its failure instead of running along zero to the end.
    failed_before = rows["status"].eq("failed").groupby(rows["platform_id"]).transform(lambda s: s.shift(fill_value=False).cummax())
    rows = rows[~failed_before]
    labelled = rows[["step", *columns]].copy()
    leader = _leader(platform_frame)
    labelled["platform"] = [platform_label(int(pid), leader) for pid in rows["platform_id"]]
    return labelled


def phase_bands(model_frame: pd.DataFrame) -> alt.Chart:
    """Background rectangles, one per contiguous run of a phase, coloured by phase, with a legend.

    Month m covers the interval (m - 1, m] on the x axis, so adjoining bands meet exactly.
    """
    phases = model_frame[["step", "phase"]].sort_values("step")
    run = (phases["phase"] != phases["phase"].shift()).cumsum()
    runs = phases.groupby(run).agg(phase=("phase", "first"), first=("step", "min"), last=("step", "max"))
    runs["start"] = runs["first"] - 1
    present = [phase for phase in PHASE_COLOURS if phase in set(runs["phase"])]
    return (
        alt.Chart(inline_data(runs[["phase", "start", "first", "last"]]))
        .mark_rect(opacity=0.55)
        .encode(
            x=month_axis(final_month(model_frame), "start"),
            x2=alt.X2("last:Q"),
            color=alt.Color(
                "phase:N",
                title="Phase (shaded)",
                scale=alt.Scale(domain=present, range=[PHASE_COLOURS[p] for p in present]),
                legend=alt.Legend(orient="right", symbolType="square"),
            ),
            tooltip=[alt.Tooltip("phase:N", title="phase"), alt.Tooltip("first:Q", title="from month"),
                     alt.Tooltip("last:Q", title="to month")],
        )
    )


def over_phase_bands(model_frame: pd.DataFrame, *layers: alt.Chart) -> alt.LayerChart:
    """Data layers drawn over the phase bands; the bands keep their own colour legend."""
    return alt.layer(phase_bands(model_frame), *layers).resolve_scale(color="independent")


# -- the charts ---------------------------------------------------------------------------------
def shares_chart(model_frame: pd.DataFrame, platform_frame: pd.DataFrame) -> alt.LayerChart:
    """Each platform's share of users, and the market's concentration (HHI) as a dashed line."""
    x = month_axis(final_month(model_frame))
    shares = _labelled(platform_frame, ["share"])
    drawn = set(_platform_ids(platform_frame))
    rest = platform_frame[~platform_frame["platform_id"].isin(drawn)]
    if not rest.empty:  # many platforms: the small ones as one line
        other = rest.groupby("step", as_index=False)["share"].sum().assign(platform=OTHER_PLATFORMS)
        shares = pd.concat([shares, other], ignore_index=True)
    y = alt.Y("share:Q", title="Share of platform users", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    lines = (
        alt.Chart(inline_data(shares))
        .mark_line(strokeWidth=2.5)
        .encode(x=x, y=y, color=alt.Color("platform:N", title="Platform", scale=_platform_colours(platform_frame, not rest.empty)),
                tooltip=[alt.Tooltip("platform:N"), alt.Tooltip("step:Q", title="month"), alt.Tooltip("share:Q", format=".1%")])
    )
    hhi = model_frame[["step", "hhi"]].assign(series="concentration (HHI)")
    hhi_line = (
        alt.Chart(inline_data(hhi))
        .mark_line(color="black", strokeDash=[6, 3], strokeWidth=1.5)
        .encode(x=x, y=alt.Y("hhi:Q"),
                strokeDash=alt.StrokeDash("series:N", title="Market", scale=alt.Scale(range=[[6, 3]])),
                tooltip=[alt.Tooltip("step:Q", title="month"), alt.Tooltip("hhi:Q", title="HHI", format=".2f")])
    )
    threshold = pd.DataFrame({"hhi": [metrics.CONCENTRATED_HHI], "label": ["HHI 0.18: highly concentrated"]})
    rule = alt.Chart(inline_data(threshold)).mark_rule(color="black", strokeDash=[1, 3], opacity=0.6).encode(y=alt.Y("hhi:Q"))
    label = alt.Chart(inline_data(threshold)).mark_text(align="right", dy=-6, x="width", fontSize=10, color="#444").encode(
        y=alt.Y("hhi:Q"), text=alt.Text("label:N"))
    return over_phase_bands(model_frame, lines, hhi_line, rule, label).properties(
        width=WIDTH, height=HEIGHT,
        title=chart_title("Who has the users", "Each platform's share of all platform users, month by month.",
                          "HHI (dashed) measures concentration: 1 = one platform has everyone."),
    )


def _peak_scaled(trend: pd.Series) -> tuple[pd.Series, int | None]:
    """A trend (a 12-month average) divided by its highest value, and the month of its peak.

    The peak month is :func:`model.metrics.peak_of_trend`, the one the run's summary reports.
    """
    trend = trend.dropna()
    peak = trend.max() if not trend.empty else float("nan")
    # A series that never turns positive (a leader that never profits) is scaled by its size instead.
    scale = peak if peak > 0 else (trend.abs().max() or 1.0)
    return trend / scale, metrics.peak_of_trend(trend)


def surplus_chart(model_frame: pd.DataFrame, platform_frame: pd.DataFrame) -> alt.LayerChart:
    """The leader's users' surplus per user, its advertisers' surplus per dollar and its profit, each against its own peak."""
    x = month_axis(final_month(model_frame))
    leader_id = _leader(platform_frame)
    leader = metrics.leader_series(platform_frame) if leader_id is not None else pd.DataFrame(
        columns=["users", "user_surplus", "advertiser_surplus", "advertiser_spend", "profit"], dtype=float)
    series = {  # each on its trend, as the summary reads its peak
        "users' surplus per user": metrics.smooth(leader["user_surplus"].where(leader["users"] > 0).dropna()),
        "advertisers' surplus per dollar": metrics.per_dollar(leader["advertiser_surplus"], leader["advertiser_spend"]),
        "platform's profit": metrics.smooth(leader["profit"].dropna()),
    }
    lines, peaks = [], []
    for name, values in series.items():
        scaled, peak = _peak_scaled(values.astype(float))
        when = f" (peak: year {peak / 12:.1f})" if peak is not None else ""
        lines.append(pd.DataFrame({"step": scaled.index.astype(int), "value": scaled.to_numpy(), "series": name + when}))
        if peak is not None:
            peaks.append({"step": peak, "value": float(scaled.get(peak, 1.0)), "series": name + when})
    data = pd.concat(lines, ignore_index=True) if lines else pd.DataFrame(columns=["step", "value", "series"])
    low = max(-2.0, min(-0.1, float(data["value"].min()) if data["value"].notna().any() else 0.0))
    colour = alt.Color("series:N", title="The leader's", sort=list(data["series"].unique()),
                       scale=alt.Scale(range=["#2f7d32", "#4c78a8", "#d62728"]), legend=alt.Legend(labelLimit=320))
    y = alt.Y("value:Q", title="Share of its own peak (1 = peak)", scale=alt.Scale(domain=[low, 1.05], clamp=True))
    curves = alt.Chart(inline_data(data)).mark_line(strokeWidth=2.5).encode(
        x=x, y=y, color=colour, tooltip=[alt.Tooltip("series:N"), alt.Tooltip("step:Q", title="month"), alt.Tooltip("value:Q", format=".2f")])
    dots = alt.Chart(inline_data(pd.DataFrame(peaks, columns=["step", "value", "series"]))).mark_point(
        filled=True, size=90, stroke="white", strokeWidth=1, opacity=1).encode(x=x, y=y, color=colour.legend(None))
    zero = alt.Chart(inline_data(pd.DataFrame({"value": [0.0]}))).mark_rule(color="#555").encode(y=alt.Y("value:Q"))
    cut = " Losses deeper than twice the peak profit run off the bottom." if low <= -2.0 else ""
    name = platform_label(leader_id, None) if leader_id is not None else "no platform"
    return over_phase_bands(model_frame, zero, curves, dots).properties(
        width=WIDTH, height=HEIGHT,
        title=chart_title(f"Who gains, and when: {name}, the leader at the end",
                          "Each line is a 12-month average divided by its own peak, so the three peaks can be compared;",
                          "the dots mark each peak. Below 0: the platform loses money." + cut),
    )


def levers_chart(platform_frame: pd.DataFrame, model_frame: pd.DataFrame | None = None) -> alt.VConcatChart:
    """Ad load and quality of each platform, one panel each (phases shaded if ``model_frame`` is given)."""
    last = int(platform_frame["step"].max()) if len(platform_frame) else 12
    x = month_axis(last)
    data = _labelled(platform_frame, ["ad_load", "quality"])
    colour = alt.Color("platform:N", title="Platform", scale=_platform_colours(platform_frame))
    panels = []
    for column, axis_title, fmt, heading in (
        ("ad_load", "Share of the feed that is ads", "%", "Ads: how much of what users see is advertising"),
        ("quality", "Quality (model index)", "~g", "Quality: what the platform spends on content and service buys"),
    ):
        lines = alt.Chart(inline_data(data)).mark_line(strokeWidth=2).encode(
            x=x, y=alt.Y(f"{column}:Q", title=axis_title, axis=alt.Axis(format=fmt)), color=colour,
            tooltip=[alt.Tooltip("platform:N"), alt.Tooltip("step:Q", title="month"), alt.Tooltip(f"{column}:Q", format=".2f")])
        panel = over_phase_bands(model_frame, lines) if model_frame is not None and len(model_frame) else lines
        panels.append(panel.properties(width=WIDTH, height=HEIGHT * 2 // 3, title=alt.Title(heading, anchor="start", fontSize=12)))
    return alt.vconcat(*panels).properties(
        title=chart_title("What the platforms offer their users", "A failed platform's lines stop when it fails."))


def _platform_cash_flows(ledger_frame: pd.DataFrame) -> pd.DataFrame:
    """Money into (+) and out of (-) the platforms, per ledger row, with a plain-language flow label.

    Transfers between two platforms, or between accounts that are not platforms, are left out.
    """
    payer_is_platform = ledger_frame["payer"].astype(str).str.startswith("platform:")
    payee_is_platform = ledger_frame["payee"].astype(str).str.startswith("platform:")
    rows = ledger_frame[payer_is_platform != payee_is_platform]
    inflow = payee_is_platform[rows.index]
    kinds = rows["kind"].astype(str).where(
        ~(rows["kind"].eq("dividend") & rows["payee"].eq("government")), "loan_repayment")  # dividends on a public stake
    labels = [FLOWS[k][0] if k in FLOWS else (OTHER_IN if is_in else OTHER_OUT)[0] for k, is_in in zip(kinds, inflow)]
    return pd.DataFrame({
        "step": rows["step"].to_numpy(),
        "flow": labels,
        "amount": rows["amount"].to_numpy(dtype=float) * inflow.map({True: 1.0, False: -1.0}).to_numpy(),
    })


def money_chart(ledger_frame: pd.DataFrame, model_frame: pd.DataFrame) -> alt.LayerChart:
    """Where the platforms' money comes from and where it goes: yearly sums by kind, stacked bars."""
    last = final_month(model_frame)
    flows = _platform_cash_flows(ledger_frame)
    # The founding round is booked in month 0; it counts in the first year.
    flows["year"] = (flows["step"].clip(lower=1) - 1) // 12
    yearly = flows.groupby(["year", "flow"], as_index=False)["amount"].sum()
    order = [label for label, _ in FLOWS.values()] + [OTHER_IN[0], OTHER_OUT[0]]
    colours = dict([*FLOWS.values(), OTHER_IN, OTHER_OUT])
    present = [label for label in order if label in set(yearly["flow"])]
    yearly["rank"] = yearly["flow"].map({label: i for i, label in enumerate(order)})
    yearly = yearly[yearly["amount"] != 0].sort_values(["year", "rank"])
    # Stacked by hand: money in piles up from zero, money out piles down.
    yearly["top"] = yearly.groupby(["year", yearly["amount"] > 0])["amount"].cumsum()
    yearly["bottom"] = yearly["top"] - yearly["amount"]
    yearly["start"] = yearly["year"] * 12 + 1
    yearly["end"] = ((yearly["year"] + 1) * 12 - 1).clip(upper=last)
    yearly["year"] = yearly["year"] + 1
    bars = alt.Chart(inline_data(yearly[["year", "flow", "amount", "top", "bottom", "start", "end"]])).mark_rect(
        stroke="white", strokeWidth=0.5).encode(
        x=month_axis(last, "start"), x2=alt.X2("end:Q"),
        y=alt.Y("bottom:Q", title="Dollars per year (in above 0, out below)", axis=alt.Axis(format="$.2~s")),
        y2=alt.Y2("top:Q"),
        color=alt.Color("flow:N", title="Flow", sort=present,
                        scale=alt.Scale(domain=present, range=[colours[label] for label in present])),
        tooltip=[alt.Tooltip("year:Q", title="year"), alt.Tooltip("flow:N"), alt.Tooltip("amount:Q", format="$,.0f")],
    )
    zero = alt.Chart(inline_data(pd.DataFrame({"bottom": [0.0]}))).mark_rule(color="black").encode(y=alt.Y("bottom:Q"))
    return over_phase_bands(model_frame, bars, zero).properties(
        width=WIDTH, height=HEIGHT,
        title=chart_title("Who pays the platforms, and whom they pay",
                          "Money into all platforms (above the line) and out of them (below), summed per year.",
                          "Each bar is one year; the shading shows the phase of each month."),
    )


def run_charts(model_frame: pd.DataFrame, platform_frame: pd.DataFrame, ledger_frame: pd.DataFrame) -> dict[str, alt.TopLevelMixin]:
    """The four charts of a run, by name (the names of their PNG files)."""
    return {
        "shares": shares_chart(model_frame, platform_frame),
        "surplus": surplus_chart(model_frame, platform_frame),
        "levers": levers_chart(platform_frame, model_frame),
        "money": money_chart(ledger_frame, model_frame),
    }


SYMLOG_TICKS = [sign * value for value in (1000, 300, 100, 30, 10, 3, 1) for sign in (-1, 1)] + [0]


def case_chart(case, tables: pd.DataFrame) -> alt.VConcatChart:
    """A case's real series (points) beside the model's band (median line, interquartile area) on the
    real calendar, one panel per chart of the case (``tables``: model.estimation.chart_tables)."""
    from model.bands import SERIES

    panels = []
    for number, chart in enumerate(case.spec.charts):
        rows = tables[tables["chart"] == number]
        band, real = rows[rows["source"] == "model"], rows[rows["source"] == "real"]
        series = SERIES[chart.model]
        x = alt.X("time:Q", title="Year", scale=alt.Scale(zero=False, nice=False), axis=alt.Axis(format="d"))
        y_title = series.unit + (" (symmetric log scale)" if series.symlog else "")
        y_scale = alt.Scale(type="symlog") if series.symlog else alt.Undefined
        y_axis = alt.Axis(values=SYMLOG_TICKS, format=",~r") if series.symlog else alt.Undefined
        runs = int(band["runs"].max()) if len(band) else 0
        regime = "" if chart.regime == "any" else f" {chart.regime}"
        real_name = (chart.data + "".join(f", {column} {value}" for column, value in chart.where.items())
                     + (f" / {chart.per}" if chart.per else ""))
        area = alt.Chart(inline_data(band[["time", "q25", "q75"]])).mark_area(opacity=0.3, color="#4c78a8").encode(
            x=x, y=alt.Y("q25:Q", title=y_title, scale=y_scale, axis=y_axis), y2=alt.Y2("q75:Q"))
        median = alt.Chart(inline_data(band[["time", "median", "period"]])).mark_line(color="#4c78a8").encode(
            x=x, y=alt.Y("median:Q"), tooltip=[alt.Tooltip("period:N"), alt.Tooltip("median:Q", format=".3g")])
        points = alt.Chart(inline_data(real[["time", "value", "period"]])).mark_point(
            size=60, filled=True, color="#d62728", opacity=1).encode(
            x=x, y=alt.Y("value:Q"), tooltip=[alt.Tooltip("period:N"), alt.Tooltip("value:Q", format=".3g")])
        panels.append(alt.layer(area, median, points).properties(
            width=WIDTH, height=HEIGHT,
            title=chart_title(chart.title, (f"Band: the model's median (line) and interquartile range over the{regime} "
                                            f"runs at the estimate ({runs}); {series.measures}." if runs else
                                            f"No run at the estimate was{regime or ' finished'}: no band."),
                              f"Points: data/{real_name}.")))
    return alt.vconcat(*panels)


def chart_spec(chart: alt.TopLevelMixin | dict) -> dict:
    """The chart written out as its Vega-Lite spec (a spec is returned as it is): writing a chart out
    is most of what saving it costs, so a chart saved twice (PNG, report) is written out once."""
    if isinstance(chart, dict):
        return chart
    with alt.data_transformers.disable_max_rows():
        return chart.to_dict()


def save_png(chart: alt.TopLevelMixin | dict, path: str | Path, scale: float = 2) -> Path:
    """Render a chart (or its spec, :func:`chart_spec`) to PNG without a browser or the internet
    (vl-convert bundles Vega)."""
    import vl_convert  # imported here: it is large and only needed to write files

    path = Path(path)
    path.write_bytes(vl_convert.vegalite_to_png(json.dumps(chart_spec(chart)), scale=scale))
    return path


OFFLINE_RENDERER = "jupyter-offline"


def use_offline_renderer() -> str:
    """Draw Altair charts in Jupyter without the internet; call it in a notebook's first cell.

    Altair's default renderer loads Vega from a CDN, and JupyterLab 4's own Vega renderer only
    knows Vega-Lite 5 (Altair 6 writes Vega-Lite 6). This renderer (OFFLINE_RENDERER) shows each
    chart as Altair's ``jupyter`` renderer does, as an anywidget (:class:`altair.JupyterChart`), whose
    JavaScript, in offline mode, is the Vega, Vega-Lite and vega-embed bundle that vl-convert ships,
    so nothing is fetched (:func:`render_offline`). Idempotent: calling it again changes nothing.
    Returns the renderer's name.
    """
    if OFFLINE_RENDERER not in alt.renderers.names():
        alt.renderers.register(OFFLINE_RENDERER, render_offline)
    if alt.renderers.active != OFFLINE_RENDERER:
        alt.renderers.enable(OFFLINE_RENDERER)
    _enable_offline_widget()
    return alt.renderers.active


def render_offline(spec: dict, **metadata) -> dict:
    """A chart's widget, as Altair's ``jupyter`` renderer makes it (:func:`offline_widget`)."""
    _enable_offline_widget()
    return offline_widget(spec, metadata.get("embed_options"))._repr_mimebundle_()


def offline_widget(spec: dict, embed_options: dict | None = None) -> alt.JupyterChart:
    """The widget that shows a chart written out as ``spec``.

    Altair's renderer rebuilds the chart from ``spec`` (``Chart.from_dict``) for its widget to read
    the chart's parameters (selections, variables) and write the spec out again; rebuilding it checks
    every part of it against the Vega-Lite schema, which took most of a chart cell's time (1 s of
    the 1.4 s of a run's chart, 1.4 s for the comparison of scenarios). A chart without parameters
    (all of this project's) needs none of that: its widget is given the spec as it is. A chart
    with parameters goes Altair's way, so that its selections still reach Python.
    """
    if _has_params(spec):
        return alt.JupyterChart(chart=alt.Chart.from_dict(spec), embed_options=embed_options)
    widget = alt.JupyterChart(chart=None, embed_options=embed_options)
    widget.spec = spec
    return widget


def _has_params(node) -> bool:
    """Whether a chart written out declares parameters anywhere (its data left aside)."""
    if isinstance(node, dict):
        return "params" in node or any(_has_params(value) for key, value in node.items() if key not in ("data", "datasets"))
    if isinstance(node, list):
        return any(_has_params(item) for item in node)
    return False


def cache_folder() -> Path:
    """Where JavaScript bundles are kept between sessions: $XDG_CACHE_HOME, else ~/.cache, /platform-economy."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "platform-economy"


def cached_text(path: Path, build: Callable[[], str]) -> str:
    """The text kept at ``path`` if there is some, else ``build()``'s, written there whole (to a partial
    file, then renamed) for the next session. Where the cache cannot be written (a read-only home),
    it is built each time."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        text = ""
    if text:
        return text
    text = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        pass
    return text


def offline_bundle_path() -> Path:
    """Where the offline charts' JavaScript bundle is kept between sessions (:func:`cache_folder`):
    one file per version of Altair (its widget's source, its Vega-Lite) and of vl-convert."""
    import vl_convert

    return cache_folder() / f"vega-bundle-altair-{alt.__version__}-vl-convert-{vl_convert.__version__}.js"


def _enable_offline_widget() -> None:
    """``alt.JupyterChart.enable_offline(True)``, its bundle kept on disk (:func:`cached_text`). vl-convert
    builds it anew in each kernel (1.8 s on a 2-core machine), the same for the same versions: every
    notebook after the first reads it instead (binder/postBuild builds it into Binder's image)."""
    chart = alt.JupyterChart
    if chart._is_offline:
        return

    def build() -> str:
        chart.enable_offline(True)
        return chart._esm

    chart._esm, chart._is_offline = cached_text(offline_bundle_path(), build), True  # what enable_offline sets
