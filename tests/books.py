"""The books of a finished run, checked against records the ledger does not keep (DESIGN §3).

Balances live only in the ledger, so comparing the ledger with itself proves little: any list of
(payer, payee, amount) rows conserves money. Each account is checked instead against what the agents
themselves record: the cap tables (what each holder put in and was paid), the government's and the
lender's counters, the suppliers' sales and bonds, the platforms' monthly revenue, costs and rounds.
A flow booked in the ledger that no agent recorded, or recorded at another amount, leaves some
account holding the wrong sum, and the failure names it.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from model.ledger import ADVERTISERS, GOVERNMENT, HOUSEHOLDS, OUTSIDE

# Rounding over a run's few thousand rows stays far below a billionth of the money through an account;
# a bug that books 0.1 % of one kind of flow too much or too little does not.
RELATIVE_TOLERANCE = 1e-9

# Every flow the model may book, as (payer, payee, kind), accounts named by their sector (the part of
# "platform:3" before the colon). A row of any other shape is a flow nobody designed.
SHAREHOLDERS = ("investor", "founders", GOVERNMENT, HOUSEHOLDS, "supplier", "parent")
ALLOWED_FLOWS = {
    (OUTSIDE, "investor", "capital_commitment"), (OUTSIDE, "lender", "capital_commitment"),
    (OUTSIDE, "supplier", "capital_commitment"),
    (OUTSIDE, HOUSEHOLDS, "income"), (HOUSEHOLDS, OUTSIDE, "consumption"), (OUTSIDE, ADVERTISERS, "sales"),
    (ADVERTISERS, "platform", "ad_spend"), (HOUSEHOLDS, "platform", "subscription"),
    (HOUSEHOLDS, "platform", "member_funding"), (HOUSEHOLDS, GOVERNMENT, "tax"),
    ("platform", OUTSIDE, "operating_costs"), ("platform", HOUSEHOLDS, "subsidy"), ("platform", "supplier", "compute"),
    ("platform", "lender", "interest"), ("platform", GOVERNMENT, "excess_profit_tax"),
    ("investor", "platform", "equity"), ("supplier", "platform", "supplier_equity"),
    (OUTSIDE, "parent", "parent_profits"), ("parent", "platform", "equity"),
    (GOVERNMENT, "platform", "bailout"), (GOVERNMENT, "platform", "public_funding"),
    ("platform", GOVERNMENT, "loan_repayment"), ("lender", "platform", "loan"), (GOVERNMENT, "lender", "guarantee_call"),
    (GOVERNMENT, "supplier", "bailout"), ("supplier", GOVERNMENT, "loan_repayment"), (GOVERNMENT, OUTSIDE, "guarantee_call"),
    ("platform", "lender", "debt_repayment"),
    ("platform", "platform", "merger"), ("platform", "platform", "divestiture"), (OUTSIDE, "platform", "creditor_loss"),
    (OUTSIDE, "supplier", "bonds"), ("supplier", OUTSIDE, "capacity"), ("supplier", OUTSIDE, "production_costs"),
    ("supplier", OUTSIDE, "bond_service"), (OUTSIDE, "supplier", "creditor_loss"), (OUTSIDE, "supplier", "supplier_shares"),
    *(("platform", holder, kind) for holder in SHAREHOLDERS for kind in ("dividend", "acquisition")),
}

# A platform's monthly record, and the ledger kinds that make it up.
PLATFORM_RECORDS = {
    "ad_revenue": ("in", ("ad_spend",)),
    "subscription_revenue": ("in", ("subscription",)),
    "costs": ("out", ("operating_costs", "compute", "subsidy", "interest")),
    "tax": ("out", ("excess_profit_tax",)),
}
# Rounds counted in a platform's funding_raised (the members' round of a cooperative too; it is also
# checked against the members' stakes).
ROUNDS = ("equity", "supplier_equity", "member_funding")


def check_books(economy) -> pd.DataFrame:
    """Every invariant a finished run must satisfy, with a message naming what broke; returns the ledger frame."""
    ledger = economy.ledger_frame()
    check_rows_are_valid_flows(ledger)
    balances = economy.ledger.balances()
    check_balances_follow_the_rows(ledger, balances)
    check_inside_money_is_the_outside_injection(ledger, balances)
    check_accounts_hold_what_the_agents_recorded(economy, ledger, balances)
    check_platforms_book_what_they_record(economy, ledger)
    return ledger


def sector(account: str) -> str:
    return account.split(":")[0]


def check_rows_are_valid_flows(ledger: pd.DataFrame) -> None:
    assert set(ledger.columns) == {"step", "payer", "payee", "amount", "kind"}
    assert (ledger["amount"] > 0).all() and np.isfinite(ledger["amount"]).all()
    assert (ledger["payer"] != ledger["payee"]).all()
    shapes = set(zip(ledger["payer"].map(sector), ledger["payee"].map(sector), ledger["kind"]))
    assert shapes <= ALLOWED_FLOWS, f"flows nobody designed (payer, payee, kind): {sorted(shapes - ALLOWED_FLOWS)}"


def check_balances_follow_the_rows(ledger: pd.DataFrame, balances: dict[str, float]) -> None:
    """Each balance is what its rows add up to: received minus paid."""
    from_rows, scale = net_receipts(ledger), turnover(ledger)
    for account in from_rows.index.union(pd.Index(list(balances))):
        assert_holds(account, balances.get(account, 0.0), from_rows.get(account, 0.0), scale.get(account, 0.0),
                     "its ledger rows")


def check_inside_money_is_the_outside_injection(ledger: pd.DataFrame, balances: dict[str, float]) -> None:
    """All inside balances add up to what came in from outside less what went out, from outside's rows alone."""
    came_in = ledger.loc[ledger["payer"] == OUTSIDE, "amount"].sum()
    went_out = ledger.loc[ledger["payee"] == OUTSIDE, "amount"].sum()
    injection, gross = came_in - went_out, came_in + went_out
    inside = sum(balance for account, balance in balances.items() if account != OUTSIDE)
    assert abs(inside - injection) <= RELATIVE_TOLERANCE * gross + 1e-9, (
        f"inside accounts hold {inside:.12g} in all, but outside's rows inject {injection:.12g}"
    )


