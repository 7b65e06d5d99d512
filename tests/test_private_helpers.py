"""A module's private helpers (names that start with one underscore) stay inside it.

What another module needs is public, named and documented; so a private helper can be changed
without reading the whole package. Checked in the package and in the notebooks' code.
"""

import ast
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def sources() -> dict[str, str]:
    """Every module of the package and every notebook's code (its IPython magics left out), by path."""
    found = {str(path.relative_to(ROOT)): path.read_text() for path in sorted((ROOT / "model").rglob("*.py"))}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
        lines = [line for line in "\n".join(cells).splitlines() if not line.lstrip().startswith(("%", "!"))]
        found[str(path.relative_to(ROOT))] = "\n".join(lines)
    return found


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(source: str) -> list[str]:
    """'from model.x import _y' and 'x._y' where x is a module of the package, as written."""
    tree = ast.parse(source)
    uses, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "model":
            for alias in node.names:
                if private(alias.name):
                    uses.append(f"from {node.module} import {alias.name}")
                modules.add(alias.asname or alias.name)  # a module or a function: either way, not ours
        elif isinstance(node, ast.Import):
            modules |= {alias.asname or alias.name for alias in node.names if alias.name.split(".")[0] == "model"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr) and ast.unparse(node.value) in modules:
            uses.append(f"{ast.unparse(node.value)}.{node.attr}")
    return uses


def test_the_check_sees_a_private_helper_taken_from_another_module():
    assert private_uses("from model.charts import _inline, save_png") == ["from model.charts import _inline"]
    assert private_uses("from model import charts\ncharts._title('a')") == ["charts._title"]
    assert private_uses("import model.charts\nmodel.charts._title('a')") == ["model.charts._title"]
    assert private_uses("def f(self):\n    return self._cache") == []


def test_no_module_or_notebook_uses_another_modules_private_helpers():
    offenders = {path: uses for path, source in sources().items() if (uses := private_uses(source))}
    assert offenders == {}, f"private helpers used outside their module (make them public or move them): {offenders}"
