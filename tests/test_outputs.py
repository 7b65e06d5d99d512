"""A run's files: complete, readable, charts rendered offline, and never half-written."""

import json

import pandas as pd
import pytest

from model import charts
from model.outputs import OutError, write_run
from tests.conftest import run, scenario

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def economy():
    return run(scenario(users__count=800, simulation__steps=120, simulation__seed=3))


def test_model_and_platform_frames_have_the_documented_columns(economy):
    model_columns = ("step adopted_users reached_users active_platforms hhi leader_id leader_share platform_users mean_ad_load "
                     "mean_quality consumer_surplus advertiser_spend advertiser_surplus mean_ad_price platform_revenue "
                     "platform_profit leader_revenue leader_profit funding_raised public_cost phase").split()
    platform_columns = ("step platform_id users share quality ad_load user_price ad_price revenue costs profit "
                        "cash valuation status").split()
    assert set(model_columns) <= set(economy.model_frame().columns)
    assert set(platform_columns) <= set(economy.platform_frame().columns)
    assert set(economy.model_frame()["phase"]) <= {"growth", "lock-in", "extraction", "decline"}


def test_charts_have_no_remote_data_and_shade_the_phases(economy):
    made = charts.run_charts(economy.model_frame(), economy.platform_frame(), economy.ledger_frame())
    assert set(made) == {"shares", "surplus", "levers", "money"}
    for name, chart in made.items():
        spec = json.dumps(chart.to_dict())
        assert "http" not in spec.split('"$schema"')[-1].split(",", 1)[-1], name
    assert "phase" in json.dumps(made["shares"].to_dict())


def test_write_run_writes_every_file(economy, tmp_path):
    out = write_run(economy, tmp_path / "run")
    for name in ("params.toml", "model.csv", "platforms.csv", "investors.csv", "ledger.parquet", "summary.json"):
        assert (out / name).stat().st_size > 0, name
    for name in ("shares", "surplus", "levers", "money"):
        png = (out / "charts" / f"{name}.png").read_bytes()
        assert png.startswith(PNG) and len(png) > 10_000, name
    ledger = pd.read_parquet(out / "ledger.parquet")
    pd.testing.assert_frame_equal(ledger, economy.ledger_frame(), check_dtype=False)


def test_a_failed_write_leaves_nothing_behind(economy, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("model.charts.save_png", broken)
    with pytest.raises(RuntimeError):
        write_run(economy, tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_is_not_a_run_is_never_replaced(economy, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "stale.txt").write_text("mine")
    with pytest.raises(OutError, match="refusing to replace it"):
        write_run(economy, out)
    assert (out / "stale.txt").read_text() == "mine"
