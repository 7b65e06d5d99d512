"""A sweep's results folder and what it reaches: damaged parts, a second sweep, hostile manifests,
schedulers that do not answer, bad options. Every refusal comes before anything is created or
changed, and says what is wrong."""

import http.server
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from model.cli import main
from model.experiments import ResultStore, load_runs, run_experiment

ROOT = Path(__file__).resolve().parent.parent
NETWORK_ONLY = ROOT / "params" / "classroom" / "network_only.toml"


def experiment_file(folder: Path) -> Path:
    path = folder / "exp.toml"
    path.write_text(f"""
[experiment]
base = "{NETWORK_ONLY}"
replicates = 2
seed = 5

[set]
"users.count" = 200
"simulation.steps" = 12

[vary]
"network.effect" = [1.0, 2.0, 3.0]

[keep]
model_frame = true
outputs = ["final_hhi"]
""", encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict:
    """Every file under a folder with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished sweep of 6 runs in 3 part files (2 runs each), and its rows."""
    folder = tmp_path_factory.mktemp("finished")
    path = experiment_file(folder)
    run_experiment(path, folder / "out", serial=True, batch_size=2, progress=False)
    return path, folder / "out", load_runs(folder / "out").drop(columns="run_seconds")


@pytest.fixture
def copy(finished, tmp_path):
    """A copy of the finished sweep's folder, to damage."""
    path, out, rows = finished
    shutil.copytree(out, tmp_path / "out")
    return path, tmp_path / "out", rows


# -- damaged part files -----------------------------------------------------------------------
def truncate(part: Path) -> None:
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])


def empty(part: Path) -> None:
    part.write_bytes(b"")


def overwrite(part: Path) -> None:
    """Bytes overwritten in the middle of a column's data (its largest column chunk): the file still
    opens. Each byte is flipped, so that it changes whatever it was. (The middle of the file is no
    place to aim: with many columns it falls in the page index or the footer, not in the data.)"""
    import pyarrow.parquet as pq

    row_group = pq.ParquetFile(part).metadata.row_group(0)
    chunk = max((row_group.column(i) for i in range(row_group.num_columns)), key=lambda c: c.total_compressed_size)
    start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
    middle = start + chunk.total_compressed_size // 2
    data = bytearray(part.read_bytes())
    data[middle:middle + 8] = bytes(byte ^ 0xFF for byte in data[middle:middle + 8])
    part.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [truncate, empty, overwrite])
def test_a_damaged_part_is_set_aside_with_a_warning_and_its_runs_run_again(copy, damage, caplog):
    path, out, rows = copy
    part = ResultStore(out).run_parts()[1]
    damage(part)
    report = run_experiment(path, out, serial=True, progress=False)
    assert report.ran == 2 and report.already_done == 4
    assert (out / "runs" / (part.name + ".damaged")).exists() and not part.exists()
    assert f"{part}: damaged part file" in caplog.text and "set aside" in caplog.text
    pd.testing.assert_frame_equal(load_runs(out).drop(columns="run_seconds"), rows)


def test_a_damaged_steps_part_sets_its_batch_aside(copy, caplog):
    path, out, rows = copy
    steps = out / "steps" / ResultStore(out).run_parts()[0].name
    truncate(steps)
    report = run_experiment(path, out, serial=True, progress=False)
    assert report.ran == 2 and f"{steps}: damaged part file" in caplog.text
    pd.testing.assert_frame_equal(load_runs(out).drop(columns="run_seconds"), rows)
    assert len(ResultStore(out).steps()) == 6 * 12


def test_summarize_names_a_damaged_part_file(copy, capsys):
    _, out, _ = copy
    part = ResultStore(out).run_parts()[2]
    overwrite(part)
    assert main(["summarize", str(out), "--no-charts"]) == 2
    error = capsys.readouterr().err
    assert f"{part}: damaged part file" in error and "run the same `sweep` command again" in error


