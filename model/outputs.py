"""Results on disk, written all or nothing, and never over a user's own files.

A run writes a folder (parameters, frames, ledger, summary, charts, report), ``compare`` a folder
of three files, ``calibrate`` and ``screen --doc`` one Markdown file each. Each is written beside
its place first (a hidden ``.NAME.xxxxxxxx`` folder or file) and moved in only once complete, so an
interrupted or failed write never leaves half a result.

What is already at the place is replaced only when it is recognisably a result of the same kind,
written by this tool, holding nothing else; anything else is refused (OutError) before any work
starts, and checked again just before the swap:

- a run's folder holds the marker file ``.platform-economy-run`` (JSON naming the tool) and only
  the files a run writes (RUN_FILES, and PNG files in ``charts/``);
- a comparison's folder holds only compare_runs.csv, compare.csv and compare.png, each starting as
  ``compare`` writes it (a CSV header with ``scenario`` first, a PNG signature), compare_runs.csv at least;
- the calibration file's first line is CALIBRATION_MARKER (and the knob census', census.MARKER).

An empty folder (or empty file) holds nothing to lose and may be used too.

A folder is replaced in three renames: the old one aside, the new one in, then the old one removed.
If the new one cannot be moved in, the old one is put back. A write killed outright (SIGKILL, power
cut) can leave hidden ``.NAME.xxxxxxxx`` folders beside NAME; the next write into NAME removes those
that hold nothing but results of its kind and whose writer is gone (see ``_abandoned``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from model.params import params_to_toml

TOOL = "platform-economy"
RUN_MARKER = ".platform-economy-run"
RUN_FILES = frozenset({"params.toml", "model.csv", "platforms.csv", "investors.csv", "ledger.parquet", "summary.json",
                       "report.html", RUN_MARKER})
# How each file compare writes starts: a CSV header with the scenario first, the PNG signature.
COMPARISON_STARTS = {"compare_runs.csv": b"scenario,", "compare.csv": b"scenario,", "compare_paired.csv": b"scenario,",
                     "compare.png": b"\x89PNG\r\n\x1a\n"}
CALIBRATION_MARKER = "<!-- written by `python -m model calibrate`: the next calibrate --out into this file replaces it -->"
# A staging folder whose writer cannot be asked (no marker, or one from another host) counts as
# abandoned once nothing in it has changed for this long: no write takes an hour between two files.
ABANDONED_AFTER_SECONDS = 3600
STAGING_SUFFIX = r"\.[a-z0-9_]{8}"  # .NAME.xxxxxxxx (also the names tempfile.mkdtemp gave in earlier versions)


class OutError(ValueError):
    """An --out that cannot be used; the message says why and what to do instead."""


class LeftoverWarning(UserWarning):
    """New results are in place, but the earlier ones could not all be removed."""


@dataclass(frozen=True)
class Layout:
    """What a command writes into its results folder, and how a folder it wrote is recognised."""

    command: str
    files: frozenset[str]
    recognise: Callable[[Path], bool]
    subfolders: dict[str, str] = field(default_factory=dict)  # subfolder -> suffix of the files in it

    def foreign(self, folder: Path) -> list[str]:
        """What ``folder`` holds that this command does not write (names; folders end with '/')."""
        found = []
        for entry in sorted(folder.iterdir()):
            if entry.is_symlink():
                found.append(entry.name)
            elif entry.is_file() and entry.name in self.files:
                continue
            elif entry.is_dir() and entry.name in self.subfolders:
                found += [f"{entry.name}/{inner.name}" for inner in sorted(entry.iterdir())
                          if inner.is_symlink() or not inner.is_file() or inner.suffix != self.subfolders[entry.name]]
            else:
                found.append(entry.name + ("/" if entry.is_dir() else ""))
        return found


# -- a run ------------------------------------------------------------------------------------
def write_run(economy, out_dir: str | Path) -> Path:
    """Write a run into ``out_dir``: a new or empty folder, or an earlier run, which is replaced whole.

    Raises OutError, before writing anything, if ``out_dir`` is anything else (``check_run_folder``).
    """
    # Imported only now: the charts are slow to import, and checking a folder needs none of this.
    from model.charts import chart_spec, run_charts, save_png
    from model.report import write_report

    out_dir = Path(out_dir)
    with replacing_folder(out_dir, RUN) as staging:
        (staging / RUN_MARKER).write_text(_marker_text("run"), encoding="utf-8")
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
        specs = {name: chart_spec(chart) for name, chart in run_charts(model_frame, platforms, ledger).items()}
        for name, spec in specs.items():
            save_png(spec, staging / "charts" / f"{name}.png")
        write_report(staging / "report.html", specs, summary, economy.params)
    return out_dir


def _is_run(folder: Path) -> bool:
    """Whether ``folder`` carries the marker a run writes."""
    try:
        marker = json.loads((folder / RUN_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("tool") == TOOL


def _marker_text(command: str) -> str:
    """The marker: names the tool, and the process writing (so that its staging folder is known to be in use)."""
    return json.dumps({"tool": TOOL, "written_by": f"python -m model {command}", "host": socket.gethostname(),
                       "pid": os.getpid()}, indent=2) + "\n"


def _is_comparison(folder: Path) -> bool:
    """Whether the files of ``folder`` start as compare writes them (compare_runs.csv at least)."""
    if not (folder / "compare_runs.csv").is_file():
        return False
    return all(_starts_with(folder / name, start) for name, start in COMPARISON_STARTS.items() if (folder / name).exists())


def _starts_with(path: Path, start: bytes) -> bool:
    with path.open("rb") as file:
        return file.read(len(start)) == start


RUN = Layout("run", RUN_FILES, _is_run, {"charts": ".png"})
COMPARISON = Layout("compare", frozenset(COMPARISON_STARTS), _is_comparison)


# -- results folders --------------------------------------------------------------------------
def check_run_folder(out: str | Path) -> None:
    """Refuse (OutError) an ``out`` that a run may not create or replace."""
    check_folder(Path(out), RUN)


def check_comparison_folder(out: str | Path) -> None:
    """Refuse (OutError) an ``out`` that ``compare`` may not create or replace."""
    check_folder(Path(out), COMPARISON)


def check_folder(out: Path, layout: Layout) -> None:
    """``out`` may be created, or is empty, or holds an earlier result of ``layout`` and nothing else."""
    _check_place(out)
    refusal = "refusing to replace it (nothing was changed): choose a new or empty folder for --out"
    try:
        if not out.exists() or not any(out.iterdir()):
            return
        if not layout.recognise(out):
            raise OutError(f"{out}: holds {_listing(_names(out))}, which is not the result of an "
                           f"earlier `{layout.command}` ({_recognised_by(layout)}); {refusal}")
        foreign = layout.foreign(out)
    except OSError as error:
        raise OutError(f"{out}: cannot read it ({error.strerror or error})") from None
    if foreign:
        raise OutError(f"{out}: holds an earlier `{layout.command}` result, and also {_listing(foreign)}, which "
                       f"`{layout.command}` does not write and would be lost; {refusal}, or move them out")


def _recognised_by(layout: Layout) -> str:
    if layout is RUN:
        return f"no {RUN_MARKER} marker"
    return "compare writes nothing but compare_runs.csv, compare.csv and compare.png, in its own format"


def _names(folder: Path) -> list[str]:
    return [entry.name + ("/" if entry.is_dir() and not entry.is_symlink() else "") for entry in sorted(folder.iterdir())]


def _listing(names: list[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _check_place(out: Path) -> None:
    """``out`` can be a folder of results: not a link, not a file, not the current folder, and creatable."""
    if out.is_symlink():
        raise OutError(f"{out}: is a symbolic link; give the folder it points to ({os.path.realpath(out)}) instead")
    if out.name in ("", ".."):
        raise OutError(f"{out}: give the results folder by its own name, e.g. results/baseline")
    if out.exists() and not out.is_dir():
        raise OutError(f"{out}: is a file, not a folder; refusing to replace it: choose a folder name for --out")
    absolute = Path(os.path.abspath(out))
    if absolute == Path.cwd() or absolute in Path.cwd().parents:
        raise OutError(f"{out}: is the current folder or holds it, which cannot be replaced: give a folder inside it")
    _check_parent(out)


def _check_parent(out: Path) -> None:
    """The nearest existing folder above ``out`` is a folder this process may write in."""
    ancestor = Path(os.path.abspath(out)).parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutError(f"{out}: cannot be created: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutError(f"{out}: cannot be created in {ancestor}: permission denied")


@contextmanager
def replacing_folder(out: Path, layout: Layout) -> Iterator[Path]:
    """A new folder to write results into; on leaving the block it replaces ``out`` in one swap.

    ``out`` is checked first (``check_folder``) and again before the swap. On any error the new
    folder is removed and ``out`` is left as it was.
    """
    check_folder(out, layout)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(out, layout)
    staging = _new_hidden_beside(out)
    try:
        yield staging
        check_folder(out, layout)  # the user may have put files there while the results were computed
        _swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _new_hidden_beside(out: Path) -> Path:
    """A new, empty folder ``.NAME.xxxxxxxx`` beside ``out``, with the permissions of mkdir (the umask's)."""
    while True:
        path = out.parent / f".{out.name}.{secrets.token_hex(4)}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue


def _swap_in(staging: Path, out: Path) -> None:
    """Put ``staging`` in the place of ``out``: old aside, new in, old removed; the old is put back if the new cannot go in."""
    if not out.exists():
        os.rename(staging, out)
        return
    aside = _new_hidden_beside(out)
    if _is_run(out):  # the old run, once aside, is a staging folder in use: say by whom
        (out / RUN_MARKER).write_text(_marker_text("run"), encoding="utf-8")
    try:
        os.rename(out, aside)  # onto the empty folder just made: one atomic step
    except BaseException:
        aside.rmdir()
        raise
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(aside, out)
        raise
    try:
        shutil.rmtree(aside)
    except OSError as error:
        warnings.warn(f"{out}: the new results are in place, but the earlier ones could not all be removed: "
                      f"{aside} remains ({error.strerror or error}: {error.filename}); remove it yourself",
                      LeftoverWarning, stacklevel=2)


def _remove_abandoned_staging(out: Path, layout: Layout) -> None:
    """Remove the staging folders of ``out`` that a killed write left: ours by name and content, and abandoned."""
    pattern = re.compile(re.escape(f".{out.name}") + STAGING_SUFFIX)
    for entry in out.parent.iterdir():
        if not pattern.fullmatch(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            if not layout.foreign(entry) and _abandoned(entry):
                shutil.rmtree(entry)
        except OSError:
            continue  # gone meanwhile, or not removable: left as it is


def _abandoned(folder: Path) -> bool:
    """No writer is at work in ``folder``.

    Its marker names the process that wrote it: on this host, the folder is abandoned once that
    process has ended. Without a marker (a comparison, a killed write's first instant, an earlier
    version's folder) or from another host, once nothing in it has changed for an hour.
    """
    try:
        writer = json.loads((folder / RUN_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        writer = None
    if isinstance(writer, dict) and writer.get("host") == socket.gethostname() and isinstance(writer.get("pid"), int):
        return not _running(writer["pid"])
    changed = max(max(path.stat().st_mtime, path.stat().st_ctime) for path in [folder, *folder.rglob("*")])
    return time.time() - changed > ABANDONED_AFTER_SECONDS


def _running(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, and belongs to another user
    return True


# -- a Markdown file a command writes (calibrate --out, screen --doc) --------------------------
def check_calibration_file(path: str | Path) -> None:
    """Refuse (OutError) a ``path`` that calibrate may not write: it must be new, empty or one calibrate wrote."""
    check_marked_file(path, CALIBRATION_MARKER, "calibrate", "--out", "calibration.md")


def write_calibration(path: str | Path, markdown: str) -> Path:
    """Write the calibration table into ``path`` (see ``check_calibration_file``), its first line the marker."""
    return write_marked_file(path, CALIBRATION_MARKER, markdown, "calibrate", "--out", "calibration.md")


def check_marked_file(path: str | Path, marker: str, command: str, option: str, example: str) -> None:
    """Refuse (OutError) a ``path`` that ``command`` may not write: it must be new, empty, or start with ``marker``.

    ``option`` (e.g. --out) and ``example`` (a file name to suggest) are for the messages.
    """
    path = Path(path)
    if path.is_symlink():
        raise OutError(f"{path}: is a symbolic link; give the file it points to ({os.path.realpath(path)}) instead")
    if path.is_dir():
        raise OutError(f"{path}: is a folder; give the name of a Markdown file, e.g. {path / example}")
    _check_parent(path)
    try:
        if path.exists() and path.stat().st_size and not _starts_with(path, marker.encode()):
            raise OutError(f"{path}: exists and was not written by {command} (its first line is not the marker "
                           f"{marker}); refusing to overwrite it: choose a new file name for {option}")
    except OSError as error:
        raise OutError(f"{path}: cannot read it ({error.strerror or error})") from None


def write_marked_file(path: str | Path, marker: str, markdown: str, command: str, option: str, example: str) -> Path:
    """Write ``markdown`` into ``path`` (see ``check_marked_file``) whole or not at all, its first line ``marker``."""
    path = Path(path)
    check_marked_file(path, marker, command, option, example)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.parent / f".{path.name}.{secrets.token_hex(4)}"
    try:
        with staging.open("x", encoding="utf-8") as file:  # "x": a new file, with the umask's permissions
            file.write(f"{marker}\n{markdown}")
        os.replace(staging, path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    return path
