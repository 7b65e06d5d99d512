"""Each market alone, on a scripted stage: real actors, a ledger, and no users' choices or live economy.

The way the Axelrod library tests a strategy against a scripted opponent: the stage sets the
platforms' users and lets them pay their costs; the market under test does the rest.
"""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from model.government import Government
from model.investors import create_investors
from model.ledger import HOUSEHOLDS, Ledger
from model.markets import ComputeMarket, Distress, FundingMarket
from model.platforms import ACTIVE, FAILED, RESCUED, Platform
from tests.conftest import scenario

USERS = 1000


class ScriptedUsers:
    """Users who do what the script says; they only remember which platforms' users were released."""

    def __init__(self) -> None:
        self.released: list[int] = []

    def release(self, platform_id: int) -> int:
        self.released.append(platform_id)
        return 0


class Stage(mesa.Model):
    """Platforms, investors and the state around one ledger; the markets are built on it by each test."""

    def __init__(self, platforms: int = 2, **overrides) -> None:
        params = scenario(**{"users__count": USERS, "platforms__count": platforms, **overrides})
        super().__init__(rng=0)
        self.params = params
        self.month = 0
        self.ledger = Ledger()
        self.users = ScriptedUsers()
        self.platforms = [Platform(self, j, params) for j in range(platforms)]
        self.investors = create_investors(self, params)
        self.government = Government(self, params)
        self.lender = None
        self.suppliers = []
        self.funding = FundingMarket(self, params)
        self.distress = Distress(self, params, self.funding, ComputeMarket(self, params, self.funding))

    @property
    def active_platforms(self) -> list[Platform]:
        return [p for p in self.platforms if p.active]

    def set_users(self, *users: int) -> None:
        for platform, count in zip(self.platforms, users):
            platform.count_users(count, 0)

    def lose_money(self, months: int) -> None:
        """Every platform pays its costs with no revenue, month after month."""
        for _ in range(months):
            self.month += 1
            for platform in self.active_platforms:
                platform.clear_month()
                platform.pay_costs(HOUSEHOLDS, None)


# -- the funding market ------------------------------------------------------------------------
def test_investors_expect_each_platform_to_keep_its_share_of_the_market():
    stage = Stage(platforms=2)
    stage.set_users(300, 100)
    expected = [stage.funding.expected_users(p) for p in stage.platforms]
    prior = stage.funding.judgement_prior
    assert sum(expected) == pytest.approx(USERS)
    assert expected[0] / expected[1] == pytest.approx((300 + prior) / (100 + prior))


def test_the_leader_is_the_most_promising_platform():
    stage = Stage(platforms=3)
    stage.set_users(500, 200, 0)
    promise = [stage.funding.promise(p) for p in stage.platforms]
    assert promise[0] == 1.0
    assert promise[0] > promise[1] > promise[2] > 0  # a platform with no users still gets the judgement prior


def test_a_user_of_the_leader_is_worth_more_to_investors_than_a_rivals():
    stage = Stage(platforms=2, funding__winner_take_all=1.0)
    stage.set_users(600, 150)
    leader, rival = (stage.funding.value_per_user_of(p) for p in stage.platforms)
    assert leader == pytest.approx(stage.funding.value_per_user)
    assert 0 < rival < leader


def test_every_for_profit_platform_is_founded_with_a_seed_round():
    stage = Stage(platforms=2)
    stage.funding.found_first_platforms()
    seed = stage.params.platforms.seed_funding * USERS
    for platform in stage.platforms:
        assert platform.cash == pytest.approx(seed)
        assert platform.cap_table.rounds == 1


def adopt(stage, adopted_by_month) -> float:
    """Feeds the funding market a path of adopted users, a month at a time; returns its sentiment."""
    for adopted in adopted_by_month:
        stage.month += 1
        stage.funding.update_sentiment(adopted)
    return stage.funding.sentiment


TAKE_OFF = [10, 20, 40, 80, 160, 320]  # of USERS potential users: a third adopts in half a year


