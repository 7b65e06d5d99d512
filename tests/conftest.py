"""Shared helpers: build parameters from the baseline file with dotted overrides, run the model."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
