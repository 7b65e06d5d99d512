"""The regulator's rules, as pure functions of the regulation parameters (DESIGN §2, Government).

Platforms read them when they choose their levers and plan acquisitions (they know the law);
the economy enforces them when money moves or firms merge. Every rule is off at its default:
an ad-load cap of 1, a maximum share of 1, a tax rate of 0.
"""

from __future__ import annotations

import numpy as np

from model.params.schema import Regulation


def ad_load_ceiling(rules: Regulation, platform_maximum: float) -> float:
    """Highest ad load a platform may choose: its own bound, or the regulator's cap if lower."""
    return min(platform_maximum, rules.ad_load_cap)


def normal_profit(rules: Regulation, paid_in_capital: float) -> float:
    """Monthly profit that counts as a normal return on the capital shareholders put in."""
    return rules.normal_return / 12.0 * max(paid_in_capital, 0.0)


def excess_profit_tax(rules: Regulation, profit, paid_in_capital: float):
    """Tax on the part of monthly profit above the normal return (zero on losses)."""
    excess = np.maximum(np.asarray(profit, dtype=float) - normal_profit(rules, paid_in_capital), 0.0)
    return rules.excess_profit_tax * excess


def merger_allowed(rules: Regulation, merged_share: float) -> bool:
    """Merger control: a merger is blocked if the merged platform would exceed the maximum share."""
    return merged_share <= rules.max_share

