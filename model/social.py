"""Social-graph network effects: users value the share of their own contacts on each platform.

With ``network.social_weight`` w > 0, users live on a social network generated once at the start
(``network.graph``: a Watts-Strogatz small world by default, or an Erdos-Renyi random graph of the
same mean degree ``network.contacts``), built with networkx from a seed drawn from the model's
generator and kept as a sparse adjacency matrix A (scipy CSR, float32 ones; about 8 bytes per
contact per user). Each user's network term mixes the global share with its contacts' shares
(docs/ODD.md, section 6.2, "Social-graph network effects"; :func:`model.choice.network_terms`):

    N_ij = (1 - w) N_j + w [(1 - iota) c_ij + iota 1(i has a contact on a platform)]

where N_j = (1 - iota) s_j + iota is the global term and the contacts' share

    c_ij = n_ij / sum_k n_ik,     n = A @ onehot(platform)      (users x platform slots)

is the share of user i's contacts on any platform who are on platform j (0 for every platform if
none is): the same definition as the global share s_j, read on i's contacts instead of on
everyone, so that on a complete graph c_ij = s_j. The counts are one sparse product at the start,
then updated from the users who moved (:class:`Contacts`): no loop over users. With w = 0 nothing
is built or drawn and the model is unchanged.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
from scipy import sparse

from model.choice import NO_PLATFORM


def social_graph(count: int, graph: str, contacts: int, rewiring: float, seed: int) -> sparse.csr_array:
    """The users' social network as a symmetric 0/1 adjacency matrix (count x count, float32).

    ``small_world``: networkx's Watts-Strogatz graph, a ring where each user knows its ``contacts``
    nearest users (contacts / 2 on each side), each link rewired to a random user with probability
    ``rewiring``. ``random``: an Erdos-Renyi graph G(n, p) with p = contacts / (count - 1).
    """
    if graph == "small_world":
        network = nx.watts_strogatz_graph(count, contacts, rewiring, seed=seed)
    elif graph == "random":
        network = nx.fast_gnp_random_graph(count, contacts / (count - 1), seed=seed)
    else:
        raise ValueError(f"unknown social graph {graph!r}: expected 'small_world' or 'random'")
    edges = np.fromiter(
        itertools.chain.from_iterable(network.edges()), dtype=np.int64, count=2 * network.number_of_edges()
    )
    return adjacency(count, edges.reshape(-1, 2))


def adjacency(count: int, edges: np.ndarray) -> sparse.csr_array:
    """Symmetric 0/1 adjacency matrix (CSR, float32) of an undirected edge list (edges x 2)."""
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    columns = np.concatenate([edges[:, 1], edges[:, 0]])
    matrix = sparse.csr_array((np.ones(rows.size, dtype=np.float32), (rows, columns)), shape=(count, count))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0  # an edge listed twice is still one contact
    return matrix


def contact_counts(adjacency_matrix: sparse.csr_array, platform: np.ndarray, slots: int) -> np.ndarray:
    """n_ij: user i's contacts on platform slot j (users x slots, float32), as A @ onehot(platform)."""
    return np.asarray(adjacency_matrix @ onehot(platform, slots), dtype=np.float32)


def onehot(platform: np.ndarray, slots: int) -> np.ndarray:
    """users x slots: 1 where the user is on the slot, 0 elsewhere (a row of 0 for no platform)."""
    on_platform = np.flatnonzero(platform != NO_PLATFORM)
    matrix = np.zeros((platform.size, slots), dtype=np.float32)
    matrix[on_platform, platform[on_platform]] = 1.0
    return matrix


def shares_of(counts: np.ndarray) -> np.ndarray:
    """c_ij = n_ij / sum_k n_ik, row by row (a row with no contact on any platform stays 0)."""
    total = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)


class Contacts:
    """The users' social graph, and how many of each user's contacts are on each platform slot.

    The counts are computed once with A @ onehot(platform), then kept up to date from the users who
    moved since the last call: n += A[moved]^T (onehot(new) - onehot(old)) (A is symmetric). They
    are whole numbers held exactly in float32, so the update equals the full product.
    """

    def __init__(self, adjacency_matrix: sparse.csr_array, slots: int) -> None:
        self.adjacency = adjacency_matrix
        self.slots = slots
        self._platform = np.full(adjacency_matrix.shape[0], NO_PLATFORM, dtype=np.int16)  # as last counted
        self._counts = np.zeros((adjacency_matrix.shape[0], slots), dtype=np.float32)

    @property
    def degree(self) -> np.ndarray:
        return np.diff(self.adjacency.indptr)

    def counts(self, platform: np.ndarray) -> np.ndarray:
        """n (users x slots) for the users' current platforms."""
        moved = np.flatnonzero(platform != self._platform)
        if moved.size > platform.size // 4:  # many moves: one full product is cheaper
            self._counts = contact_counts(self.adjacency, platform, self.slots)
        elif moved.size:
            change = onehot(platform[moved], self.slots) - onehot(self._platform[moved], self.slots)
            self._counts += self.adjacency[moved].T @ change
        self._platform = platform.copy()
        return self._counts

    def shares(self, platform: np.ndarray, index=slice(None)) -> np.ndarray:
        """c (rows ``index`` x slots): each user's contacts' shares of each platform slot."""
        return shares_of(self.counts(platform)[index])


def contact_shares(adjacency_matrix: sparse.csr_array, platform: np.ndarray, slots: int) -> np.ndarray:
    """c_ij: share of user i's contacts on a platform who are on platform j (0 where none is)."""
    return shares_of(contact_counts(adjacency_matrix, platform, slots))
