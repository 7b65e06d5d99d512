"""Every number knob has a finite range, and a run at any bound keeps every amount a finite number.

Values that passed validation used to crash a run (1e306 dollars of ad budget per user overflowed
the ledger) or give a silent NaN surplus (tastes of 1e300): issue 15, item 8.
"""

import re
import warnings

import numpy as np
import pytest

from model.params import ParamsError
from model.params.reference import bounds_of, schema_fields, takes_number
from tests.conftest import run, scenario

# Every mechanism on, so that each knob is used (lenders, suppliers, rescues, cooperatives, entry...).
EVERY_MECHANISM = {
    "users__count": 100, "simulation__steps": 10, "platforms__count": 4, "investors__bailout_belief": 0.5,
    "bailout__enabled": True, "acquisitions__enabled": True, "regulation__max_share": 0.7,
    "regulation__excess_profit_tax": 0.5, "regulation__divestiture": True, "lending__enabled": True,
    "cooperative__count": 1, "cooperative__kind": "public", "cooperative__public_funding_per_user": 5.0,
    "cooperative__entry_month": 2, "suppliers__enabled": True, "suppliers__count": 2,
    "suppliers__investment_per_user": 5.0, "network__social_weight": 0.5, "entry__entrants": 2, "entry__rate": 0.5,
    "platforms__market": "paid",  # users' prices are levers too: subscriptions and subsidies flow
}
# Knobs that take any real number (whole-number knobs count users, platforms, months or seeds).
NUMBER_KNOBS = {key: field for key, field in schema_fields().items() if takes_number(field) and field.annotation is not int}
# Keys that must keep their order: min <= max.
ORDERED = [("platforms.min_user_price", "platforms.max_user_price"), ("market.min_sentiment", "market.max_sentiment")]

MONEY_COLUMNS = {
    "model": ["consumer_surplus", "advertiser_spend", "advertiser_surplus", "platform_revenue", "platform_profit",
              "funding_raised", "public_cost", "public_disbursed", "public_recovered", "public_revenue",
              "public_platform_funding", "sentiment", "value_per_user", "debt", "supplier_revenue",
              "supplier_external_revenue", "commitments", "supplier_losses", "lender_losses"],
    "platforms": ["quality", "user_price", "ad_price", "revenue", "costs", "profit", "cash", "valuation", "ad_revenue",
                  "subscription_revenue", "quality_spend", "user_surplus", "advertiser_spend", "advertiser_surplus",
                  "funding_raised", "public_loan", "debt", "compute_paid", "commitment_left", "tax"],
    "investors": ["invested", "paid_out", "holding_value"],
}


def extremes() -> list[tuple[str, float]]:
    """Each inclusive bound of each number knob, except the 0 and 1 of shares and probabilities."""
    cases = []
    for key, field in NUMBER_KNOBS.items():
        bounds = bounds_of(field)
        if bounds.get("ge", bounds.get("gt", -1)) >= 0 and bounds.get("le", bounds.get("lt", 2)) <= 1:
            continue
        cases += [(key, float(bounds[kind])) for kind in ("ge", "le") if kind in bounds and bounds[kind] != 0]
    return cases


def at(values: dict[str, float], **base):
    """Parameters with these dotted values, and each ordered pair kept in order."""
    values = dict(values)
    for low, high in ORDERED:
        default_low, default_high = (schema_fields()[key].default for key in (low, high))
        if low in values and high not in values:
            values[high] = max(values[low], default_high)
        if high in values and low not in values:
            values[low] = min(values[high], default_low)
    return scenario(**{**EVERY_MECHANISM, **base, **{key.replace(".", "__"): value for key, value in values.items()}})


def assert_every_amount_is_finite(params):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # an overflow on the way is a failure too
        economy = run(params)
    frames = {"model": economy.model_frame(), "platforms": economy.platform_frame(), "investors": economy.investor_frame()}
    for name, columns in MONEY_COLUMNS.items():
        values = frames[name][columns].to_numpy(dtype=float)
        assert np.isfinite(values).all(), (name, [c for c in columns if not np.isfinite(frames[name][c]).all()])
    assert np.isfinite(economy.ledger_frame()["amount"]).all()
    assert len(frames["model"]) == params.simulation.steps


def test_every_number_knob_has_a_finite_range():
    unbounded = [key for key, field in NUMBER_KNOBS.items()
                 if not ({"ge", "gt"} & set(bounds_of(field)) and {"le", "lt"} & set(bounds_of(field)))]
    assert unbounded == []


@pytest.mark.parametrize("key, value", extremes(), ids=[f"{key}={value:g}" for key, value in extremes()])
def test_a_run_at_a_bound_keeps_every_amount_finite(key, value):
    assert_every_amount_is_finite(at({key: value}))


@pytest.mark.parametrize("end", ["ge", "le"])
def test_a_run_with_every_knob_at_the_same_end_of_its_range_keeps_every_amount_finite(end):
    values = {key: value for key, value in extremes() if value == bounds_of(NUMBER_KNOBS[key]).get(end)}
    assert_every_amount_is_finite(at(values))


def test_the_ad_market_at_its_extremes_keeps_every_amount_finite():
    # the highest ratio of advertisers' values to the price floor, their widest spread and steepest response
    values = {"platforms.min_ad_price": 0.1, "advertisers.value_per_impression_mean": 1000.0,
              "advertisers.value_per_impression_cv": 5.0, "advertisers.return_sensitivity": 20.0,
              "advertisers.clutter": 0.0, "platforms.initial_ad_load": 1.0, "platforms.max_ad_load": 1.0}
    assert_every_amount_is_finite(at(values, advertisers__count=500, advertisers__budget_per_user=0.0))


@pytest.mark.parametrize("key, value", [("advertisers.budget_per_user", 1e306), ("investors.capital_per_user", 1e306),
                                        ("platforms.fixed_cost", 1e306), ("users.quality_taste_mean", 1e300),
                                        ("users.ad_aversion_mean", 1e300), ("users.price_sensitivity_mean", 1e-300)])
def test_values_that_broke_a_run_are_refused_with_the_allowed_range(key, value):
    with pytest.raises(ParamsError, match=rf"{re.escape(key)} = {re.escape(repr(value))} is out of range: must be >= \S+ and <= \S+"):
        scenario(**{key.replace(".", "__"): value})
