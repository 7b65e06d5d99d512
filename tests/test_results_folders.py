"""Results folders: nothing a user owns is ever lost (issue 15, items 1, 2 and 12).

A run replaces its --out folder only when that folder is recognisably an earlier run of this tool
(its marker file) holding nothing else; it swaps the new folder in atomically; a write killed
outright leaves a staging folder that the next write removes; folders get the umask's permissions.
`compare --out` and `calibrate --out` follow the same rule, and refuse before running anything.
"""

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time

import pandas as pd
import pytest

import model.charts
import model.report
from model import outputs
from model.cli import main
from model.compare import write_comparison
from model.outcomes import OUTCOMES
from model.outputs import CALIBRATION_MARKER, RUN_MARKER, LeftoverWarning, OutError, write_run
from tests.conftest import ROOT, NETWORK_ONLY, run, scenario

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def economy():
    return run(scenario(users__count=100, simulation__steps=6))


@pytest.fixture(autouse=True)
def quick_charts(monkeypatch):
    """Charts and report stand-ins: these tests are about folders, and rendering takes seconds."""
    monkeypatch.setattr(model.charts, "run_charts", lambda *frames: {"shares": {}, "money": {}})  # empty specs
    monkeypatch.setattr(model.charts, "save_png", lambda chart, path: path.write_bytes(PNG + b"chart"))
    monkeypatch.setattr(model.report, "write_report", lambda path, *rest: path.write_text("<html></html>"))


def files_of(folder):
    """Every file below ``folder`` with its content."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def hidden_beside(folder):
    return sorted(path.name for path in folder.parent.iterdir() if path.name.startswith("."))


def earlier_run(economy, out):
    """A run in ``out`` whose summary.json says 'old', so that a replacement shows."""
    write_run(economy, out)
    (out / "summary.json").write_text('"old"')
    return files_of(out)


# -- what a run may replace ------------------------------------------------------------------------
def test_the_issue_example_keeps_the_users_files_and_exits_with_a_reason(tmp_path, capsys):
    project = tmp_path / "proj"
    (project / "sub").mkdir(parents=True)
    (project / "notes.txt").write_text("notes\n")
    (project / "sub" / "d.csv").write_text("x\n")
    (project / "params.toml").write_text("foo=1\n")
    before = files_of(project)
    code = main(["run", str(NETWORK_ONLY), "--set", "users.count=200", "--steps", "12", "--out", str(project)])
    assert code == 2 and files_of(project) == before
    err = capsys.readouterr().err
    assert f"--out {project}: holds notes.txt, params.toml, sub/" in err and f"no {RUN_MARKER} marker" in err
    assert "refusing to replace it" in err and "choose a new or empty folder" in err
    assert hidden_beside(project) == []


def test_an_earlier_run_is_replaced_whole(economy, tmp_path):
    out = tmp_path / "run"
    old = earlier_run(economy, out)
    write_run(economy, out)
    new = files_of(out)
    assert set(new) == set(old) and new["summary.json"] != b'"old"'
    assert json.loads(new[RUN_MARKER])["tool"] == "platform-economy"
    assert hidden_beside(out) == []


@pytest.mark.parametrize("extra", ["notes.txt", "charts/notes.txt", "charts/sub/a.png", "sub/d.csv"])
def test_an_earlier_run_holding_anything_else_is_refused_and_kept(economy, tmp_path, extra):
    out = tmp_path / "run"
    earlier_run(economy, out)
    (out / extra).parent.mkdir(parents=True, exist_ok=True)
    (out / extra).write_text("mine")
    before = files_of(out)
    with pytest.raises(OutError, match=f"holds an earlier `run` result, and also {extra.split('/')[0]}"):
        write_run(economy, out)
    assert files_of(out) == before and hidden_beside(out) == []


def test_a_folder_with_the_marker_of_another_tool_is_refused(economy, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / RUN_MARKER).write_text('{"tool": "something else"}')
    with pytest.raises(OutError, match=f"no {RUN_MARKER} marker"):
        write_run(economy, out)


def test_an_empty_folder_or_a_new_path_is_used(economy, tmp_path):
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "empty", tmp_path / "new" / "deeper"):
        write_run(economy, out)
        assert (out / RUN_MARKER).is_file()


@pytest.mark.parametrize("make, reason", [
    (lambda out: out.write_text("mine"), "is a file, not a folder"),
    (lambda out: out.symlink_to(out.parent), "is a symbolic link"),
    (lambda out: (out.parent / "file").write_text("x"), "cannot be created"),
])
def test_an_out_that_cannot_be_a_results_folder_is_refused(economy, tmp_path, make, reason):
    out = tmp_path / "out"
    make(out)
    target = tmp_path / "file" / "run" if reason == "cannot be created" else out
    with pytest.raises(OutError, match=reason):
        outputs.check_run_folder(target)


def test_the_current_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for out in (".", str(tmp_path), ".."):
        with pytest.raises(OutError):
            outputs.check_run_folder(out)


# -- the swap ---------------------------------------------------------------------------------------
def test_a_failed_write_leaves_the_earlier_run_as_it_was(economy, tmp_path, monkeypatch):
    out = tmp_path / "run"
    before = earlier_run(economy, out)
    monkeypatch.setattr(model.charts, "save_png", lambda *args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        write_run(economy, out)
    assert files_of(out) == before and hidden_beside(out) == []


def test_a_failure_between_the_renames_puts_the_earlier_run_back(economy, tmp_path, monkeypatch):
    out = tmp_path / "run"
    before = earlier_run(economy, out)
    rename = os.rename

    def new_run_cannot_move_in(source, target):
        if os.fspath(target) == os.fspath(out) and not new_run_cannot_move_in.failed:
            new_run_cannot_move_in.failed = True
            raise OSError("injected failure")
        rename(source, target)

    new_run_cannot_move_in.failed = False
    monkeypatch.setattr(os, "rename", new_run_cannot_move_in)
    with pytest.raises(OSError, match="injected failure"):
        write_run(economy, out)
    assert new_run_cannot_move_in.failed
    after = files_of(out)
    marker = json.loads(after.pop(RUN_MARKER))  # the marker says who last held it; nothing else changed
    before.pop(RUN_MARKER)
    assert after == before and marker["tool"] == "platform-economy"
    assert hidden_beside(out) == []


def test_an_undeletable_earlier_run_leaves_the_new_run_in_place_and_says_what_remains(economy, tmp_path):
    if os.geteuid() != 0 or not shutil.which("chattr"):
        pytest.skip("needs root and chattr to make a folder undeletable")
    out = tmp_path / "run"
    earlier_run(economy, out)
    if subprocess.run(["chattr", "+i", str(out / "charts")], capture_output=True).returncode:
        pytest.skip("this file system has no immutable flag")
    try:
        with pytest.warns(LeftoverWarning, match="the new results are in place") as caught:
            write_run(economy, out)
        assert json.loads((out / "summary.json").read_text()) != "old" and (out / "charts" / "shares.png").is_file()
        (leftover,) = hidden_beside(out)
        assert leftover in str(caught[0].message)
    finally:
        for folder in tmp_path.glob("*/charts"):
            subprocess.run(["chattr", "-i", str(folder)])


def test_results_folders_have_the_permissions_mkdir_gives(economy, tmp_path):
    umask = os.umask(0o022)
    try:
        write_run(economy, tmp_path / "run")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "run" / "charts").stat().st_mode) == 0o755


# -- writes killed outright --------------------------------------------------------------------------
KILLED_WRITER = """
import sys, time
import model.charts
from model.outputs import write_run
from tests.conftest import run, scenario

