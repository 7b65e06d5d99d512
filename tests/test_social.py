"""Social-graph network effects (network.social_weight): users value the share of their own contacts.

On a social network built once from the model's seed, each user's network term mixes the global
share with the share of its contacts on each platform (model/social.py; docs/ODD.md, section 6.2,
"Social-graph network effects").
"""

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq
from scipy.sparse.csgraph import shortest_path
from scipy.stats import binom

from model import load_params
from model.choice import Offers, network_term, option_utilities
from model.economy import PlatformEconomy
from model.params import ParamsError
from model.social import Contacts, adjacency, contact_counts, contact_shares, social_graph
from tests.conftest import BASELINE, NETWORK_ONLY, run, scenario
from tests.books import check_books

NONE = -1


def tiny_graph():
    """Five users: 0 knows 1, 2 and 3; 3 knows 4. Users 0 and 1 on platform 0, 2 and 4 on 1, 3 on none."""
    graph = adjacency(5, np.array([[0, 1], [0, 2], [0, 3], [3, 4]]))
    platform = np.array([0, 0, 1, NONE, 1], dtype=np.int16)
    return graph, platform


def test_contacts_shares_count_each_users_contacts_on_each_platform():
    graph, platform = tiny_graph()
    assert graph.dtype == np.float32 and (graph != graph.T).nnz == 0  # symmetric, 0/1
    counts = contact_counts(graph, platform, slots=3)
    assert counts.tolist() == [[1, 1, 0], [1, 0, 0], [1, 0, 0], [1, 1, 0], [0, 0, 0]]
    shares = contact_shares(graph, platform, slots=3)
    # the share among contacts on any platform (user 0's contact 3 is on none); user 4 knows nobody on one
    assert shares.tolist() == [[0.5, 0.5, 0], [1, 0, 0], [1, 0, 0], [0.5, 0.5, 0], [0, 0, 0]]
    # interoperability shares the network of contacts one has; a user with none on a platform has none to share
    assert np.allclose(network_term(shares, 0.4), [[0.7, 0.7, 0.4], [1, 0.4, 0.4], [1, 0.4, 0.4], [0.7, 0.7, 0.4], [0, 0, 0]])


def test_contact_counts_follow_the_users_who_move():
    graph, platform = tiny_graph()
    contacts = Contacts(graph, slots=3)
    rng = np.random.default_rng(0)
    for _ in range(30):
        platform = platform.copy()
        movers = rng.random(5) < 0.4
        platform[movers] = rng.integers(-1, 3, movers.sum())
        assert np.array_equal(contacts.counts(platform), contact_counts(graph, platform, 3))
        assert np.array_equal(contacts.shares(platform, [4, 0]), contact_shares(graph, platform, 3)[[4, 0]])


def offers(shares, interoperability=0.0):
    slots = len(shares)
    return Offers(active=np.ones(slots, bool), quality=np.full(slots, 2.0), ad_load=np.full(slots, 0.1),
                  user_price=np.zeros(slots), network=network_term(np.asarray(shares, float), interoperability))


def test_utility_mixes_global_and_contacts_shares_with_the_social_weight():
    graph, platform = tiny_graph()
    users = np.arange(5)
    tastes, affinity, cost = np.ones((5, 3)), np.zeros((5, 3)), np.full(5, 0.5)
    shares = contact_shares(graph, platform, 3)
    market = offers([0.4, 0.6, 0.0], interoperability=0.25)
    for weight in (0.0, 0.3, 1.0):
        params = scenario(network__social_weight=weight, regulation__interoperability=0.25, users__count=50)
        social = option_utilities(tastes, affinity, platform[users], cost, market, params, contacts=shares)
        plain = option_utilities(tastes, affinity, platform[users], cost, market, params)
        contacts_term = network_term(shares, 0.25)
        expected_gap = params.network.effect * weight * (contacts_term - market.network)
        assert np.allclose(social[:, :3] - plain[:, :3], expected_gap)
        assert np.array_equal(social[:, 3], plain[:, 3])  # the outside option has no network


def test_on_a_complete_graph_the_contacts_shares_are_the_global_shares():
    count, slots = 12, 3
    everyone = np.array([(i, j) for i in range(count) for j in range(i, count)])  # with oneself: everyone
    platform = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2, NONE, NONE, 0], dtype=np.int16)
    shares = contact_shares(adjacency(count, everyone), platform, slots)
    global_shares = np.bincount(platform[platform >= 0], minlength=slots) / (platform >= 0).sum()
    assert np.allclose(shares, global_shares)
    params = scenario(network__social_weight=1.0, users__count=count)
    args = (np.ones((count, 3)), np.zeros((count, slots)), platform, np.full(count, 0.5), offers(global_shares), params)
    assert np.allclose(option_utilities(*args, contacts=shares), option_utilities(*args))


