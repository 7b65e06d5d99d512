"""Speed work must not change results: short runs give exactly the frames stored in tests/golden/.

The stored frames are the model's output as of the last deliberate change to its behaviour. An
optimisation that changes any of them (beyond float noise, 1e-9 relative) is not an optimisation.
When the model's behaviour changes on purpose, regenerate them and say why in the commit:

    .venv/bin/python -m tests.test_regression

Float results can differ in their last bits across processors (SIMD maths), and the model can
amplify that: on a new kind of machine, regenerate from a commit known to be right.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.economy import PlatformEconomy
from tests.conftest import ROOT, scenario

GOLDEN = Path(__file__).resolve().parent / "golden"
SCENARIOS = {
    "baseline": (ROOT / "params" / "baseline.toml", {}),
    "every_policy": (
        ROOT / "params" / "scenarios" / "killer_acquisitions.toml",
        {"bailout__enabled": True, "investors__bailout_belief": 0.5, "regulation__ad_load_cap": 0.3,
         "regulation__excess_profit_tax": 0.3, "regulation__interoperability": 0.2},
    ),
}
SIZE = {"users__count": 2000, "simulation__steps": 72, "simulation__seed": 3}


def frames(name: str) -> dict[str, pd.DataFrame]:
    base, overrides = SCENARIOS[name]
    economy = PlatformEconomy(scenario(base, **SIZE, **overrides)).run()
    return {"model": economy.model_frame(), "platforms": economy.platform_frame(), "ledger": economy.ledger_frame()}


def golden_path(name: str, frame: str) -> Path:
    return GOLDEN / f"{name}.{frame}.csv.gz"


def assert_same_frame(actual: pd.DataFrame, stored: pd.DataFrame, where: str) -> None:
    assert list(actual.columns) == list(stored.columns), where
    assert len(actual) == len(stored), where
    for column in actual.columns:
        mine, theirs = actual[column], stored[column]
        if pd.api.types.is_float_dtype(mine) or pd.api.types.is_float_dtype(theirs):
            same = np.isclose(mine.astype(float), theirs.astype(float), rtol=1e-9, atol=1e-9, equal_nan=True)
        else:
            same = mine.astype(str).to_numpy() == theirs.astype(str).to_numpy()
        assert same.all(), f"{where}: column {column} first differs at row {int(np.argmin(same))}"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_runs_reproduce_the_stored_frames(name):
    for frame, actual in frames(name).items():
        stored = pd.read_csv(golden_path(name, frame), keep_default_na=True)
        assert_same_frame(actual.reset_index(drop=True), stored, f"{name} {frame}")


def regenerate() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name in SCENARIOS:
        for frame, data in frames(name).items():
            data.to_csv(golden_path(name, frame), index=False, float_format="%.17g")
            print("wrote", golden_path(name, frame))


if __name__ == "__main__":
    regenerate()


def test_on_glibc_the_allocator_keeps_the_memory_a_month_frees():
    """model.memory: set once a process by the first economy; it changes speed only (the frames above are the same)."""
    import platform

    from model.memory import keep_freed_memory

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc's allocator only")
    assert keep_freed_memory() is True
