"""The advertising market: how advertisers spread budgets, and how ad prices clear.

Pure functions shared by advertisers (who decide), the economy (which clears the market) and
platforms (which forecast it). Prices are per 1,000 impressions (CPM); advertisers' values are
per 1,000 *effective* impressions.

An advertiser's return on platform j is r_j = value x effectiveness_j / price_j (dollars of value
per dollar spent). It spends on a platform only where r_j > 1, in proportion to

    reach_j x (r_j - 1) ** sensitivity

against other media, whose weight shrinks as the audience moves onto platforms. So advertisers go
where the users are and where a dollar buys most; once the audience has moved and the leader has
it, they have nowhere else to go (they become captive later than users do).
"""

from __future__ import annotations

import numpy as np



def effectiveness(ad_load, clutter: float):
    """Share of an impression that reaches the viewer: falls as ads crowd the feed ("worse reach")."""
    return 1.0 / (1.0 + clutter * np.asarray(ad_load, dtype=float))


def other_media_weight(outside_weight: float, audience_shift: float, audience_on_platforms: float) -> float:
    """Weight of other media: what they keep of the audience once people spend time on platforms."""
    return outside_weight * (1.0 - audience_shift * audience_on_platforms)


def budget_shares(reach: np.ndarray, returns: np.ndarray, *, sensitivity: float, other_media: float) -> np.ndarray:
    """Share of each advertiser's budget spent on each platform (last axis: platforms)."""
    net = np.maximum(returns - 1.0, 0.0)
    weights = reach * (net if sensitivity == 1.0 else net**sensitivity)
    total = weights.sum(axis=-1, keepdims=True) + other_media
    if other_media > 0:
        return weights / total
    return np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)


def clearing_price(spend: np.ndarray, impressions: np.ndarray, floor: float) -> np.ndarray:
    """Price per 1,000 impressions at which the spend buys the whole inventory, never below the floor."""
    spend, impressions = np.broadcast_arrays(np.asarray(spend, float), np.asarray(impressions, float))
    price = np.full(spend.shape, floor)
    np.divide(1000.0 * spend, impressions, out=price, where=impressions > 0)
    return np.maximum(price, floor)


def clear(
    *,
    committed_spend: np.ndarray,
    values: np.ndarray,
    budgets: np.ndarray,
    reach: np.ndarray,
    effect: np.ndarray,
    inventory: np.ndarray,
    prices: np.ndarray,
    adjusts: np.ndarray,
    sensitivity: float,
    other_media: float,
    floor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Prices at which the spend of reallocating advertisers (plus committed spend) buys each inventory.

    Shapes: ``values`` and ``budgets`` (..., advertisers); ``reach``, ``effect``, ``inventory``,
    ``prices`` and ``committed_spend`` (..., platforms), leading axes (e.g. candidate levers)
    broadcasting; ``adjusts`` (platforms,) says which prices move (the others are held).
    Each platform's own clearing price, given the others, is the root of a monotone function,
    found by bisection in logs; platforms' roots are then combined by damped best-response sweeps
    (a single sweep is exact when one price moves). Returns (prices, budget shares).
    """
    moving = np.flatnonzero(adjusts)
    log_price = np.log(np.maximum(np.broadcast_to(prices, np.broadcast_shapes(np.shape(prices), reach.shape)), floor))
    log_price = np.array(log_price, dtype=float)
    market = dict(
        committed_spend=committed_spend, values=values, budgets=budgets, reach=reach, effect=effect,
        inventory=inventory, sensitivity=sensitivity, other_media=other_media, floor=floor,
    )
    sweeps = 1 if moving.size == 1 else CLEARING_SWEEPS
    for _ in range(sweeps if moving.size else 0):
        roots = _own_price_roots(log_price, moving, **market)
        step = 1.0 if moving.size == 1 else CLEARING_DAMPING
        change = roots - log_price[..., moving]
        log_price[..., moving] += step * change
        if np.abs(change).max(initial=0.0) < CLEARING_TOLERANCE:
            break
    price = np.exp(log_price)
    return price, _shares(price, values, reach, effect, sensitivity, other_media)


CLEARING_SWEEPS = 30
CLEARING_DAMPING = 0.5
CLEARING_TOLERANCE = 1e-4  # in log price: prices within 0.01% of the fixed point
BISECTION_STEPS = 16  # a bracket of e^10 narrowed to e^(10 / 2^16): 0.015% precision


def _shares(price, values, reach, effect, sensitivity, other_media):
    returns = values[..., :, None] * effect[..., None, :] / price[..., None, :]
    return budget_shares(reach[..., None, :], returns, sensitivity=sensitivity, other_media=other_media)


def _own_price_roots(log_price, moving, *, committed_spend, values, budgets, reach, effect, inventory, sensitivity, other_media, floor):
    """For each moving platform, the log price that clears its inventory, the other prices held."""
    n = moving.size
    own_inventory = inventory[..., moving]
    most_spend = budgets.sum(axis=-1)[..., None] + committed_spend[..., moving]
    low = np.full(own_inventory.shape, np.log(floor))
    high = np.log(np.maximum(clearing_price(most_spend, own_inventory, floor), floor)) + 1e-9
    trial = np.repeat(log_price[..., None, :], n, axis=-2)  # (..., moving, platforms)
    pick = (np.arange(n), moving)
    for _ in range(BISECTION_STEPS):
        middle = 0.5 * (low + high)
        trial[..., pick[0], pick[1]] = middle
        shares = _shares(np.exp(trial), values[..., None, :], reach[..., None, :], effect[..., None, :], sensitivity, other_media)
        own = np.stack([shares[..., i, :, moving[i]] for i in range(n)], axis=-2)  # (..., moving, advertisers)
        spend = (own * budgets[..., None, :]).sum(axis=-1) + committed_spend[..., moving]
        too_high = middle > np.log(clearing_price(spend, own_inventory, floor))
        high = np.where(too_high, middle, high)
        low = np.where(too_high, low, middle)
    return np.where(own_inventory > 0, 0.5 * (low + high), np.log(floor))