def test_platforms_forecast_with_the_sampled_users_own_contacts():
    economy = PlatformEconomy(scenario(users__count=600, network__social_weight=0.5)).run(24)
    users = economy.users
    adopters, newcomers = users.sample(50, np.random.default_rng(7))
    replay = np.random.default_rng(7)  # the same draws: adopters first, then potential users, with replacement
    sampled_adopters = np.unique(replay.choice(np.flatnonzero(users.adopted), 50, replace=True))  # each held once
    sampled_newcomers = np.unique(replay.choice(np.flatnonzero(~users.adopted), 50, replace=True))
    assert adopters.contacts.shape == (sampled_adopters.size, users.affinity.shape[1])
    assert np.array_equal(adopters.contacts, users.contact_shares(sampled_adopters))
    assert np.array_equal(newcomers.contacts, users.contact_shares(sampled_newcomers))


def frames(economy):
    return economy.model_frame(), economy.platform_frame(), economy.investor_frame(), economy.ledger_frame()


def test_with_social_weight_zero_nothing_changes():
    """No graph is built and no random number drawn: the run is the run without the option."""
    size = {"users__count": 1200, "simulation__steps": 48, "simulation__seed": 5}
    plain = run(scenario(**size))
    unused = run(scenario(**size, network__social_weight=0.0, network__graph="random", network__contacts=3,
                          network__rewiring=0.9))
    assert plain.users.contacts is None and unused.users.contacts is None
    for first, second in zip(frames(plain), frames(unused)):
        pd.testing.assert_frame_equal(first, second)
    assert plain.market_view().adopters.contacts is None


def edges(graph):
    return set(zip(*graph.nonzero()))


def test_the_graph_is_reproducible_from_its_seed():
    for kind in ("small_world", "random"):
        first, again = social_graph(500, kind, 6, 0.1, seed=11), social_graph(500, kind, 6, 0.1, seed=11)
        other = social_graph(500, kind, 6, 0.1, seed=12)
        assert edges(first) == edges(again) and edges(first) != edges(other)
    # inside the model, the graph's seed comes from the model's seed
    graph = lambda seed: edges(PlatformEconomy(scenario(users__count=400, network__social_weight=0.5,  # noqa: E731
                                                        simulation__seed=seed)).users.contacts.adjacency)
    assert graph(42) == graph(42) != graph(43)


def test_the_default_graph_is_a_small_world():
    """High clustering like a lattice, short paths like a random graph of the same density."""
    count, contacts = 2000, 10
    small_world = social_graph(count, "small_world", contacts, 0.1, seed=1)
    random = social_graph(count, "random", contacts, 0.1, seed=1)
    assert small_world.nnz == count * contacts  # every user has `contacts` contacts on average
    assert abs(random.nnz / count - contacts) < 0.5
    clustering = {name: nx.transitivity(nx.from_scipy_sparse_array(graph)) for name, graph in
                  (("small_world", small_world), ("random", random))}
    assert clustering["random"] < 0.02  # about contacts / count
    assert clustering["small_world"] > 0.3 > 10 * clustering["random"]  # ring lattice: 0.67; rewiring keeps most
    sources = np.arange(0, count, 100)
    distance = {}
    for name, graph in (("small_world", small_world), ("random", random)):
        hops = shortest_path(graph, unweighted=True, indices=sources)
        distance[name] = hops[np.isfinite(hops)].mean()  # a random graph may leave a user alone
    assert distance["small_world"] < 2 * distance["random"] < 2 * 5  # a ring lattice's would be about count / 2 / contacts = 100


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"users.count": 10, "network.contacts": 10}, "must be below users.count"),
        ({"network.contacts": 7}, "must be even"),
    ],
)
def test_a_social_graph_that_cannot_be_built_is_a_clear_error(overrides, message):
    with pytest.raises(ParamsError, match=message):
        load_params(BASELINE, {"network.social_weight": 0.5, **overrides})
    load_params(BASELINE, {"network.social_weight": 0.0, **overrides})  # unused settings are not checked
    if "network.contacts" in overrides and overrides["network.contacts"] % 2:
        load_params(BASELINE, {"network.social_weight": 0.5, "network.graph": "random", **overrides})


def test_money_is_conserved_with_a_social_graph():
    check_books(run(scenario(users__count=1500, simulation__steps=60, network__social_weight=0.6,
                             regulation__interoperability=0.2)))


