"""Regulation (issue 3): each knob is part of the agents' decisions and of the ledger, and moves
outcomes the way the mechanism implies. Replicated over the same four seeds as tests/test_knobs.py;
a statement read seed by seed takes eight and a sign test, as tests/test_cycle.py does."""

import math

import numpy as np
import pytest

from model import metrics
from model.params.schema import Regulation
from model.regulation import ad_load_ceiling, excess_profit_tax, merger_allowed
from tests.conftest import ROOT, replicated_runs, scenario
from tests.books import check_books

SEEDS = range(4)
EIGHT_SEEDS = range(8)
LEAST_SEEDS = 7  # of 8: a one-sided sign test at p = 0.035
POLICIES = {
    "baseline": {},
    "ad_cap": {"regulation__ad_load_cap": 0.15},
    "tax": {"regulation__excess_profit_tax": 0.5},
    "acquisitions": {"acquisitions__enabled": True},
    "merger_control": {"acquisitions__enabled": True, "regulation__max_share": 0.6},
    "interoperability": {"regulation__interoperability": 0.7},  # as params/scenarios/interoperability.toml
    "divestiture": {"regulation__max_share": 0.6, "regulation__divestiture": True},  # as scenarios/divestiture.toml
    "share_cap_only": {"regulation__max_share": 0.6},  # the same threshold, nothing enforces it
}


def runs(policy: str, seeds=SEEDS) -> list:
    """One 4,000-user run per seed under the policy, each computed once per test process (the tests
    over four seeds and over eight share the first four)."""
    return [replicated_runs((seed,), 4000, **POLICIES[policy])[0] for seed in seeds]


def mean_over_runs(measure, policy: str) -> float:
    return float(np.mean([measure(economy) for economy in runs(policy)]))


# -- the rules themselves ---------------------------------------------------------------------
def test_the_ad_load_ceiling_is_the_lower_of_the_platform_bound_and_the_cap():
    assert ad_load_ceiling(Regulation(), 0.6) == 0.6
    assert ad_load_ceiling(Regulation(ad_load_cap=0.2), 0.6) == 0.2


def test_only_profit_above_the_normal_return_is_taxed():
    rules = Regulation(excess_profit_tax=0.5, normal_return=0.12)  # 1% of paid-in capital a month
    assert excess_profit_tax(rules, profit=-500.0, paid_in_capital=10_000.0) == 0.0
    assert excess_profit_tax(rules, profit=100.0, paid_in_capital=10_000.0) == 0.0
    assert excess_profit_tax(rules, profit=300.0, paid_in_capital=10_000.0) == pytest.approx(100.0)


def test_merger_control_blocks_only_mergers_above_the_maximum_share():
    assert merger_allowed(Regulation(), 0.99)
    assert merger_allowed(Regulation(max_share=0.5), 0.5)
    assert not merger_allowed(Regulation(max_share=0.5), 0.51)


# -- in the model -----------------------------------------------------------------------------
def test_no_platform_ever_shows_more_ads_than_the_cap():
    for economy in runs("ad_cap"):
        assert economy.platform_frame()["ad_load"].max() <= 0.15 + 1e-12


def test_an_ad_load_cap_lowers_the_ad_load_users_see():
    mean_ad_load = lambda economy: economy.model_frame()["mean_ad_load"].mean()  # noqa: E731
    assert mean_over_runs(mean_ad_load, "ad_cap") < mean_over_runs(mean_ad_load, "baseline")


def test_the_excess_profit_tax_raises_public_revenue_through_the_ledger():
    revenue = lambda economy: economy.summary()["public_revenue"]  # noqa: E731
    assert mean_over_runs(revenue, "baseline") == 0.0
    assert mean_over_runs(revenue, "tax") > 0.0
    for economy in runs("tax"):
        ledger = economy.ledger_frame()
        taxes = ledger[ledger["kind"] == "excess_profit_tax"]
        assert (taxes["payee"] == "government").all()
        assert taxes["amount"].sum() == pytest.approx(economy.summary()["public_revenue"])


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "a tax on profit above a normal return leaves a profit-maximiser's choice unchanged wherever it earns well above "
    "that return (the classic neutrality of a tax on rent), and the taxed leader does, in every seed: in its last 90 "
    "months the tax is a median 0.33-0.47 of its pre-tax profit (0.5 is the rate: far above the kink), at 2,000 and "
    "4,000 users, seeds 0-15. Its peak ad load, taxed against untaxed, measured on 2026-12-02: at 4,000 users lower in "
    "2 of seeds 0-7, higher in 3, the same in 3 (over seeds 0-15 lower in 8, higher in 3, mean change -0.005); at "
    "2,000 users lower in 7 of 16, higher in 4 (mean -0.006). The essays expect the tax to curb extraction; the "
    "model, like the theory, does not (the tax raises public revenue: the test above). The reason given here on "
    "2026-12-01 (lower in 12 of 16 at 4,000 users) was measured on an earlier model"))