def hang(chart, path):
    print("writing charts", flush=True)
    time.sleep(600)

model.charts.run_charts = lambda *frames: {"shares": {}}
model.charts.save_png = hang
write_run(run(scenario(users__count=50, simulation__steps=2)), sys.argv[1])
"""


def test_a_write_killed_outright_leaves_a_staging_folder_that_the_next_write_removes(economy, tmp_path):
    out = tmp_path / "run"
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(out)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "writing charts\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    (staging,) = hidden_beside(out)
    assert (tmp_path / staging / "summary.json").is_file() and not out.exists()
    write_run(economy, out)
    assert hidden_beside(out) == [] and (out / "summary.json").is_file()


def staging_folder(out, name, pid):
    folder = out.parent / name
    folder.mkdir(parents=True)
    (folder / "model.csv").write_text("step\n")
    (folder / RUN_MARKER).write_text(json.dumps({"tool": "platform-economy", "host": socket.gethostname(), "pid": pid}))
    return folder


def test_a_staging_folder_still_being_written_is_left_alone(economy, tmp_path):
    out = tmp_path / "run"
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        busy = staging_folder(out, ".run.0123abcd", writer.pid)
        write_run(economy, out)
        assert busy.is_dir()
    finally:
        writer.kill()
        writer.wait()


def test_only_staging_folders_of_this_out_holding_nothing_but_results_are_removed(economy, tmp_path):
    out = tmp_path / "run"
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(ended.stdout)  # a process that has ended
    abandoned = staging_folder(out, ".run.0123abcd", pid)
    other_out = staging_folder(out, ".runs.0123abcd", pid)
    not_a_staging_name = staging_folder(out, ".run.backup", pid)
    holds_a_user_file = staging_folder(out, ".run.4567cdef", pid)
    (holds_a_user_file / "notes.txt").write_text("mine")
    write_run(economy, out)
    assert not abandoned.exists()
    assert other_out.is_dir() and not_a_staging_name.is_dir() and holds_a_user_file.is_dir()


def test_an_unmarked_staging_folder_is_removed_only_after_an_hour_untouched(economy, tmp_path, monkeypatch):
    out = tmp_path / "run"
    folder = tmp_path / ".run.0123abcd"
    folder.mkdir()
    (folder / "model.csv").write_text("step\n")
    write_run(economy, out)
    assert folder.is_dir()  # just written: perhaps another writer, without its marker yet
    monkeypatch.setattr(time, "time", lambda: os.stat(folder).st_ctime + outputs.ABANDONED_AFTER_SECONDS + 1)
    write_run(economy, out)
    assert not folder.exists()


# -- compare --out ----------------------------------------------------------------------------------
def comparison_frames():
    runs = pd.DataFrame({"scenario": ["a", "a", "b", "b"], "seed": [0, 1, 0, 1], **{key: [1.0, 2.0, 1.0, 2.0] for key in OUTCOMES}})
    summary = pd.DataFrame([{"scenario": name, "output": key, "n": 2, "mean": 1.5, "sd": 0.7, "ci95_low": 1.0,
                             "ci95_high": 2.0} for name in "ab" for key in OUTCOMES])
    return runs, summary


def test_compare_replaces_an_earlier_comparison_whole(tmp_path, monkeypatch):
    monkeypatch.setattr("model.compare.save_png", lambda chart, path: path.write_bytes(PNG + b"chart"))
    out = tmp_path / "compare"
    write_comparison(*comparison_frames(), out)
    (out / "compare.csv").write_text("scenario,old\n")
    write_comparison(*comparison_frames(), out)
    assert sorted(files_of(out)) == ["compare.csv", "compare.png", "compare_paired.csv", "compare_runs.csv"]
    assert (out / "compare.csv").read_text().startswith("scenario,output,")


@pytest.fixture
def no_runs(monkeypatch):
    """Any run of compare or calibrate fails the test: a bad --out must be refused before."""
    def run_nothing(*args, **kwargs):
        raise AssertionError("runs started")

    monkeypatch.setattr("model.compare.compare", run_nothing)
    monkeypatch.setattr("model.calibration.calibrate", run_nothing)


COMPARE = ["compare", "params/baseline.toml", "params/scenarios/ad_cap.toml", "--seeds", "2"]


@pytest.mark.parametrize("make, reason", [
    (lambda out: out.write_text("mine"), "is a file, not a folder"),
    (lambda out: (out.mkdir(), (out / "notes.txt").write_text("mine")), "holds notes.txt"),
    (lambda out: (out.mkdir(), (out / "compare.csv").write_text("mine")), "holds compare.csv"),
    (lambda out: (out.mkdir(), (out / "compare_runs.csv").write_text("mine")), "holds compare_runs.csv"),
], ids=["a file", "another file", "a compare.csv compare did not write", "a compare_runs.csv compare did not write"])
def test_compare_refuses_an_unusable_out_before_running(tmp_path, capsys, monkeypatch, no_runs, make, reason):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    make(out)
    before = files_of(out) if out.is_dir() else out.read_bytes()
    assert main([*COMPARE, "--out", str(out)]) == 2
    assert reason in capsys.readouterr().err
    assert (files_of(out) if out.is_dir() else out.read_bytes()) == before


def test_compare_refuses_the_same_scenario_twice(tmp_path, capsys, monkeypatch, no_runs):
    monkeypatch.chdir(ROOT)
    for twice in (["params/baseline.toml", "params/baseline.toml"], ["params/baseline.toml", "params/../params/baseline.toml"]):
        assert main(["compare", *twice, "--out", str(tmp_path / "out")]) == 2
        assert "is given twice" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# -- calibrate --out --------------------------------------------------------------------------------
@pytest.fixture
def quick_calibration(monkeypatch):
    table = pd.DataFrame([{"fact": "a fact", "target": "0 to 1", "median": 0.5, "min": 0.2, "max": 0.8, "missing": 0,
                           "in_range": True}])
    from model.calibration import regime_frequencies

    regimes = regime_frequencies([{"regime": "tipped"}, {"regime": "contested"}])
    monkeypatch.setattr("model.calibration.calibrate", lambda *args, **kwargs: (table, regimes))


def test_calibrate_writes_its_file_with_a_marker_and_replaces_only_such_a_file(tmp_path, capsys, quick_calibration):
    path = tmp_path / "docs" / "calibration.md"
    assert main(["calibrate", str(NETWORK_ONLY), "--seeds", "2", "--out", str(path)]) == 0
    first, rest = path.read_text().split("\n", 1)
    assert first == CALIBRATION_MARKER and "| a fact | 0 to 1 | 0.50 |" in rest
    assert "Regimes over 2 runs: tipped 1 (50%" in rest
    path.write_text(path.read_text().replace("a fact", "an old fact"))
    assert main(["calibrate", str(NETWORK_ONLY), "--seeds", "2", "--out", str(path)]) == 0
    assert "an old fact" not in path.read_text()
    assert hidden_beside(path) == []


@pytest.mark.parametrize("make, reason", [
    (lambda path: path.write_text("# my notes\n"), "was not written by calibrate"),
    (lambda path: path.mkdir(), "is a folder"),
], ids=["a file calibrate did not write", "a folder"])
def test_calibrate_refuses_an_unusable_out_before_running(tmp_path, capsys, no_runs, make, reason):
    path = tmp_path / "calibration.md"
    make(path)
    assert main(["calibrate", str(NETWORK_ONLY), "--out", str(path)]) == 2
    assert reason in capsys.readouterr().err
    assert path.is_dir() or path.read_text() == "# my notes\n"
