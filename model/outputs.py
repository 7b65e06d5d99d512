"""A run's results on disk: parameters, frames, ledger, summary, charts and report, written all or nothing."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from model.charts import run_charts, save_png
from model.params import params_to_toml
from model.report import write_report


def write_run(economy, out_dir: str | Path) -> Path:
    """Write a run into ``out_dir``.

    Files are written into a temporary folder beside it, which replaces ``out_dir`` only once
    everything is written: an interrupted or failed write never leaves half a result.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        model_frame, platforms = economy.model_frame(), economy.platform_frame()
        ledger = economy.ledger_frame()
        (staging / "params.toml").write_text(params_to_toml(economy.params), encoding="utf-8")
        model_frame.to_csv(staging / "model.csv", index=False)
        platforms.to_csv(staging / "platforms.csv", index=False)
        economy.investor_frame().to_csv(staging / "investors.csv", index=False)
        ledger.to_parquet(staging / "ledger.parquet", index=False)
        summary = economy.summary()
        (staging / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        (staging / "charts").mkdir()
        charts = run_charts(model_frame, platforms, ledger)
        for name, chart in charts.items():
            save_png(chart, staging / "charts" / f"{name}.png")
        write_report(staging / "report.html", charts, summary, economy.params)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir
