"""Pure functions of the chip market and stocks: leakage, depreciation, scores.

Channel choice, caps and rationing are in :mod:`sim.model.clearing`; prices and capacity in
:mod:`sim.model.supply`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def smuggling_share(enforcement: float, max_share: float, exponent: float) -> float:
    """Share of denied demand that leaks into smuggling: max x (1 - enforcement)^k."""
    share: float = max_share * (1.0 - min(max(enforcement, 0.0), 1.0)) ** exponent
    return share


def depreciate(
    stock: list[float],
    rate: float,
    keep_index: int | None = None,
    add: Sequence[float] | None = None,
) -> None:
    """Depreciate every entry in place; ``keep_index`` (rented) is zeroed instead (leases end);
    then ``add`` (this year's purchases), if given, is added entry by entry."""
    kept = 1.0 - rate
    if add is None:
        for i, s in enumerate(stock):
            stock[i] = s * kept
    else:
        for i, s in enumerate(stock):
            stock[i] = s * kept + add[i]
    if keep_index is not None:
        stock[keep_index] = 0.0 if add is None else add[keep_index]


def safe_log10(x: float) -> float:
    """log10 with a floor so empty labs score a finite, very low OOM."""
    return math.log10(1.0 if x < 1.0 else x)  # max(x, 1.0) without a builtin call
