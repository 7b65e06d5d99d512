"""The command line, as a user meets it: `python -m model params | validate | run`."""

import json
import subprocess
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

from model.cli import main
from model.outputs import RUN_MARKER
from model.params import Params, parameter_reference
from model.params.reference import _shown

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "params" / "baseline.toml"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "model", *args], cwd=ROOT, capture_output=True, text=True)


# -- params ------------------------------------------------------------------------------------
def test_params_lists_every_parameter_with_unit_and_default():
    result = cli("params")
    assert result.returncode == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip() and not line.startswith("[")}
    for row in parameter_reference():
        line = lines[row["key"]]
        assert f"  {row['unit']}  " in line and f"  {_shown(row['default'])}  " in line, row["key"]


def test_params_toml_is_a_valid_parameter_file(tmp_path):
    path = tmp_path / "start.toml"
    path.write_text(cli("params", "--toml").stdout)
    assert main(["validate", str(path)]) == 0


def test_the_baseline_file_is_what_params_toml_prints():
    assert BASELINE.read_text() == cli("params", "--toml").stdout


# -- validate ----------------------------------------------------------------------------------
def test_validate_says_ok_for_a_good_file(capsys):
    assert main(["validate", str(BASELINE)]) == 0
    assert capsys.readouterr().out == f"{BASELINE}: ok\n"


