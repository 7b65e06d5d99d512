"""Statements over seeds: intervals that respect what they describe (DESIGN §4, "results are statements over seeds").

Outcomes here are often bounded (a share, an HHI) or skewed (an investor's multiple) and, across
seeds, bimodal (tipped or contested markets). A Student-t interval of the mean of four such values
can leave the outcome's range (an HHI "0.93 [0.706, 1.15]"); so means get bootstrap percentile
intervals, which stay inside the range of the values, and frequencies (how often a market tips)
get Wilson score intervals, which stay inside [0, 1].
"""

from __future__ import annotations

import numpy as np

CONF_LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 4000
BOOTSTRAP_SEED = 20231  # fixed: the same values always give the same interval


def bootstrap_mean_interval(values, conf_level: float = CONF_LEVEL) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (NaN ignored); (NaN, NaN) below two values.

    Resampled means lie between the smallest and the largest value, so the interval never leaves
    the outcome's range.
    """
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    if data.size < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    means = data[rng.integers(0, data.size, (BOOTSTRAP_RESAMPLES, data.size))].mean(axis=1)
    tail = (1.0 - conf_level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def wilson_interval(successes: int, trials: int, conf_level: float = CONF_LEVEL) -> tuple[float, float]:
    """Wilson score interval of a frequency ``successes`` / ``trials``; (NaN, NaN) with no trials."""
    if trials <= 0:
        return float("nan"), float("nan")
    from scipy import special  # ndtri is the normal quantile (scipy.stats.norm.ppf's), without scipy.stats' 0.6 s import

    z = float(special.ndtri(0.5 + conf_level / 2.0))
    share = successes / trials
    centre = (share + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * np.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    low = 0.0 if successes == 0 else max(centre - half, 0.0)  # the bounds are exact there; rounding is not
    high = 1.0 if successes == trials else min(centre + half, 1.0)
    return float(low), float(high)


def paired_differences(before, after) -> dict:
    """Two outcomes measured on the same seeds (common random numbers), ``after`` against ``before``:
    in how many pairs it is higher, lower or the same; the one-sided sign tests' p-values that it is
    higher and that it is lower (ties left out); both means, and the mean difference with its bootstrap
    interval. Pairs with a missing value on either side are left out. Pairing removes the seed-to-seed
    spread both share, so a small effect that two separate intervals cannot show is often clear here."""
    from scipy import special

    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    both = np.isfinite(before) & np.isfinite(after)
    before, after = before[both], after[both]
    higher, lower = int((after > before).sum()), int((after < before).sum())
    differ = higher + lower

    def sign_test(successes: int) -> float | None:  # P(X >= successes), X ~ Binomial(differ, 1/2)
        if not differ:
            return None
        return 1.0 if successes == 0 else float(special.bdtrc(successes - 1, differ, 0.5))

    return {
        "pairs": int(both.sum()), "higher": higher, "lower": lower, "same": int(both.sum() - differ),
        "p_higher": sign_test(higher), "p_lower": sign_test(lower),
        "mean_before": float(before.mean()) if before.size else float("nan"),
        "mean_after": float(after.mean()) if after.size else float("nan"),
        "mean_difference": float((after - before).mean()) if before.size else float("nan"),
        "mean_difference_interval": list(bootstrap_mean_interval(after - before)),
    }
