"""Cap tables: who owns a platform, from which funding round, bought at what price.

Every round is recorded as holdings, so early (pioneer) holders, who bought shares cheaply,
collect more of the payouts per dollar invested than late ones.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Holding:
    holder: str  # a ledger account: "investor:<id>", "founders:<platform id>" or "government"
    round: int
    step: int
    shares: float
    invested: float
    paid_out: float = 0.0


class CapTable:
    def __init__(self) -> None:
        self.holdings: list[Holding] = []
        self.rounds = 0

    @property
    def shares_outstanding(self) -> float:
        return sum(h.shares for h in self.holdings)

    @property
    def paid_in(self) -> float:
        """Capital shareholders have put in (founders' shares were granted for nothing)."""
        return sum(h.invested for h in self.holdings)

    def share_price(self, pre_money_valuation: float) -> float:
        """Price per share implied by a pre-money valuation (1 dollar a share for the first round)."""
        outstanding = self.shares_outstanding
        if outstanding == 0:
            return 1.0
        return max(pre_money_valuation, 1e-9) / outstanding

    def open_round(self) -> int:
        """Number the next funding round (0 is the founding round)."""
        self.rounds += 1
        return self.rounds - 1

    def issue(
        self, holder: str, amount: float, price: float, round_index: int, step: int, shares: float | None = None
    ) -> Holding:
        """Record a purchase of ``amount`` at ``price`` (or a grant of ``shares`` for nothing)."""
        shares = amount / price if shares is None else shares
        holding = Holding(holder=holder, round=round_index, step=step, shares=shares, invested=amount)
        self.holdings.append(holding)
        return holding

    def split(self, amount: float) -> list[tuple[Holding, float]]:
        """Split a payout pro rata to shares, recording each holding's part."""
        outstanding = self.shares_outstanding
        parts = [(h, amount * h.shares / outstanding) for h in self.holdings] if outstanding else []
        for holding, part in parts:
            holding.paid_out += part
        return parts
