"""Charts (Altair) of a run, with the detected phases shaded; PNG export offline via vl-convert."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd

from model import metrics

PHASE_COLOURS = {"growth": "#9ecae1", "lock-in": "#fdd0a2", "extraction": "#fc9272", "decline": "#bdbdbd"}
MONEY_KINDS = {
    "ad_spend": "advertisers pay platforms",
    "subscription": "users pay platforms",
    "subsidy": "platforms subsidise users",
    "equity": "investors fund platforms",
    "dividend": "platforms pay shareholders",
    "tax": "taxpayers fund rescues",
    "bailout": "government rescues platforms",
    "loan_repayment": "platforms repay rescues",
}
WIDTH, HEIGHT = 640, 260


def _years(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["year"] = frame["step"] / 12.0
    return frame


def phase_bands(model_frame: pd.DataFrame) -> alt.Chart:
    """Background rectangles, one per contiguous run of a phase."""
    phases = model_frame[["step", "phase"]].copy()
    phases["run"] = (phases["phase"] != phases["phase"].shift()).astype(int).cumsum()
    runs = phases.groupby("run").agg(phase=("phase", "first"), start=("step", "min"), end=("step", "max")).reset_index()
    runs["start"] = (runs["start"] - 1) / 12.0
    runs["end"] = runs["end"] / 12.0
    return (
        alt.Chart(runs)
        .mark_rect(opacity=0.35)
        .encode(
            x=alt.X("start:Q", title="Year"),
            x2="end:Q",
            color=alt.Color(
                "phase:N",
                title="Phase",
                scale=alt.Scale(domain=list(PHASE_COLOURS), range=list(PHASE_COLOURS.values())),
            ),
            tooltip=["phase:N", alt.Tooltip("start:Q", format=".1f"), alt.Tooltip("end:Q", format=".1f")],
        )
    )


def _with_bands(model_frame: pd.DataFrame, lines: alt.Chart, title: str, subtitle: str = "") -> alt.LayerChart:
    return (
        alt.layer(phase_bands(model_frame), lines)
        .resolve_scale(color="independent")
        .properties(width=WIDTH, height=HEIGHT, title=alt.Title(title, subtitle=subtitle or alt.Undefined))
    )


def shares_chart(model_frame: pd.DataFrame, platform_frame: pd.DataFrame) -> alt.LayerChart:
    """Each platform's share of users, and the market's concentration (HHI)."""
    shares = _years(platform_frame)[["year", "platform_id", "share"]]
    shares["platform"] = "platform " + shares["platform_id"].astype(str)
    hhi = _years(model_frame)[["year", "hhi"]].rename(columns={"hhi": "share"})
    hhi["platform"] = "HHI (concentration)"
    data = pd.concat([shares.drop(columns="platform_id"), hhi])
    lines = (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=alt.X("year:Q", title="Year"),
            y=alt.Y("share:Q", title="Share of users / HHI", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("platform:N", title="Series"),
            strokeDash=alt.condition(alt.datum.platform == "HHI (concentration)", alt.value([6, 3]), alt.value([1, 0])),
        )
    )
    return _with_bands(model_frame, lines, "Who has the users", "Share of all platform users; HHI above 0.18 is highly concentrated")


def surplus_chart(model_frame: pd.DataFrame, platform_frame: pd.DataFrame) -> alt.LayerChart:
    """The leader's users' surplus, its advertisers' surplus and its profit, each against its own peak."""
    leader = metrics.leader_series(platform_frame)
    series = {
        "users' surplus per user": leader["user_surplus"].where(leader["users"] > 0),
        "advertisers' surplus": leader["advertiser_surplus"],
        "leader's profit": leader["profit"],
    }
    rows = []
    for name, values in series.items():
        smooth = metrics.smooth(values.dropna())
        scale = smooth.abs().max() or 1.0
        rows.append(pd.DataFrame({"year": smooth.index / 12.0, "value": smooth.to_numpy() / scale, "series": name}))
    lines = (
        alt.Chart(pd.concat(rows))
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("year:Q", title="Year"),
            y=alt.Y("value:Q", title="Share of its own peak"),
            color=alt.Color("series:N", title="Series", sort=list(series)),
        )
    )
    return _with_bands(
        model_frame, lines, "Who gains, and when (the leader)",
        "12-month averages, each divided by its own largest value: first users, then advertisers, then the platform",
    )


def levers_chart(platform_frame: pd.DataFrame) -> alt.VConcatChart:
    """Ad load and quality of each platform, one panel each."""
    data = _years(platform_frame[platform_frame["status"] != "failed"])
    data["platform"] = "platform " + data["platform_id"].astype(str)
    panels = [
        alt.Chart(data)
        .mark_line()
        .encode(x=alt.X("year:Q", title="Year"), y=alt.Y(f"{column}:Q", title=title), color=alt.Color("platform:N", title="Platform"))
        .properties(width=WIDTH, height=HEIGHT // 2 + 20, title=title)
        for column, title in (("ad_load", "Ad load (share of the feed)"), ("quality", "Quality"))
    ]
    return alt.vconcat(*panels).properties(title="What users get")


def money_chart(ledger_frame: pd.DataFrame, model_frame: pd.DataFrame) -> alt.LayerChart:
    """Money flows by kind, summed per year."""
    flows = ledger_frame[ledger_frame["kind"].isin(list(MONEY_KINDS)) & (ledger_frame["step"] > 0)].copy()
    flows["year"] = ((flows["step"] - 1) // 12).astype(int) + 0.5
    yearly = flows.pivot_table(index="year", columns="kind", values="amount", aggfunc="sum", fill_value=0.0)
    years = ((model_frame["step"] - 1) // 12).astype(int).unique() + 0.5
    yearly = yearly.reindex(years, fill_value=0.0).rename_axis("year")  # a year without a flow shows 0
    yearly = yearly.reset_index().melt(id_vars="year", var_name="kind", value_name="amount")
    yearly["flow"] = yearly["kind"].map(MONEY_KINDS)
    lines = (
        alt.Chart(yearly)
        .mark_line(point=True)
        .encode(
            x=alt.X("year:Q", title="Year"),
            y=alt.Y("amount:Q", title="Dollars per year"),
            color=alt.Color("flow:N", title="Flow"),
        )
    )
    return _with_bands(model_frame, lines, "Who pays whom", "Money flows in the ledger, per year")


def run_charts(model_frame: pd.DataFrame, platform_frame: pd.DataFrame, ledger_frame: pd.DataFrame) -> dict:
    return {
        "shares": shares_chart(model_frame, platform_frame),
        "surplus": surplus_chart(model_frame, platform_frame),
        "levers": levers_chart(platform_frame),
        "money": money_chart(ledger_frame, model_frame),
    }


def save_png(chart: alt.TopLevelMixin, path: str | Path, scale: float = 2.0) -> Path:
    """Render a chart to PNG without a browser or the internet (vl-convert bundles Vega)."""
    import vl_convert

    path = Path(path)
    with alt.data_transformers.disable_max_rows():
        spec = chart.to_json()
    path.write_bytes(vl_convert.vegalite_to_png(spec, scale=scale))
    return path