def test_platforms_that_expect_the_tax_extract_less_at_the_peak():
    """Half of the excess profit goes to the state, so squeezing users pays the platform less."""
    peak_ad_load = lambda economy: metrics.leader_series(economy.platform_frame())["ad_load"].max()  # noqa: E731
    taxed = [peak_ad_load(economy) for economy in runs("tax", EIGHT_SEEDS)]
    untaxed = [peak_ad_load(economy) for economy in runs("baseline", EIGHT_SEEDS)]
    assert sum(t < u for t, u in zip(taxed, untaxed)) >= LEAST_SEEDS, (taxed, untaxed)


def test_under_an_ad_cap_the_leader_spends_less_on_quality():
    """Its ad revenue capped, the leader funds less quality: users see fewer ads and a worse service (README's
    policy table: over 100 seeds at 2,000 users their surplus over the run is lower in 78; the quality spend was
    lower in 20 of seeds 0-19)."""
    spend = lambda economy: metrics.leader_series(economy.platform_frame())["quality_spend"].mean()  # noqa: E731
    capped = [spend(economy) for economy in runs("ad_cap", EIGHT_SEEDS)]
    free = [spend(economy) for economy in runs("baseline", EIGHT_SEEDS)]
    assert sum(c < f for c, f in zip(capped, free)) >= LEAST_SEEDS, (capped, free)


def test_a_tax_on_excess_profit_leaves_users_more_surplus():
    """README's policy table: higher in 97 of 100 seeds at 2,000 users (the leader shows slightly fewer ads over the
    run and spends more on quality), though its peak ad load hardly moves (the expected failure above)."""
    surplus = lambda economy: economy.model_frame()["consumer_surplus"].sum()  # noqa: E731
    taxed = [surplus(economy) for economy in runs("tax", EIGHT_SEEDS)]
    untaxed = [surplus(economy) for economy in runs("baseline", EIGHT_SEEDS)]
    assert sum(t > u for t, u in zip(taxed, untaxed)) >= LEAST_SEEDS, (taxed, untaxed)


def test_without_merger_control_the_leader_buys_rising_rivals():
    deals = [economy.summary()["acquisitions"] for economy in runs("acquisitions")]
    assert sum(deals) > 0
    assert all(economy.summary()["acquisitions"] == 0 for economy in runs("baseline"))


def test_killer_acquisitions_happen_in_most_seeds():
    """The leader buys a rising rival in at least 7 of 8 seeds (a sign test at p = 0.035 against a coin
    flip). Measured on 2026-12-01: in 8 of seeds 0-7 at 4,000 users; at 2,000 users in 14 of seeds 0-15
    and 15 of seeds 16-31; while funding stopped at a cliff, in 7 of 16 seeds (10,000 users)."""
    deals = [economy.summary()["acquisitions"] for economy in runs("acquisitions", EIGHT_SEEDS)]
    assert sum(count > 0 for count in deals) >= LEAST_SEEDS, deals


def test_merger_control_blocks_only_the_deals_above_the_maximum_share():
    for economy in runs("merger_control"):
        for deal in economy.competition.acquisitions:
            assert deal["blocked"] == (deal["merged_share"] > economy.params.regulation.max_share), deal


def test_merger_control_keeps_more_platforms_alive():
    blocked = [economy.summary()["blocked_mergers"] for economy in runs("merger_control")]
    assert sum(blocked) > 0
    active = lambda economy: economy.summary()["active_platforms"]  # noqa: E731
    assert mean_over_runs(active, "merger_control") > mean_over_runs(active, "acquisitions")


def test_an_acquisition_pays_the_targets_shareholders_and_moves_its_users():
    economy = next(e for e in runs("acquisitions") if e.competition.acquisitions and not e.competition.acquisitions[0]["blocked"])
    deal = economy.competition.acquisitions[0]
    ledger = check_books(economy)
    paid = ledger[(ledger["kind"] == "acquisition") & (ledger["step"] == deal["step"])]
    assert (paid["payer"] == f"platform:{deal['acquirer']}").all()
    assert paid["amount"].sum() == pytest.approx(deal["paid_in_cash"])
    # the rest of the price in new shares of the acquirer, issued that month to the target's holders
    acquirer = economy.platforms[deal["acquirer"]].cap_table.holdings
    target_holders = {h.holder for h in economy.platforms[deal["target"]].cap_table.holdings}
    in_shares = sum(h.invested for h in acquirer if h.step == deal["step"] and h.holder in target_holders)
    assert deal["paid_in_cash"] + in_shares == pytest.approx(deal["price"])
    platforms = economy.platform_frame().set_index(["step", "platform_id"])
    after = platforms.loc[deal["step"]]
    before = platforms.loc[deal["step"] - 1]
    assert after.loc[deal["target"], "status"] == "acquired" and after.loc[deal["target"], "users"] == 0
    assert after.loc[deal["acquirer"], "users"] >= before.loc[deal["acquirer"], "users"]
    holdings = economy.investor_frame()
    target_holders = holdings[holdings["platform_id"] == deal["target"]]
    assert target_holders["paid_out"].sum() >= deal["price"] - 1e-6


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "params" / "scenarios").glob("*.toml")))
def test_policy_scenario_files_turn_their_mechanism_on(name):
    from model import load_params

    params = load_params(ROOT / "params" / "scenarios" / f"{name}.toml")
    baseline = scenario()
    assert params != baseline
    text = (ROOT / "params" / "scenarios" / f"{name}.toml").read_text()
    assert text.startswith("#") and "# Question:" in text, "a scenario file opens with the question it answers"


