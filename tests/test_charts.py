"""Charts on synthetic frames: valid specs, data embedded (no URL), phases shaded, real PNGs.

The frames are made up here (an S-curve of adoption, three platforms, one of which fails), so
these tests do not depend on the model; ``synthetic_frames`` and ``FakeEconomy`` are reused by
tests/test_outputs.py.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model import charts
from model.params import Params

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PHASE_STARTS = {"lock-in": 70, "extraction": 101}


def _phase(step: int, starts: dict[str, int]) -> str:
    phase = "growth"
    for name in ("lock-in", "extraction", "decline"):
        if name in starts and step >= starts[name]:
            phase = name
    return phase


def synthetic_frames(steps: int = 240, platforms: int = 3, seed: int = 0, fail_at: int | None = 150,
                     phase_starts: dict[str, int] | None = None) -> dict[str, pd.DataFrame]:
    """Model, platform, ledger and investor frames shaped like the model's.

    Adoption follows a logistic S-curve; the last platform wins the users, platform 0 fails at
    ``fail_at``. After lock-in the leader raises its ad load and lets quality slip.
    """
    rng = np.random.default_rng(seed)
    starts = PHASE_STARTS if phase_starts is None else phase_starts
    month = np.arange(1, steps + 1)
    adopted = 10_000 / (1 + np.exp(-(month - 60) / 12))
    leader = platforms - 1
    pull = np.stack([(pid + 1) * 0.02 * month / 12 + rng.normal(0, 0.05, steps) for pid in range(platforms)], axis=1)
    weights = np.exp(pull)
    if fail_at is not None and platforms > 1:
        weights[month >= fail_at, 0] = 0.0
    share = weights / weights.sum(axis=1, keepdims=True)
    extraction = starts.get("extraction", steps + 1)

    platform_rows = []
    for pid in range(platforms):
        failed = (month >= fail_at) if (fail_at is not None and pid == 0 and platforms > 1) else np.zeros(steps, bool)
        users = np.round(adopted * share[:, pid])
        ramp = np.clip((month - extraction) / 60, 0, 1) if pid == leader else np.zeros(steps)
        ad_load = np.where(failed, 0.0, 0.02 + 0.4 * ramp + rng.uniform(0, 0.02, steps))
        quality = np.where(failed, 0.0, 2 + 2.5 * (1 - np.exp(-month / 24)) - 1.5 * ramp)
        revenue = users * (0.2 + 3 * ad_load)
        costs = 800 + users * 1.5 * (month < extraction)
        profit = revenue - costs
        platform_rows.append(pd.DataFrame({
            "step": month, "platform_id": pid, "users": users, "share": share[:, pid], "quality": quality,
            "ad_load": ad_load, "user_price": 0.0, "ad_price": 10 + ad_load * 20, "revenue": revenue, "costs": costs,
            "profit": profit, "cash": 50_000 + np.cumsum(profit), "valuation": users * 100.0,
            "status": np.where(failed, "failed", "active"),
            "user_surplus": np.where(users > 0, 5 + 40 * np.exp(-((month - 50) / 40) ** 2) - 20 * ramp, np.nan),
            "advertiser_surplus": users * 0.05 * (1 + month / 100), "advertiser_spend": revenue,
            "burn_multiple": np.where(profit < 0, 3.0, np.nan),
            "funding_raised": 1000.0 * (month < extraction),
        }))
    platform_frame = pd.concat(platform_rows, ignore_index=True).sort_values(["step", "platform_id"], ignore_index=True)

    by_month = platform_frame.groupby("step")
    model_frame = pd.DataFrame({
        "step": month, "adopted_users": np.round(adopted), "active_platforms": by_month["status"].apply(lambda s: (s != "failed").sum()).to_numpy(),
        "hhi": (share**2).sum(axis=1), "leader_id": share.argmax(axis=1), "leader_share": share.max(axis=1),
        "mean_ad_load": by_month["ad_load"].mean().to_numpy(), "mean_quality": by_month["quality"].mean().to_numpy(),
        "consumer_surplus": by_month["user_surplus"].mean().to_numpy() * adopted,
        "advertiser_spend": by_month["revenue"].sum().to_numpy(), "advertiser_surplus": by_month["advertiser_surplus"].sum().to_numpy(),
        "mean_ad_price": by_month["ad_price"].mean().to_numpy(), "platform_revenue": by_month["revenue"].sum().to_numpy(),
        "platform_profit": by_month["profit"].sum().to_numpy(), "funding_raised": by_month["funding_raised"].sum().to_numpy(),
        "public_cost": 0.0, "phase": [_phase(int(m), starts) for m in month], "sentiment": 1.0,
    })

    ledger = [(0, "investor:0", f"platform:{pid}", 20_000.0, "equity") for pid in range(platforms)]
    for row in platform_frame.itertuples():
        account = f"platform:{row.platform_id}"
        if row.status == "failed":
            continue
        ledger += [(row.step, "advertisers", account, row.revenue * 0.9, "ad_spend"),
                   (row.step, "households", account, row.revenue * 0.1, "subscription"),
                   (row.step, account, "outside", row.costs, "operating_costs")]
        if row.step < extraction:
            ledger += [(row.step, account, "households", row.users * 0.3, "subsidy"),
                       (row.step, f"investor:{row.step % 4}", account, row.funding_raised, "equity")]
        elif row.profit > 0:
            ledger += [(row.step, account, f"investor:{row.step % 4}", row.profit * 0.5, "dividend")]
    ledger += [(120, "households", "government", 5_000.0, "tax"), (120, "government", "platform:1", 5_000.0, "bailout"),
               (130, "platform:1", "government", 1_000.0, "loan_repayment"), (131, "platform:1", "platform:0", 10.0, "licence")]
    ledger_frame = pd.DataFrame(ledger, columns=["step", "payer", "payee", "amount", "kind"])
    for column in ("payer", "payee", "kind"):
        ledger_frame[column] = ledger_frame[column].astype("string")  # as the model's ledger frame

    investor_frame = pd.DataFrame({
        "investor_id": [0, 1, 2, 3], "platform_id": [leader, leader, 0, 1], "round": [0, 3, 0, 1],
        "step_invested": [0, 40, 0, 12], "invested": [20_000.0, 50_000.0, 20_000.0, 30_000.0],
        "paid_out": [90_000.0, 20_000.0, 0.0, 1_000.0], "holding_value": [150_000.0, 60_000.0, 0.0, 2_000.0],
        "moic": [12.0, 1.6, 0.0, 0.1], "pioneer": [True, False, True, True],
    })
    return {"model": model_frame, "platforms": platform_frame, "ledger": ledger_frame, "investors": investor_frame}


class FakeEconomy:
    """Stands in for a finished PlatformEconomy: real default parameters, synthetic frames."""

    def __init__(self, **frame_options) -> None:
        self.params = Params()
        self.frames = synthetic_frames(**frame_options)

    def model_frame(self) -> pd.DataFrame:
        return self.frames["model"].copy()

    def platform_frame(self) -> pd.DataFrame:
        return self.frames["platforms"].copy()

    def ledger_frame(self) -> pd.DataFrame:
        return self.frames["ledger"].copy()

    def investor_frame(self) -> pd.DataFrame:
        return self.frames["investors"].copy()

    def summary(self) -> dict:
        return {"seed": 42, "steps": int(self.frames["model"]["step"].max()),
                "phase_transitions": {"lock-in": 70, "extraction": 101, "decline": None},
                "final_hhi": np.float64(self.frames["model"]["hhi"].iloc[-1]),  # numpy scalars, as metrics may return
                "leader_id": np.int64(2), "peaks": {"leader_user_surplus": 40, "leader_advertiser_surplus": 120},
                "public_cost": {"disbursed": 5000.0, "recovered": 1000.0, "net": 4000.0},
                "pioneer_share_of_payouts": float("nan")}


def _charts(frames: dict) -> dict:
    return charts.run_charts(frames["model"], frames["platforms"], frames["ledger"])


def _datasets(spec: dict) -> list[dict]:
    """Every data source in a spec: top-level datasets and any inline ``data`` in (sub)charts."""
    found = [{"values": values} for values in spec.get("datasets", {}).values()]

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("data"), dict):
                found.append(node["data"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


def _marks(spec) -> list[str]:
    text = json.dumps(spec)
    return [mark for mark in ("rect", "line", "point", "rule", "text") if f'"type": "{mark}"' in text or f'"mark": "{mark}"' in text]


@pytest.fixture(scope="module")
def frames():
    return synthetic_frames()


@pytest.fixture(scope="module")
def made(frames):
    return _charts(frames)


def test_run_charts_names_the_four_charts(made):
    assert list(made) == ["shares", "surplus", "levers", "money"]


@pytest.mark.parametrize("name", ["shares", "surplus", "levers", "money"])
def test_every_chart_has_a_valid_spec_with_embedded_data_and_a_title(made, name):
    spec = made[name].to_dict()  # validates against the Vega-Lite schema
    assert spec.get("title"), name
    without_schema = {key: value for key, value in spec.items() if key != "$schema"}
    assert "http" not in json.dumps(without_schema), name
    sources = _datasets(spec)
    assert sources and all("url" not in source for source in sources), name


@pytest.mark.parametrize("name", ["shares", "surplus", "levers", "money"])
def test_every_chart_shades_the_phases(made, frames, name):
    spec = made[name].to_dict()
    band_rows = [row for source in _datasets(spec) for row in source.get("values", []) if isinstance(row, dict) and "phase" in row]
    assert {row["phase"] for row in band_rows} == set(frames["model"]["phase"]), name
    assert "rect" in _marks(spec), name


def test_phase_bands_are_one_rect_per_contiguous_run_covering_every_month(frames):
    model_frame = frames["model"].copy()
    model_frame.loc[model_frame["step"].between(200, 210), "phase"] = "decline"  # a phase that comes and goes
    band = charts.phase_bands(model_frame).to_dict()
    rows = _datasets(band)[0]["values"]
    assert [row["phase"] for row in rows] == ["growth", "lock-in", "extraction", "decline", "extraction"]
    assert rows[0]["start"] == 0 and rows[-1]["last"] == 240
    assert all(a["last"] == b["start"] for a, b in zip(rows, rows[1:]))  # bands meet, never overlap
    assert band["mark"]["type"] == "rect" and band["encoding"]["color"]["scale"]["domain"] == list(charts.PHASE_COLOURS)


def test_a_platform_has_the_same_colour_in_every_chart(made):
    scales = {}
    for name in ("shares", "levers"):
        text = json.dumps(made[name].to_dict())
        for domain_start in [i for i in range(len(text)) if text.startswith('"domain": ["platform 0', i)]:
            scale = json.loads("{" + text[domain_start:text.index("]", text.index('"range"', domain_start)) + 1] + "}")
            scales[name] = dict(zip(scale["domain"], scale["range"]))
    assert scales["shares"] and scales["shares"] == scales["levers"]
    assert "platform 2 (leader)" in scales["shares"]


def test_a_failed_platform_line_stops_at_its_failure(made):
    spec = made["shares"].to_dict()
    rows = [row for values in spec["datasets"].values() for row in values if row.get("platform") == "platform 0"]
    assert max(row["step"] for row in rows) == 150 and min(row["share"] for row in rows) == 0.0


def test_surplus_chart_puts_each_series_peak_at_one(made):
    spec = made["surplus"].to_dict()
    rows = [row for values in spec["datasets"].values() for row in values if "series" in row and "value" in row]
    for series in {row["series"] for row in rows}:
        assert max(row["value"] for row in rows if row["series"] == series and row["value"] is not None) == pytest.approx(1.0)
        assert "peak: year" in series
    assert "own peak" in json.dumps(spec["title"])


def test_money_chart_shows_what_each_group_pays_and_gets(made, frames):
    spec = made["money"].to_dict()
    rows = [row for values in spec["datasets"].values() for row in values if "flow" in row]
    flows = {row["flow"] for row in rows}
    assert {"advertisers pay for ads", "users pay subscriptions", "investors buy shares", "subsidies to users",
            "payouts to shareholders", "taxpayers rescue platforms", "returned to taxpayers", "running costs"} <= flows
    ad_spend = frames["ledger"].query("kind == 'ad_spend'")["amount"].sum()
    assert sum(row["amount"] for row in rows if row["flow"] == "advertisers pay for ads") == pytest.approx(ad_spend)
    assert all(row["amount"] < 0 for row in rows if row["flow"] in {"running costs", "subsidies to users"})


def test_many_platforms_and_long_runs_stay_within_altair_limits():
    frames = synthetic_frames(steps=600, platforms=12, fail_at=None)  # a 7,200-row platform frame
    for name, chart in _charts(frames).items():
        assert chart.to_dict(), name  # Altair's 5,000-row limit would raise here
    shares = json.dumps(_charts(frames)["shares"].to_dict())
    assert charts.OTHER_PLATFORMS in shares


def test_inline_records_are_written_out_as_altair_would_write_a_list_of_them():
    """inline_data holds its records in a tuple that copies of a chart share: the chart written out is the same."""
    import altair as alt

    frame = pd.DataFrame({"step": [1, 2, 3], "share": [0.5, np.nan, 0.25], "platform": ["A", "B", None]})
    records = [{"step": 1, "share": 0.5, "platform": "A"}, {"step": 2, "share": None, "platform": "B"},
               {"step": 3, "share": 0.25, "platform": None}]

    def layered(data):
        base = alt.Chart(data).encode(x="step:Q")
        return alt.hconcat(alt.layer(base.mark_line().encode(y="share:Q"), base.mark_point().encode(y="share:Q")),
                           base.mark_bar().encode(y="share:Q"))

    shared = layered(charts.inline_data(frame))
    assert json.loads(shared.to_json()) == json.loads(layered(alt.InlineData(values=records)).to_json())
    assert [list(source["values"]) for source in _datasets(shared.to_dict()) if "values" in source] == [records]


def test_the_offline_renderer_shows_every_kind_of_chart_as_altair_would():
    """offline_widget gives a chart without parameters its spec as it is, and one with parameters goes
    Altair's way (its selections reach Python): the widget shows the same spec either way."""
    import altair as alt

    frame = pd.DataFrame({"x": [1, 2, 3], "y": [2.0, 1.0, 3.0], "group": ["a", "b", "a"]})
    base = alt.Chart(charts.inline_data(frame)).mark_line().encode(x=alt.X("x:Q"), y=alt.Y("y:Q"))
    kinds = {"chart": base, "layer": base + base.mark_point(), "vconcat": base & base, "hconcat": base | base,
             "concat": alt.concat(base, base, columns=2), "facet": base.facet(alt.Facet("group:N")),
             "repeat": alt.Chart(charts.inline_data(frame)).mark_point().encode(
                 x=alt.X(alt.repeat("repeat"), type="quantitative"), y=alt.Y("y:Q")).repeat(repeat=["x", "y"])}
    for name, chart in kinds.items():
        spec = chart.to_dict()
        widget = charts.offline_widget(spec)
        assert widget.spec == alt.JupyterChart(chart=alt.Chart.from_dict(spec)).spec == spec, name
        assert widget.chart is None, name
    brush = alt.selection_interval(name="brush")
    selecting = base.mark_point().add_params(brush) | base  # a selection in a nested chart
    spec = selecting.to_dict()
    widget = charts.offline_widget(spec)
    assert widget.chart is not None and "brush" in widget.selections.traits()  # Python sees the selection
    assert widget.spec == spec