def test_parts_are_flushed_to_disk_before_they_are_renamed_into_place(tmp_path, monkeypatch):
    """A power cut after the rename must not leave a part whose bytes never reached the disk."""
    events = []
    fsync, replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"))), fsync(fd)))
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append(("replace", str(a))), replace(a, b)))
    run_experiment(experiment_file(tmp_path), tmp_path / "out", serial=True, batch_size=3, progress=False)
    renamed = [name for kind, name in events if kind == "replace" and "part-" in name]
    assert len(renamed) == 4  # 2 runs parts and 2 steps parts
    for name in renamed:
        assert events.index(("fsync", name)) < events.index(("replace", name))


# -- one sweep at a time ----------------------------------------------------------------------
def test_a_second_sweep_into_a_folder_in_use_is_refused_and_changes_nothing(copy, capsys):
    path, out, _ = copy
    (out / "runs" / ".part-leftover.parquet.1234.tmp").write_bytes(b"being written by the first sweep")
    with ResultStore(out).locked():  # the first sweep, still running
        before = snapshot(out)
        assert main(["sweep", str(path), "--out", str(out), "--serial", "--retry-failed", "--no-progress"]) == 1
        assert snapshot(out) == before
    assert "in use by another sweep" in capsys.readouterr().err


# -- hostile or damaged folders ---------------------------------------------------------------
@pytest.mark.parametrize("manifest", ["garbage{", "[1, 2]", "\xff\xfe"])
def test_a_manifest_that_is_not_a_json_object_is_a_clear_error(copy, manifest, capsys):
    path, out, _ = copy
    (out / "manifest.json").write_bytes(manifest.encode("latin-1"))
    assert main(["sweep", str(path), "--out", str(out), "--serial", "--no-progress"]) == 2
    assert main(["summarize", str(out), "--no-charts"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2 and all(line.startswith(f"{out / 'manifest.json'}: not a manifest") for line in errors)


# -- bad options and unreachable schedulers ---------------------------------------------------
@pytest.mark.parametrize("options, words", [
    (["--workers", "-1"], "--workers -1: the worker processes must be a whole number >= 1"),
    (["--workers", "0"], "--workers 0: the worker processes must be a whole number >= 1"),
    (["--batch-size", "0"], "--batch-size 0: the runs per part file must be a whole number >= 1"),
    (["--connect-timeout", "0"], "--connect-timeout 0.0: the seconds to reach the scheduler must be a number > 0"),
    (["--scheduler", "notanaddress"], "--scheduler notanaddress: not the address of a Dask scheduler"),
])
def test_bad_sweep_options_are_refused_before_anything_is_created(tmp_path, capsys, options, words):
    out = tmp_path / "out"
    assert main(["sweep", str(experiment_file(tmp_path)), "--out", str(out), "--no-progress", *options]) == 2
    error = capsys.readouterr().err
    assert words in error and "Traceback" not in error
    assert not out.exists()


@pytest.fixture
def web_server():
    """A program that accepts connections but is not a Dask scheduler."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"  # closed again: nothing listens there


@pytest.mark.parametrize("where, words", [("web_server", "something listens there, but it is not a Dask scheduler"),
                                          ("closed_port", "cannot reach a Dask scheduler within 1 s")])
def test_a_scheduler_that_does_not_answer_is_reported_within_the_timeout_and_nothing_is_created(
        tmp_path, capsys, request, where, words):
    address = request.getfixturevalue(where) if where == "web_server" else closed_port()
    out = tmp_path / "out"
    started = time.monotonic()
    assert main(["sweep", str(experiment_file(tmp_path)), "--out", str(out), "--scheduler", address,
                 "--connect-timeout", "1", "--no-progress"]) == 1
    assert time.monotonic() - started < 10
    error = capsys.readouterr().err
    assert f"--scheduler {address}: {words}" in error and "Traceback" not in error
    assert not out.exists()


def test_the_local_cluster_listens_on_loopback_only():
    """Its scheduler and its dashboard: nobody else on the network can reach them."""
    import psutil

    from model.experiments.cluster import local_client

    with local_client(workers=1) as client:
        ports = {int(client.scheduler.address.rsplit(":", 1)[1]), client.cluster.scheduler.http_server.port}
        listening = [c.laddr for c in psutil.Process().net_connections("inet") if c.status == psutil.CONN_LISTEN]
    ours = [address for address in listening if address.port in ports]
    assert len({address.port for address in ours}) == 2
    assert {address.ip for address in ours} == {"127.0.0.1"}