def test_validate_checks_every_file_and_fails_if_any_is_bad(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[users]\nreview_rate = 3\n")
    assert main(["validate", str(bad), str(BASELINE), str(tmp_path / "gone.toml")]) == 2
    out, err = capsys.readouterr()
    assert f"{BASELINE}: ok" in out
    assert f"{bad}: users.review_rate = 3 is out of range" in err and "gone.toml: no such parameter file" in err


def test_the_module_exits_with_the_code_of_main(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[users]\ncont = 3\n")
    result = cli("validate", str(bad))
    assert result.returncode == 2 and "did you mean 'users.count'" in result.stderr
    assert cli("validate", str(BASELINE)).returncode == 0


def test_usage_errors_return_2_instead_of_exiting(capsys):
    assert main(["run", str(BASELINE)]) == 2  # --out missing
    assert main(["frobnicate"]) == 2
    assert "usage" in capsys.readouterr().err


# -- run, with a stand-in economy so that these tests do not depend on the model ----------------
class FakeEconomy:
    made: list["FakeEconomy"] = []

    def __init__(self, params):
        self.params, self.progress = params, None
        FakeEconomy.made.append(self)

    def run(self, progress=False):
        self.progress = progress
        return self

    def summary(self):
        return {"phase_transitions": {"lock-in": 30, "extraction": None}, "leader_id": 2, "leader_final_share": 0.8,
                "final_hhi": 0.66, "public_cost": {"net": 0.0}}


@pytest.fixture
def fake_model(monkeypatch):
    """model.economy and model.outputs replaced by stand-ins; returns the list of write_run calls."""
    FakeEconomy.made = []
    written = []

    def write_run(economy, out_dir):
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "params.toml").write_text("written")
        (out_dir / RUN_MARKER).write_text('{"tool": "platform-economy"}')
        written.append((economy, out_dir))
        return out_dir

    monkeypatch.setitem(sys.modules, "model.economy", types.SimpleNamespace(PlatformEconomy=FakeEconomy))
    monkeypatch.setitem(sys.modules, "model.outputs", types.SimpleNamespace(write_run=write_run))
    return written


def test_run_applies_overrides_seed_and_steps_and_writes_the_results(tmp_path, capsys, fake_model):
    out = tmp_path / "results"
    code = main(["run", str(BASELINE), "--out", str(out), "--set", "users.count=600", "--set", "platforms.strategy=fixed",
                 "--seed", "5", "--steps", "36", "--no-progress"])
    assert code == 0
    (economy,) = FakeEconomy.made
    p = economy.params
    assert (p.users.count, p.platforms.strategy, p.simulation.seed, p.simulation.steps) == (600, "fixed", 5, 36)
    assert fake_model == [(economy, out)] and economy.progress is False
    printed = capsys.readouterr().out
    assert "36 months, seed 5: lock-in at month 30" in printed and "platform 2 with 80% of users" in printed
    assert f"results in {out}" in printed


def test_seed_and_steps_win_over_a_set_of_the_same_key(tmp_path, fake_model):
    main(["run", str(BASELINE), "--out", str(tmp_path / "r"), "--set", "simulation.seed=1", "--seed", "9"])
    assert FakeEconomy.made[0].params.simulation.seed == 9


def test_progress_bar_only_on_a_terminal(tmp_path, monkeypatch, fake_model):
    main(["run", str(BASELINE), "--out", str(tmp_path / "a")])
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    main(["run", str(BASELINE), "--out", str(tmp_path / "b")])
    main(["run", str(BASELINE), "--out", str(tmp_path / "c"), "--no-progress"])
    assert [economy.progress for economy in FakeEconomy.made] == [False, True, False]


def test_run_replaces_an_earlier_run(tmp_path, fake_model):
    out = tmp_path / "results"
    assert main(["run", str(BASELINE), "--out", str(out)]) == 0
    assert main(["run", str(BASELINE), "--out", str(out)]) == 0


@pytest.mark.parametrize(
    "extra",
    [["--set", "network.efect=3"], ["--set", "users.count=-5"], ["--set", "nonsense"], ["--set", "users.count=[1,"],
     ["--set", "users.count=many"], ["--steps", "0"], ["--seed", "-1"]],
    ids=["unknown key", "out of range", "no equals sign", "unreadable value", "wrong type", "zero steps", "negative seed"],
)
def test_a_bad_run_writes_nothing_and_says_why_in_one_message(tmp_path, capsys, fake_model, extra):
    out = tmp_path / "results"
    assert main(["run", str(BASELINE), "--out", str(out), "--no-progress", *extra]) == 2
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert FakeEconomy.made == [] and fake_model == []  # stopped before building the model
    err = capsys.readouterr().err.strip()
    assert err and len(err.splitlines()) == 1


@pytest.mark.parametrize("text, reason", [("[users]\ncount = \n", "line 2"), ('extends = "gone.toml"\n', "gone.toml")])
def test_a_bad_parameter_file_writes_nothing(tmp_path, capsys, fake_model, text, reason):
    params = tmp_path / "x.toml"
    params.write_text(text)
    assert main(["run", str(params), "--out", str(tmp_path / "results")]) == 2
    assert list(tmp_path.iterdir()) == [params] and reason in capsys.readouterr().err


def test_run_refuses_to_replace_a_folder_that_is_not_a_run(tmp_path, capsys, fake_model):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["run", str(BASELINE), "--out", str(tmp_path)]) == 2
    assert (tmp_path / "notes.txt").read_text() == "mine" and FakeEconomy.made == []
    assert "refusing to replace it" in capsys.readouterr().err


