"""Binder: the environment built from binder/ alone runs every notebook.

mybinder.org (repo2docker) reads ``binder/runtime.txt`` for the Python version and installs
``binder/requirements.txt`` with pip from the repository's root (its last line, ``-e .``, installs
this checkout), then runs ``binder/postBuild``. The slow test does the same in a fresh virtual
environment: ``python3.12 -m venv`` in a temporary folder, ``pip install -r binder/requirements.txt``
from the root, ``pip check``, ``binder/postBuild`` (which must leave every compiled loop and the charts' bundle cached),
then every notebook in notebooks/ executed by nbclient with that environment's own kernel. It
downloads and installs everything (several minutes), so it runs only when asked, as ``.ci/run``
does after the README's test command:

    RUN_BINDER_TEST=1 .venv/bin/python -m pytest -m binder tests/test_binder.py

The quick checks of the three files (pins, last line, runtime, postBuild) always run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
# Seconds per notebook. This test checks that Binder's environment installs and runs every notebook;
# how fast they run is tests/test_notebooks.py's budget (120 s), which a fresh environment's first
# imports and a busy machine would otherwise turn into a false alarm here.
NOTEBOOK_BUDGET = 300
INSTALL_TIMEOUT = 3600

# Runs inside the fresh environment: its kernel must be that environment's Python, with the
# project installed from this checkout; then every notebook runs from notebooks/.
RUNNER = textwrap.dedent('''
    import json, sys, time
    from pathlib import Path
    import nbformat
    from nbclient import NotebookClient

    budget, paths = float(sys.argv[1]), [Path(p) for p in sys.argv[2:]]

    def execute(notebook, folder):
        deadline = time.monotonic() + budget
        NotebookClient(notebook, kernel_name="python3", resources={"metadata": {"path": str(folder)}},
                       timeout=None, timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
                       startup_timeout=60, allow_errors=False, store_widget_state=False).execute()

    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys, model; print(sys.prefix); print(model.__file__)")])
    execute(probe, paths[0].parent)
    prefix, package = probe.cells[0].outputs[0]["text"].split()
    report = {"kernel_prefix": prefix, "model_file": package, "seconds": {}}
    for path in paths:
        started = time.monotonic()
        execute(nbformat.read(path, as_version=4), path.parent)
        report["seconds"][path.name] = round(time.monotonic() - started, 1)
    print("REPORT " + json.dumps(report))
''')


def requirement_lines() -> list[str]:
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    return [line.split(" #")[0].strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def project_name(requirement: str) -> str:
    """'mesa[rec]>=3.5.1,<4' -> 'mesa' (normalised: lower case, '-' for '_' and '.')."""
    return re.sub(r"[-_.]+", "-", re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]).lower()


def test_runtime_is_the_projects_python():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert runtime == "python-3.12"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.12"


def test_requirements_pin_every_direct_dependency_and_end_with_the_project():
    lines = requirement_lines()
    assert lines[-1] == "-e .", "the last line must install the repository itself (-e .)"
    pins = {project_name(line): line for line in lines[:-1]}
    unpinned = [line for line in lines[:-1] if not re.search(r"==[^=,]+$", line)]
    assert not unpinned, f"not pinned with ==: {unpinned}"
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    missing = [dep for dep in dependencies if project_name(dep) not in pins]
    assert not missing, f"direct dependencies of pyproject.toml missing from binder/requirements.txt: {missing}"
    for dep in dependencies:  # extras (mesa[rec], dask[distributed]) are kept
        extras = re.search(r"\[.*?\]", dep)
        if extras:
            assert extras.group(0) in pins[project_name(dep)], f"{dep}: keep the extras in the pin"


def compiled_loops() -> list[str]:
    """The names of the model's compiled loops (numba dispatchers; all in model/admarket.py)."""
    from numba.core.registry import CPUDispatcher

    import model.admarket

    return sorted(name for name, value in vars(model.admarket).items() if isinstance(value, CPUDispatcher))


def test_postbuild_is_an_executable_bash_script_that_steps_a_small_market():
    """binder/postBuild compiles the compiled loops into Binder's image (the slow test below checks that it does)."""
    script = BINDER / "postBuild"
    assert os.access(script, os.X_OK), "binder/postBuild must be executable (repo2docker runs it as a program)"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    assert "economy.step()" in script.read_text()
    assert len(compiled_loops()) == 4  # _newton, _excess, _roots, _root: the slow test checks that each is compiled


def _python(version: str) -> str | None:
    found = shutil.which(f"python{version}")
    if found:
        return found
    if sys.version_info[:2] == tuple(int(part) for part in version.split(".")):
        return sys.executable
    return None


@pytest.mark.binder
@pytest.mark.skipif(os.environ.get("RUN_BINDER_TEST") != "1",
                    reason="slow (a full install): set RUN_BINDER_TEST=1 to build the Binder environment")
def test_a_fresh_binder_environment_runs_every_notebook(tmp_path):
    version = (BINDER / "runtime.txt").read_text().strip().removeprefix("python-")
    python = _python(version)
    if python is None:
        pytest.skip(f"python{version} (binder/runtime.txt) is not installed")
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    venv = tmp_path / "binder-env"
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    env_python = str(venv / "bin" / "python")
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv),
               # Jupyter looks for kernels in this environment first, whatever the user has installed.
               JUPYTER_PATH=str(venv / "share" / "jupyter"), PYTHONNOUSERSITE="1")

    def run(*args, timeout=INSTALL_TIMEOUT, cwd=ROOT):
        result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result.stdout

    run(env_python, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(env_python, "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt")  # from the root, as repo2docker
    run(env_python, "-m", "pip", "check")
    # repo2docker then runs binder/postBuild: it compiles every compiled loop of the model into the cache
    # the notebooks then read (here a folder of the test's, so that a cache left by other runs proves nothing).
    # Likewise the offline charts' JavaScript bundle (model.charts.offline_bundle_path), under XDG_CACHE_HOME.
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba-cache")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    run("bash", str(BINDER / "postBuild"))
    cached = {path.name.split("-")[0] for path in (tmp_path / "numba-cache").rglob("*.nbi")}
    assert cached == {f"admarket.{name}" for name in compiled_loops()}, "binder/postBuild must compile every compiled loop"
    bundles = list((tmp_path / "cache" / "platform-economy").glob("vega-bundle-*.js"))
    assert len(bundles) == 1 and bundles[0].stat().st_size > 0, "binder/postBuild must build the charts' bundle"
    runner = tmp_path / "run_notebooks.py"
    runner.write_text(RUNNER)
    output = run(env_python, str(runner), str(NOTEBOOK_BUDGET), *map(str, notebooks),
                 timeout=NOTEBOOK_BUDGET * len(notebooks) + 120, cwd=ROOT / "notebooks")
    report = json.loads(output.split("REPORT ", 1)[1])
    assert Path(report["kernel_prefix"]).resolve() == venv.resolve()  # the notebooks ran in the new environment
    assert Path(report["model_file"]).resolve().is_relative_to(ROOT)  # with the project from this checkout
    assert set(report["seconds"]) == {path.name for path in notebooks}
    print(report["seconds"])
