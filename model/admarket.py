"""The advertising market: how advertisers spread budgets, and how ad prices clear.

Pure functions shared by advertisers (who decide), the ad market (:mod:`model.markets.advertising`,
which clears it) and the platforms' forecasts (:mod:`model.forecasts`). Prices are per 1,000
impressions (CPM); advertisers' values are per 1,000 *effective* impressions.

An advertiser's return on platform j is r_j = value x effectiveness_j / price_j (dollars of value
per dollar spent). It spends on a platform only where r_j > 1, in proportion to

    reach_j x relative_j ** premium x attachment_aj x (r_j - 1) ** sensitivity

against other media, whose weight shrinks as the audience moves onto platforms (relative_j: the
platform's users over the largest platform's; a premium above 0 makes the largest audience the
must-have buy). attachment_aj = 1 + attachment_per_month x min(months_aj, attachment_months) is
what advertiser a has built on platform j by spending there for months_aj months in a row (its
audience, tools, data and skills there): its switching cost. So advertisers go where the users are
and where a dollar buys most; once the audience has moved, the leader has it, and they have built
their business on it, they have nowhere else to go (they become captive later than users do), and
the leader can sell them fewer effective impressions for the same budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from model.params.schema import Params


def effectiveness(ad_load, clutter: float):
    """Share of an impression that reaches the viewer: falls as ads crowd the feed ("worse reach")."""
    return 1.0 / (1.0 + clutter * np.asarray(ad_load, dtype=float))


def audience_reach(users: np.ndarray, inventory: np.ndarray, potential: float, premium: float) -> np.ndarray:
    """Reach as advertisers weigh it (last axis: platforms): the share of the population a platform
    reaches, times its users relative to the largest platform's to the power ``premium``.

    With a premium above 0 a platform's audience is worth more than in proportion to its size (one
    campaign reaches everyone, its data targets better): the largest platform is the must-have
    buy. Nobody is reached where no ads are shown.
    """
    users = np.asarray(users, dtype=float)
    reach = np.where(inventory > 0, users / potential, 0.0)
    if premium == 0:
        return reach
    largest = users.max(axis=-1, keepdims=True)
    relative = np.divide(users, largest, out=np.zeros_like(users), where=largest > 0)
    return reach * relative**premium


def attachment(months_on: np.ndarray, per_month: float, cap_months: float) -> np.ndarray:
    """Advertisers' attachment to each platform (advertisers x platforms): 1, plus ``per_month`` for
    each month in a row they have spent there, up to ``cap_months`` months: their switching cost."""
    return 1.0 + per_month * np.minimum(np.asarray(months_on, dtype=float), cap_months)


@dataclass(frozen=True)
class AdConditions:
    """The ad market as advertisers see it (last axis: platforms; leading axes, e.g. candidate levers, broadcast)."""

    inventory: np.ndarray  # impressions on offer: users x engagement x ad load (none on inactive platforms)
    reach: np.ndarray  # audience reach as advertisers weigh it (:func:`audience_reach`)
    effect: np.ndarray  # share of an impression that reaches the viewer (:func:`effectiveness`)


def ad_conditions(users: np.ndarray, ad_load: np.ndarray, active: np.ndarray, params: Params) -> AdConditions:
    """Inventory, reach and effectiveness of each platform's ads: one definition for the market's
    trading and for the platforms' forecasts of it."""
    ads = params.advertisers
    inventory = users * params.users.engagement * ad_load * active
    return AdConditions(
        inventory=inventory,
        reach=audience_reach(users, inventory, params.users.count, ads.audience_premium),
        effect=effectiveness(ad_load, ads.clutter),
    )


def other_media_weight(outside_weight: float, audience_shift: float, audience_on_platforms: float) -> float:
    """Weight of other media: what they keep of the audience once people spend time on platforms."""
    return outside_weight * (1.0 - audience_shift * audience_on_platforms)


