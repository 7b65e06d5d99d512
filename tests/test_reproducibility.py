"""Same parameters and seed, same run; another seed, another run."""

import pandas as pd

from tests.conftest import run, scenario


def frames(economy):
    return economy.model_frame(), economy.platform_frame(), economy.investor_frame(), economy.ledger_frame()


def test_same_seed_gives_identical_frames():
    params = scenario(users__count=1500, simulation__steps=60, simulation__seed=7)
    for first, second in zip(frames(run(params)), frames(run(params))):
        pd.testing.assert_frame_equal(first, second)


def test_different_seeds_give_different_runs():
    first = run(scenario(users__count=1500, simulation__steps=60, simulation__seed=1)).platform_frame()
    second = run(scenario(users__count=1500, simulation__steps=60, simulation__seed=2)).platform_frame()
    assert not first["users"].equals(second["users"])


def test_stepping_by_hand_equals_run():
    params = scenario(users__count=800, simulation__steps=30, simulation__seed=3)
    by_run = run(params)
    from model.economy import PlatformEconomy

    by_hand = PlatformEconomy(params)
    for _ in range(30):
        by_hand.step()
    pd.testing.assert_frame_equal(by_run.platform_frame(), by_hand.platform_frame())