def test_a_run_too_short_for_phases_or_profits_still_charts():
    frames = synthetic_frames(steps=3, fail_at=None, phase_starts={})
    frames["platforms"]["user_surplus"] = np.nan  # nobody on a platform yet
    for name, chart in _charts(frames).items():
        assert chart.to_dict(), name


@pytest.mark.parametrize("name", ["shares", "surplus", "levers", "money"])
def test_save_png_writes_a_real_png_offline(made, name, tmp_path):
    path = charts.save_png(made[name], tmp_path / f"{name}.png")
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 1024


def test_importing_altair_builds_no_uri_parser():
    """Altair imports jsonschema, which imports rfc3987-syntax when installed: a Lark parser built at
    import, over half of what ``import altair`` cost (pyproject.toml keeps jsonschema below 4.24, whose
    extra asked by JupyterLab installs it). Every notebook's first cell pays the import."""
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, altair; print(sorted({'rfc3987_syntax', 'lark'} & set(sys.modules)))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert loaded == "[]", f"import altair loaded {loaded}"


OFFLINE_BUNDLE = """
import hashlib, altair as alt
from model.charts import offline_bundle_path, use_offline_renderer
use_offline_renderer()
print(alt.JupyterChart._is_offline, hashlib.sha1(alt.JupyterChart._esm.encode()).hexdigest(), offline_bundle_path())
"""


def test_offline_charts_javascript_is_built_once_and_read_by_later_kernels(tmp_path):
    """use_offline_renderer keeps vl-convert's bundle on disk: a later kernel reads the same bundle, and
    an empty or unreadable cache file is built again, never served."""
    import subprocess
    import sys

    def kernel():
        env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
        offline, digest, path = subprocess.run([sys.executable, "-c", OFFLINE_BUNDLE], env=env, capture_output=True,
                                               text=True, check=True).stdout.split()
        return offline, digest, Path(path)

    offline, built, path = kernel()
    assert offline == "True" and path.parent == tmp_path / "platform-economy"
    assert hashlib.sha1(path.read_text(encoding="utf-8").encode()).hexdigest() == built
    written = path.stat().st_mtime_ns
    assert kernel()[:2] == ("True", built) and path.stat().st_mtime_ns == written  # read, not rebuilt
    path.write_text("")
    assert kernel()[:2] == ("True", built) and path.stat().st_size > 0  # rebuilt
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left
