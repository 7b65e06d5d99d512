"""The user population: adoption that responds to offers, captive users, generational turnover."""

import numpy as np
import pandas as pd
import pytest

from model.choice import NO_PLATFORM, Offers, logit_probabilities, network_term
from model.economy import PlatformEconomy
from model.trends import logistic_trend
from model.users import PANEL_MEMBERS, UserPopulation, draw_with_replacement
from tests.conftest import ROOT, scenario


def settled_population(turnover, users=20_000, seed=0):
    """Every user adopted, on platform 0 or 1, with 30 months of tenure."""
    population = UserPopulation(scenario(users__count=users, users__turnover=turnover), np.random.default_rng(seed))
    population.adopted[:] = True
    population.platform[:] = np.arange(users) % 2
    population.tenure[:] = 30
    population._recount()
    return population


def test_turnover_replaces_a_share_of_adopted_users_by_newcomers_who_choose_afresh():
    population = settled_population(turnover=0.05)
    replaced = population.renew()
    assert abs(replaced / population.count - 0.05) < 5 * np.sqrt(0.05 * 0.95 / population.count)
    newcomers = population.platform == NO_PLATFORM
    assert newcomers.sum() == replaced
    assert (population.tenure[newcomers] == 0).all() and population.must_choose[newcomers].all()
    assert (population.tenure[~newcomers] == 30).all() and not population.must_choose[~newcomers].any()
    assert population.counts(2).sum() == population.count - replaced


def test_newcomers_pay_no_switching_cost():
    population = settled_population(turnover=0.05)
    population.renew()
    newcomers = np.flatnonzero(population.platform == NO_PLATFORM)
    utilities = population.utilities(newcomers, _offers(population))
    # No option is charged a switching cost: the two platforms differ by affinity only.
    assert np.allclose(utilities[:, 0] - utilities[:, 1], population.affinity[newcomers, 0] - population.affinity[newcomers, 1])


def test_users_who_do_not_leave_are_untouched_and_no_turnover_draws_nothing():
    population = settled_population(turnover=0.0)
    state = population.rng.bit_generator.state
    assert population.renew() == 0
    assert population.rng.bit_generator.state == state  # a run without turnover keeps all its other draws
    assert (population.platform != NO_PLATFORM).all() and (population.tenure == 30).all()


def _offers(population):
    slots = population.affinity.shape[1]
    return Offers(active=np.ones(slots, bool), quality=np.full(slots, 2.0), ad_load=np.full(slots, 0.1),
                  user_price=np.zeros(slots), network=np.full(slots, 0.25))


FOUR_SLOTS = {"entry__entrants": 0}  # the four platforms of the start, no slot kept for an entrant: offers_of's four


def offers_of(quality, slots=4, ad_load=0.1, network=0.25):
    return Offers(active=np.ones(slots, bool), quality=np.full(slots, float(quality)), ad_load=np.full(slots, ad_load),
                  user_price=np.zeros(slots), network=np.full(slots, network))


# -- adoption ----------------------------------------------------------------------------------
def newcomers_joining(quality, outside=2.0, users=20_000, seed=0):
    """Share of potential users who look at the market in the first month and pick a platform."""
    population = UserPopulation(scenario(users__count=users, users__outside_utility=outside, users__adoption_innovation=0.5,
                                         **FOUR_SLOTS), np.random.default_rng(seed))
    looking = population.consider()
    population.choose(offers_of(quality), looking)
    return population.adopted.sum() / looking.size, population


def test_a_potential_user_who_prefers_the_outside_option_does_not_adopt():
    share, population = newcomers_joining(quality=1.0)
    assert 0.05 < share < 0.95  # some looked and stayed out
    assert (population.platform[population.adopted] != NO_PLATFORM).all()
    assert population.new_adopters == population.adopted.sum()


def test_better_offers_draw_more_of_the_users_who_look_at_the_market():
    assert newcomers_joining(quality=3.0)[0] > newcomers_joining(quality=1.0)[0] + 0.1


def test_without_an_outside_option_everyone_who_looks_adopts():
    share, _ = newcomers_joining(quality=1.0, outside="none")
    assert share == 1.0


def test_word_of_mouth_comes_from_users_on_a_platform():
    population = settled_population(turnover=0.0, users=1000)
    p, q = population.params.users.adoption_innovation, population.params.users.adoption_imitation
    assert population.adoption_hazard() == pytest.approx(p + q)
    population.platform[:500] = NO_PLATFORM  # adopted, but gone to the outside option: they do not recommend
    population._recount()
    assert population.adoption_hazard() == pytest.approx(p + q / 2)