def test_sentiment_rises_while_the_market_grows_and_failures_pull_it_down():
    calm, shaken = Stage(platforms=2), Stage(platforms=2)
    booming = adopt(calm, TAKE_OFF)
    assert 1.0 < booming < calm.params.market.max_sentiment
    assert adopt(shaken, TAKE_OFF) == booming
    shaken.funding.hear_of_failure()
    shaken.funding.hear_of_failure()
    assert adopt(shaken, [320] * 3) < adopt(calm, [320] * 3)  # the same market, two failures this year


def test_sentiment_returns_to_normal_as_the_market_saturates():
    """The bust needs no failure: once nobody new adopts for a year, the hype is gone."""
    stage = Stage(platforms=2, market__initial_sentiment=1.0)
    booming = adopt(stage, TAKE_OFF)
    settled = adopt(stage, [320] * 60)
    assert settled < booming and settled == pytest.approx(1.0, abs=0.05)


def test_sentiment_reads_adoption_as_a_share_of_potential_users():
    """The same market simulated with ten times the users gets the same boom (DESIGN §4, scale)."""
    small = Stage(platforms=2)
    large = Stage(platforms=2, users__count=10 * USERS)
    assert adopt(small, TAKE_OFF) == pytest.approx(adopt(large, [10 * adopted for adopted in TAKE_OFF]))


# -- distress ---------------------------------------------------------------------------------
def test_a_promising_platform_short_of_runway_raises_a_round():
    stage = Stage(platforms=2)
    stage.funding.found_first_platforms()
    stage.set_users(400, 300)
    platform = stage.platforms[0]
    trigger = stage.params.funding.runway_trigger_months
    while platform.cash >= trigger * platform.burn and stage.month < 600:
        stage.lose_money(1)
    assert platform.cash < trigger * platform.burn, "the stage never ran short"
    rounds, cash = platform.cap_table.rounds, platform.cash
    stage.distress.resolve()
    assert platform.cap_table.rounds == rounds + 1
    assert platform.cash > cash
    assert platform.status == ACTIVE
    raised = stage.ledger.frame().query("kind == 'equity' and payee == @platform.account and step == @stage.month")["amount"].sum()
    assert raised == pytest.approx(platform.funding_raised)


def test_a_platform_whose_losses_outlast_investors_patience_fails_and_frees_its_users():
    stage = Stage(platforms=2, investors__patience_mean=2.0, investors__patience_spread=0.0,
                  platforms__seed_funding=0.5)
    stage.funding.found_first_platforms()
    stage.set_users(400, 300)
    for _ in range(30):
        stage.lose_money(1)
        stage.distress.resolve()
    assert [p.status for p in stage.platforms] == [FAILED, FAILED]
    assert sorted(stage.users.released) == [0, 1]
    assert len(stage.funding.failure_months) == 2
    for platform in stage.platforms:
        assert platform.cash == pytest.approx(0.0, abs=1e-6)  # creditors absorbed what it could not pay


def test_a_systemic_platform_the_state_covers_is_rescued_instead():
    stage = Stage(platforms=2, investors__patience_mean=2.0, investors__patience_spread=0.0, platforms__seed_funding=0.5,
                  bailout__enabled=True, bailout__form="loan", bailout__systemic_share=0.5)
    stage.funding.found_first_platforms()
    stage.set_users(700, 300)
    for _ in range(30):
        stage.lose_money(1)
        stage.distress.resolve()
        if stage.platforms[1].status == FAILED:
            break
    big, small = stage.platforms
    assert small.status == FAILED  # not systemic: it fails
    assert big.status == RESCUED
    assert stage.government.rescues >= 1
    assert big.public_loan == pytest.approx(stage.government.disbursed)
    bailouts = stage.ledger.frame().query("kind == 'bailout'")
    assert set(bailouts["payee"]) == {big.account}


def test_the_one_definition_of_systemic_is_a_share_of_platform_users():
    stage = Stage(platforms=3, bailout__systemic_share=0.5)
    stage.set_users(500, 300, 200)
    systemic = [stage.government.is_systemic(p, stage.platforms) for p in stage.platforms]
    assert systemic == [True, False, False]
    stage.set_users(0, 0, 0)
    assert not any(stage.government.is_systemic(p, stage.platforms) for p in stage.platforms)
    assert np.all(stage.funding.user_values() >= 0)
