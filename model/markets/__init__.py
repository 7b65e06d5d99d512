"""Markets: where the actors meet (DESIGN §5, layer 3).

Each module owns one submodel of the ODD description and changes an actor only through the
actor's own methods:

- :mod:`~model.markets.funding`: the funding market (valuation, rounds, entry, sentiment);
- :mod:`~model.markets.advertising`: the ad market's trading;
- :mod:`~model.markets.households`: what households pay platforms and spend;
- :mod:`~model.markets.supply`: compute suppliers' deals and contagion (the AI scenario);
- :mod:`~model.markets.distress`: runway, rounds, borrowing, rescue or failure;
- :mod:`~model.markets.competition`: acquisitions, merger control, divestiture.

Markets import the actors and the ground (parameters, ledger, pure rules), never the economy; a
market may call a market above it in this list, never one below it.
"""

from model.markets.advertising import AdMarket
from model.markets.competition import Competition
from model.markets.distress import Distress
from model.markets.funding import FundingMarket
from model.markets.households import Households
from model.markets.supply import ComputeMarket

__all__ = ["AdMarket", "Competition", "ComputeMarket", "Distress", "FundingMarket", "Households"]