# -- the market's reach ---------------------------------------------------------------------------
def test_the_reach_follows_its_logistic_path_and_never_shrinks():
    population = UserPopulation(scenario(users__count=10_000, users__reach_start=0.02, users__reach_growth=0.5),
                                np.random.default_rng(0))
    reached = []
    for month in range(1, 181):
        population.extend_reach(month)
        reached.append(population.reach)
    assert reached[0] == round(10_000 * logistic_trend(1, 0.02, 0.5))
    assert reached[119] == round(10_000 * logistic_trend(120, 0.02, 0.5))  # 0.75 of them after ten years
    assert all(later >= earlier for earlier, later in zip(reached, reached[1:])) and reached[-1] < 10_000


def test_by_default_the_market_reaches_everyone_from_the_start():
    population = UserPopulation(scenario(users__count=1000), np.random.default_rng(0))
    population.extend_reach(1)
    assert population.reach == 1000 and population.waiting().size == 1000


def test_only_the_users_the_market_reaches_look_at_it_and_word_of_mouth_is_among_them():
    population = UserPopulation(scenario(users__count=1000, users__reach_start=0.2), np.random.default_rng(0))
    population.extend_reach(1)  # no growth: a fifth of them, for good
    assert population.reach == 200
    population.platform[:100] = 0  # half of those reached are on a platform
    population._recount()
    p, q = population.params.users.adoption_innovation, population.params.users.adoption_imitation
    assert population.adoption_hazard() == pytest.approx(p + q / 2)
    looking = np.concatenate([population.consider() for _ in range(200)])
    assert looking.size > 0 and looking.max() < 200


def test_a_market_whose_reach_grows_adopts_later_and_only_where_it_reaches():
    """The paid market's users, reached all at once or from one city: with the reach growing, fewer have
    adopted after three years, in every seed, and nobody beyond the reach ever has."""
    paid = ROOT / "params" / "scenarios" / "paid.toml"
    for seed in range(3):
        everyone, growing = (PlatformEconomy(scenario(paid, users__count=1000, simulation__steps=60, simulation__seed=seed,
                                                      **reach)).run()
                             for reach in ({}, {"users__reach_start": 0.02, "users__reach_growth": 0.6}))
        assert growing.model_frame()["adopted_users"].iloc[35] < everyone.model_frame()["adopted_users"].iloc[35]
        assert growing.users.reach < 1000 and not growing.users.adopted[growing.users.reach:].any()


def test_the_model_frame_records_how_many_users_the_market_reaches():
    """From one city to the whole market along the logistic trend (reached_users), never fewer than have
    adopted; a market reached all at once reaches every potential user every month."""
    paid = ROOT / "params" / "scenarios" / "paid.toml"
    economy = PlatformEconomy(scenario(paid, users__count=1000, simulation__steps=120, simulation__seed=0,
                                       users__reach_start=0.02, users__reach_growth=0.6)).run()
    growing = economy.model_frame()
    reached = growing["reached_users"]
    assert reached.iloc[0] < 60 and reached.iloc[-1] == economy.users.reach > 850 and reached.is_monotonic_increasing
    assert (growing["adopted_users"] <= reached).all()
    everyone = PlatformEconomy(scenario(paid, users__count=1000, simulation__steps=12)).run().model_frame()
    assert (everyone["reached_users"] == 1000).all()


# -- captive users -----------------------------------------------------------------------------
def captive_share_of_platform_0(switching_cost=0.06, interoperability=0.0, rival_quality=2.0, outside=2.0):
    """Platform 0's captive share, every user on it with 30 months of tenure, rivals offering ``rival_quality``.

    Its network pull is fixed (J = 2.5, affinity 0.75) so that the switching cost and interoperability can
    show: with the baseline's stronger network (J = 3.09) 91 % of its users are captive with no switching
    cost at all."""
    params = scenario(users__count=5000, switching__cost_per_month=switching_cost, network__effect=2.5,
                      users__platform_affinity=0.75,
                      regulation__interoperability=interoperability, users__outside_utility=outside)
    population = UserPopulation(params, np.random.default_rng(1))
    population.adopted[:] = True
    population.platform[:] = 0
    population.tenure[:] = 30
    population._recount()
    quality = np.array([2.0, rival_quality, rival_quality, rival_quality])
    offers = Offers(active=np.ones(4, bool), quality=quality, ad_load=np.full(4, 0.1), user_price=np.zeros(4),
                    network=network_term(np.array([1.0, 0.0, 0.0, 0.0]), interoperability))
    return population.surplus_and_lock_in(offers, 4, worse_by=1.0)["captive_share"][0]