def test_interoperability_weakens_lock_in_and_leaves_users_more_surplus():
    leader = lambda economy: metrics.leader_series(economy.platform_frame())  # noqa: E731
    lock_in = lambda economy: leader(economy)["mean_switching_cost"].iloc[-60:].mean()  # noqa: E731
    late_surplus = lambda economy: leader(economy)["user_surplus"].iloc[-60:].mean()  # noqa: E731
    assert mean_over_runs(lock_in, "interoperability") < mean_over_runs(lock_in, "baseline")
    assert mean_over_runs(late_surplus, "interoperability") > mean_over_runs(late_surplus, "baseline")


def test_a_platform_dominant_for_a_year_is_split_and_the_spin_off_has_the_same_owners():
    """Each of the parent's users moves to the spin-off with probability regulation.divested_share, so
    the users moved are a binomial draw: their share is checked pooled over the splits, within four
    standard errors. A split can come early, while the parent has a few hundred users (in the
    ad-funded baseline each of seeds 0-7 is split once, in months 21-78; seed 0 in month 21 with 223
    users, of which 141 moved, 3.95 standard errors above half), and the users it splits are those
    it holds after the month's choices, more than it held the month before while the market grows."""
    split = [(e, deal) for e in runs("divestiture") for deal in e.competition.divestitures]
    assert split, "no platform was split in these seeds"
    moved, held = 0, 0
    for economy, deal in split:
        ledger = check_books(economy)
        platforms = economy.platform_frame().set_index(["step", "platform_id"])
        month, parent, spin_off = deal["step"], deal["platform"], deal["spin_off"]
        assert platforms.loc[(month - 1, spin_off), "status"] == "planned"
        assert platforms.loc[(month, spin_off), "status"] == "active"
        # Recorded after the split: the spin-off holds the users moved, the parent the rest.
        assert platforms.loc[(month, spin_off), "users"] == deal["users"]
        moved += deal["users"]
        held += deal["users"] + platforms.loc[(month, parent), "users"]
        transfers = ledger[(ledger["kind"] == "divestiture") & (ledger["step"] == month)]
        assert (transfers["payer"] == f"platform:{parent}").all()
        assert (transfers["payee"] == f"platform:{spin_off}").all()
        holders = economy.investor_frame().groupby("platform_id")["holder"].apply(set)
        assert holders[spin_off] <= holders[parent]
    share = split[0][0].params.regulation.divested_share
    assert abs(moved - share * held) <= 4 * math.sqrt(share * (1 - share) * held), (moved, held)


def test_until_the_first_split_the_run_is_the_run_without_divestiture():
    """Spare slots draw from a child generator: the comparison is of the policy, not of luck. (An
    entrant takes the first slot kept for entry, which comes after the spin-offs' slots, so the runs
    may also part at the first entry.)"""
    for with_split, without in zip(runs("divestiture"), runs("share_cap_only")):
        events = [deal["step"] for deal in with_split.competition.divestitures]
        events += [entry["step"] for economy in (with_split, without) for entry in economy.funding.entries]
        first = min(events, default=None)
        a, b = with_split.model_frame(), without.model_frame()
        same = slice(None) if first is None else slice(0, first - 1)
        assert np.allclose(a["hhi"].iloc[same], b["hhi"].iloc[same]) and (a["adopted_users"].iloc[same] == b["adopted_users"].iloc[same]).all()


def test_forced_divestiture_keeps_the_market_less_concentrated():
    late_hhi = lambda economy: economy.model_frame()["hhi"].iloc[-60:].mean()  # noqa: E731
    assert mean_over_runs(late_hhi, "divestiture") < mean_over_runs(late_hhi, "share_cap_only")


def test_divestiture_without_a_share_threshold_is_refused():
    from model import load_params
    from model.params import ParamsError

    with pytest.raises(ParamsError, match="set max_share below 1"):
        load_params(ROOT / "params" / "baseline.toml", {"regulation.divestiture": True})
