"""Metrics: pure functions of the model's frames (HHI, phases, peaks, the run's summary).

Phases are *detected* on the series the agents produced; nothing in the model switches phase.
The rules are applied to the market's incumbent (:func:`incumbent_id`: the platform that held the
most users at its peak), which is the eventual leader unless a challenger overtook it, and then it
is the extracting leader whose decline the fourth stage is about (DESIGN §2):

- lock-in starts in the first month when the leader's users are captive: its ``captive_share``
  (the share of its users who would stay, if they reviewed, were its offer ``DEGRADATION_TEST``
  utility worse; :meth:`model.users.UserPopulation.surplus_and_lock_in`), averaged over the trailing
  ``SMOOTHING_MONTHS``, reaches ``LOCK_IN_CAPTIVE``. Lock-in is measured from behaviour, not
  inferred from the end of growth: saturation of adoption alone is not lock-in;
- extraction starts in the first month, from lock-in on, when the leader makes a profit (trailing
  3-month mean) and its revenue per user is at least ``EXTRACTION_ARPU_RISE`` times its level at
  the start of lock-in;
- decline starts in the first month, after extraction started, when the leader's users have
  fallen below ``DECLINE_SHARE_OF_PEAK`` of their peak;
- every month before lock-in is growth.

The regime of a run is "tipped" when the leader holds at least ``TIPPED_SHARE`` of platform users
at the end, else "contested" (DESIGN §4): the same parameters give both, by chance. The bounds a
run rests on are the share of months a lever (or sentiment) spends at a bound that the parameter
file sets (:func:`binding_bounds`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.params.schema import Params

PHASES = ("growth", "lock-in", "extraction", "decline")
REGIMES = ("tipped", "contested", "empty")
LOCK_IN_CAPTIVE = 0.9
CONCENTRATED_HHI = 0.18  # the "highly concentrated" line of the US merger guidelines (charts draw it)
EXTRACTION_ARPU_RISE = 1.25
DECLINE_SHARE_OF_PEAK = 0.8
SMOOTHING_MONTHS = 12
PEAK_TOLERANCE = 0.02
MATERIAL_SPEND = 0.1  # per-dollar surplus is read where spend is at least this share of its highest (per_dollar)
TIPPED_SHARE = 0.8
AT_BOUND = 1e-9
DEGRADATION_TEST = 1.0  # utility: how much worse a platform's offer gets in the lock-in test (about $1 a month to the mean user)  # levers are clipped to their bounds exactly; this only absorbs float noise


def hhi(users_per_platform) -> float:
    """Herfindahl-Hirschman index on user shares, in (0, 1]; NaN when nobody is on a platform.

    A market where nobody is on a platform has no concentration: it is not "competitive" (an HHI
    of 0 would count a collapsed market as the least concentrated of all).
    """
    counts = np.asarray(users_per_platform, dtype=float)
    total = counts.sum()
    return float(((counts / total) ** 2).sum()) if total > 0 else float("nan")


def regime(leader_share: float, anyone_on_platforms: bool = True) -> str:
    """"tipped" when the leader holds at least TIPPED_SHARE of platform users, else "contested"
    ("empty" when nobody is on any platform: a market that collapsed is neither)."""
    if not anyone_on_platforms:
        return "empty"
    return "tipped" if leader_share >= TIPPED_SHARE else "contested"


WHOLE_FEED = 1.0  # an ad load of 1: every slot of the feed is an ad, the natural ceiling


def lever_bounds(params: Params) -> dict[str, tuple[str, float | None]]:
    """The bounds the parameter file sets on the platforms' levers: parameter -> (lever column, bound).

    Both ceilings of the ad load are listed, the platforms' own and the regulator's cap: only the
    lower one can bind. Natural limits are not bounds of the file: no ads or no quality spending are
    not listed, and a ceiling of 1 (the whole feed is ads; a regulator's cap of 1 is no cap) is
    None, as are the price's bounds in an ad-funded market, where users pay nothing.
    """
    platforms = params.platforms
    priced = platforms.market != "ad_funded"

    def ceiling(bound: float) -> float | None:
        return bound if bound < WHOLE_FEED else None

    return {
        "platforms.max_ad_load": ("ad_load", ceiling(platforms.max_ad_load)),
        "regulation.ad_load_cap": ("ad_load", ceiling(params.regulation.ad_load_cap)),
        "platforms.min_user_price": ("user_price", platforms.min_user_price if priced else None),
        "platforms.max_user_price": ("user_price", platforms.max_user_price if priced else None),
        "platforms.max_quality_spend": ("quality_spend", platforms.max_quality_spend),
    }


def binding_bounds(model_frame: pd.DataFrame, platform_frame: pd.DataFrame, params: Params) -> dict[str, float | None]:
    """Share of the months concerned spent at each bound the parameter file sets (DESIGN §4).

    For a lever, the months concerned are those of open platforms with users: a lever set where
    nobody sees it moves nothing, so an empty platform's ad load binds nothing. For sentiment
    (``market.min_sentiment``, ``market.max_sentiment``), every month. Every run lists the same
    bounds, None where one binds nothing (the price's, ad-funded). A result that rests on a bound is
    an artefact of the parameter file, not of the economics.
    """
    concerned = (platform_frame[platform_frame["status"].isin(["active", "rescued"]) & (platform_frame["users"] > 0)]
                 if len(platform_frame) else platform_frame)
    shares = {}
    for name, (lever, bound) in lever_bounds(params).items():
        if bound is None:
            shares[name] = None
            continue
        at = (concerned[lever] - bound).abs() <= AT_BOUND if len(concerned) else pd.Series(dtype=bool)
        shares[name] = float(at.mean()) if len(at) else 0.0
    sentiment = model_frame["sentiment"] if len(model_frame) else pd.Series(dtype=float)
    for name, bound in (("market.min_sentiment", params.market.min_sentiment),
                        ("market.max_sentiment", params.market.max_sentiment)):
        shares[name] = float(((sentiment - bound).abs() <= AT_BOUND).mean()) if len(sentiment) else 0.0
    return shares


def leader_id(platform_frame: pd.DataFrame) -> int:
    """The eventual leader: most users in the last month (ties: most users ever)."""
    last = platform_frame[platform_frame["step"] == platform_frame["step"].max()]
    if last["users"].max() > 0:
        return int(last.loc[last["users"].idxmax(), "platform_id"])
    peaks = platform_frame.groupby("platform_id")["users"].max()
    return int(peaks.idxmax())


def incumbent_id(platform_frame: pd.DataFrame) -> int:
    """The market's incumbent: the platform that held most users at its peak (ties: the first).

    It is the eventual leader unless a challenger overtook it and stayed smaller than it once was:
    then the market's story (lock-in, extraction, decline) is the incumbent's, not the challenger's.
    """
    return int(platform_frame.groupby("platform_id")["users"].max().idxmax())


def leader_series(platform_frame: pd.DataFrame, platform_id: int | None = None) -> pd.DataFrame:
    """The leader's rows (or ``platform_id``'s), indexed by step, with revenue per user added."""
    chosen = leader_id(platform_frame) if platform_id is None else platform_id
    rows = platform_frame[platform_frame["platform_id"] == chosen].set_index("step")
    rows = rows.copy()
    rows["revenue_per_user"] = np.where(rows["users"] > 0, rows["revenue"] / rows["users"].clip(lower=1), np.nan)
    return rows


def smooth(series: pd.Series, months: int = SMOOTHING_MONTHS) -> pd.Series:
    """Centred rolling mean: peaks of noisy monthly series, read on their trend."""
    return series.rolling(months, center=True, min_periods=1).mean()


def peak_month(series: pd.Series) -> int | None:
    """First month the smoothed series comes within PEAK_TOLERANCE of its maximum."""
    return peak_of_trend(smooth(series.dropna()))


def peak_of_trend(trend: pd.Series) -> int | None:
    """First month a series already on its trend (smoothed) comes within PEAK_TOLERANCE of its maximum."""
    clean = trend.dropna()
    if clean.empty:
        return None
    top, bottom = clean.max(), clean.min()
    threshold = top - PEAK_TOLERANCE * max(abs(top), top - bottom, 1e-12)
    return int(clean[clean >= threshold].index[0])


def per_dollar(surplus: pd.Series, spend: pd.Series) -> pd.Series:
    """Surplus per dollar spent, on the trend: smoothed surplus over smoothed spend, read only
    where the smoothed spend is at least MATERIAL_SPEND of its highest (NaN elsewhere). While a
    platform sells a few ads, only the advertisers keenest on it buy there: a high return then is
    who buys, not a deal the platform offers."""
    spent = smooth(spend)
    return (smooth(surplus) / spent).where((spent > 0) & (spent >= MATERIAL_SPEND * spent.max()))


def advertiser_squeeze(leader: pd.DataFrame) -> float | None:
    """How far the leader's advertisers' surplus per dollar has fallen from its peak by the last
    year (0: not at all, 1: to nothing; None if they never spent there). Doctorow's third stage
    is this number rising once advertisers are captive."""
    trend = per_dollar(leader["advertiser_surplus"], leader["advertiser_spend"]).dropna()
    if trend.empty or trend.max() <= 0:
        return None
    last_year = leader["advertiser_surplus"].iloc[-12:].sum() / max(leader["advertiser_spend"].iloc[-12:].sum(), 1e-12)
    return float(1.0 - last_year / trend.max())


def ad_revenue_share(leader: pd.DataFrame, months: int = 60) -> float | None:
    """Share of the leader's revenue that came from advertising over its last ``months`` months."""
    recent = leader.iloc[-months:]
    revenue = recent["revenue"].sum()
    return float(recent["ad_revenue"].sum() / revenue) if revenue > 0 else None


def ad_volume_and_price(leader: pd.DataFrame) -> dict[str, float | None]:
    """Growth of the leader's impressions sold and of its price per impression, last year over the
    year before (Meta 2023: impressions +28 %, price per ad -9 %: extraction through volume). Impressions
    sold are 1,000 x ad revenue / price per 1,000; None where a year sold none."""
    impressions = 1000.0 * leader["ad_revenue"] / leader["ad_price"].where(leader["ad_price"] > 0)
    last, before = impressions.iloc[-12:].sum(), impressions.iloc[-24:-12].sum()
    revenue_last, revenue_before = leader["ad_revenue"].iloc[-12:].sum(), leader["ad_revenue"].iloc[-24:-12].sum()
    if len(leader) < 24 or not (last > 0 and before > 0):
        return {"impressions_growth_last_year": None, "price_per_impression_growth_last_year": None}
    return {
        "impressions_growth_last_year": float(last / before - 1.0),
        "price_per_impression_growth_last_year": float((revenue_last / last) / (revenue_before / before) - 1.0),
    }


def phase_transitions(model_frame: pd.DataFrame, platform_frame: pd.DataFrame) -> dict[str, int | None]:
    """Month in which lock-in, extraction and decline of the market's incumbent start (None if they never do)."""
    transitions: dict[str, int | None] = {"lock-in": None, "extraction": None, "decline": None}
    if platform_frame.empty:
        return transitions
    leader = leader_series(platform_frame, incumbent_id(platform_frame))
    captive = leader["captive_share"].rolling(SMOOTHING_MONTHS, min_periods=SMOOTHING_MONTHS).mean()
    lock_in = leader.index[captive >= LOCK_IN_CAPTIVE]
    if len(lock_in) == 0:
        return transitions
    start = int(lock_in[0])
    transitions["lock-in"] = start
    profit = leader["profit"].rolling(3, min_periods=1).mean()
    arpu = leader["revenue_per_user"].rolling(3, min_periods=1).mean()
    base = arpu.loc[start]
    extracting = (leader.index >= start) & (profit > 0) & (arpu >= EXTRACTION_ARPU_RISE * max(base, 1e-9))
    if not extracting.any():
        return transitions
    extraction = int(leader.index[extracting][0])
    transitions["extraction"] = extraction
    users = leader["users"]
    after = users.index >= extraction
    falling = after & (users < DECLINE_SHARE_OF_PEAK * users.cummax())
    if falling.any():
        transitions["decline"] = int(users.index[falling][0])
    return transitions


def label_phases(model_frame: pd.DataFrame, platform_frame: pd.DataFrame) -> pd.Series:
    """The phase of every month, from the transitions."""
    transitions = phase_transitions(model_frame, platform_frame)
    labels = pd.Series("growth", index=model_frame.index)
    for phase in PHASES[1:]:
        month = transitions[phase]
        if month is not None:
            labels[model_frame["step"] >= month] = phase
    return labels


def enshittification_index(platform_frame: pd.DataFrame, model_frame: pd.DataFrame) -> pd.Series:
    """How far the leader's users' surplus per user has fallen from its peak so far (0 = at peak)."""
    leader = leader_series(platform_frame)["user_surplus"].reindex(model_frame["step"])
    peak = leader.cummax()
    index = (peak - leader) / peak.abs().clip(lower=1e-9)
    return pd.Series(index.to_numpy(), index=model_frame.index).fillna(0.0)


def summarize(
    model_frame: pd.DataFrame, platform_frame: pd.DataFrame, investor_frame: pd.DataFrame, params: Params
) -> dict:
    """The run in a few numbers: phases, concentration, peaks, public cost, who got the payouts."""
    if model_frame.empty:
        return {"seed": params.simulation.seed, "steps": 0}
    last = model_frame.iloc[-1]
    leader = leader_series(platform_frame)
    payouts = investor_frame["paid_out"].sum() if not investor_frame.empty else 0.0
    pioneer_payouts = investor_frame.loc[investor_frame["pioneer"], "paid_out"].sum() if payouts else 0.0
    final_hhi = float(last["hhi"])
    leader_share = float(leader["share"].iloc[-1])
    summary = {
        "seed": params.simulation.seed,
        "steps": int(last["step"]),
        "phase_transitions": phase_transitions(model_frame, platform_frame),
        "final_hhi": final_hhi if np.isfinite(final_hhi) else None,  # None: nobody on any platform
        "leader_id": leader_id(platform_frame),
        "leader_final_share": leader_share,
        "regime": regime(leader_share, anyone_on_platforms=bool(np.isfinite(final_hhi))),
        "bounds": binding_bounds(model_frame, platform_frame, params),
        "active_platforms": int(last["active_platforms"]),
        "failures": int(last["failures"]),
        "peaks": {
            "leader_user_surplus": peak_month(leader["user_surplus"].where(leader["users"] > 0)),
            "leader_advertiser_surplus": peak_month(leader["advertiser_surplus"]),
            "leader_advertiser_surplus_per_dollar": peak_of_trend(per_dollar(leader["advertiser_surplus"], leader["advertiser_spend"])),
            "leader_profit": peak_month(leader["profit"]),
        },
        "advertisers": {
            "ad_revenue_share_last_5_years": ad_revenue_share(leader),
            "surplus_per_dollar_fall": advertiser_squeeze(leader),
            **ad_volume_and_price(leader),
        },
        "public_cost": {
            "disbursed": float(last["public_disbursed"]),
            "recovered": float(last["public_recovered"]),
            "net": float(last["public_cost"]),
            "subsidy": float(last["public_subsidy"]),
            "deadweight": float(last["public_deadweight"]),
            "total": float(last["public_cost_total"]),
            "guaranteed_at_end": float(last["public_guaranteed"]),
            "rescues": int(last["rescues"]),
            "supplier_rescues": int(last.get("supplier_rescues", 0)),
            "payouts_after_rescue": float(last["payouts_after_rescue"]),
        },
        "public_revenue": float(last.get("public_revenue", 0.0)),
        "acquisitions": int(last.get("acquisitions", 0)),
        "blocked_mergers": int(last.get("blocked_mergers", 0)),
        "entries": int(last.get("entries", 0)),
        "pioneer_share_of_payouts": float(pioneer_payouts / payouts) if payouts else None,
        "total_payouts": float(payouts),
    }
    summary["calibration"] = calibration(leader, summary["phase_transitions"])
    return summary


def calibration(leader: pd.DataFrame, transitions: dict) -> dict:
    """The leader's figures that DESIGN §6 compares with real platforms (see docs/ODD.md)."""
    growth_end = transitions["lock-in"] or int(leader.index.max())
    # The stylised fact (OpenAI, H1 2025) is a snapshot of a late-growth firm: the last growth year.
    growing = leader.loc[growth_end - 11 : growth_end]
    revenue, costs = growing["revenue"].sum(), growing["costs"].sum()
    yearly_profit = leader["profit"].groupby((leader.index - 1) // 12).sum()
    profitable_years = yearly_profit.index[yearly_profit > 0]
    first_profit_year = int(profitable_years[0]) + 1 if len(profitable_years) else None
    before_profit = leader.loc[: first_profit_year * 12] if first_profit_year else leader
    cumulative_losses = float(-before_profit["profit"].clip(upper=0).sum())
    peak_annual_revenue = float(leader["revenue"].rolling(12, min_periods=12).sum().max())
    arpu = leader["revenue_per_user"].rolling(12, min_periods=1).mean()
    arpu_growth_end = arpu.loc[growth_end] if growth_end in arpu.index else np.nan
    extraction_peak = arpu.loc[growth_end:].max()
    final_users = float(leader["users"].iloc[-1])
    half_reached = leader.index[leader["users"] >= final_users / 2.0] if final_users > 0 else []
    return {
        "burn_multiple_last_growth_year": float(costs / revenue) if revenue > 0 else None,
        "years_to_first_profitable_year": first_profit_year,
        "cumulative_losses_in_years_of_peak_revenue": (
            cumulative_losses / peak_annual_revenue if peak_annual_revenue > 0 else None
        ),
        "leader_share_at_end": float(leader["share"].iloc[-1]),
        "revenue_per_user_rise": (
            float(extraction_peak / arpu_growth_end) if arpu_growth_end and arpu_growth_end > 0 else None
        ),
        # How fast the leader grew: the first month it held half of its final users, in years.
        "years_to_half_final_users": float(half_reached[0] / 12.0) if len(half_reached) else None,
    }


# The stylised facts of DESIGN §6 as the essays and the first calibration stated them: the summary
# figure that measures each, and its range. A scenario is set beside them by `python -m model calibrate
# FILE` and notebook 01; the model is estimated per real market instead (model.cases, docs/ODD.md §7).
CALIBRATION_TARGETS = {
    "burn_multiple_last_growth_year": ("Leader's spend per dollar of revenue while growing (OpenAI H1 2025: 1.6)", 1.2, 2.5),
    "years_to_first_profitable_year": ("Years from founding to the leader's first profitable year (Amazon 9 ... Uber 14)", 7, 15),
    "cumulative_losses_in_years_of_peak_revenue": ("Leader's losses before profit, in years of its peak revenue", 2.0, None),
    "leader_share_at_end": ("Leader's share of users at maturity (search: 0.89; cloud: 0.32 of a top-3 0.73)", 0.6, 0.95),
    "final_hhi": ("HHI of user shares at maturity (above 0.18: highly concentrated)", 0.18, None),
    "revenue_per_user_rise": ("Leader's revenue per user, extraction peak / end of growth (Meta 2013-2021: 8.6)", 3.0, None),
}


def calibration_table(summaries: list[dict]) -> pd.DataFrame:
    """Median and range over runs of each stylised fact, beside its range (``calibrate FILE``)."""
    rows = []
    for key, (fact, low, high) in CALIBRATION_TARGETS.items():
        values = pd.Series(
            [s["final_hhi"] if key == "final_hhi" else s["calibration"][key] for s in summaries], dtype=float
        )
        median = values.median()
        in_range = bool(np.isfinite(median) and (low is None or median >= low) and (high is None or median <= high))
        rows.append(
            {
                "fact": fact,
                "key": key,
                "target": f"{low} to {high}" if high is not None else f"at least {low}",
                "median": median,
                "min": values.min(),
                "max": values.max(),
                "missing": int(values.isna().sum()),
                "in_range": in_range,
            }
        )
    return pd.DataFrame(rows)
