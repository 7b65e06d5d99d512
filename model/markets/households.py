"""Households and the platforms: subscriptions paid out of income, subsidies received and spent.

Households' income comes from the outside economy; they pay positive user prices as
subscriptions, and spend in the outside economy what platforms paid them as subsidies (a negative
user price, paid in :meth:`model.platforms.Platform.pay_costs`).
"""

from __future__ import annotations

from model.ledger import HOUSEHOLDS, OUTSIDE


class Households:
    def __init__(self, model) -> None:
        self.model = model

    def pay_subscriptions(self) -> None:
        """Households pay positive user prices out of income from the outside economy."""
        ledger, month = self.model.ledger, self.model.month
        for platform in self.model.active_platforms:
            amount = max(platform.user_price, 0.0) * platform.users
            platform.record_subscriptions(amount)
            ledger.transfer(month, OUTSIDE, HOUSEHOLDS, amount, "income")
            ledger.transfer(month, HOUSEHOLDS, platform.account, amount, "subscription")

    def spend(self) -> None:
        """Subsidies households received are spent in the outside economy."""
        ledger = self.model.ledger
        balance = ledger.balance(HOUSEHOLDS)
        if balance > 0:
            ledger.transfer(self.model.month, HOUSEHOLDS, OUTSIDE, balance, "consumption")