def check_accounts_hold_what_the_agents_recorded(economy, ledger: pd.DataFrame, balances: dict[str, float]) -> None:
    """Every inside account against an independent record of what it should hold, or bounds where none is kept."""
    expected = expected_balances(economy, ledger)
    bounded = check_failed_suppliers(economy, ledger, balances, expected)
    open_platforms = {p.account for p in economy.platforms if p.active}  # no record of their cash: see below
    unexplained = set(balances) - set(expected) - open_platforms - {OUTSIDE}
    assert not unexplained, f"accounts no agent's record explains: {sorted(unexplained)}"
    scale = turnover(ledger)
    for account, amount in expected.items():
        if account not in bounded:
            assert_holds(account, balances.get(account, 0.0), amount, scale.get(account, 0.0), "the agents' records")


def expected_balances(economy, ledger: pd.DataFrame) -> dict[str, float]:
    """What each account should hold, from the agents' state (a failed supplier's is a lower bound)."""
    expected: dict[str, float] = defaultdict(float)
    expected[HOUSEHOLDS] = expected[ADVERTISERS] = 0.0  # pass-through sectors: they spend within the month
    expected[GOVERNMENT] = government_balance(economy.government)
    for account, amount in shareholders_net_receipts(economy).items():
        # The government's counters already count its equity and what it recovered; households' members
        # pay for their stake out of income that month.
        if account not in (GOVERNMENT, HOUSEHOLDS):
            expected[account] += amount
    for account, amount in investors_commitments(economy, ledger).items():
        expected[account] += amount
    for account, amount in parents_contributions(economy, ledger).items():
        expected[account] += amount
    if economy.lender is not None:
        expected[economy.lender.account] += lender_operations(economy)
    for supplier, amount in suppliers_operations(economy).items():
        expected[supplier] += amount
    for platform in economy.platforms:
        # Planned; failed (its creditors covered its deficit); acquired (its cash went to the buyer).
        if not platform.active:
            expected[platform.account] = 0.0
    return expected


def government_balance(government) -> float:
    """Taxes levied less rescues and public platforms' grants, plus what rescues recovered and the excess-profit tax."""
    return (government.taxes - government.disbursed - government.platform_funding + government.recovered
            + government.tax_revenue)


def holdings(economy) -> pd.DataFrame:
    """Per holder account, from every cap table: what its holdings cost, and what they were paid (dividends,
    acquisitions)."""
    rows = [(h.holder, h.invested, h.paid_out) for p in economy.platforms for h in p.cap_table.holdings]
    frame = pd.DataFrame(rows, columns=["holder", "invested", "paid_out"])
    return frame.groupby("holder")[["invested", "paid_out"]].sum()


def shareholders_net_receipts(economy) -> pd.Series:
    stakes = holdings(economy)
    return stakes["paid_out"] - stakes["invested"]


