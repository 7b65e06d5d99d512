"""The real data series in ``data/`` (read by ``model.data``): every file says what it measured, in what
unit, from which source and how it was checked; every table is a clean ``period,value`` series; and the
figures the design relies on are the ones in the files."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from model.data import REQUIRED_KEYS, available_series, read_series

SERIES = available_series()
PERIOD_FORMATS = {
    "year": re.compile(r"^\d{4}$"),
    "half": re.compile(r"^\d{4}H[12]$"),
    "quarter": re.compile(r"^\d{4}Q[1-4]$"),
    "month": re.compile(r"^\d{4}-\d{2}$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
}


def period_bounds(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of a period written as 2014, 2025H1, 2013Q1, 2024-04 or 2008-10-03."""
    if PERIOD_FORMATS["year"].match(period):
        span = pd.Period(period, freq="Y")
    elif PERIOD_FORMATS["half"].match(period):
        start = pd.Period(f"{period[:4]}Q{2 * int(period[-1]) - 1}", freq="Q")
        return start.start_time.normalize(), (start + 1).end_time.normalize()
    elif PERIOD_FORMATS["quarter"].match(period):
        span = pd.Period(period, freq="Q")
    elif PERIOD_FORMATS["month"].match(period):
        span = pd.Period(period, freq="M")
    elif PERIOD_FORMATS["date"].match(period):
        span = pd.Period(period, freq="D")
    else:
        raise ValueError(f"unknown period format: {period!r}")
    return span.start_time.normalize(), span.end_time.normalize()


def values(name: str, **labels) -> dict[str, float]:
    frame, _ = read_series(name)
    for column, wanted in labels.items():
        frame = frame[frame[column] == wanted]
    return dict(zip(frame["period"], frame["value"]))


def test_the_required_series_are_all_there():
    for name in ["meta_mau_worldwide", "meta_mau_us_canada", "meta_arpu_worldwide", "meta_arpu_us_canada",
                 "meta_ad_impressions_growth_annual", "meta_ad_price_growth_annual", "us_internet_ad_revenue",
                 "digital_share_world_ad_revenue_magna", "uber_revenue", "uber_operating_income",
                 "search_share_us_google", "openai_revenue", "openai_cash_burn", "tarp_figures"]:
        assert name in SERIES, f"data/{name}.csv is missing"


@pytest.mark.parametrize("name", SERIES)
def test_every_series_names_its_source_and_unit(name):
    _, meta = read_series(name)
    for key in REQUIRED_KEYS:
        assert meta.get(key), f"{name}: no '# {key}:' line"
    assert meta["series"] == name, f"{name}.csv says it is series {meta['series']!r}"
    assert len(meta["measured"].split()) >= 8, f"{name}: 'measured' should say what exactly was measured"


@pytest.mark.parametrize("name", SERIES)
def test_every_series_parses_as_period_value(name):
    frame, _ = read_series(name)
    assert list(frame.columns[:2]) == ["period", "value"], f"{name}: the table must start with period,value"
    assert len(frame) > 0
    assert frame["value"].notna().all()
    for period in frame["period"]:
        assert any(pattern.match(period) for pattern in PERIOD_FORMATS.values()), f"{name}: bad period {period!r}"


@pytest.mark.parametrize("name", SERIES)
def test_periods_are_unique_and_sorted(name):
    frame, _ = read_series(name)
    labels = [c for c in frame.columns if c not in ("value", "ref") and not pd.api.types.is_numeric_dtype(frame[c])]
    assert not frame.duplicated(subset=labels).any(), f"{name}: repeated rows for {labels}"
    bounds = [period_bounds(p) for p in frame["period"]]
    assert bounds == sorted(bounds), f"{name}: rows are not in time order (by start, then end of period)"


@pytest.mark.parametrize("name", SERIES)
def test_frequency_matches_the_periods(name):
    frame, meta = read_series(name)
    expected = {"quarterly": "quarter", "annual": "year"}.get(meta["frequency"])
    if expected:
        assert frame["period"].map(PERIOD_FORMATS[expected].match).all(), f"{name}: {meta['frequency']} but {list(frame['period'])}"


@pytest.mark.parametrize("name", SERIES)
def test_every_row_reference_is_explained_in_the_header(name):
    frame, meta = read_series(name)
    if "ref" not in frame.columns:
        return
    assert meta.get("refs"), f"{name}: has a ref column but no '# refs:' line"
    for tag in frame["ref"].unique():
        assert f"{tag} = " in meta["refs"], f"{name}: ref {tag!r} is not defined in '# refs:'"


@pytest.mark.parametrize("name", SERIES)
def test_a_range_has_its_value_inside(name):
    frame, _ = read_series(name)
    if {"low", "high"} <= set(frame.columns):
        assert ((frame["low"] <= frame["value"]) & (frame["value"] <= frame["high"])).all()


def test_meta_arpu_rises_from_2013_to_2021():
    world = values("meta_arpu_worldwide")
    assert world["2013Q1"] == pytest.approx(1.35)
    assert world["2021Q4"] == pytest.approx(11.57)
    assert world["2021Q4"] / world["2013Q1"] > 8
    fourth_quarters = [world[p] for p in sorted(world) if p.endswith("Q4")]
    assert fourth_quarters == sorted(fourth_quarters), "Q4 worldwide ARPU rose every year 2013-2021"


