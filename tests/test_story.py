"""The baseline tells Doctorow's story from the agents' decisions.

The leader subsidises while it grows; its users' switching costs and the market's HHI rise; then
its ad load rises and quality falls while its profit turns positive; its users' surplus peaks
before its advertisers' surplus, which peaks before its profit. Checked over 20 seeds of the
full baseline (10,000 users, 240 months). The knobs are in test_knobs.py.

The statement over more seeds, with a 95% Wilson interval and the stages that fail by seed:

    .venv/bin/python -m tests.test_story --seeds 100            # seeds 0-99, about 3 minutes on 2 cores

Measured on 2026-12-02, since the baseline took the social network's estimate (investors bet on the
leader, the market tips within a few years): the stages hold in 100 of seeds 0-99 (95% interval 96%
to 100%). On 2026-12-01, in the market now params/scenarios/subsidy_war.toml (contested for years):
88 of seeds 0-99 (80% to 93%), 36 of seeds 0-39, the misses mostly HHIs that fell between month 12
and lock-in. The advertisers' surplus is read per dollar they spend, as the users' is per
user (``metrics.per_dollar``), so that its peak does not merely follow the budgets moving online.
(While sentiment sat at its cap: 39 of 40; before the budgets moved online: 34 of 40; the paid
market of ``params/scenarios/paid.toml``, before advertisers' attachment: 38 of 40.)
"""

import numpy as np
import pytest

from model import metrics
from tests.conftest import SUBSIDY_WAR, replicated_runs, run, scenario

SEEDS = range(20)


@pytest.fixture(scope="module")
def baseline_runs():
    return [run(scenario(simulation__seed=seed)) for seed in SEEDS]


def doctorow_stages(economy) -> dict[str, bool]:
    """Each stage of the story, checked on one run's eventual leader."""
    summary = economy.summary()
    lock_in = summary["phase_transitions"]["lock-in"]
    extraction = summary["phase_transitions"]["extraction"]
    if lock_in is None or extraction is None:
        return {"phases detected": False}
    leader = metrics.leader_series(economy.platform_frame())
    hhi = economy.model_frame().set_index("step")["hhi"]
    growing, extracting = leader.loc[:lock_in], leader.loc[extraction:]
    peaks = summary["peaks"]
    return {
        "phases detected": True,
        "subsidises while growing": growing["costs"].sum() > growing["revenue"].sum(),
        "switching costs rise": leader.loc[lock_in, "mean_switching_cost"] > leader.loc[12, "mean_switching_cost"],
        "HHI rises": hhi.loc[lock_in] > hhi.loc[12],
        "ad load rises": extracting["ad_load"].mean() > growing["ad_load"].mean(),
        "quality falls": extracting["quality"].mean() < growing["quality"].max(),
        "profit turns positive": extracting["profit"].mean() > 0,
        "users' surplus peaks first": peaks["leader_user_surplus"] < peaks["leader_advertiser_surplus_per_dollar"],
        "advertisers' surplus peaks before profit": peaks["leader_advertiser_surplus_per_dollar"] < peaks["leader_profit"],
    }


def test_baseline_produces_doctorows_stages_in_at_least_16_of_20_seeds(baseline_runs):
    stages = [doctorow_stages(economy) for economy in baseline_runs]
    holds = [all(s.values()) for s in stages]
    failing = {seed: [k for k, ok in s.items() if not ok] for seed, s in zip(SEEDS, stages) if not all(s.values())}
    assert sum(holds) >= 16, f"stages fail in seeds: {failing}"


def paid_per_dollar(holdings) -> float:
    invested = holdings["invested"].sum()
    return holdings["paid_out"].sum() / invested if invested else float("nan")


def test_the_leaders_payouts_go_to_its_pioneers(baseline_runs):
    """The rent goes to the pioneer shareholders (DESIGN §2): in the baseline (the social network's
    estimate) investors bet on the leader, which lives on the money of its first rounds, so its founders
    and pioneers take at least 90 % of what it pays out in at least 16 of 20 seeds. Measured on
    2026-12-02: the leader raised no round after its seed in seeds 0-2 (at 10,000 users), and its seed
    investors' money came back 21-26 times."""
    shares = []
    for economy in baseline_runs:
        holdings = economy.investor_frame()
        holdings = holdings[holdings["platform_id"] == economy.summary()["leader_id"]]
        paid = holdings["paid_out"].sum()
        shares.append(holdings.loc[holdings["founders"] | holdings["pioneer"], "paid_out"].sum() / paid if paid else 0.0)
    assert sum(share >= 0.9 for share in shares) >= 16, shares


