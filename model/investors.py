"""Investors: venture funds that back promising platforms through their losses, up to their patience.

An investor funds a round if the platform is among the promising (at least ``min_share_of_leader``
of the leader's users) and has not lost money for longer than the investor's patience. Belief in
bailouts stretches that patience for systemic platforms: a rescue would cap the downside.
"""

from __future__ import annotations

import mesa

from model.ledger import investor_account
from model.params.schema import Params


class Investor(mesa.Agent):
    def __init__(self, model, investor_id: int, patience: float, params: Params) -> None:
        super().__init__(model)
        self.investor_id = investor_id
        self.account = investor_account(investor_id)
        self.patience = patience  # months of losses it will fund
        self.bailout_belief = params.investors.bailout_belief
        self.params = params

    @property
    def capital(self) -> float:
        return self.model.ledger.balance(self.account)

    def effective_patience(self, systemic: bool) -> float:
        """Months of losses it funds; a believed rescue of a systemic platform stretches it."""
        return self.patience * (1.0 + self.bailout_belief * systemic)

    def will_fund(self, months_of_losses: int, promise: float, systemic: bool) -> bool:
        """``promise``: the platform's users against the leader's, as investors judge them."""
        return (
            self.capital > 0
            and is_promising(promise, self.params)
            and months_of_losses <= self.effective_patience(systemic)
        )


def is_promising(promise: float, params: Params) -> bool:
    """Investors back only platforms with at least ``min_share_of_leader`` of the leader's users."""
    return promise >= params.funding.min_share_of_leader