def test_the_captive_share_is_the_logit_probability_of_staying_after_a_degradation():
    population = UserPopulation(scenario(users__count=300, **FOUR_SLOTS), np.random.default_rng(2))
    population.adopted[:] = True
    population.platform[:] = np.arange(300) % 3
    population.tenure[:] = np.arange(300) % 40
    population._recount()
    offers = offers_of(2.0)
    captive = population.surplus_and_lock_in(offers, 4, worse_by=0.7)["captive_share"]
    for j in range(3):  # the full logit over every option, platform j's utility lowered by 0.7
        on = np.flatnonzero(population.platform == j)
        utilities = population.utilities(on, offers)
        utilities[:, j] -= 0.7
        staying = logit_probabilities(utilities, population.params.users.rationality)[:, j]
        assert captive[j] == pytest.approx(staying.mean(), rel=1e-6)  # log-sums in single precision
    assert np.isnan(captive[3])  # nobody on platform 3


def test_higher_switching_costs_make_users_captive():
    assert captive_share_of_platform_0(switching_cost=0.12) > captive_share_of_platform_0(switching_cost=0.0) + 0.1


def test_interoperability_frees_captive_users():
    assert captive_share_of_platform_0(interoperability=1.0) < captive_share_of_platform_0(interoperability=0.0) - 0.3


def test_users_of_a_platform_far_better_than_its_rivals_stay_without_being_locked_in():
    free_to_leave = dict(switching_cost=0.0, interoperability=1.0, outside="none")
    assert captive_share_of_platform_0(**free_to_leave, rival_quality=-5.0) > 0.95
    assert captive_share_of_platform_0(**free_to_leave, rival_quality=2.0) < 0.5


# -- scale -------------------------------------------------------------------------------------
def test_demand_samples_have_the_same_size_whatever_the_population():
    for users in (500, 50_000):
        population = settled_population(turnover=0.0, users=users)
        adopters, newcomers = population.sample(1500, np.random.default_rng(0))
        assert adopters.draws.sum() == 1500  # drawn with replacement: the same noise at any size
        assert adopters.weight == pytest.approx(users / 1500)
        # each user drawn is held once, with the times it was drawn: in 500 users, at most 500 of them
        assert adopters.platform.size == np.unique(adopters.tastes, axis=0).shape[0] <= min(users, 1500)


# -- statistics measured on a panel ------------------------------------------------------------
def spread_population(users, measured, seed=3):
    """Every user adopted: about 70 % on platform 0, 25 % on 1, 3 % on 2 and 2 % on none; tenures 0 to 39."""
    population = UserPopulation(scenario(users__count=users, simulation__measured_users=measured, **FOUR_SLOTS),
                                np.random.default_rng(seed))
    population.adopted[:] = True
    draw = np.random.default_rng(seed + 1).random(users)
    population.platform[:] = np.select([draw < 0.7, draw < 0.95, draw < 0.98], [0, 1, 2], NO_PLATFORM)
    population.tenure[:] = np.arange(users) % 40
    population._recount()
    return population


def test_a_population_no_larger_than_the_panel_is_measured_whole():
    who, weight = spread_population(users=5000, measured=5000).measured()
    assert (who == np.arange(5000)).all() and (weight == 1).all()


def test_in_a_larger_population_each_platform_is_measured_on_the_panel_or_whole_and_weighs_its_users():
    population = spread_population(users=60_000, measured=5000)
    who, weight = population.measured()
    platform, counts = population.platform[who], population.counts(4)
    for slot in range(3):
        assert weight[platform == slot].sum() == pytest.approx(counts[slot])
    assert weight.sum() == pytest.approx(60_000)  # the users on no platform are a group too
    assert (platform == 0).sum() < counts[0] / 10  # about 3,500 of its 42,000 users are in the panel
    # about 150 of platform 2's 1,800 users are in the panel, fewer than PANEL_MEMBERS: all are measured
    assert (platform == 2).sum() == counts[2] and (weight[platform == 2] == 1).all()


def test_users_who_have_not_adopted_are_not_measured_when_the_users_on_no_platform_are_measured_whole():
    population = spread_population(users=60_000, measured=5000)
    nowhere = np.flatnonzero(population.platform == NO_PLATFORM)
    population.adopted[nowhere[::2]] = False  # half of the users on no platform have not adopted yet
    who, weight = population.measured()
    assert np.array_equal(who[population.platform[who] == NO_PLATFORM], nowhere[1::2])  # the rest, whole, in order
    assert (np.diff(who) > 0).all() and weight.sum() == pytest.approx(60_000 - nowhere[::2].size)


