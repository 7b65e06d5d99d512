"""The recorder: the month's measurements, as rows, and the run's tidy frames (DESIGN §4, ODD 6.12).

Each month the economy asks it to ``measure`` the surplus users get (while the month's offers
stand) and, at the end of the month, to ``record`` one row for the market, one per platform and
one per supplier. The frames are built from those rows; phases and the enshittification index
are detected on the whole run so far (:mod:`model.metrics`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model import metrics


# The investor frame's columns, one row per holding (Recorder.investor_frame).
INVESTOR_COLUMNS = ["holder", "investor_id", "founders", "platform_id", "round", "step_invested", "invested", "paid_out",
                    "holding_value", "moic", "pioneer"]

class Recorder:
    def __init__(self, model) -> None:
        self.model = model
        self.measures: dict = {}
        self.model_rows: list[dict] = []
        self.platform_rows: list[dict] = []
        self.supplier_rows: list[dict] = []
        self._frames: dict[str, tuple[tuple[int, int], pd.DataFrame]] = {}  # built frames (_built)

    def measure(self) -> None:
        """Surplus and lock-in of the users this month, with the levers users faced (UserPopulation.surplus_and_lock_in)."""
        model = self.model
        self.measures = model.users.surplus_and_lock_in(model.offers(), len(model.platforms), metrics.DEGRADATION_TEST)

    def record(self) -> None:
        """The month's rows: the market, each platform, each supplier."""
        model = self.model
        for supplier in model.suppliers:
            self.supplier_rows.append(self._supplier_row(supplier))
        counts = np.array([p.users for p in model.platforms], dtype=float)
        shares = counts / counts.sum() if counts.sum() else counts
        self.model_rows.append(self._market_row(counts, shares))
        for platform in model.platforms:
            self.platform_rows.append(self._platform_row(platform, shares))

    def _supplier_row(self, supplier) -> dict:
        return {
            "step": self.model.month, "supplier_id": supplier.supplier_id, "status": supplier.status,
            "revenue": supplier.revenue, "external_revenue": supplier.external_revenue,
            "round_tripped_revenue": supplier.round_tripped, "circularity_ratio": supplier.circularity,
            "invested": supplier.invested, "shares_sold": supplier.shares_sold, "bonds": supplier.bonds, "losses": supplier.losses,
            "rescued": supplier.rescued, "public_loan": supplier.public_loan, "guaranteed_bonds": supplier.guaranteed_bonds,
            "cash": supplier.cash, "valuation": supplier.valuation(self.model.funding.sentiment),
        }

    def _market_row(self, counts: np.ndarray, shares: np.ndarray) -> dict:
        model = self.model
        platforms, funding, government = model.platforms, model.funding, model.government
        suppliers, lender, deals = model.suppliers, model.lender, model.competition.acquisitions
        on_platforms = counts.sum()
        leader = int(np.argmax(counts)) if on_platforms else -1
        ads = model.ad_market.traded
        impressions = ads["impressions"].sum()
        return {
            "step": model.month,
            "adopted_users": int(np.count_nonzero(model.users.adopted)),
            "reached_users": model.users.reach,  # potential users the market reaches (users.reach_start, reach_growth)
            "active_platforms": len(model.active_platforms),
            "hhi": metrics.hhi(counts),
            "leader_id": leader,
            "leader_share": float(shares[leader]) if leader >= 0 else 0.0,
            "leader_captive_share": float(self.measures["captive_share"][leader]) if leader >= 0 else np.nan,
            "platform_users": int(on_platforms),
            # what users on a platform face; nobody on any platform faces nothing
            "mean_ad_load": float(np.average([p.ad_load for p in platforms], weights=counts)) if on_platforms else np.nan,
            "mean_quality": float(np.average([p.quality for p in platforms], weights=counts)) if on_platforms else np.nan,
            "consumer_surplus": self.measures["consumer_surplus"],
            "advertiser_spend": float(ads["spend"].sum()),
            "advertiser_surplus": float(ads["surplus"].sum()),
            "mean_ad_price": float(1000.0 * ads["spend"].sum() / impressions) if impressions else np.nan,
            "platform_revenue": float(sum(p.revenue for p in platforms)),
            "platform_profit": float(sum(p.profit for p in platforms)),
            # the leader's own accounts, set beside a real market's leader (model.cases.SERIES)
            "leader_revenue": platforms[leader].revenue if leader >= 0 else 0.0,
            "leader_profit": platforms[leader].profit if leader >= 0 else 0.0,
            "funding_raised": float(sum(p.funding_raised for p in platforms)),
            "public_cost": government.net_cost,
            "public_disbursed": government.disbursed,
            "public_recovered": government.recovered,
            "public_subsidy": government.subsidy,
            "public_deadweight": government.deadweight_cost,
            "public_cost_total": government.total_cost,
            "public_guaranteed": government.guaranteed,
            "payouts_after_rescue": government.payouts_after_rescue,
            "sentiment": funding.sentiment,
            "value_per_user": funding.value_per_user,
            "new_adopters": model.users.new_adopters,
            "switchers": model.users.switchers,
            "failures": len(funding.failure_months),
            "rescues": government.rescues,
            "public_revenue": government.tax_revenue,
            "acquisitions": sum(not deal["blocked"] for deal in deals),
            "blocked_mergers": sum(deal["blocked"] for deal in deals),
            "divestitures": len(model.competition.divestitures),
            "entries": len(funding.entries),
            "public_platform_funding": government.platform_funding,
            "debt": float(sum(p.debt for p in platforms)),
            "supplier_revenue": float(sum(x.revenue for x in suppliers)),
            "supplier_external_revenue": float(sum(x.external_revenue for x in suppliers)),
            "circularity_ratio": model.supply.circularity(),
            "commitments": float(sum(p.commitment_left for p in platforms)),
            "supplier_losses": float(sum(x.losses for x in suppliers)),
            "supplier_failures": sum(not x.active for x in suppliers),
            "supplier_rescues": government.supplier_rescues,
            "lender_losses": lender.losses if lender else 0.0,
            "credit_appetite": lender.appetite if lender else np.nan,
        }

    def _platform_row(self, p, shares: np.ndarray) -> dict:
        j = p.platform_id
        ads = self.model.ad_market.traded
        return {
            "step": self.model.month,
            "platform_id": j,
            "users": p.users,
            "share": float(shares[j]),
            "quality": p.quality,
            "ad_load": p.ad_load,
            "user_price": p.user_price,
            "ad_price": p.ad_price,
            "revenue": p.revenue,
            "costs": p.costs,
            "profit": p.profit,
            "cash": p.cash,
            "valuation": self.model.funding.valuation_of(p),
            "status": p.status,
            "ad_revenue": p.ad_revenue,
            "subscription_revenue": p.subscription_revenue,
            "quality_spend": p.quality_spend,
            "new_users": p.new_users,
            "user_surplus": float(self.measures["user_surplus"][j]),
            "advertiser_spend": float(ads["spend"][j]),
            "advertiser_surplus": float(ads["surplus"][j]),
            "burn_multiple": p.costs / p.revenue if p.revenue > 0 else np.nan,
            "funding_raised": p.funding_raised,
            "months_of_losses": p.months_of_losses,
            "mean_switching_cost": float(self.measures["switching_cost"][j]),
            "captive_share": float(self.measures["captive_share"][j]),
            "public_loan": p.public_loan,
            "debt": p.debt,
            "compute_paid": p.compute_paid,
            "commitment_left": p.commitment_left,
            "nonprofit": p.nonprofit,
            "tax": p.tax,
        }

    # -- frames -------------------------------------------------------------------------------
    def model_frame(self) -> pd.DataFrame:
        """One row per month; ``phase`` is detected on the whole run so far (metrics.phases)."""
        return self._built("model", self.model_rows, self._model_frame)

    def platform_frame(self) -> pd.DataFrame:
        return self._built("platforms", self.platform_rows, lambda: pd.DataFrame(self.platform_rows))

    def _model_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.model_rows)
        if frame.empty:
            return frame
        platforms = self.platform_frame()
        frame["phase"] = metrics.label_phases(frame, platforms)
        frame["enshittification_index"] = metrics.enshittification_index(platforms, frame)
        return frame

    def _built(self, name: str, rows: list[dict], build) -> pd.DataFrame:
        """A copy of the frame ``build`` makes, built once for each number of rows: rows are only ever
        appended, and a run's summary, charts and outcomes each ask for the same frames."""
        months = (len(self.model_rows), len(self.platform_rows))
        if self._frames.get(name, (None,))[0] != months:
            self._frames[name] = (months, build())
        return self._frames[name][1].copy()

    def supplier_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.supplier_rows)

    def investor_frame(self) -> pd.DataFrame:
        """One row per holding: who invested in which platform, in which round, and what came back."""
        model = self.model
        rows = []
        pioneer_rounds = model.params.funding.pioneer_rounds
        for platform in model.platforms:
            outstanding = platform.cap_table.shares_outstanding
            value = model.funding.valuation_of(platform)
            for h in platform.cap_table.holdings:
                holding_value = value * h.shares / outstanding if outstanding else 0.0
                rows.append(
                    {
                        "holder": h.holder,
                        "investor_id": int(h.holder.split(":")[1]) if h.holder.startswith("investor:") else -1,
                        "founders": h.holder.startswith("founders:"),
                        "platform_id": platform.platform_id,
                        "round": h.round,
                        "step_invested": h.step,
                        "invested": h.invested,
                        "paid_out": h.paid_out,
                        "holding_value": holding_value,
                        "moic": (h.paid_out + holding_value) / h.invested if h.invested else np.nan,
                        "pioneer": h.round < pioneer_rounds,
                    }
                )
        # A market with no holding (only a public platform, funded by grants) still has the frame's columns.
        return pd.DataFrame(rows, columns=INVESTOR_COLUMNS)
