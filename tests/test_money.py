"""DESIGN §3: money is stock-flow consistent; every flow is in the ledger."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.economy import PlatformEconomy
from model.ledger import ADVERTISERS, GOVERNMENT, HOUSEHOLDS, OUTSIDE, Ledger
from tests.books import check_books
from tests.conftest import SUBSIDY_WAR, run, scenario


def test_ledger_rejects_negative_or_non_finite_amounts():
    ledger = Ledger()
    for amount in (-1.0, math.nan, math.inf):
        with pytest.raises(ValueError):
            ledger.transfer(1, "a", "b", amount, "test")
    with pytest.raises(ValueError):
        ledger.transfer(1, "a", "a", 1.0, "test")


def test_baseline_books_balance_and_cash_follows_the_ledger():
    check_books(run(scenario(users__count=2000, simulation__steps=120)))


def test_investors_paid_out_equals_dividends_in_the_ledger():
    economy = run(scenario(users__count=2000, simulation__steps=200))
    ledger = economy.ledger_frame()
    dividends = ledger[(ledger["kind"] == "dividend") & ledger["payee"].str.startswith("investor:")]
    holdings = economy.investor_frame()
    paid = holdings[holdings["holder"].str.startswith("investor:")]["paid_out"].sum()
    assert dividends["amount"].sum() > 0
    assert paid == pytest.approx(dividends["amount"].sum())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    users=st.integers(1, 400),
    platforms=st.integers(1, 5),
    advertisers=st.integers(0, 12),
    investors=st.integers(1, 6),
    network=st.floats(0, 5),
    interop=st.floats(0, 1),
    capital=st.floats(0, 400, allow_subnormal=False),  # a subnormal capital splits among funds into zeros
    bailout=st.booleans(),
    form=st.sampled_from(["grant", "loan", "equity"]),
    belief=st.floats(0, 1),
    strategy=st.sampled_from(["adaptive", "fixed"]),
    outside=st.sampled_from([0.0, -1.0, 2.0, "none"]),
    ad_cap=st.floats(0, 1),
    tax=st.floats(0, 1),
    acquisitions=st.booleans(),
    max_share=st.floats(0.05, 1),
    lending=st.booleans(),
    leverage=st.floats(0, 3),
    lender_capital=st.floats(0, 300, allow_subnormal=False),
    winner_take_all=st.floats(0, 3),
    cooperatives=st.integers(0, 2),
    parents=st.integers(0, 2),
    public=st.booleans(),
    entry=st.integers(0, 30),
    suppliers=st.integers(0, 3),
    supplier_investment=st.floats(0, 30, allow_subnormal=False),
    social=st.floats(0, 1),
    graph=st.sampled_from(["small_world", "random"]),
    contacts=st.integers(1, 30),
    rewiring=st.floats(0, 1),
    turnover=st.floats(0, 0.2),
    audience_premium=st.floats(0, 3),
    entrants=st.integers(0, 3),
    entry_rate=st.floats(0, 1),
    seed=st.integers(0, 10_000),
)
def test_money_is_conserved_on_random_valid_parameters(
    users, platforms, advertisers, investors, network, interop, capital, bailout, form, belief, strategy, outside,
    ad_cap, tax, acquisitions, max_share, lending, leverage, lender_capital, winner_take_all, cooperatives, parents, public,
    entry, suppliers, supplier_investment, social, graph, contacts, rewiring, turnover, audience_premium, entrants,
    entry_rate, seed,
):
    contacts = max(2, min(contacts, users - 1) // 2 * 2)  # even and below users.count: every graph accepts it
    social = social if users > contacts else 0.0  # too few users for a social graph
    params = scenario(
        users__count=users,
        platforms__count=platforms,
        advertisers__count=advertisers,
        investors__count=investors,
        network__effect=network,
        regulation__interoperability=interop,
        investors__capital_per_user=capital,
        investors__bailout_belief=belief,
        bailout__enabled=bailout,
        bailout__form=form,
        platforms__strategy=strategy,
        users__outside_utility=outside,
        regulation__ad_load_cap=ad_cap,
        regulation__excess_profit_tax=tax,
        regulation__max_share=max_share,
        acquisitions__enabled=acquisitions,
        lending__enabled=lending,
        lending__leverage_cap=leverage,
        lending__capital_per_user=lender_capital,
        funding__winner_take_all=winner_take_all,
        cooperative__count=min(cooperatives, platforms),
        parent__platforms=min(parents, platforms - min(cooperatives, platforms)),
        cooperative__kind="public" if public else "cooperative",
        cooperative__public_funding_per_user=5.0 if public else 0.0,
        cooperative__entry_month=entry,
        suppliers__enabled=suppliers > 0,
        suppliers__count=max(suppliers, 1),
        suppliers__investment_per_user=supplier_investment,
        network__social_weight=social,
        network__graph=graph,
        network__contacts=contacts,
        network__rewiring=rewiring,
        users__turnover=turnover,
        advertisers__audience_premium=audience_premium,
        entry__entrants=entrants,
        entry__rate=entry_rate,
        simulation__steps=36,
        simulation__seed=seed,
    )
    check_books(run(params))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    users=st.integers(50, 600),
    capital=st.floats(5, 200),
    form=st.sampled_from(["grant", "loan", "equity", "guarantee"]),
    tax=st.floats(0.1, 1),
    leverage=st.floats(0.1, 3),
    supplier_investment=st.floats(1, 30),
    entry=st.integers(0, 20),
    seed=st.integers(0, 10_000),
)
def test_money_is_conserved_with_every_mechanism_on_at_once(users, capital, form, tax, leverage, supplier_investment,
                                                            entry, seed):
    params = scenario(
        users__count=users, platforms__count=5, investors__capital_per_user=capital, investors__bailout_belief=0.5,
        bailout__enabled=True, bailout__form=form, acquisitions__enabled=True, regulation__max_share=0.7,
        regulation__excess_profit_tax=tax, regulation__ad_load_cap=0.4, regulation__interoperability=0.3,
        regulation__divestiture=True,
        lending__enabled=True, lending__leverage_cap=leverage, funding__winner_take_all=1.0,
        cooperative__count=1, cooperative__kind="public", cooperative__public_funding_per_user=5.0,
        cooperative__entry_month=entry, parent__platforms=1, suppliers__enabled=True, suppliers__count=2,
        suppliers__investment_per_user=supplier_investment, network__social_weight=0.5,
        simulation__steps=60, simulation__seed=seed,
    )
    check_books(run(params))


# -- The guard guards: a deliberate bug in one flow, and check_books names the account it wrongs. --

FAULT_SCENARIO = dict(
    users__count=300, platforms__count=2, investors__capital_per_user=5.0, lending__enabled=True,
    suppliers__enabled=True, suppliers__count=1, cooperative__count=1, cooperative__kind="public",
    cooperative__public_funding_per_user=5.0, cooperative__entry_month=1, simulation__steps=36, simulation__seed=2,
    platforms__market="paid",
)  # a small run with every flow the faults touch: dividends to funds and founders, a tax, interest, compute, ads,
# prices (a seed whose first platform pays dividends within three years in the subsidy war, where every platform raises
# rounds; run_with_fault checks that it still does)
FAULT = 0.001  # each fault books 0.1 % of a flow that no agent records


def run_with_fault(monkeypatch, agent, method, fault):
    """Run the fault scenario with ``fault(agent, result, *args)`` called after each ``agent(economy).method``.

    The fault is patched on the agent's class, so every instance has it. Returns the finished run,
    after checking that the fault did book money (else the scenario no longer tests it).
    """
    economy = PlatformEconomy(scenario(SUBSIDY_WAR, **FAULT_SCENARIO))
    owner = type(agent(economy))
    original = getattr(owner, method)
    booked = []

    def with_fault(self, *args):
        result = original(self, *args)
        booked.append(fault(self, result, *args))
        return result

    monkeypatch.setattr(owner, method, with_fault)
    economy.run()
    assert any(booked), f"the fault scenario never exercised the fault in {owner.__name__}.{method}"
    return economy


def overpay(holders: str):
    """A platform pays these holders more dividend than their holdings record."""
    def fault(platform, payments):
        extra = [(holder, FAULT * part) for holder, part in payments if holder.startswith(holders)]
        for holder, amount in extra:
            platform.model.ledger.transfer(platform.model.month, platform.account, holder, amount, "dividend")
        return extra
    return fault


def drift_investors_balances(ledger, _, step, payer, payee, amount, kind):
    """The ledger credits an investor more than the row it writes (a fault inside the ledger itself)."""
    if payee.startswith("investor:") and amount > 0:
        ledger._balances[payee] += FAULT * amount  # the fault: the balance no longer follows the rows
        return True
    return False


def overtax(government, _, amount):
    """A levy takes more from households than the government records."""
    ledger, month = government.model.ledger, government.model.month
    ledger.transfer(month, OUTSIDE, HOUSEHOLDS, FAULT * amount, "income")
    ledger.transfer(month, HOUSEHOLDS, GOVERNMENT, FAULT * amount, "tax")
    return amount > 0


def overcharge_interest(platform, _, *payees):
    """A borrower pays interest above the rate on its debt."""
    extra = FAULT * platform.debt * platform.params.lending.interest_rate
    platform.model.ledger.transfer(platform.model.month, platform.account, platform.model.lender.account, extra,
                                   "interest")
    return extra > 0


def overpay_compute(platform, _, *payees):
    """A platform pays its supplier more than the compute it records buying."""
    extra = FAULT * platform.compute_paid
    if extra:
        platform.model.ledger.transfer(platform.model.month, platform.account, platform.supplier_account, extra,
                                       "compute")
    return extra > 0


def overpay_ads(platform, _, *payees):
    """Advertisers pay a platform more than its recorded ad revenue (booked when it pays its costs)."""
    extra = FAULT * platform.ad_revenue
    ledger, month = platform.model.ledger, platform.model.month
    ledger.transfer(month, OUTSIDE, ADVERTISERS, extra, "sales")
    ledger.transfer(month, ADVERTISERS, platform.account, extra, "ad_spend")
    return extra > 0


def first_platform(economy):
    return economy.platforms[0]


FAULTS = {
    "investors overpaid dividends": (first_platform, "pay_out", overpay("investor:"), r"investor:\d+ holds"),
    "founders overpaid dividends": (first_platform, "pay_out", overpay("founders:"), r"founders:\d+ holds"),
    "ledger credits investors more than its rows": (
        lambda economy: economy.ledger, "transfer", drift_investors_balances, r"investor:\d+ holds .* its ledger rows"),
    "households taxed more than the government records": (
        lambda economy: economy.government, "levy", overtax, "government holds"),
    "interest above the rate": (first_platform, "pay_costs", overcharge_interest, "lender:0 holds"),
    "supplier paid more than the compute bought": (first_platform, "pay_costs", overpay_compute, "supplier:0 holds"),
    "ad spend above the platform's ad revenue": (
        first_platform, "pay_costs", overpay_ads, r"platform:\d+ .*ad_revenue"),
}


def test_the_fault_scenario_books_balance_without_a_fault():
    check_books(run(scenario(SUBSIDY_WAR, **FAULT_SCENARIO)))


@pytest.mark.parametrize("agent, method, fault, account", FAULTS.values(), ids=FAULTS.keys())
def test_books_name_the_account_a_faulty_flow_wrongs(monkeypatch, agent, method, fault, account):
    economy = run_with_fault(monkeypatch, agent, method, fault)
    with pytest.raises(AssertionError, match=account):
        check_books(economy)


def test_a_loan_accrues_interest_and_is_repaid_out_of_surplus_within_cash():
    ledger = Ledger()
    ledger.transfer(0, "outside", "platform:0", 50.0, "equity")
    assert ledger.repay_loan(1, "platform:0", "government", 100.0, 0.01, surplus=30.0) == (pytest.approx(71.0), 30.0)
    assert ledger.repay_loan(2, "platform:0", "government", 100.0, 0.0, surplus=80.0) == (80.0, 20.0)  # cash left: 20
    assert ledger.repay_loan(3, "platform:0", "government", 100.0, 0.02, surplus=-5.0) == (pytest.approx(102.0), 0.0)
    assert ledger.balance("government") == 50.0 and ledger.balance("platform:0") == 0.0
    assert list(ledger.frame()["kind"]) == ["equity", "loan_repayment", "loan_repayment"]
