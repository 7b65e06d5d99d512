"""A finished run reduced to its key outcomes: what ``compare`` puts side by side, per potential user.

Plain arithmetic on the run's frames (no charts), so that the processes that run and reduce many
runs (``compare``'s, the knob census's, the benchmarks') import only the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model import metrics

# Each outcome: (label, what it is). Computed by ``outcomes``.
OUTCOMES = {
    "tipped": ("Tipped markets", "share of seeds whose leader holds at least 0.8 of platform users at the end"),
    "final_hhi": ("Final HHI", "HHI of user shares in the last month (1: one platform holds everyone)"),
    "leader_peak_ad_load": ("Leader's peak ad load", "highest ad load the eventual leader set (share of the feed)"),
    "users_surplus": ("Users' surplus", "consumer surplus summed over the run, $ per potential user"),
    "advertisers_surplus": ("Advertisers' surplus", "advertisers' value minus spend summed over the run, $ per potential user"),
    "leader_ad_revenue_share": ("Leader's revenue from ads", "share of the eventual leader's revenue from advertising over the last five years"),
    "advertisers_squeeze": ("Advertisers squeezed", "fall of the leader's advertisers' surplus per dollar from its peak to the last year"),
    "platform_profits": ("Platforms' profits", "all platforms' profits summed over the run, $ per potential user"),
    "pioneer_multiple": ("Pioneer investors' multiple", "(paid out + value held) / invested, founding rounds' investors"),
    "late_multiple": ("Late investors' multiple", "(paid out + value held) / invested, later rounds' investors"),
    "public_cost": ("Net public cash cost", "rescues disbursed minus recovered, $ per potential user"),
    "public_cost_total": ("Public cost of rescues",
                          "net cash cost + subsidy in the rescues' rates + deadweight cost of their taxes, $ per potential user"),
    "payouts_after_rescue": ("Payouts after rescues", "paid by rescued platforms to their private holders, $ per potential user"),
    "failures": ("Failures", "platforms that failed during the run"),
}


def outcomes(economy) -> dict[str, float]:
    """A finished run's key outcomes (the keys of OUTCOMES)."""
    model_frame, platforms, investors = economy.model_frame(), economy.platform_frame(), economy.investor_frame()
    per_user = 1.0 / economy.params.users.count
    leader = metrics.leader_series(platforms)
    last = model_frame.iloc[-1]
    return {
        "tipped": float(metrics.regime(float(leader["share"].iloc[-1])) == "tipped"),
        "final_hhi": float(last["hhi"]),
        "leader_peak_ad_load": float(leader["ad_load"].max()),
        "users_surplus": float(model_frame["consumer_surplus"].sum() * per_user),
        "advertisers_surplus": float(model_frame["advertiser_surplus"].sum() * per_user),
        "leader_ad_revenue_share": _number(metrics.ad_revenue_share(leader)),
        "advertisers_squeeze": _number(metrics.advertiser_squeeze(leader)),
        "platform_profits": float(model_frame["platform_profit"].sum() * per_user),
        "pioneer_multiple": _multiple(investors[investors["pioneer"]]),
        "late_multiple": _multiple(investors[~investors["pioneer"]]),
        "public_cost": float(last["public_cost"] * per_user),
        "public_cost_total": float(last["public_cost_total"] * per_user),
        "payouts_after_rescue": float(last["payouts_after_rescue"] * per_user),
        "failures": float(last["failures"]),
    }


def _number(value: float | None) -> float:
    return np.nan if value is None else float(value)


def _multiple(holdings: pd.DataFrame) -> float:
    """Pooled multiple on invested capital of these holdings (NaN if nobody invested)."""
    invested = holdings["invested"].sum() if len(holdings) else 0.0
    return float((holdings["paid_out"].sum() + holdings["holding_value"].sum()) / invested) if invested > 0 else np.nan


def outcomes_and_summary(economy) -> dict:
    """``outcomes``, and under "summary" the run's whole ``summary()`` (e.g. for calibration from the same runs)."""
    return {**outcomes(economy), "summary": economy.summary()}


# What notebook 04 sets side by side for each policy scenario: the market of the last five years, and the run's totals.
POLICY_LATE_MONTHS = 60


def policy_outcomes(economy) -> dict[str, float]:
    """A finished run as a policy reads it: users', advertisers' and platforms' lot over the last
    POLICY_LATE_MONTHS months (means), the market's structure at the end, and the public money and
    deals over the whole run (notebook 04)."""
    frame, summary, platforms = economy.model_frame(), economy.summary(), economy.platform_frame()
    leader = metrics.leader_series(platforms)
    nonprofit = platforms["platform_id"].isin([p.platform_id for p in economy.platforms if getattr(p, "nonprofit", False)])
    ledger = economy.ledger_frame()

    def late(series: pd.Series) -> float:
        return float(series.iloc[-POLICY_LATE_MONTHS:].mean())

    return {
        "users' surplus per user ($/month)": late(frame["consumer_surplus"] / frame["adopted_users"].clip(lower=1)),
        "leader's ad load": late(leader["ad_load"]),
        "leader's quality spending ($/user-month)": late(leader["quality_spend"]),
        "advertisers' surplus ($/month)": late(frame["advertiser_surplus"]),
        "platforms' profit ($/month)": late(frame["platform_profit"]),
        "final HHI": summary["final_hhi"],
        "platforms active at the end": summary["active_platforms"],
        "months with no platform at all": int((frame["active_platforms"] == 0).sum()),
        "non-profit platforms' share at the end": float(platforms.loc[nonprofit & (platforms["step"] == frame["step"].max()), "share"].sum()),
        "excess-profit tax collected ($)": summary["public_revenue"],
        "public money to platforms ($)": float(ledger.loc[ledger["kind"].isin(["bailout", "public_funding"]), "amount"].sum()),
        "acquisitions": summary["acquisitions"],
        "blocked mergers": summary["blocked_mergers"],
    }