def test_in_a_subsidy_war_the_leaders_pioneers_are_paid_more_per_dollar_than_its_later_investors_in_at_least_16_of_20_seeds():
    """Where investors fund every platform (scenarios/subsidy_war.toml), the winner raises rounds as it
    grows; they are priced on market share, so its early investors bought its shares cheaper than those
    who came after (DESIGN §2). Measured on 2026-12-02 (2,000 users, seeds 0-19): paid more per dollar in
    19 of 20, medians 0.84 against 0.38."""
    better = []
    for economy in replicated_runs(tuple(SEEDS), 2000, SUBSIDY_WAR):
        holdings = economy.investor_frame()
        holdings = holdings[~holdings["founders"] & (holdings["platform_id"] == economy.summary()["leader_id"])]
        pioneers, later = holdings[holdings["pioneer"]], holdings[~holdings["pioneer"]]
        better.append(paid_per_dollar(pioneers) > paid_per_dollar(later))  # no later round: not shown, counts against
    assert sum(better) >= 16, f"pioneers ahead in {sum(better)} of 20 seeds"


def test_the_leader_lives_on_advertising_over_its_last_five_years(baseline_runs):
    """In the ad-funded baseline, at least 80% of the leader's revenue over its last five years is
    advertising (median over seeds; in a paid market it was about 55%)."""
    shares = [economy.summary()["advertisers"]["ad_revenue_share_last_5_years"] for economy in baseline_runs]
    assert np.median([np.nan if s is None else s for s in shares]) >= 0.8, shares


def test_advertisers_surplus_per_dollar_falls_at_least_a_quarter_from_its_peak(baseline_runs):
    """Doctorow's third stage on the ad side: once advertisers are locked in, each dollar buys them
    less (median over seeds of the fall from the peak to the last year). Measured on 2026-12-02, since
    the baseline took the social network's estimate: a median of 41% over seeds 0-39, at least 25% in
    40 of 40 (on 2026-12-01, in the market now scenarios/subsidy_war.toml: 35%, and 36 of 40; with
    constant online budgets there it was 15%: docs/ODD.md, section 6.6)."""
    falls = [economy.summary()["advertisers"]["surplus_per_dollar_fall"] for economy in baseline_runs]
    assert np.median([np.nan if f is None else f for f in falls]) >= 0.25, falls


def test_no_lever_rests_on_a_bound_of_the_parameter_file(baseline_runs):
    """DESIGN §4: the levers spend under a tenth of the months concerned at a bound the file sets
    (median over seeds), so no result is an artefact of one."""
    bounds = [economy.summary()["bounds"] for economy in baseline_runs]
    for name in metrics.lever_bounds(baseline_runs[0].params):
        shares = [b[name] for b in bounds if b[name] is not None]
        assert not shares or np.median(shares) < 0.10, (name, shares)


def test_sentiment_does_not_rest_on_its_bounds(baseline_runs):
    """DESIGN §4: the funding market's boom and bust live inside market.min_sentiment and
    market.max_sentiment (median share of months at each under a tenth). Its target follows the
    year's adoption as a share of potential users, which swells and fades with the market; when it
    followed relative growth, a young market's boom was the cap (a third of the months, seeds 0-39)."""
    bounds = [economy.summary()["bounds"] for economy in baseline_runs]
    for name in ("market.min_sentiment", "market.max_sentiment"):
        assert np.median([b[name] for b in bounds]) < 0.10, (name, [b[name] for b in bounds])


def _stages_of_seed(seed: int) -> tuple[int, list[str], str]:
    economy = run(scenario(simulation__seed=seed))
    stages = doctorow_stages(economy)
    return seed, [name for name, holds in stages.items() if not holds], economy.summary()["regime"]


def main(argv=None) -> int:
    """How often the stages hold over many seeds (in parallel processes), with a 95% Wilson interval."""
    import argparse
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from model.statistics import wilson_interval

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--seeds", type=int, default=100, help="number of seeds (default 100)")
    parser.add_argument("--first-seed", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--processes", type=int, default=2, help="parallel processes (default 2)")
    args = parser.parse_args(argv)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    with ProcessPoolExecutor(args.processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_stages_of_seed, seeds))
    for seed, failing, regime in results:
        if failing:
            print(f"seed {seed} ({regime}): fails {', '.join(failing)}")
    holds = sum(not failing for _, failing, _ in results)
    low, high = wilson_interval(holds, len(results))
    print(f"the stages hold in {holds} of {len(results)} seeds ({holds / len(results):.0%}, 95% interval {low:.0%} to {high:.0%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
