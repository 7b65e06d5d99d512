"""Privatise profits, socialise losses: rescues, failures and investors' moral hazard.

Rescues belong to a subsidy war (scenarios/subsidy_war.toml, which no_bailout.toml and bailout.toml
extend): platforms that burn their investors' money run out of it. In the baseline's social network the
investors bet on the leader, which lives on its seed round, so no systemic platform runs out of money."""


import pytest

from model import metrics
from model.economy import PlatformEconomy
from model.statistics import bootstrap_mean_interval
from tests.conftest import SUBSIDY_WAR, replicated_runs, run, scenario, sign_test

SEEDS = range(6)
# The crunch with and without rescues is compared seed by seed. The runs of a seed are identical
# until the first rescue, so a seed in which no platform runs out of money while systemic is a tie
# (10 of 32 in the ad-funded baseline): thirty-two seeds leave enough that differ.
PAIRED_SEEDS = range(32)
LEVEL = 0.035  # a one-sided sign test at the level of 7 seeds of 8 (tests/test_cycle.py)


def scarce_capital(**overrides):
    """Too little venture capital for the burn: platforms run out of money before they turn a profit."""
    return scenario(
        SUBSIDY_WAR, users__count=2000, simulation__steps=180, investors__capital_per_user=25.0, **overrides
    )


@pytest.fixture(scope="module")
def with_bailouts():
    return [run(scarce_capital(bailout__enabled=True, simulation__seed=s)) for s in PAIRED_SEEDS]


@pytest.fixture(scope="module")
def without_bailouts():
    return [run(scarce_capital(bailout__enabled=False, simulation__seed=s)) for s in PAIRED_SEEDS]


def test_a_systemic_platform_that_runs_out_of_money_is_rescued(with_bailouts):
    rescued_any = False
    for economy in with_bailouts:
        frame = economy.platform_frame()
        rescued = frame[frame["status"] == "rescued"]
        for platform_id, rows in rescued.groupby("platform_id"):
            first = rows["step"].min()
            before = frame[(frame["platform_id"] == platform_id) & (frame["step"] == first)]
            assert before["share"].iloc[0] >= economy.params.bailout.systemic_share
            rescued_any = True
    assert rescued_any


def test_public_cost_is_reported_as_disbursed_recovered_and_net(with_bailouts):
    for economy in with_bailouts:
        cost = economy.summary()["public_cost"]
        ledger = economy.ledger_frame()
        bailouts = ledger[ledger["kind"] == "bailout"]["amount"].sum()
        taxes = ledger[ledger["kind"] == "tax"]["amount"].sum()
        assert cost["disbursed"] == pytest.approx(bailouts)
        assert taxes == pytest.approx(bailouts)  # rescues are paid for by households
        assert cost["net"] == pytest.approx(cost["disbursed"] - cost["recovered"])
    assert sum(e.summary()["public_cost"]["disbursed"] for e in with_bailouts) > 0


def test_the_public_cost_adds_the_subsidy_in_the_loans_rate_and_the_deadweight_of_the_taxes(with_bailouts):
    """DESIGN §2: each dollar of tax costs society 1 + the marginal cost of public funds, and a rescue
    loan at a rate below what a private lender would charge is a subsidy worth the difference, for as
    long as it is outstanding (each month, on the loan as it stood at the month's start)."""
    for economy in with_bailouts:
        cost, policy = economy.summary()["public_cost"], economy.params.bailout
        ledger, frame = economy.ledger_frame(), economy.platform_frame()
        taxes = ledger.loc[ledger["kind"] == "tax", "amount"].sum()
        assert cost["deadweight"] == pytest.approx(policy.marginal_cost_of_public_funds * taxes)
        outstanding = frame[frame["status"].isin(["active", "rescued"]) & (frame["step"] < frame["step"].max())]
        spread = policy.private_rate - policy.loan_rate
        assert cost["subsidy"] == pytest.approx(spread * outstanding["public_loan"].sum())
        assert cost["total"] == pytest.approx(cost["net"] + cost["subsidy"] + cost["deadweight"])
    assert sum(e.summary()["public_cost"]["subsidy"] for e in with_bailouts) > 0


def test_payouts_to_private_holders_after_a_rescue_are_reported_beside_the_public_cost(with_bailouts):
    """"Privatise profits, socialise losses": what a rescued platform pays its private shareholders."""
    for economy in with_bailouts:
        ledger, frame = economy.ledger_frame(), economy.platform_frame()
        rescued = frame[frame["status"] == "rescued"].groupby("platform_id")["step"].min()
        expected = 0.0
        for platform_id, month in rescued.items():
            paid = ledger[(ledger["kind"] == "dividend") & (ledger["payer"] == f"platform:{platform_id}")
                          & (ledger["step"] > month) & (ledger["payee"] != "government")]
            expected += paid["amount"].sum()
        assert economy.summary()["public_cost"]["payouts_after_rescue"] == pytest.approx(expected)
    assert sum(e.summary()["public_cost"]["payouts_after_rescue"] for e in with_bailouts) > 0


