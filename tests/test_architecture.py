"""The package's layers (DESIGN §5): each layer imports only the layers below it, and nothing imports in a circle.

1. ground: parameters, the ledger, metrics, the pure rules (choice, ad market, regulation, trends, ...) and the
   process's memory allocator's settings;
2. actors: users, advertisers, platforms, investors, government, suppliers, lenders; no actor
   imports another;
3. markets (``model/markets/``), where actors meet; a market may use one listed before it;
4. the recorder, which turns the month's state into rows and frames;
5. the economy, which wires actors and markets;
6. faces: experiments, calibration, charts, the command line, notebooks' helpers.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "model"
GROUND = {"model.params", "model.ledger", "model.metrics", "model.choice", "model.admarket", "model.regulation",
          "model.captable", "model.social", "model.forecasts", "model.statistics", "model.memory", "model.trends"}
ACTORS = {"model.users", "model.advertisers", "model.platforms", "model.investors", "model.government",
          "model.suppliers", "model.lenders"}
MARKET_ORDER = ["model.markets.funding", "model.markets.advertising", "model.markets.households",
                "model.markets.supply", "model.markets.distress", "model.markets.competition"]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def top_level(name: str) -> str:
    """The unit a module belongs to: ``model.params.schema`` is part of ``model.params``."""
    if name.startswith("model.params"):
        return "model.params"
    return name


def layer(name: str) -> int:
    name = top_level(name)
    if name in GROUND:
        return 1
    if name in ACTORS:
        return 2
    if name.startswith("model.markets.") or name == "model.markets":
        return 3
    if name == "model.recorder":
        return 4
    if name == "model.economy":
        return 5
    return 6


def type_checking_only(tree: ast.AST) -> set[ast.AST]:
    """Nodes under ``if TYPE_CHECKING:``: imports for annotations, never run."""
    nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            nodes |= {inner for statement in node.body for inner in ast.walk(statement)}
    return nodes


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Modules of the package that a file imports when it runs, at the top or inside a function."""
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = type_checking_only(tree)
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("model")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("model") and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
    return {name for name in found if name in known}


@functools.cache  # parsed once for the whole file, not once for each module's test
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(path, set(known)) - {name} for name, path in known.items()}


def test_the_layers_are_as_described():
    for name in GROUND | ACTORS | {"model.recorder", "model.economy"} | set(MARKET_ORDER):
        assert name in modules() or any(m.startswith(name + ".") for m in modules()), f"{name} is gone: update this test"


@pytest.mark.parametrize("name", sorted(modules()))
def test_a_module_imports_only_the_layers_below_it(name):
    mine = layer(name)
    for imported in graph()[name]:
        if top_level(imported) == top_level(name):
            continue
        theirs = layer(imported)
        if mine == 3 and theirs == 3 and imported in MARKET_ORDER and name in MARKET_ORDER:
            assert MARKET_ORDER.index(imported) < MARKET_ORDER.index(name), f"{name} uses {imported}, listed after it"
            continue
        if name == "model.markets" and theirs == 3:
            continue  # the package gathers its markets
        upward = theirs > mine
        sideways = theirs == mine and mine in (2, 3)  # no actor imports an actor; markets only in their order
        assert not (upward or sideways), f"{name} (layer {mine}) imports {imported} (layer {theirs})"


def test_nothing_imports_in_a_circle():
    edges = graph()
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for imported in sorted(edges[name]):
            if state.get(imported) == "open":
                cycle = path[path.index(imported):] + [imported] if imported in path else [name, imported]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if imported not in state:
                visit(imported, [*path, imported])
        state[name] = "done"

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])


def test_no_module_imports_another_modules_private_names():
    known = modules()
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("model"):
                private = [alias.name for alias in node.names if alias.name.startswith("_")]
                assert not private, f"{name} imports {private} from {node.module}"


def test_the_economy_is_wiring_not_rules():
    """About the size of a Mesa example's model.py: building, stepping, handing out frames."""
    lines = (PACKAGE / "economy.py").read_text(encoding="utf-8").splitlines()
    assert len(lines) < 250, f"model/economy.py has {len(lines)} lines: move rules to an actor or a market"


def test_markets_and_the_economy_change_actors_only_through_their_methods():
    """No ``platform.debt += ...`` outside the actor: a market or the economy assigns only its own fields."""
    places = [*sorted((PACKAGE / "markets").glob("*.py")), PACKAGE / "economy.py", PACKAGE / "recorder.py"]
    for path in places:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
            for target in targets:
                for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if isinstance(element, ast.Attribute):
                        owner = element.value
                        assert isinstance(owner, ast.Name) and owner.id == "self", \
                            f"{path.name}:{element.lineno} assigns {ast.unparse(element)}: call the actor's method instead"
