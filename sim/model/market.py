"""Pure functions of the chip market and stocks: leakage, depreciation, scores.

Channel choice, caps and rationing are in :mod:`sim.model.clearing`; prices and capacity in
:mod:`sim.model.supply`.
"""

from __future__ import annotations

import math


def smuggling_share(enforcement: float, max_share: float, exponent: float) -> float:
    """Share of denied demand that leaks into smuggling: max x (1 - enforcement)^k."""
    share: float = max_share * (1.0 - min(max(enforcement, 0.0), 1.0)) ** exponent
    return share


def depreciate(stock: list[float], rate: float, keep_index: int | None = None) -> None:
    """Depreciate every entry in place; ``keep_index`` (rented) is zeroed instead (leases end)."""
    for i in range(len(stock)):
        stock[i] = 0.0 if i == keep_index else stock[i] * (1.0 - rate)


def safe_log10(x: float) -> float:
    """log10 with a floor so empty labs score a finite, very low OOM."""
    return math.log10(max(x, 1.0))