def guaranteed_economy():
    """Thirty months into a run with lenders, whose state rescues by guarantee; its leader and a guarantee of $1,000."""
    economy = PlatformEconomy(scenario(SUBSIDY_WAR, users__count=2000, simulation__seed=1, lending__enabled=True,
                                       bailout__enabled=True, bailout__form="guarantee")).run(30)
    leader = max(economy.active_platforms, key=lambda p: p.users)
    assert economy.distress.rescue(leader, 1000.0)
    return economy, leader


def test_a_guarantee_moves_no_public_money_until_it_is_called():
    economy, leader = guaranteed_economy()
    government, ledger = economy.government, economy.ledger_frame()
    assert leader.status == "rescued" and leader.guaranteed_debt == 1000.0
    assert government.guaranteed == 1000.0 and government.disbursed == 0.0 and government.total_cost == 0.0
    assert not ledger["kind"].isin(["tax", "bailout"]).any()
    assert ledger[ledger["kind"] == "loan"]["amount"].iloc[-1] == 1000.0  # the lender lent it


def test_a_called_guarantee_pays_the_lenders_with_taxes_and_they_lose_only_the_rest():
    economy, leader = guaranteed_economy()
    government, lender = economy.government, economy.lender
    unguaranteed = leader.debt - leader.guaranteed_debt
    economy.distress.fail(leader)
    ledger = economy.ledger_frame()
    called = ledger[ledger["kind"] == "guarantee_call"]
    assert called["amount"].sum() == pytest.approx(1000.0) and (called["payee"] == lender.account).all()
    assert ledger.loc[ledger["kind"] == "tax", "amount"].sum() == pytest.approx(1000.0)
    assert lender.losses == pytest.approx(unguaranteed)
    assert government.disbursed == pytest.approx(1000.0) and government.guaranteed == 0.0
    assert government.deadweight_cost == pytest.approx(economy.params.bailout.marginal_cost_of_public_funds * 1000.0)


def test_a_guarantee_is_released_as_the_loan_is_repaid_and_is_a_subsidy_while_it_lasts():
    economy, leader = guaranteed_economy()
    government, terms = economy.government, economy.params
    economy.distress.service_public_loan(leader)  # a month under the guarantee
    assert government.subsidy == pytest.approx(1000.0 * (terms.bailout.private_rate - terms.lending.interest_rate))
    leader.ad_revenue = leader.costs + leader.tax + 400.0 - leader.subscription_revenue  # a profit of $400 this month:
    assert leader.profit == pytest.approx(400.0) and leader.cash >= 400.0  # the guaranteed loan is repaid first
    economy.distress.repay_lenders(leader)
    assert leader.guaranteed_debt == pytest.approx(600.0) and government.guaranteed == pytest.approx(600.0)


def test_without_bailouts_platforms_fail_and_their_users_choose_again(without_bailouts):
    failed_any = False
    for economy in without_bailouts:
        assert economy.summary()["public_cost"]["disbursed"] == 0
        frame = economy.platform_frame()
        adopted = economy.model_frame().set_index("step")["adopted_users"]
        for platform_id, rows in frame[frame["status"] == "failed"].groupby("platform_id"):
            failed_any = True
            month = rows["step"].min()  # it served its users this month and failed at its end
            assert (rows.loc[rows["step"] > month, "users"] == 0).all()
            assert adopted.loc[month:].is_monotonic_increasing  # its users are still in the market
    assert failed_any


def test_bailouts_keep_loss_making_platforms_alive(with_bailouts, without_bailouts):
    """Platforms that fail by month 180, with and without rescues, seed by seed: fewer with them
    (a one-sided sign test over the seeds where the counts differ). A rescued giant can outlive
    rivals that would otherwise have outlived it, so a seed can also go the other way. Measured
    once sentiment followed the year's adoption (seeds 0-31): fewer failures with bailouts in 14
    seeds, more in 1 (3 against 2), 17 ties (no rescue in 10 of them); 50 failures in all against 69,
    p = 0.0005. Sixteen seeds had become too few: seeds 0-15 gave 6 against 1 (p = 0.06), where
    they had given 10 against 1 before (and seeds 0-2, 5 against 5)."""
    with_, without = ([e.summary()["failures"] for e in runs] for runs in (with_bailouts, without_bailouts))
    fewer = sum(a < b for a, b in zip(with_, without))
    more = sum(a > b for a, b in zip(with_, without))
    assert sign_test(fewer, more) <= LEVEL, (with_, without)