def annealed_response(share, contacts, beta_j):
    """Share choosing platform 1 when each user reads ``contacts`` random contacts (annealed mean field).

    A user with n of its k contacts on platform 1 (n ~ Binomial(k, share)) picks it with the logit
    probability of a utility gap J (2n/k - 1) between two identical platforms.
    """
    n = np.arange(contacts + 1)
    return float((binom.pmf(n, contacts, share) / (1.0 + np.exp(-beta_j * (2.0 * n / contacts - 1.0)))).sum())


def tipped(effect, seed, **social):
    """|s1 - s2| after 60 months of two identical platforms with the network effect alone."""
    params = scenario(NETWORK_ONLY, users__count=4000, network__effect=effect, simulation__seed=seed, **social)
    counts = PlatformEconomy(params).run().user_counts().astype(float)
    return abs(counts[0] - counts[1]) / counts.sum()


def test_reading_the_network_on_few_contacts_raises_the_tipping_point():
    """A user's contacts are a sample of the network: the noise flattens the response, tipping needs more.

    With global shares a symmetric market tips when beta J > 2 (m = tanh(beta J m / 2)). With k
    random contacts it tips when the annealed response F(s) has F'(1/2) > 1: beta J > 2.59 for
    k = 4, 2.21 for k = 10.
    """
    random_contacts = lambda k: {"network__social_weight": 1.0, "network__graph": "random", "network__contacts": k}  # noqa: E731
    slope = lambda k, beta_j: (annealed_response(0.5 + 1e-6, k, beta_j) - annealed_response(0.5 - 1e-6, k, beta_j)) / 2e-6  # noqa: E731
    assert brentq(lambda b: slope(4, b) - 1, 2, 4) == pytest.approx(2.59, abs=0.01)
    beta = scenario(NETWORK_ONLY).users.rationality  # 1.5
    for seed in (0, 1):
        # beta J = 2.4: past the global tipping point (m = 0.659), short of 4 contacts' (2.59)
        assert tipped(1.6, seed) == pytest.approx(brentq(lambda m: np.tanh(beta * 1.6 * m / 2) - m, 0.1, 1), abs=0.03)
        assert tipped(1.6, seed, **random_contacts(4)) < 0.15
        # beta J = 3: 10 contacts tip the market almost as far as the annealed theory says (m = 0.826)
        m = 2 * brentq(lambda s: annealed_response(s, 10, beta * 2.0) - s, 0.51, 0.9999) - 1
        assert tipped(2.0, seed, **random_contacts(10)) == pytest.approx(m, abs=0.03)


SEEDS = range(6)
SIZE = {"users__count": 1500, "simulation__steps": 150}


@pytest.fixture(scope="module")
def paired_runs():
    """The baseline with global shares and with contacts' shares only (small world), over the same seeds."""
    return {weight: [run(scenario(**SIZE, simulation__seed=seed, network__social_weight=weight)) for seed in SEEDS]
            for weight in (0.0, 1.0)}


def late_hhi(economy):
    """HHI over the last year (NaN if nobody was on a platform all year: an emptied market has no concentration)."""
    return economy.model_frame()["hhi"].iloc[-12:].mean()


def test_when_users_value_their_contacts_the_market_is_less_concentrated(paired_runs):
    globally = np.array([late_hhi(e) for e in paired_runs[0.0]])
    locally = np.array([late_hhi(e) for e in paired_runs[1.0]])
    both = np.isfinite(globally) & np.isfinite(locally)  # seeds where both markets still exist
    assert both.sum() >= len(SEEDS) - 1, "markets emptied: their concentration is undefined, not low"
    assert locally[both].mean() < globally[both].mean() - 0.1
    assert (locally[both] < globally[both]).sum() >= both.sum() - 1  # in (nearly) every seed, not on average only


def minority_platforms(economy):
    """Platforms other than the leader holding more than 5% of the users on platforms at the end."""
    counts = economy.users.counts(economy.params.platform_slots)
    shares = counts / max(counts.sum(), 1)
    return [(j, shares[j]) for j in np.flatnonzero(shares > 0.05) if j != shares.argmax()]


def test_minority_platforms_survive_in_clusters_of_contacts(paired_runs):
    """More minority platforms survive, and their users have far more of their contacts on them than their share."""
    survivors = {weight: sum(len(minority_platforms(e)) for e in runs) for weight, runs in paired_runs.items()}
    assert survivors[1.0] > survivors[0.0]
    ratios = []
    for economy in paired_runs[1.0]:
        contacts = economy.users.contact_shares()
        for j, share in minority_platforms(economy):
            ratios.append(contacts[economy.users.platform == j, j].mean() / share)
    assert ratios and min(ratios) > 1.5