def test_statistics_measured_on_the_panel_are_those_of_everyone_within_their_sampling_error():
    """Within four standard errors of a sample of PANEL_MEMBERS users (a share's is at most 0.5 / sqrt(1000))."""
    offers = offers_of(2.0)
    exact = spread_population(users=60_000, measured=60_000).surplus_and_lock_in(offers, 4, worse_by=1.0)
    panel = spread_population(users=60_000, measured=5000).surplus_and_lock_in(offers, 4, worse_by=1.0)
    assert panel["consumer_surplus"] == pytest.approx(exact["consumer_surplus"], rel=0.02)
    assert panel["user_surplus"][:3] == pytest.approx(exact["user_surplus"][:3], rel=0.05)
    assert panel["switching_cost"][:3] == pytest.approx(exact["switching_cost"][:3], rel=0.05)
    assert panel["captive_share"][:3] == pytest.approx(exact["captive_share"][:3], abs=4 * 0.5 / np.sqrt(PANEL_MEMBERS))
    assert panel["captive_share"][2] == pytest.approx(exact["captive_share"][2], rel=1e-5)  # measured whole
    assert np.isnan(panel["captive_share"][3]) and np.isnan(exact["captive_share"][3])


def test_measuring_on_a_panel_leaves_the_run_itself_unchanged():
    """The same seed with statistics on a panel of 2,000 or over all 8,000 users: the same market, month by month."""
    from model.economy import PlatformEconomy

    def run(measured):
        return PlatformEconomy(scenario(users__count=8000, simulation__steps=120, simulation__measured_users=measured)).run()

    exact, panel = run(8000), run(2000)
    dynamics = ["adopted_users", "platform_users", "leader_id", "leader_share", "hhi", "mean_ad_load", "platform_profit"]
    pd.testing.assert_frame_equal(exact.model_frame()[dynamics], panel.model_frame()[dynamics])
    surplus = exact.model_frame()["consumer_surplus"], panel.model_frame()["consumer_surplus"]
    assert ((surplus[1] - surplus[0]).abs() <= 0.03 * surplus[0].abs() + 1e-9).all()
    captive = exact.model_frame()["leader_captive_share"], panel.model_frame()["leader_captive_share"]
    assert ((captive[1] - captive[0]).abs().max()) <= 4 * 0.5 / np.sqrt(PANEL_MEMBERS)


@pytest.mark.parametrize("pool_size", [1, 7, 1500, 3000, 8 * 1500 + 1, 50_000])
def test_a_forecast_sample_is_the_draws_rng_choice_makes_counted_once_a_user(pool_size):
    """draw_with_replacement counts by index in small pools and by sorting in large ones (above SORT_ABOVE = 8
    users a draw: the last two pools here): either way, the users and counts np.unique(rng.choice(pool, size)) gives, and the generator where
    rng.choice leaves it."""
    pool = np.sort(np.random.default_rng(1).choice(10 * pool_size, pool_size, replace=False))
    mine, theirs = np.random.default_rng(7), np.random.default_rng(7)
    take, draws = draw_with_replacement(pool, 1500, mine)
    expected_take, expected_draws = np.unique(theirs.choice(pool, 1500, replace=True), return_counts=True)
    assert np.array_equal(take, expected_take) and np.array_equal(draws, expected_draws) and draws.sum() == 1500
    assert mine.random() == theirs.random()


def test_an_empty_pool_gives_an_empty_sample_and_draws_nothing():
    rng, untouched = np.random.default_rng(3), np.random.default_rng(3)
    take, draws = draw_with_replacement(np.array([], dtype=np.int64), 1500, rng)
    assert take.size == draws.size == 0 and rng.random() == untouched.random()



def test_the_users_per_platform_are_counted_as_they_move_as_a_fresh_count_would_give():
    """The counts follow the month's movers (choices, turnover, failures, takeovers): each month they
    equal a count over every user."""
    economy = PlatformEconomy(scenario(ROOT / "params" / "scenarios" / "no_bailout.toml", users__count=600,
                                       users__turnover=0.01, acquisitions__enabled=True))
    slots = len(economy.platforms)
    failed = 0
    for _ in range(150):
        economy.step()
        on = economy.users.platform[economy.users.platform != NO_PLATFORM]
        assert np.array_equal(economy.users.counts(slots), np.bincount(on, minlength=slots))
        failed = max(failed, sum(not platform.active for platform in economy.platforms))
    assert failed > 0  # users were released by a failure too
