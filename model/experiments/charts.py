"""Charts of a sweep (Altair): heat maps over two parameters, lines over one, sensitivity indices.

Same conventions as ``model.charts``: data inline (charts render offline), a title that says what
the chart shows and a subtitle that says how to read it; PNGs via ``model.charts.save_png``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from model.charts import chart_title, inline_data

WIDTH, HEIGHT = 420, 280
INDEX_NAMES = {"S1": "first order (alone)", "ST": "total (with interactions)"}


def field(name: str) -> str:
    """A column name Vega-Lite reads as one field: a dot would mean a nested field."""
    return name.replace(".", "__")


def _averaged(summary: pd.DataFrame, keys: list[str], output: str) -> pd.DataFrame:
    """Point means of one output, averaged over the parameters not drawn (columns renamed by ``field``)."""
    rows = summary[summary["output"] == output]
    data = rows.groupby(keys, as_index=False)[["mean", "ci95_low", "ci95_high"]].mean()
    return data.rename(columns=field)


def _others_note(all_keys: list[str], drawn: list[str]) -> list[str]:
    others = [k for k in all_keys if k not in drawn]
    return [f"Averaged over {', '.join(others)}."] if others else []


def heatmap_chart(summary: pd.DataFrame, x: str, y: str, output: str, all_keys: list[str]) -> alt.LayerChart:
    """Mean of an output over two varied parameters (a grid), each cell labelled with its value."""
    data = _averaged(summary, [x, y], output)
    base = alt.Chart(inline_data(data)).encode(x=alt.X(f"{field(x)}:O", title=x),
                                               y=alt.Y(f"{field(y)}:O", title=y, sort="descending"))
    cells = base.mark_rect().encode(color=alt.Color("mean:Q", title=output, scale=alt.Scale(scheme="viridis")),
                                    tooltip=[alt.Tooltip(f"{field(x)}:O", title=x), alt.Tooltip(f"{field(y)}:O", title=y),
                                             alt.Tooltip("mean:Q", format=".3g")])
    labels = base.mark_text(fontSize=11).encode(
        text=alt.Text("mean:Q", format=".2f"),
        color=alt.condition(alt.datum.mean > data["mean"].median(), alt.value("black"), alt.value("white")))
    return alt.layer(cells, labels).properties(
        width=WIDTH, height=HEIGHT,
        title=chart_title(f"{output}: mean over replicates", f"Each cell is one combination of {x} and {y}.",
                          *_others_note(all_keys, [x, y])))


def lines_chart(summary: pd.DataFrame, x: str, output: str, all_keys: list[str], colour: str | None = None) -> alt.LayerChart:
    """Mean of an output along one parameter, with its 95% interval as a band (one line per ``colour``)."""
    keys = [x] + ([colour] if colour else [])
    data = _averaged(summary, keys, output)
    encode = {"color": alt.Color(f"{field(colour)}:N", title=colour)} if colour else {}
    base = alt.Chart(inline_data(data)).encode(x=alt.X(f"{field(x)}:Q", title=x), **encode)
    band = base.mark_area(opacity=0.2).encode(y=alt.Y("ci95_low:Q", title=output), y2=alt.Y2("ci95_high:Q"))
    line = base.mark_line(point=True).encode(y=alt.Y("mean:Q"), tooltip=[*(alt.Tooltip(f"{field(k)}:Q", title=k) for k in keys), alt.Tooltip("mean:Q", format=".3g")])
    return alt.layer(band, line).properties(
        width=WIDTH, height=HEIGHT,
        title=chart_title(f"{output} as {x} changes", "Line: mean over replicates; band: its 95% interval.",
                          *_others_note(all_keys, keys)))


def scatter_chart(summary: pd.DataFrame, x: str, output: str) -> alt.Chart:
    """Point means of an output against one parameter (sampled designs: every point differs)."""
    data = summary[summary["output"] == output][[x, "mean"]].rename(columns=field)
    return alt.Chart(inline_data(data)).mark_circle(size=30, opacity=0.6).encode(
        x=alt.X(f"{field(x)}:Q", title=x), y=alt.Y("mean:Q", title=output)).properties(
        width=WIDTH, height=HEIGHT,
        title=chart_title(f"{output} against {x}", "Each dot is one point of the design (mean over its replicates); "
                          "the other parameters vary too."))


def sobol_chart(indices: pd.DataFrame) -> alt.VConcatChart:
    """First-order and total Sobol indices per parameter, with 95% intervals, one panel per output."""
    panels = []
    for output, table in indices[indices["index"].isin(["S1", "ST"])].groupby("output", sort=False):
        data = table.assign(kind=table["index"].map(INDEX_NAMES))
        base = alt.Chart(inline_data(data)).encode(
            y=alt.Y("parameter:N", title=None), yOffset=alt.YOffset("kind:N"),
            color=alt.Color("kind:N", title="Sobol index", scale=alt.Scale(range=["#4c78a8", "#f58518"])))
        bars = base.mark_bar().encode(x=alt.X("estimate:Q", title="Share of the output's variance",
                                              scale=alt.Scale(domain=[0, 1], clamp=True)))
        errors = base.mark_rule(color="black").encode(x=alt.X("ci95_low:Q"), x2=alt.X2("ci95_high:Q"))
        panels.append(alt.layer(bars, errors).properties(width=WIDTH, title=alt.Title(output, anchor="start")))
    return alt.vconcat(*panels).properties(title=chart_title(
        "Which parameters move the outcome (Sobol indices)",
        "First order: the share of variance a parameter causes alone; total: with its interactions.",
        "Black lines: 95% bootstrap intervals."))


def morris_chart(indices: pd.DataFrame) -> alt.VConcatChart:
    """Morris screening: mean absolute effect (mu*) against its spread (sigma), one panel per output."""
    panels = []
    for output, table in indices.groupby("output", sort=False):
        wide = table.pivot(index="parameter", columns="index", values="estimate").reset_index()
        conf = table[table["index"] == "mu_star"].set_index("parameter")[["ci95_low", "ci95_high"]]
        wide = wide.join(conf, on="parameter")
        base = alt.Chart(inline_data(wide)).encode(x=alt.X("mu_star:Q", title="mu* (mean absolute elementary effect)"),
                                                   y=alt.Y("sigma:Q", title="sigma (non-linearity, interactions)"))
        dots = base.mark_circle(size=60)
        errors = base.mark_rule().encode(x=alt.X("ci95_low:Q"), x2=alt.X2("ci95_high:Q"))
        labels = base.mark_text(align="left", dx=6).encode(text=alt.Text("parameter:N"))
        panels.append(alt.layer(errors, dots, labels).properties(width=WIDTH, height=HEIGHT,
                                                                 title=alt.Title(output, anchor="start")))
    return alt.vconcat(*panels).properties(title=chart_title(
        "Which parameters matter (Morris screening)",
        "Right: large effect; up: the effect depends on the other parameters. Lines: 95% interval of mu*."))