def budget_shares(pull: np.ndarray, returns: np.ndarray, *, sensitivity: float, other_media: float) -> np.ndarray:
    """Share of each advertiser's budget spent on each platform (last axis: platforms); ``pull`` is
    reach times the advertiser's attachment (:func:`attachment`), ``returns`` value per dollar."""
    net = np.maximum(returns - 1.0, 0.0)
    weights = pull * (net if sensitivity == 1.0 else net**sensitivity)
    total = weights.sum(axis=-1, keepdims=True) + other_media
    if other_media > 0:
        return weights / total
    return np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)


# An inventory this small is none. A forecast can offer such a sliver (users expected with a
# probability of exp(-700)); priced per 1,000 impressions it would cost more than a float holds
# (1000 / 1e-308 overflows) and turn the clearing into NaN, which argmax would then pick. It sits at
# the floor, as no inventory does. The bound is far below any inventory that affects a result.
LEAST_INVENTORY = 1e-290


def has_inventory(inventory: np.ndarray) -> np.ndarray:
    """Whether each inventory is large enough to be priced (see LEAST_INVENTORY)."""
    return np.asarray(inventory) > LEAST_INVENTORY


def clearing_price(spend: np.ndarray, impressions: np.ndarray, floor: float) -> np.ndarray:
    """Price per 1,000 impressions at which the spend buys the whole inventory, never below the floor."""
    spend, impressions = np.broadcast_arrays(np.asarray(spend, float), np.asarray(impressions, float))
    price = np.full(spend.shape, floor)
    np.divide(1000.0 * spend, impressions, out=price, where=has_inventory(impressions))
    return np.maximum(price, floor)


