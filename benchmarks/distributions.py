"""Outcome distributions over seeds, and two-sample tests that two sets of runs agree.

Used by ``scale.py`` (the same parameters at two population sizes) and ``equivalence.py`` (the same
runs before and after a numerical change made for speed). Outcomes are bimodal (tipped or contested
markets), so runs are compared as distributions, never seed by seed: Fisher's exact test on how
often the market tips, Mann-Whitney's on each continuous outcome.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from model.statistics import bootstrap_mean_interval, wilson_interval

# Each outcome of a run: what it is (the keys of ``run_outcomes``, besides "regime").
OUTCOMES = {
    "leader_final_share": "share of platform users held by the leader at the end",
    "lock_in_month": "month the leader locked its users in (missing if it never did)",
    "leader_peak_ad_load": "highest ad load the eventual leader set",
    "users_surplus": "consumer surplus summed over the run, $ per potential user",
    "advertisers_surplus": "advertisers' value minus spend summed over the run, $ per potential user",
    "platform_profits": "all platforms' profits summed over the run, $ per potential user",
    "public_cost_total": "public cost of rescues, $ per potential user",
}


def run_outcomes(economy) -> dict:
    """A finished run's regime and OUTCOMES (a module-level function: it runs in other processes)."""
    from model import metrics
    from model.outcomes import outcomes

    summary, found = economy.summary(), outcomes(economy)
    leader = metrics.leader_series(economy.platform_frame())
    return {
        "regime": summary["regime"],
        "leader_final_share": summary["leader_final_share"],
        "lock_in_month": summary["phase_transitions"]["lock-in"],
        "leader_peak_ad_load": float(leader["ad_load"].max()),
        **{name: found[name] for name in ("users_surplus", "advertisers_surplus", "platform_profits", "public_cost_total")},
    }


def values_of(rows: list[dict], name: str) -> np.ndarray:
    """One outcome over runs, a missing value as NaN."""
    return np.array([np.nan if row[name] is None else row[name] for row in rows], dtype=float)


def describe(rows: list[dict], names=tuple(OUTCOMES)) -> dict:
    """How often the market tipped (Wilson interval), and each outcome's median and bootstrap interval of the mean."""
    tipped = sum(row["regime"] == "tipped" for row in rows)
    described = {"runs": len(rows), "tipped": tipped, "tipped_share": tipped / len(rows),
                 "tipped_interval": wilson_interval(tipped, len(rows))}
    for name in names:
        values = values_of(rows, name)
        described[name] = {"median": float(np.nanmedian(values)) if np.isfinite(values).any() else None,
                           "mean_interval": bootstrap_mean_interval(values), "missing": int(np.isnan(values).sum())}
    return described


def agreement(first: list[dict], second: list[dict], names=tuple(OUTCOMES)) -> dict[str, float | None]:
    """p-values of equal distributions: Fisher's exact test on tipped markets, Mann-Whitney's on each
    outcome (its runs with a value), and Fisher's on how often an outcome is missing (lock-in never
    reached). None where a test has nothing to compare."""
    def fisher(count):
        table = [[sum(map(count, rows)), sum(not count(row) for row in rows)] for rows in (first, second)]
        return float(stats.fisher_exact(table).pvalue)

    tests = {"tipped_fisher_p": fisher(lambda row: row["regime"] == "tipped")}
    for name in names:
        a, b = values_of(first, name), values_of(second, name)
        a, b, missing = a[np.isfinite(a)], b[np.isfinite(b)], np.isnan(a).any() or np.isnan(b).any()
        constant = len(a) and len(b) and np.ptp(np.concatenate([a, b])) == 0
        tests[f"{name}_mannwhitney_p"] = (1.0 if constant else float(stats.mannwhitneyu(a, b).pvalue)) if len(a) and len(b) else None
        if missing:
            tests[f"{name}_missing_fisher_p"] = fisher(lambda row, name=name: row[name] is None)
    return tests


def holm_rejections(p_values: dict[str, float | None], level: float) -> list[str]:
    """The tests Holm's step-down procedure rejects at family-wise ``level`` (None: no test)."""
    ordered = sorted((p, name) for name, p in p_values.items() if p is not None)
    rejected = []
    for rank, (p, name) in enumerate(ordered):
        if p > level / (len(ordered) - rank):
            break
        rejected.append(name)
    return rejected
