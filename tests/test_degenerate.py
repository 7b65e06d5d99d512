"""Degenerate but valid settings run to the end."""

import pytest

from tests.conftest import run, scenario


@pytest.mark.parametrize(
    "overrides",
    [
        {"platforms__count": 1},
        {"users__count": 1},
        {"advertisers__count": 0},
        {"simulation__steps": 1},
        {"investors__capital_per_user": 0.0},
        {"users__outside_utility": "none", "platforms__count": 1},
        {"platforms__strategy": "fixed"},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
def test_degenerate_settings_run(overrides):
    overrides = {"users__count": 300, "simulation__steps": 24, **overrides}
    economy = run(scenario(**overrides))
    frame = economy.model_frame()
    assert len(frame) == economy.params.simulation.steps
    assert frame["hhi"].dropna().between(0, 1).all()  # NaN: nobody on any platform that month
    assert (frame["hhi"].isna() == (frame["leader_id"] < 0)).all()
    assert economy.summary()["steps"] == economy.params.simulation.steps
