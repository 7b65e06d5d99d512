"""The user population: generational turnover (the market keeps adopting after it has stopped growing)."""

import numpy as np

from model.choice import NO_PLATFORM, Offers
from model.users import UserPopulation
from tests.conftest import scenario


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