def investors_commitments(economy, ledger: pd.DataFrame) -> dict[str, float]:
    """Each fund's capital commitments: at month 0, and new money for an entrant into an open market.

    Investors do not keep their commitment (their capital is their ledger balance), and its split
    among funds is a random draw, so each fund's comes from its one commitment row at month 0; their
    total is checked against the parameters. Later commitments come only in the months an entrant
    was founded with new money (users had no platform), as much as the entry records say.
    """
    accounts = [investor.account for investor in economy.investors]
    rows = ledger[(ledger["kind"] == "capital_commitment") & ledger["payee"].isin(accounts)]
    assert (rows["payer"] == OUTSIDE).all()
    first, later = rows[rows["step"] == 0], rows[rows["step"] > 0]
    assert first["payee"].is_unique
    params = economy.params
    total = params.investors.capital_per_user * params.users.count
    assert np.isclose(first["amount"].sum(), total, rtol=RELATIVE_TOLERANCE, atol=0.0), (
        f"investors' commitments add up to {first['amount'].sum():.12g}, parameters say {total:.12g}"
    )
    new_money = {entry["step"]: entry["new_money"] for entry in economy.funding.entries if entry["new_money"] > 0}
    assert set(later["step"]) <= set(new_money), f"capital committed in months {sorted(set(later['step']))} without an entrant"
    assert np.isclose(later["amount"].sum(), sum(new_money.values()), rtol=RELATIVE_TOLERANCE, atol=0.0)
    return rows.groupby("payee")["amount"].sum().to_dict()


def parents_contributions(economy, ledger: pd.DataFrame) -> dict[str, float]:
    """What each parent company took from its other businesses, checked to be what it put into its platform in
    the same month, no more, no less (its cap table then accounts for the rest: shares bought and paid out)."""
    parents = {p.parent for p in economy.platforms if p.parent is not None}
    rows = ledger[ledger["kind"] == "parent_profits"]
    assert set(rows["payee"]) <= parents and (rows["payer"] == OUTSIDE).all()
    put_in = ledger[ledger["payer"].isin(parents)].groupby(["payer", "step"])["amount"].sum()
    taken = rows.groupby(["payee", "step"])["amount"].sum().rename_axis(["payer", "step"])
    assert np.allclose(put_in.reindex(taken.index.union(put_in.index), fill_value=0.0),
                       taken.reindex(taken.index.union(put_in.index), fill_value=0.0), rtol=RELATIVE_TOLERANCE, atol=0.0), (
        "a parent put into its platform, in some month, another sum than it took from its other businesses")
    return rows.groupby("payee")["amount"].sum().to_dict()


def lender_operations(economy) -> float:
    """Capital, less the loans still out and those written off, plus the interest on every month's debt.
    (A guaranteed debt that the state paid on a failure is neither out nor written off: it was repaid.)

    Interest is paid in a month on the debt platforms carried at the end of the month before (the
    platforms' own record of their debt; the first month starts with none).
    """
    params, lender = economy.params, economy.lender
    capital = params.lending.capital_per_user * params.users.count
    outstanding = sum(platform.debt for platform in economy.platforms)
    platforms = economy.platform_frame()
    earlier_debt = platforms.loc[platforms["step"] < economy.month, "debt"].sum() if len(platforms) else 0.0
    return capital - outstanding - lender.losses + params.lending.interest_rate * earlier_debt


def suppliers_operations(economy) -> dict[str, float]:
    """Per supplier: capital, sales and new shares sold, less production costs and the service of every month's bonds.

    Bonds are serviced in a month on what was owed at the end of the month before (the suppliers'
    own record; bonds and capacity, raised and spent at once, cancel). Stakes in clients are counted
    with the other shareholders.
    """
    if not economy.suppliers:
        return {}
    terms, users = economy.params.suppliers, economy.params.users.count
    frame = economy.supplier_frame()
    earlier_bonds = frame[frame["step"] < economy.month].groupby("supplier_id")["bonds"].sum()
    service_rate = 1.0 / terms.commitment_months + terms.bond_rate
    return {
        supplier.account: terms.capital_per_user * users
        + (1.0 - terms.production_cost) * supplier.total_revenue
        - service_rate * earlier_bonds.get(supplier.supplier_id, 0.0)
        + supplier.public_money - supplier.repaid_to_state + supplier.guaranteed_issued  # rescues (none without them)
        + supplier.shares_sold
        for supplier in economy.suppliers
    }


def check_failed_suppliers(economy, ledger, balances, expected) -> set[str]:
    """A failed supplier's creditors covered its deficit on the day it failed: no agent records that sum.

    So it holds at least its operations' record (creditors only add), nothing negative, and no more
    than the payouts its stakes have earned (all it can have received since). Returns their accounts.
    """
    failed = {s.account for s in economy.suppliers if not s.active}
    paid, scale = holdings(economy)["paid_out"], turnover(ledger)
    for account in failed:
        balance, slack = balances.get(account, 0.0), RELATIVE_TOLERANCE * scale.get(account, 0.0) + 1e-9
        assert balance >= expected[account] - slack, (
            f"failed {account} holds {balance:.12g}, below its operations' record {expected[account]:.12g}"
        )
        assert -slack <= balance <= paid.get(account, 0.0) + slack, (
            f"failed {account} holds {balance:.12g}: outside 0 .. the {paid.get(account, 0.0):.12g} its stakes paid out"
        )
    return failed


