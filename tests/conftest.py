"""Shared helpers: build parameters from the baseline file with dotted overrides, run the model."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from model.economy import PlatformEconomy

from model import load_params

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "params" / "baseline.toml"
NETWORK_ONLY = ROOT / "params" / "classroom" / "network_only.toml"


def scenario(base: Path = BASELINE, **overrides):
    """Parameters of ``base`` with overrides given as keyword arguments, '__' for '.'.

    ``scenario(users__count=500)`` is ``load_params(base, {"users.count": 500})``.
    """
    return load_params(base, {key.replace("__", "."): value for key, value in overrides.items()})


def run(params) -> PlatformEconomy:
    return PlatformEconomy(params).run()


@functools.cache
def replicated_runs(seeds: tuple[int, ...], users: int, **overrides) -> tuple[PlatformEconomy, ...]:
    """Baseline runs of ``users`` users, one per seed, with the overrides; computed once per worker,
    so that tests replicated over the same seeds (test_knobs.py, test_policy.py) share them."""
    return tuple(run(scenario(users__count=users, simulation__seed=seed, **overrides)) for seed in seeds)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


# How `make test` shares the suite between two workers (pytest -n 2 --dist loadgroup
# --no-loadscope-reorder). Each file is one unit of work, so its shared runs (module fixtures,
# cached runs) are computed once; units go out longest first, so that no worker is left to finish a
# long file alone; and the notebooks and the browser, which both drive Jupyter kernels (the
# browser also JupyterLab and Chromium) in processes of their own, share a unit, so that they never
# compete with each other for the two cores. Neither changes a result, only the suite's wall time.
SHARED_UNITS = {  # file: the file whose unit it joins
    "test_browser.py": "test_notebooks.py",
    "test_knobs.py": "test_policy.py",  # their baseline runs are the same (replicated_runs)
}
# The longest units, as measured with `pytest --durations=0` on 2 cores: notebooks and browser about
# 300 s, policy and knobs 170 s, story 75 s, sweeps 65 s, and then 50 s or less each.
LONGEST_FIRST = (
    "test_notebooks.py",
    "test_policy.py",
    "test_story.py",
    "test_experiments_runs.py",
    "test_bailouts.py",
    "test_compare.py",
    "test_social.py",
    "test_cooperatives.py",
)


def unit_of(item: pytest.Item) -> str:
    return SHARED_UNITS.get(item.path.name, item.path.name)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.xdist_group(unit_of(item)))
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(unit_of(item), len(LONGEST_FIRST)))  # stable: the rest keep their order