def clear(
    *,
    committed_spend: np.ndarray,
    values: np.ndarray,
    budgets: np.ndarray,
    reach: np.ndarray,
    attachment: np.ndarray,
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
    ``prices`` and ``committed_spend`` (..., platforms); ``attachment`` (advertisers, platforms);
    leading axes (e.g. candidate levers) broadcasting; ``adjusts`` (platforms,) says which prices
    move (the others are held), or (..., platforms) with one moving price in each market of the
    leading axes (each platform's forecast of its own price).
    Each platform's own clearing price, given the others, is the root of a monotone function
    (:func:`_own_price_roots`): exact when one price moves. When several move (one market, no
    leading axes), Newton's method solves for all of them at once (:func:`_joint_newton`); should
    it stall at a kink, damped best-response sweeps finish the job. Returns (prices, budget shares).
    """
    moving = np.flatnonzero(adjusts) if adjusts.ndim == 1 else _one_per_market(adjusts)
    log_price = np.log(np.maximum(np.broadcast_to(prices, np.broadcast_shapes(np.shape(prices), reach.shape)), floor))
    log_price = np.array(log_price, dtype=float)
    pull = reach[..., None, :] * attachment  # (..., advertisers, platforms): what draws each advertiser, return aside
    market = dict(
        committed_spend=committed_spend, values=values, budgets=budgets, pull=pull, effect=effect,
        inventory=inventory, sensitivity=sensitivity, other_media=other_media, floor=floor,
    )
    converged = False
    if moving.size > 1 and reach.ndim == 1:
        log_price, converged = _joint_newton(log_price, moving, **market)
    if moving.ndim > 1:  # one price per market: its own root clears it
        held = _columns(log_price, moving)
        np.put_along_axis(log_price, moving, held + (_own_price_roots(log_price, moving, **market) - held), axis=-1)
        converged = True
    sweeps = 1 if moving.size == 1 else CLEARING_SWEEPS
    for _ in range(0 if converged or not moving.size else sweeps):
        roots = _own_price_roots(log_price, moving, **market)
        step = 1.0 if moving.size == 1 else CLEARING_DAMPING
        change = roots - log_price[..., moving]
        log_price[..., moving] += step * change
        if np.abs(change).max(initial=0.0) < CLEARING_TOLERANCE:
            break
    price = np.exp(log_price)
    return price, _shares(price, values, pull, effect, sensitivity, other_media)


def own_price_spend(*, values, budgets, reach, attachment, effect, inventory, prices, moving, sensitivity, other_media, floor):
    """For markets in each of which one platform's price moves (``moving``, shaped (..., 1)) and every
    other is held, with no committed spend: the spend on that platform once its price clears, as
    :func:`clear` would find it (the platforms' forecasts of their ad revenue), without computing
    every advertiser's share of every platform."""
    log_price = np.array(np.log(np.maximum(np.broadcast_to(prices, reach.shape), floor)), dtype=float)
    pull = reach[..., None, :] * attachment
    _, spend = _own_price_clearing(log_price, moving, committed_spend=np.zeros_like(inventory), values=values, budgets=budgets,
                                   pull=pull, effect=effect, inventory=inventory, sensitivity=sensitivity,
                                   other_media=other_media, floor=floor)
    return spend[..., 0]


CLEARING_SWEEPS = 30
CLEARING_DAMPING = 0.5
CLEARING_TOLERANCE = 1e-4  # in log price: prices within 0.01% of the fixed point
ROOT_TOLERANCE = 1e-10  # in log price: each platform's own root, far below the sweeps' tolerance
ROOT_STEPS = 60  # safeguarded Newton needs a handful; the cap only bounds pathological brackets
NEWTON_STEPS = 30
BACKTRACKS = 10


def _joint_newton(log_price, moving, *, committed_spend, values, budgets, pull, effect, inventory, sensitivity, other_media, floor):
    """Newton's method on every moving price at once: (log prices, whether they clear the market).

    It solves g(x) = x - log max(1000 S(x) / inventory, floor) = 0, where a platform's spend S
    depends on every price through advertisers' budget shares. A step is halved until it brings the
    largest |g| down; if none does, the caller's best-response sweeps take over from here.
    Platforms without inventory sit at the floor. One market (no leading axes): :func:`_newton`.
    """
    x = log_price.copy()
    priced = has_inventory(inventory[moving])
    x[moving[~priced]] = np.log(floor)
    solving = moving[priced]
    if solving.size == 0:
        return x, True
    as_floats = (np.array(array, dtype=float) for array in (values, budgets, pull, effect, inventory, committed_spend))
    converged = _newton(x, solving.astype(np.int64), *as_floats, float(sensitivity), float(other_media), float(floor))
    return x, converged


@njit(cache=True)
def _newton(x, solving, values, budgets, pull, effect, inventory, committed_spend, sensitivity, other_media, floor):
    """:func:`_joint_newton`'s iteration, on ``x`` in place; whether it converged."""
    g, jacobian = _excess(x, solving, values, budgets, pull, effect, inventory, committed_spend, sensitivity, other_media, floor)
    for _ in range(NEWTON_STEPS):
        if np.abs(g).max() < ROOT_TOLERANCE:
            return True
        try:
            step = np.linalg.solve(jacobian, -g)
        except Exception:  # a singular Jacobian: the sweeps take over
            return False
        trial = x.copy()
        for _ in range(BACKTRACKS):  # far from the root a full step can overshoot: halve it until |g| falls
            trial[:] = x
            trial[solving] += step
            g_trial, jacobian_trial = _excess(trial, solving, values, budgets, pull, effect, inventory, committed_spend,
                                              sensitivity, other_media, floor)
            if np.abs(g_trial).max() < np.abs(g).max():
                break
            step = step / 2
        else:
            return False
        x[:] = trial
        g, jacobian = g_trial, jacobian_trial
    return np.abs(g).max() < ROOT_TOLERANCE


@njit(cache=True)
def _excess(x, solving, values, budgets, pull, effect, inventory, committed_spend, sensitivity, other_media, floor):
    """g(x) of :func:`_joint_newton` at the solving platforms, and its Jacobian (solving x solving)."""
    advertisers, slots = pull.shape
    spend = committed_spend.copy()
    spend_jacobian = np.zeros((slots, slots))  # d spend_j / d x_k
    share = np.empty(slots)
    slope = np.empty(slots)
    for a in range(advertisers):
        total = other_media
        for j in range(slots):
            returns = values[a] * effect[j] * np.exp(-x[j])
            net = returns - 1.0
            if net > 0.0:
                share[j] = pull[a, j] * (net if sensitivity == 1.0 else net**sensitivity)
                # d weight / d log price; d net / d log price = -returns where net > 0
                slope[j] = -pull[a, j] * sensitivity * (1.0 if sensitivity == 1.0 else net ** (sensitivity - 1.0)) * returns
            else:
                share[j], slope[j] = 0.0, 0.0
            total += share[j]
        inverse = 1.0 / total if total > 0.0 else 0.0
        for j in range(slots):
            share[j] *= inverse
            spend[j] += budgets[a] * share[j]
        # d spend_j / d x_k = budget_a slope_ak (1[j = k] - share_aj) / total_a
        for k in range(slots):
            slope_k = budgets[a] * inverse * slope[k]
            if slope_k == 0.0:
                continue
            spend_jacobian[k, k] += slope_k
            for j in range(slots):
                spend_jacobian[j, k] -= share[j] * slope_k
    n = solving.size
    g = np.empty(n)
    jacobian = np.eye(n)
    for row in range(n):
        j = solving[row]
        per_price = 1000.0 / inventory[j]
        unfloored = spend[j] * per_price > floor
        g[row] = x[j] - np.log(max(spend[j] * per_price, floor))
        if unfloored:
            for column in range(n):
                jacobian[row, column] -= spend_jacobian[j, solving[column]] / spend[j]
    return g, jacobian


def _one_per_market(adjusts: np.ndarray) -> np.ndarray:
    """The moving platform of each market of the leading axes (..., 1), from a mask with one per market."""
    if not (adjusts.sum(axis=-1) == 1).all():
        raise ValueError("adjusts with leading axes must move exactly one price in each market")
    return adjusts.argmax(axis=-1)[..., None]


def _columns(array: np.ndarray, moving: np.ndarray) -> np.ndarray:
    """``array[..., moving]``: the moving platforms' entries (last axis), one list for every market or
    one per market (``moving`` with leading axes)."""
    if moving.ndim == 1:
        return array[..., moving]
    shape = (*np.broadcast_shapes(array.shape[:-1], moving.shape[:-1]), array.shape[-1])
    return np.take_along_axis(np.broadcast_to(array, shape), moving, axis=-1)


def _shares(price, values, pull, effect, sensitivity, other_media):
    returns = values[..., :, None] * effect[..., None, :] / price[..., None, :]
    return budget_shares(pull, returns, sensitivity=sensitivity, other_media=other_media)


def _own_price_roots(log_price, moving, **market):
    """For each moving platform j, the log price x that clears its inventory, the other prices held
    (:func:`_own_price_clearing`)."""
    return _own_price_clearing(log_price, moving, **market)[0]


def _own_price_clearing(log_price, moving, *, committed_spend, values, budgets, pull, effect, inventory, sensitivity, other_media, floor):
    """For each moving platform j, the log price x that clears its inventory, the other prices held,
    and the spend on j at that price.

    Its spend is S(x) = committed + sum_a budget_a w_a(x) / (rest_a + w_a(x)), where w_a is the
    advertiser's weight on j and rest_a its weight on everything else (other platforms at their
    held prices, other media). The root of g(x) = x - log max(1000 S(x) / inventory, floor) is
    found by Newton steps kept inside a bracket (bisection when a step leaves it): g rises with
    slope at least 1, between log(floor) and the price at which every budget buys the inventory.
    Shapes as :func:`clear`'s; the markets of the leading axes are solved one by one (:func:`_roots`).
    Returns (log prices, spends), each shaped as ``moving``.
    """
    leading = np.broadcast_shapes(np.shape(log_price)[:-1], pull.shape[:-2], np.shape(effect)[:-1], np.shape(inventory)[:-1],
                                  np.shape(committed_spend)[:-1], moving.shape[:-1], np.shape(values)[:-1], np.shape(budgets)[:-1])
    slots, advertisers, count = pull.shape[-1], pull.shape[-2], int(np.prod(leading))

    def markets(array, *tail, dtype=float):  # a copy with every leading axis flattened into one: markets x tail
        # (always a fresh writable array: the kernel is compiled, and cached, for that type only)
        return np.array(np.broadcast_to(array, (*leading, *tail)), dtype=dtype, order="C").reshape(count, *tail)

    roots, spends = _roots(
        markets(log_price, slots), markets(moving, moving.shape[-1], dtype=np.int64),
        markets(values, advertisers), markets(budgets, advertisers), markets(pull, advertisers, slots),
        markets(effect, slots), markets(inventory, slots), markets(committed_spend, slots),
        float(sensitivity), float(other_media), float(floor),
    )
    return roots.reshape(*leading, moving.shape[-1]), spends.reshape(*leading, moving.shape[-1])


@njit(cache=True)
def _roots(log_price, moving, values, budgets, pull, effect, inventory, committed_spend, sensitivity, other_media, floor):
    """:func:`_own_price_clearing` for markets x platforms arrays (``moving``: markets x roots), market by market:
    the roots, and the spend on each moving platform at its root."""
    markets, roots_per_market = moving.shape
    advertisers, slots = pull.shape[1], pull.shape[2]
    roots = np.empty((markets, roots_per_market))
    spends = np.empty((markets, roots_per_market))
    weights = np.empty((advertisers, slots))
    totals = np.empty(advertisers)
    for m in range(markets):
        all_budgets = budgets[m].sum()
        for a in range(advertisers):  # every advertiser's weight on every platform at the held prices
            totals[a] = 0.0
            for j in range(slots):
                net = values[m, a] * effect[m, j] * np.exp(-log_price[m, j]) - 1.0
                weights[a, j] = pull[m, a, j] * (net if sensitivity == 1.0 else net**sensitivity) if net > 0.0 else 0.0
                totals[a] += weights[a, j]
        for i in range(roots_per_market):
            j = moving[m, i]
            roots[m, i] = _root(m, j, log_price, values, budgets, pull, effect, inventory, committed_spend, weights, totals,
                                all_budgets, sensitivity, other_media, floor)
            spends[m, i] = committed_spend[m, j]
            for a in range(advertisers):  # the spend at the root
                rest = totals[a] - weights[a, j] + other_media
                net = values[m, a] * effect[m, j] * np.exp(-roots[m, i]) - 1.0
                weight = pull[m, a, j] * (net if sensitivity == 1.0 else net**sensitivity) if net > 0.0 else 0.0
                if rest + weight > 0.0:
                    spends[m, i] += budgets[m, a] * weight / (rest + weight)
    return roots, spends


@njit(cache=True)
def _root(m, j, log_price, values, budgets, pull, effect, inventory, committed_spend, weights, totals, all_budgets,
          sensitivity, other_media, floor):
    """Platform j's own root in market m (:func:`_roots`), the other platforms' weights given."""
    advertisers = pull.shape[1]
    lowest = np.log(floor)
    if not inventory[m, j] > LEAST_INVENTORY:
        return lowest  # nothing to price: the floor
    per_price = 1000.0 / inventory[m, j]
    committed = committed_spend[m, j]
    low, high = lowest, np.log(max((all_budgets + committed) * per_price, floor)) + 1e-9
    x = min(max(log_price[m, j], low), high)
    for _ in range(ROOT_STEPS):
        spend, spend_slope = committed, 0.0
        for a in range(advertisers):
            rest = totals[a] - weights[a, j] + other_media
            net = values[m, a] * effect[m, j] * np.exp(-x) - 1.0
            if net > 0.0:
                if sensitivity == 1.0:
                    weight, slope = pull[m, a, j] * net, -pull[m, a, j] * (net + 1.0)
                else:
                    weight = pull[m, a, j] * net**sensitivity
                    slope = -pull[m, a, j] * sensitivity * net ** (sensitivity - 1.0) * (net + 1.0)
            else:
                weight, slope = 0.0, 0.0
            total = rest + weight
            if total > 0.0:
                spend += budgets[m, a] * weight / total
                spend_slope += budgets[m, a] * rest / total**2 * slope
        unfloored = spend * per_price > floor
        g = x - np.log(max(spend * per_price, floor))
        g_slope = 1.0 - spend_slope / spend if unfloored else 1.0
        if g > 0.0:
            high = x
        else:
            low = x
        step = g / g_slope
        newton = x - step
        # Newton if it stays strictly inside the bracket (or has converged), else bisection.
        following = newton if (low < newton < high) or abs(step) < ROOT_TOLERANCE else 0.5 * (low + high)
        done = abs(following - x) < ROOT_TOLERANCE
        x = following
        if done:
            break
    return x