def test_run_refuses_an_out_path_that_is_a_file(tmp_path, capsys, fake_model):
    (tmp_path / "results").write_text("mine")
    assert main(["run", str(BASELINE), "--out", str(tmp_path / "results")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_an_interrupted_run_writes_nothing(tmp_path, capsys, monkeypatch, fake_model):
    def interrupt(self, progress=False):
        raise KeyboardInterrupt

    monkeypatch.setattr(FakeEconomy, "run", interrupt)
    assert main(["run", str(BASELINE), "--out", str(tmp_path / "results")]) == 130
    assert fake_model == [] and not (tmp_path / "results").exists()
    assert "nothing written" in capsys.readouterr().err


# -- bad input to any command: one clear error, exit code 2, nothing run --------------------------
@pytest.fixture
def inputs(tmp_path, monkeypatch):
    """A folder of bad inputs; compare and calibrate may not run anything (they fail the test if they do)."""
    def run_nothing(*args, **kwargs):
        raise AssertionError("runs started")

    monkeypatch.setattr("model.compare.compare", run_nothing)
    # model.estimation holds its own name for run_experiment: patched first, so that importing it here
    # binds the real one, which the patch's undo then puts back
    monkeypatch.setattr("model.estimation.run_experiment", run_nothing)
    monkeypatch.setattr("model.experiments.runner.run_experiment", run_nothing)
    monkeypatch.setattr("model.calibration.calibrate", run_nothing)
    (tmp_path / "folder.toml").mkdir()
    (tmp_path / "latin1.toml").write_bytes("[users]\n# \xe9t\xe9\n".encode("latin-1"))
    (tmp_path / "deep.toml").write_text("[users]\ncount = " + "[" * 5000 + "]" * 5000 + "\n")
    (tmp_path / "notes.md").write_text("# my notes\n")
    (tmp_path / "file").write_text("mine")
    (tmp_path / "bad.toml").write_text("[users]\nreview_rate = 3\n")
    return tmp_path


BAD_INPUTS = {
    "run, negative steps": (["run", "BASELINE", "--out", "T/r", "--steps", "-3"], "simulation.steps = -3 is out of range"),
    "run, negative seed": (["run", "BASELINE", "--out", "T/r", "--seed", "-1"], "simulation.seed = -1 is out of range"),
    "run, no such file": (["run", "T/gone.toml", "--out", "T/r"], "T/gone.toml: no such parameter file"),
    "run, a folder as file": (["run", "T/folder.toml", "--out", "T/r"], "T/folder.toml: is not a file"),
    "run, not UTF-8": (["run", "T/latin1.toml", "--out", "T/r"], "T/latin1.toml: not UTF-8 text"),
    "run, nested too deep": (["run", "T/deep.toml", "--out", "T/r"], "T/deep.toml: line 2 (users.count): arrays or tables nested"),
    "run, --set nested too deep": (["run", "BASELINE", "--out", "T/r", "--set", "users.count=" + "[" * 5000],
                                   "the value nests arrays or tables more than"),
    "run, --set a huge number": (["run", "BASELINE", "--out", "T/r", "--set", "users.count=" + "9" * 5000],
                                 "cannot read the value"),
    "run, --out under a file": (["run", "BASELINE", "--out", "T/file/r"], "--out T/file/r: cannot be created: T/file is a file"),
    "params, --odd missing": (["params", "--odd", "T/gone.md"], "T/gone.md: cannot read it (No such file or directory)"),
    "params, --odd a folder": (["params", "--odd", "T/folder.toml"], "T/folder.toml: cannot read it"),
    "params, --odd without the section": (["params", "--odd", "T/notes.md"], "no '<!-- parameters:start -->'"),
    "validate, a folder": (["validate", "T/folder.toml"], "T/folder.toml: is not a file"),
    "validate, nested too deep": (["validate", "T/deep.toml"], "nested more than 20 deep"),
    "calibrate, no seeds": (["calibrate", "BASELINE", "--seeds", "0"], "argument --seeds: must be at least 1, got 0"),
    "calibrate, no processes": (["calibrate", "BASELINE", "--processes", "0"], "argument --processes: must be at least 1"),
    "calibrate, negative processes": (["calibrate", "BASELINE", "--processes", "-2"], "must be at least 1, got -2"),
    "calibrate, not a number": (["calibrate", "BASELINE", "--seeds", "many"], "expected a whole number, got 'many'"),
    "calibrate, no such file": (["calibrate", "T/gone.toml"], "T/gone.toml: no such parameter file"),
    "calibrate, --out a folder": (["calibrate", "BASELINE", "--out", "T/folder.toml"], "is a folder"),
    "calibrate, --out a user's file": (["calibrate", "BASELINE", "--out", "T/notes.md"], "was not written by calibrate"),
    "calibrate, --odd for a parameter file": (["calibrate", "BASELINE", "--odd", "T/notes.md"],
                                              "--odd writes a case's results (params/cases/)"),
    "calibrate a case, --odd missing": (["calibrate", "CASE", "--out", "T/e", "--odd", "T/gone.md"], "T/gone.md: cannot read it"),
    "calibrate a case, --odd without its section": (["calibrate", "CASE", "--out", "T/e", "--odd", "T/notes.md"],
                                                    "no '<!-- calibration:search:start -->'"),
    "compare, one file twice": (["compare", "BASELINE", "BASELINE", "--out", "T/c"], "is given twice"),
    "compare, no processes": (["compare", "BASELINE", "T/ad_cap.toml", "--processes", "0"], "must be at least 1, got 0"),
    "compare, no seeds": (["compare", "BASELINE", "T/ad_cap.toml", "--seeds", "0", "--out", "T/c"], "at least 2 seeds"),
    "compare, negative steps": (["compare", "BASELINE", "T/ad_cap.toml", "--steps", "-1", "--out", "T/c"],
                                "simulation.steps = -1 is out of range"),
    "compare, a folder as file": (["compare", "BASELINE", "T/folder.toml", "--out", "T/c"], "is not a file"),
    "compare, --out a file": (["compare", "BASELINE", "T/ad_cap.toml", "--out", "T/file"], "--out T/file: is a file"),
    "screen, no such file": (["screen", "T/gone.toml", "--out", "T/s"], "T/gone.toml: no such parameter file"),
    "screen, nothing to screen": (["screen", "--out", "T/s"], "screen: give scenario files, or --all"),
    "screen, no trajectories": (["screen", "BASELINE", "--out", "T/s", "--trajectories", "0"],
                                "argument --trajectories: must be at least 1, got 0"),
    "screen, no users": (["screen", "BASELINE", "--out", "T/s", "--users", "0"], "users.count = 0 is out of range"),
    "screen, a bad value in the file": (["screen", "T/bad.toml", "--out", "T/s"], "T/bad.toml: users.review_rate = 3 is out of range"),
    "screen, --out a file": (["screen", "BASELINE", "--out", "T/file"], "--out T/file: exists and is not a folder"),
    "screen, --doc a user's file": (["screen", "BASELINE", "--out", "T/s", "--doc", "T/notes.md"],
                                    "T/notes.md: exists and was not written by screen"),
}


@pytest.mark.parametrize("args, message", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_to_any_command_is_one_clear_error_with_exit_code_2(inputs, capsys, fake_model, args, message):
    (inputs / "ad_cap.toml").write_text('extends = "%s"\n' % BASELINE)
    before = sorted(inputs.rglob("*"))
    named = {"BASELINE": str(BASELINE), "CASE": str(ROOT / "params" / "cases" / "search.toml")}
    args = [named.get(arg, arg.replace("T/", f"{inputs}/")) for arg in args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message.replace("T/", f"{inputs}/") in err and "Traceback" not in err
    assert sorted(inputs.rglob("*")) == before and FakeEconomy.made == []


def test_an_unreadable_parameter_file_is_one_clear_error(tmp_path, capsys, monkeypatch, fake_model):
    params = tmp_path / "locked.toml"
    params.write_text("[users]\n")
    real = Path.read_bytes

    def locked(path):
        if path == params:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", locked)  # chmod cannot lock root out
    assert main(["validate", str(params)]) == 2
    assert main(["run", str(params), "--out", str(tmp_path / "r")]) == 2
    assert capsys.readouterr().err == f"{params}: cannot read: Permission denied\n" * 2


def test_screen_refuses_two_scenarios_of_one_name_before_running_anything(tmp_path, capsys):
    other = tmp_path / "baseline.toml"
    other.write_text(f'extends = "{BASELINE}"\n')
    assert main(["screen", str(BASELINE), str(other), "--out", str(tmp_path / "s")]) == 2
    assert "have the same name 'baseline'" in capsys.readouterr().err and not (tmp_path / "s").exists()


# -- run, end to end with the real model --------------------------------------------------------
def test_run_end_to_end_writes_every_output_with_the_overrides_applied(tmp_path):
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
    assert summary["seed"] == 5 and "phase_transitions" in summary
    assert "results in" in result.stdout
    for table in Params.model_fields:  # the resolved file holds every table
        assert f"[{table}]" in resolved