def test_us_canada_arpu_quadruples_from_2016_to_2021_and_dwarfs_the_world_average():
    usc, world = values("meta_arpu_us_canada"), values("meta_arpu_worldwide")
    assert usc["2016Q2"] == pytest.approx(14.34)
    assert usc["2021Q4"] == pytest.approx(60.57)
    for period in set(usc) & set(world):
        assert usc[period] > 2.5 * world[period], period


def test_facebook_users_grow_while_us_and_canada_saturate():
    world, usc = values("meta_mau_worldwide"), values("meta_mau_us_canada")
    assert world["2012Q4"] < 1100 < 3000 < world["2023Q4"]
    assert usc["2021Q4"] / usc["2016Q4"] < 1.15, "US & Canada MAUs grew little after 2016"
    assert usc["2021Q4"] / world["2021Q4"] < 0.10


def test_meta_showed_28_percent_more_ads_at_9_percent_lower_prices_in_2023():
    assert values("meta_ad_impressions_growth_annual")["2023"] == pytest.approx(0.28)
    assert values("meta_ad_price_growth_annual")["2023"] == pytest.approx(-0.09)


def test_us_internet_ad_revenue_grows_every_year_from_36_6_to_189_3_bn():
    revenue = values("us_internet_ad_revenue")
    assert revenue["2012"] == pytest.approx(36.6)
    assert revenue["2021"] == pytest.approx(189.3)
    series = [revenue[p] for p in sorted(revenue)]
    assert series == sorted(series)


@pytest.mark.parametrize("name", ["digital_share_world_ad_revenue_magna", "digital_share_world_ad_spend_emarketer"])
def test_digital_share_is_a_fraction_that_passes_half_by_2019(name):
    share = values(name)
    assert all(0 < v < 1 for v in share.values())
    assert share["2019"] > 0.5


def test_uber_loses_money_every_year_until_its_first_operating_profit_in_2023():
    income = values("uber_operating_income")
    assert all(income[p] < 0 for p in income if p < "2023")
    assert income["2023"] > 0
    assert -sum(v for v in income.values() if v < 0) > 25_000, "more than $25 bn of operating losses 2016-2022"
    assert values("uber_revenue")["2021"] == pytest.approx(17_455)


def test_uber_held_two_thirds_to_three_quarters_of_us_rideshare_spending_from_2017_to_2024():
    uber, lyft = values("rideshare_share_us", company="uber"), values("rideshare_share_us", company="lyft")
    assert all(0.65 <= share <= 0.8 for share in uber.values()), "contested, below the tipped line of 0.8, every month"
    assert uber["2023-09"] == pytest.approx(0.74) and uber["2019-02"] == pytest.approx(0.673)
    assert all(uber[month] + lyft[month] <= 1.0 for month in lyft), "two companies' shares of one market"


def test_google_answered_89_percent_of_us_searches_in_2020():
    assert values("search_share_us_google")["2020"] == pytest.approx(0.892)
    assert values("search_share_us_2020", engine="google", device="mobile")["2020"] == pytest.approx(0.949)


def test_openai_burned_2_5_bn_on_4_3_bn_of_revenue_in_the_first_half_of_2025():
    assert values("openai_revenue")["2025H1"] == pytest.approx(4.3)
    assert values("openai_cash_burn")["2025H1"] == pytest.approx(2.5)


def test_chatgpt_held_87_percent_of_chatbot_web_traffic_in_january_2025_and_65_percent_a_year_later():
    chatgpt, gemini = values("genai_web_traffic_share", company="ChatGPT"), values("genai_web_traffic_share", company="Gemini")
    assert chatgpt["2025-01-02"] == pytest.approx(0.867) and chatgpt["2026-01-02"] == pytest.approx(0.645)
    assert list(chatgpt.values()) == sorted(chatgpt.values(), reverse=True)  # it fell at every snapshot
    assert list(gemini.values()) == sorted(gemini.values())  # as the parent-funded rival rose
    assert gemini["2026-01-02"] == pytest.approx(0.215)


def test_tarp_disbursed_less_than_authorised_and_cost_a_fraction_of_it():
    frame, _ = read_series("tarp_figures")
    item = dict(zip(frame["item"], frame["value"]))
    assert item["authorized"] == 700
    assert item["disbursed"] == 444  # the last row for an item wins: CBO's final report
    assert item["lifetime_cost_cbo_estimate"] / item["disbursed"] < 0.1


def test_years_to_first_profit_are_first_profit_year_minus_founding():
    frame, _ = read_series("years_to_first_profit")
    assert (frame["value"] == frame["period"].astype(int) - frame["founded"]).all()


def test_read_series_names_the_file_and_the_missing_key(tmp_path):
    (tmp_path / "broken.csv").write_text("# series: broken\n# unit: dollars\nperiod,value\n2020,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.csv.*measured"):
        read_series("broken", tmp_path)
    with pytest.raises(FileNotFoundError, match="broken"):
        read_series("absent", tmp_path)
