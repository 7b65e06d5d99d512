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
# more seeds: "in at least 13 of 16" is a one-sided sign test at p = 0.011 (7 of 8, p = 0.035, as in
# tests/test_cycle.py, left too few seeds to count survivals: seeds 0-7 gave 3 public survivals, 8-15 gave 7).
SURVIVAL_SEEDS = range(16)
LEAST_SEEDS = 13
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
    least 13 of 16 seeds the public platform stays open longer than the cooperative, or, where both
    last the twenty years, ends with more users. The public platform survives in more seeds than the
    cooperative, and where it survives it holds a real share (over 4% of users: a zombie keeps under 1%).

    Both spend their opening money (each month they may plan a loss of up to cash /
    funding.round_months, ODD 6.15), at first on quality with no ads at all, so whether they survive
    is whether they have enough users to cover their costs before it is gone. Users join only when a
    platform beats life without one, so a latecomer's growth is slow, and while advertising is still
    moving online (the baseline's online share) its ads earn little. Measured on 2026-12-01, seeds
    0-15, since venture funding follows prospects without a cliff (rivals far behind the leader still
    raise part of a round, so more of them stay open beside it): the public platform lasts longer or
    ends larger in 14; it survives in 11 (with 4.9-17.5% of users) and fails in 5 (in months 102-142);
    the cooperative survives in 1 (with 2.3%) and fails in 15 (in months 80-141). Before, with a cliff,
    the public platform survived in 10 (with 10-22%) and the cooperative in 3."""
    def outcome(economy):
        rows = coop_rows(economy)
        return int((rows["status"] != "failed").sum()), float(rows["share"].iloc[-1])  # months open, then share

    def survivors(name):
        return [e for e in runs(name, SURVIVAL_SEEDS) if coop_rows(e)["status"].iloc[-1] != "failed"]

    public = [outcome(e) for e in runs("public_platform", SURVIVAL_SEEDS)]
    coop = [outcome(e) for e in runs("cooperative", SURVIVAL_SEEDS)]
    assert sum(p > c for p, c in zip(public, coop)) >= LEAST_SEEDS, (public, coop)
    assert len(survivors("public_platform")) > len(survivors("cooperative")), (public, coop)
    assert all(coop_rows(e)["share"].iloc[-1] > 0.04 for e in survivors("public_platform")), public


@pytest.mark.parametrize("overrides, message", [
    ({"cooperative.count": 6}, "exceeds platforms.count"),
    ({"cooperative.count": 1, "cooperative.entry_month": 240}, "would never open"),
    ({"cooperative.count": 1, "cooperative.kind": "public", "cooperative.member_funding_per_user": 0.0}, "funded by the state"),
    ({"cooperative.count": 1, "cooperative.member_funding_per_user": 0.0}, "raises no venture capital"),
])
def test_impossible_cooperatives_are_refused_with_a_clear_error(overrides, message):
    with pytest.raises(ParamsError, match=message):
        load_params(ROOT / "params" / "baseline.toml", overrides)


def test_a_market_whose_only_platform_is_public_has_no_holdings_and_its_outcomes_are_defined():
    # The knob census met it (public_platform with platforms.count 1): no cap table anywhere, and the investor
    # frame lost its columns, so the outcomes failed on 'pioneer'.
    from model.outcomes import outcomes

    economy = run(scenario(SCENARIOS / "public_platform.toml", users__count=300, platforms__count=1,
                           cooperative__count=1, entry__entrants=0, simulation__steps=60))
    holdings = economy.investor_frame()
    assert holdings.empty and {"holder", "invested", "paid_out", "pioneer"} <= set(holdings.columns)
    found = outcomes(economy)
    assert np.isnan(found["pioneer_multiple"]) and np.isfinite(found["users_surplus"])
