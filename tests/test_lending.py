"""Lenders (issue 3): platforms borrow against their valuation, pay interest, default; credit tightens."""

import numpy as np
import pytest

from model.lenders import Lender
from model.params.schema import Lending
from tests.conftest import ROOT, replicated_runs, run, scenario
from tests.books import check_books

SEEDS = range(3)
SCENARIOS = ROOT / "params" / "scenarios"


def runs(name: str) -> tuple:
    """The scenario's runs at 2,000 users, one per seed, shared with tests/test_bailouts.py's crunch runs."""
    return replicated_runs(tuple(SEEDS), 2000, SCENARIOS / f"{name}.toml")


def lender(**terms) -> Lender:
    """A lender with these terms, in a tiny economy of 100 potential users (for its ledger)."""
    params = scenario(users__count=100, **{f"lending__{k}": v for k, v in terms.items()})
    return Lender(run(scenario(users__count=1, simulation__steps=1)), params)


def test_the_credit_line_is_the_leverage_cap_times_the_valuation_less_the_debt():
    bank = lender(leverage_cap=0.3, capital_per_user=1e6)
    assert bank.credit_line(1000.0, 0.0) == pytest.approx(300.0)
    assert bank.credit_line(1000.0, 250.0) == pytest.approx(50.0)
    assert bank.credit_line(1000.0, 400.0) == 0.0
    assert bank.credit_line(-5.0, 0.0) == 0.0


def test_a_lender_never_lends_more_than_it_has():
    bank = lender(leverage_cap=5.0, capital_per_user=1.0)  # $100 in all
    assert bank.credit_line(1e9, 0.0) == pytest.approx(100.0)


def test_a_default_is_a_loss_and_tightens_credit_which_then_recovers():
    bank = lender(leverage_cap=0.3, capital_per_user=1e6, tightening=0.5, recovery_months=10)
    bank.write_off(80.0)
    assert bank.losses == 80.0 and bank.defaults == 1 and bank.appetite == pytest.approx(0.5)
    assert bank.credit_line(1000.0, 0.0) == pytest.approx(150.0)
    bank.recover()
    assert bank.appetite == pytest.approx(0.55)


def test_leverage_cap_below_zero_is_refused():
    with pytest.raises(ValueError, match="leverage_cap"):
        Lending(leverage_cap=-0.1)


def test_platforms_borrow_only_when_lending_is_on():
    assert all(e.ledger_frame().query("kind == 'loan'").empty for e in runs("no_bailout"))
    assert sum(e.ledger_frame().query("kind == 'loan'")["amount"].sum() for e in runs("leverage")) > 0


def test_interest_is_paid_in_cash_every_month_on_last_months_debt():
    for economy in runs("leverage"):
        ledger = check_books(economy)
        platforms = economy.platform_frame().set_index(["platform_id", "step"])
        interest = ledger[ledger["kind"] == "interest"]
        assert (interest["payee"] == "lender:0").all()
        for row in interest.itertuples():
            platform_id = int(row.payer.split(":")[1])
            owed = platforms.loc[(platform_id, row.step - 1), "debt"]
            assert row.amount == pytest.approx(economy.params.lending.interest_rate * owed)


def test_a_failed_borrower_is_the_lenders_loss_and_credit_tightens_for_everyone():
    defaulted = [e for e in runs("leverage") if e.model_frame()["lender_losses"].iloc[-1] > 0]
    assert defaulted, "no borrower failed in these seeds"
    for economy in defaulted:
        frame = economy.model_frame().set_index("step")
        first = frame.index[frame["lender_losses"] > 0][0]
        assert frame.loc[first, "credit_appetite"] < frame.loc[first - 1, "credit_appetite"]
        assert frame.loc[first, "failures"] > frame.loc[first - 1, "failures"]


def test_credit_keeps_platforms_alive_through_a_funding_crunch():
    failures = lambda name: np.mean([e.summary()["failures"] for e in runs(name)])  # noqa: E731
    assert failures("leverage") < failures("no_bailout")