def check_platforms_book_what_they_record(economy, ledger: pd.DataFrame) -> None:
    """Each month, a platform's rows of each kind add up to its own record of revenue, costs, tax and rounds.

    Its financing flows (dividends, loans, rescues, mergers) are checked from the other side: each
    lands in an account checked against its holder's record. A platform's cash itself has no record
    outside the ledger; its monthly cash column must follow the ledger's rows, and an open one never
    ends a month in debt (it raises money, is rescued, or fails).
    """
    platforms = economy.platform_frame()
    if platforms.empty:
        return
    platforms = platforms.set_index(["step", "platform_id"]).sort_index()
    records = platforms.index
    for column, (direction, kinds) in PLATFORM_RECORDS.items():
        assert_monthly(platforms[column], flows(ledger, direction, kinds, records), column)
    rounds = ROUNDS + (("bailout",) if economy.params.bailout.form == "equity" else ())
    assert_monthly(platforms["funding_raised"], flows(ledger, "in", rounds, records), "funding_raised")
    check_members_paid_for_their_stakes(economy, ledger)
    cash = flows(ledger, "in", None, records, cumulative=True) - flows(ledger, "out", None, records, cumulative=True)
    assert_monthly(platforms["cash"], cash, "cash")
    open_platforms = platforms[~platforms["status"].isin(["failed", "acquired", "planned"])]
    in_debt = open_platforms[open_platforms["cash"] < -1e-6]
    assert in_debt.empty, f"open platforms ended a month in debt (step, platform_id): {list(in_debt.index)}"


def check_members_paid_for_their_stakes(economy, ledger: pd.DataFrame) -> None:
    stakes = holdings(economy)["invested"].get(HOUSEHOLDS, 0.0)
    paid = ledger.loc[ledger["kind"] == "member_funding", "amount"].sum()
    assert np.isclose(paid, stakes, rtol=RELATIVE_TOLERANCE, atol=1e-9), (
        f"members paid {paid:.12g} into cooperatives, but their stakes record {stakes:.12g}"
    )


def flows(ledger, direction: str, kinds, records: pd.MultiIndex, cumulative: bool = False) -> pd.Series:
    """Platforms' receipts ('in') or payments ('out') of these kinds (None: all), per month, on the records' index.

    Cumulative sums start at month 0, before the first record (the founding rounds).
    """
    side = "payee" if direction == "in" else "payer"
    rows = ledger[ledger[side].str.startswith("platform:")]
    if kinds is not None:
        rows = rows[rows["kind"].isin(kinds)]
    ids = rows[side].str.split(":").str[1].astype(int).rename("platform_id")
    monthly = rows.groupby([rows["step"], ids])["amount"].sum()
    if cumulative:
        months = range(0, int(records.get_level_values("step").max()) + 1)
        every = pd.MultiIndex.from_product([months, sorted(set(records.get_level_values("platform_id")))],
                                           names=["step", "platform_id"])
        monthly = monthly.reindex(every, fill_value=0.0).groupby(level="platform_id").cumsum()
    return monthly.reindex(records, fill_value=0.0)


def assert_monthly(recorded: pd.Series, booked: pd.Series, what: str) -> None:
    wrong = ~np.isclose(recorded.to_numpy(), booked.to_numpy(), rtol=RELATIVE_TOLERANCE, atol=1e-6)
    if wrong.any():
        step, platform_id = recorded.index[wrong][0]
        raise AssertionError(
            f"platform:{platform_id} in month {step}: its {what} is {recorded.iloc[wrong.argmax()]:.12g}, "
            f"its ledger rows say {booked.iloc[wrong.argmax()]:.12g}"
        )


def net_receipts(ledger: pd.DataFrame) -> pd.Series:
    received = ledger.groupby("payee")["amount"].sum()
    paid = ledger.groupby("payer")["amount"].sum()
    return received.sub(paid, fill_value=0.0)


def turnover(ledger: pd.DataFrame) -> pd.Series:
    """All the money through each account, in and out: the scale of its rounding error."""
    received = ledger.groupby("payee")["amount"].sum()
    paid = ledger.groupby("payer")["amount"].sum()
    return received.add(paid, fill_value=0.0)


def assert_holds(account: str, balance: float, expected: float, scale: float, record: str) -> None:
    assert abs(balance - expected) <= RELATIVE_TOLERANCE * scale + 1e-9, (
        f"{account} holds {balance:.12g}, but {record} say it should hold {expected:.12g} "
        f"(off by {balance - expected:+.6g})"
    )
