"""Shared helpers: build parameters from the baseline file with dotted overrides, run the model."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pytest

from model.economy import PlatformEconomy

from model import load_params

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "params" / "baseline.toml"
# The market of the crunches, rescues and circular deals: investors fund every platform (the baseline's
# leader, in the social network's estimate, lives on its seed round).
SUBSIDY_WAR = ROOT / "params" / "scenarios" / "subsidy_war.toml"
NETWORK_ONLY = ROOT / "params" / "classroom" / "network_only.toml"


def scenario(base: Path = BASELINE, **overrides):
    """Parameters of ``base`` with overrides given as keyword arguments, '__' for '.'.

    ``scenario(users__count=500)`` is ``load_params(base, {"users.count": 500})``.
    """
    return load_params(base, {key.replace("__", "."): value for key, value in overrides.items()})


def sign_test(fewer: int, more: int) -> float:
    """One-sided p-value of ``fewer`` seeds going one way and ``more`` the other if each seed were
    as likely to go either way (tied seeds dropped)."""
    seeds = fewer + more
    return sum(math.comb(seeds, k) for k in range(fewer, seeds + 1)) / 2**seeds


def run(params) -> PlatformEconomy:
    return PlatformEconomy(params).run()


def replicated_runs(seeds: tuple[int, ...], users: int, base: Path = BASELINE, **overrides) -> tuple[PlatformEconomy, ...]:
    """Runs of ``base`` (the baseline unless given) with ``users`` users, one per seed, with the
    overrides; each computed once per test process, so the tests of a file replicated over the same
    seeds, or over seeds that overlap, share them."""
    return tuple(_replicated_run(seed, users, base, tuple(sorted(overrides.items()))) for seed in seeds)


@functools.cache
def _replicated_run(seed: int, users: int, base: Path, overrides: tuple) -> PlatformEconomy:
    return run(scenario(base, users__count=users, simulation__seed=seed, **dict(overrides)))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


# Tests run on two processes, a file at a time (``--dist loadgroup`` with one group a file, which
# is ``loadfile``), except for the files of one group below, which go to the same process: the two
# browser files (each starts JupyterLab and Chromium, and two of each at once on a 2-core machine
# starve each other past their time limits), and files that replicate the same runs, which
# ``replicated_runs`` then computes once (19 s of the suite's runs were a second file's repeats; 6 s are left,
# within files).
SHARED_GROUPS = {
    "browser": {"test_browser.py", "test_app_browser.py"},
    "baseline-4000": {"test_knobs.py", "test_policy.py"},  # the baseline at 4,000 users, seeds 0-7
    "baseline-1000": {"test_cycle.py", "test_parent.py"},  # the baseline at 1,000 users
    "bailouts": {"test_bailouts.py", "test_lending.py"},  # the subsidy war at 2,000 users
}
GROUP_OF = {name: group for group, names in SHARED_GROUPS.items() for name in names}


@pytest.hookimpl(tryfirst=True)  # xdist's own hook reads the marks into each test's id: mark before it
def pytest_collection_modifyitems(items):
    for item in items:
        name = item.path.name
        item.add_marker(pytest.mark.xdist_group(GROUP_OF.get(name, name)))


def pytest_xdist_node_collection_finished(node, ids):
    """Stop with a clear message if xdist does not group: each test would be its own group, and a
    file's shared runs would be computed on both workers. It went unseen twice: while the marks came
    after xdist's hook, and under pytest 9.2, whose test ids ignore the group xdist writes into them
    (pytest-xdist#1386)."""
    if node.config.getoption("dist") == "loadgroup" and ids and "@" not in ids[0]:
        pytest.exit(f"--dist loadgroup is not grouping tests by file ({ids[0]} has no group): check the "
                    "versions of pytest and pytest-xdist against pyproject.toml", returncode=4)
