"""Investors: venture funds that back promising platforms through their losses, up to their patience.

An investor funds a round if the platform has not lost money for longer than the investor's patience;
how much of the round investors put in follows the platform's promise (its users against the
leader's): all of it from ``min_share_of_leader``, in proportion below. Belief in bailouts stretches
that patience for systemic platforms: a rescue would cap the downside.
"""

from __future__ import annotations

import mesa

from model.ledger import OUTSIDE, investor_account
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

    def will_fund(self, months_of_losses: int, systemic: bool) -> bool:
        """Whether it joins a round: it has capital, and the platform's losses are within its patience."""
        return self.capital > 0 and months_of_losses <= self.effective_patience(systemic)


def create_investors(model, params: Params) -> list[Investor]:
    """Venture funds with uniform patience around its mean and capital (capital_per_user x potential users)
    split in uniform weights; each fund's capital is committed from the outside world."""
    settings = params.investors
    spread = settings.patience_spread
    patience = settings.patience_mean * model.rng.uniform(1 - spread, 1 + spread, settings.count)
    weights = model.rng.uniform(0.5, 1.5, settings.count)
    capital = settings.capital_per_user * params.users.count * weights / weights.sum()
    investors = [Investor(model, i, patience[i], params) for i in range(settings.count)]
    for investor, amount in zip(investors, capital):
        model.ledger.transfer(0, OUTSIDE, investor.account, float(amount), "capital_commitment")
    return investors


def appetite(promise: float, params: Params) -> float:
    """The share of what a platform asks for that investors put in, from its ``promise`` (its users against the
    leader's, as investors judge them): all of it from ``funding.min_share_of_leader``, in proportion below (a
    platform with half that share raises half its round). Funding declines with a platform's prospects; no cliff."""
    threshold = params.funding.min_share_of_leader
    return 1.0 if promise >= threshold else promise / threshold