def test_belief_in_bailouts_makes_investors_fund_the_leader_longer_larger_and_dearer_and_it_burns_more():
    """Moral hazard (DESIGN §2): investors who expect a rescue fund the systemic platform's losses for
    longer, in larger rounds, at a higher valuation, and it burns more, since its users are worth more
    to it. Seed by seed over 8 seeds (common random numbers), in at least 7 (a sign test at p =
    0.035). The leader is the platform that can be systemic; a platform left with no users lingers on
    its seed money with losses to the horizon whatever investors believe, so the longest losses of
    any platform would measure that instead. Measured on 2026-12-01 (patience 48 months, seeds
    0-15): each of the four higher with belief in 16 of 16 seeds; medians without and with belief:
    months of losses 70.5 and 108, losses $29,000 and $105,000, money raised $15,000 and $119,000,
    peak valuation $179,000 and $647,000. (Before rounds and valuations carried the belief, only the
    months of losses and the money raised moved.) Entry is off: the comparison is of the same
    incumbents. With the baseline's entry, an entrant overtook the incumbents by month 150 in 4 of
    seeds 0-7 without belief and in none with it, so the leaders compared would be different
    platforms (the believed rescue also shields the systemic incumbent from entrants)."""

    def leaders(belief):
        return [metrics.leader_series(economy.platform_frame()) for economy in replicated_runs(
            tuple(range(8)), 2000, SUBSIDY_WAR, simulation__steps=150, investors__patience_mean=48.0, investors__bailout_belief=belief,
            entry__entrants=0)]

    doubting, believing = leaders(0.0), leaders(1.0)
    measures = {
        "months of losses": lambda leader: leader["months_of_losses"].max(),
        "money raised": lambda leader: leader["funding_raised"].sum(),
        "losses": lambda leader: -leader["profit"].clip(upper=0).sum(),
        "peak valuation": lambda leader: leader["valuation"].max(),
    }
    for name, measure in measures.items():
        higher = [measure(b) > measure(d) for d, b in zip(doubting, believing)]
        assert sum(higher) >= 7, (name, higher)


def test_users_of_a_failed_platform_must_choose_again_next_month():
    economy = run(scenario(SUBSIDY_WAR, users__count=2000, simulation__steps=40, simulation__seed=1))
    platform = max(economy.active_platforms, key=lambda p: p.users)
    stranded = economy.users.platform == platform.platform_id
    assert stranded.sum() > 0
    economy.distress.fail(platform)
    assert economy.users.must_choose[stranded].all()
    economy.step()
    assert not (economy.users.platform == platform.platform_id).any()
    assert economy.users.adopted[stranded].all()
    rejoined = economy.users.platform[stranded] >= 0
    assert rejoined.mean() > 0.5  # most chose another platform at once (some may prefer none)


@pytest.fixture(scope="module")
def crunch_scenarios(root):
    """The scenario files, smaller: the same funding crunch with and without the state's rescue."""
    folder = root / "params" / "scenarios"
    return {name: list(replicated_runs(tuple(SEEDS), 2000, folder / f"{name}.toml")) for name in ("no_bailout", "bailout")}


def test_the_bailout_scenario_rescues_platforms_the_no_bailout_scenario_lets_fail(crunch_scenarios):
    def total(name, key):
        return sum(e.summary()["public_cost"][key] for e in crunch_scenarios[name])

    def failures(name):
        return sum(e.summary()["failures"] for e in crunch_scenarios[name])

    assert total("no_bailout", "rescues") == 0 and total("no_bailout", "disbursed") == 0
    assert total("bailout", "rescues") > 0 and total("bailout", "disbursed") > 0
    assert failures("bailout") < failures("no_bailout")


def test_the_bailout_scenario_costs_the_public_more_than_letting_platforms_fail(crunch_scenarios):
    """Issue 17's check: bailout.toml's public cost (net of what the loans repay, with the subsidy in
    their rate and the deadweight cost of the taxes) is above no_bailout.toml's, which rescues
    nothing and costs nothing: the lower end of its 95% interval over seeds is above zero. Measured
    on 2026-12-01 (3,000 users, seeds 0-15): a rescue in 12 of 16 seeds; in each of them the loans
    were repaid with interest (net cash cost -0.9 to -8.4 $ a potential user) and the public cost
    was still positive (2.7 to 19.2 $), the subsidy outweighing the interest; meanwhile the rescued
    platforms paid their private holders 2 to 140 $ a potential user."""
    costs = [e.summary()["public_cost"]["total"] / e.params.users.count for e in crunch_scenarios["bailout"]]
    assert all(e.summary()["public_cost"]["total"] == 0 for e in crunch_scenarios["no_bailout"])
    low, _ = bootstrap_mean_interval(costs)
    assert low > 0, costs
