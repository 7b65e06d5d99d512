"""The notebooks: every one in notebooks/ runs from top to bottom without an error, in time.

Each notebook is executed by nbclient in a fresh kernel of this Python (the one running pytest),
with notebooks/ as working directory (as JupyterLab and Binder run them), within a budget of
``NOTEBOOK_BUDGET`` seconds for the whole notebook: every cell gets what is left of it. Outputs
are not written back; the stored notebooks carry none (checked below), a run must print no
warning or error on stderr, and any notebook that draws charts calls
``model.charts.use_offline_renderer()`` in its first code cell, so that its charts draw without
the internet.

The notebooks are found by globbing the folder, so a new notebook is tested as soon as it is
added. Each test has its own kernel and writes nothing into the repository (notebooks that write
files use temporary folders), so the tests run side by side with the rest of the suite under
pytest-xdist (``make test`` runs ``pytest -n 2 --dist loadfile``: this file goes to one worker,
its notebooks one after another).
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
NOTEBOOK_BUDGET = 120  # seconds for a whole notebook, on 2 cores
STORY_NOTEBOOKS = ["01_the_cycle.ipynb", "02_parameter_files.ipynb", "03_classroom_lab.ipynb",
                   "04_bailouts_and_policy.ipynb"]
OFFLINE_RENDERER = "use_offline_renderer()"


def execute(path: Path, budget: float = NOTEBOOK_BUDGET) -> tuple[nbformat.NotebookNode, float]:
    """Run every cell of a notebook in a new kernel, from its folder; return it, run, and the seconds taken.

    Raises nbclient's CellExecutionError on the first error, CellTimeoutError once the budget is spent.
    """
    notebook = nbformat.read(path, as_version=4)
    started = time.monotonic()
    deadline = started + budget
    client = NotebookClient(
        notebook,
        kernel_name="python3",  # the native kernel: this interpreter (jupyter_client swaps "python" for it)
        resources={"metadata": {"path": str(path.parent)}},
        timeout=None,
        timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),  # what is left of the budget
        startup_timeout=60,
        allow_errors=False,
        store_widget_state=False,
    )
    client.execute()
    return notebook, time.monotonic() - started


def test_the_story_notebooks_are_there():
    missing = [name for name in STORY_NOTEBOOKS if not (NOTEBOOK_DIR / name).is_file()]
    assert not missing, f"missing notebooks: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [i for i, cell in enumerate(notebook.cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts (clear them before committing)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_draws_charts_offline(path):
    code = [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    if not any("altair" in source or "chart" in source.lower() for source in code):
        pytest.skip("no charts")
    assert OFFLINE_RENDERER in code[0], (
        f"{path.name}: the first code cell must call {OFFLINE_RENDERER} (from model.charts)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_imports_the_shared_helpers_instead_of_copying_them(path):
    import ast

    from model import notebook

    shared = {name for name, value in vars(notebook).items()
              if callable(value) and getattr(value, "__module__", None) == notebook.__name__ and not name.startswith("_")}
    code = "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code")
    defined = {node.name for node in ast.walk(ast.parse(code)) if isinstance(node, ast.FunctionDef)}
    assert not defined & shared, f"{path.name} defines {sorted(defined & shared)}: import them from model.notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path):
    notebook, seconds = execute(path)
    assert seconds < NOTEBOOK_BUDGET
    # Warnings printed under a cell (deprecations, bad escapes, ...) would greet every reader.
    noise = [(i, output["text"][:300]) for i, cell in enumerate(notebook.cells) for output in cell.get("outputs", [])
             if output.get("name") == "stderr" and any(word in output["text"] for word in ("Warning", "Error", "Traceback"))]
    assert not noise, f"{path.name}: warnings or errors on stderr: {noise}"
