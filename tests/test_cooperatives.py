"""Cooperative and public platforms (issue 3): non-profit, little access to capital, opening late.

They recover their costs and pay no dividends, raise no venture capital, and must be able to
succeed or fail for the reasons the essays give (essay 004): the capital they cannot raise, and a
market the venture-backed platforms already hold.
"""

import functools

import numpy as np
import pytest

from model import load_params
from model.params import ParamsError
from tests.conftest import ROOT, run, scenario
from tests.books import check_books

SEEDS = range(3)
# Whether it survives is compared seed by seed, the cooperative against the public platform, over
# more seeds: "in at least 7 of 8" is a one-sided sign test at p = 0.035 (tests/test_cycle.py).
SURVIVAL_SEEDS = range(8)
LEAST_SEEDS = 7
SCENARIOS = ROOT / "params" / "scenarios"
COOP = 4  # the fifth platform slot


@functools.cache
def one_run(name: str, seed: int):
    return run(scenario(SCENARIOS / f"{name}.toml", users__count=3000, simulation__seed=seed))


def runs(name: str, seeds=SEEDS) -> tuple:
    return tuple(one_run(name, s) for s in seeds)


def coop_rows(economy):
    frame = economy.platform_frame()
    return frame[frame["platform_id"] == COOP].set_index("step")


def test_a_cooperative_opens_in_its_entry_month_with_its_members_money():
    for economy in runs("cooperative"):
        rows, entry = coop_rows(economy), economy.params.cooperative.entry_month
        assert (rows.loc[: entry - 1, "status"] == "planned").all() and (rows.loc[: entry - 1, "users"] == 0).all()
        assert rows.loc[entry, "status"] != "planned"
        ledger = check_books(economy)
        paid_in = ledger[ledger["payee"] == f"platform:{COOP}"]
        members = paid_in[paid_in["kind"] == "member_funding"]
        assert (members["payer"] == "households").all() and (members["step"] == entry).all()
        assert members["amount"].sum() == pytest.approx(3.0 * 3000)


def test_venture_investors_never_fund_it_and_it_pays_no_dividends():
    for economy in runs("cooperative") + runs("public_platform"):
        ledger = economy.ledger_frame()
        account = f"platform:{COOP}"
        assert ledger[(ledger["payee"] == account) & ledger["payer"].str.startswith("investor:")].empty
        assert ledger[(ledger["payer"] == account) & (ledger["kind"] == "dividend")].empty


def test_a_public_platform_is_funded_by_a_tax_on_households():
    for economy in runs("public_platform"):
        ledger = check_books(economy)
        grant = ledger[(ledger["kind"] == "public_funding") & (ledger["payee"] == f"platform:{COOP}")]
        assert grant["amount"].sum() == pytest.approx(20.0 * 3000)
        assert economy.model_frame()["public_platform_funding"].iloc[-1] == pytest.approx(20.0 * 3000)


def test_it_recovers_its_costs_rather_than_extracting():
    """Its profit stays about nil, and it shows fewer ads than the for-profit leader."""
    for economy in runs("public_platform"):
        rows = coop_rows(economy).loc[economy.params.cooperative.entry_month:]
        living = rows[rows["status"] != "failed"]
        margin = living["profit"] / living["revenue"].where(living["revenue"] > 0)
        assert (margin.dropna() > 0.1).mean() < 0.1  # a margin above 10% in under a tenth of its months
        leader = economy.platform_frame().query("platform_id != @COOP").groupby("step")["ad_load"].max()
        assert living["ad_load"].iloc[-60:].mean() < leader.loc[living.index[-60:]].mean()


def test_the_capital_it_cannot_raise_decides_whether_it_survives():
    """The state's $20 a potential user carries a non-profit further than its members' $3: in at
    least 7 of 8 seeds the public platform stays open longer than the cooperative, or, where both
    last the twenty years, ends with more users. Most public platforms survive, with a real share.

    Both spend their opening money down to almost nothing (each month they may plan a loss of up to
    cash / funding.round_months, ODD 6.15), so whether they survive is whether they have enough users
    to cover their costs before it is gone. Users join only when a platform beats life without one, so
    a latecomer's growth is slow. Measured when the baseline became ad-funded (seeds 0-15): the
    cooperative fails in 12 of 16 seeds (in months 77-163) and survives as a niche (3-12% of users) in
    4; the public platform fails in 2 (months 100 and 135) and survives with 10-28% in 14; the public
    one lasts longer in the 12 seeds where either fails and ends with more users in the 4 others.
    That every cooperative fails was never so: seeds 0-2 happened to be failures (in the paid
    baseline before, it survived in 3 of seeds 0-7)."""
    def outcome(economy):
        rows = coop_rows(economy)
        return int((rows["status"] != "failed").sum()), float(rows["share"].iloc[-1])  # months open, then share

    public = [outcome(e) for e in runs("public_platform", SURVIVAL_SEEDS)]
    coop = [outcome(e) for e in runs("cooperative", SURVIVAL_SEEDS)]
    assert sum(p > c for p, c in zip(public, coop)) >= LEAST_SEEDS, (public, coop)
    surviving = [e for e in runs("public_platform", SURVIVAL_SEEDS) if coop_rows(e)["status"].iloc[-1] != "failed"]
    assert len(surviving) > len(SURVIVAL_SEEDS) / 2, public
    assert all(coop_rows(e)["share"].iloc[-1] > 0.05 for e in surviving), public


@pytest.mark.parametrize("overrides, message", [
    ({"cooperative.count": 6}, "exceeds platforms.count"),
    ({"cooperative.count": 1, "cooperative.entry_month": 240}, "would never open"),
    ({"cooperative.count": 1, "cooperative.kind": "public", "cooperative.member_funding_per_user": 0.0}, "funded by the state"),
    ({"cooperative.count": 1, "cooperative.member_funding_per_user": 0.0}, "raises no venture capital"),
])
def test_impossible_cooperatives_are_refused_with_a_clear_error(overrides, message):
    with pytest.raises(ParamsError, match=message):
        load_params(ROOT / "params" / "baseline.toml", overrides)
