"""The command line, as a user meets it."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from model.cli import main
from model.params import Params, flatten
from tests.conftest import BASELINE, ROOT


def cli(*args):
    return subprocess.run([sys.executable, "-m", "model", *args], cwd=ROOT, capture_output=True, text=True)


def test_params_lists_every_parameter_with_unit_and_default():
    result = cli("params")
    assert result.returncode == 0
    for key in flatten(Params()):
        assert key in result.stdout, key
    assert "1/month" in result.stdout and "adaptive" in result.stdout


def test_params_toml_is_a_valid_parameter_file(tmp_path):
    path = tmp_path / "start.toml"
    path.write_text(cli("params", "--toml").stdout)
    assert main(["validate", str(path)]) == 0


def test_the_baseline_file_is_what_params_toml_prints():
    assert BASELINE.read_text() == cli("params", "--toml").stdout


def test_validate_accepts_good_files_and_rejects_bad_ones(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[users]\nreview_rate = 3\n")
    assert main(["validate", str(BASELINE)]) == 0
    assert main(["validate", str(BASELINE), str(bad)]) == 2
    assert "users.review_rate" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra",
    [["--set", "network.efect=3"], ["--set", "users.count=-5"], ["--set", "nonsense"], ["--steps", "0"]],
    ids=["unknown key", "out of range", "no equals sign", "zero steps"],
)
def test_a_bad_run_writes_nothing_and_says_why(tmp_path, capsys, extra):
    out = tmp_path / "results"
    assert main(["run", str(BASELINE), "--out", str(out), "--no-progress", *extra]) == 2
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert capsys.readouterr().err.strip()


def test_run_writes_every_output_with_the_overrides_applied(tmp_path):
    out = tmp_path / "run"
    result = cli("run", str(BASELINE), "--out", str(out), "--set", "users.count=600", "--set", "network.effect=3.0",
                 "--seed", "5", "--steps", "36", "--no-progress")
    assert result.returncode == 0, result.stderr
    names = {p.name for p in out.iterdir()}
    assert {"params.toml", "model.csv", "platforms.csv", "investors.csv", "ledger.parquet", "summary.json", "charts"} <= names
    resolved = (out / "params.toml").read_text()
    assert "count = 600" in resolved and "effect = 3.0" in resolved and "seed = 5" in resolved
    assert len(pd.read_csv(out / "model.csv")) == 36
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 5 and "phase_transitions" in summary and "public_cost" in summary
    assert "results in" in result.stdout
