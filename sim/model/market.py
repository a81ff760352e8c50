"""Pure functions of the chip market: channel choice, leakage, rationing and scarcity prices."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

CHANNELS = ("legal", "licensed", "smuggled", "rented", "domestic")


@dataclass(slots=True)
class Offer:
    """One way a buyer can get compute from a vendor this year.

    ``price`` is what the buyer pays per H100e (for ``rented``: per H100e-year of rental);
    ``chip_perf`` is H100e per chip (capacity is counted in chips); ``quality`` is the training
    value of one H100e through this channel (1 minus its penalty); ``pclass`` is the penalty class
    (full, variant, domestic). A ``denied`` offer is the controlled product the buyer cannot buy:
    its share of money leaks to smuggling and renting, the rest goes to the allowed offers.
    """

    vendor: str
    channel: str
    price: float
    chip_perf: float
    quality: float
    pclass: int = 0
    denied: bool = False
    uses_capacity: bool = True


def logit_shares(costs: Sequence[float], elasticity: float) -> list[float]:
    """Shares proportional to cost^-elasticity (cheaper effective compute gets more money)."""
    if not costs:
        return []
    lo = min(costs)
    weights = [(lo / c) ** elasticity for c in costs]
    total = sum(weights)
    return [w / total for w in weights]


def smuggling_share(enforcement: float, max_share: float, exponent: float) -> float:
    """Share of denied demand that leaks into smuggling: max x (1 - enforcement)^k."""
    return max_share * (1.0 - min(max(enforcement, 0.0), 1.0)) ** exponent


def split_budget(
    offers: Sequence[Offer],
    elasticity: float,
    smuggle_share: float,
    rent_share: float,
    domestic_min_share: float = 0.0,
) -> list[float]:
    """Split one unit of money across offers; returns a share per offer (sums to <= 1).

    Allowed and denied offers compete by effective cost (price / quality). Money drawn to a denied
    offer goes ``smuggle_share`` to its smuggled twin, ``rent_share`` to its rented twin (both in
    ``offers`` with ``channel`` smuggled / rented and the same vendor), and the rest to allowed
    purchase offers pro rata. A domestic mandate raises domestic offers to at least
    ``domestic_min_share`` of the money. Money that finds no offer is left unspent.
    """
    n = len(offers)
    if n == 0:
        return []
    if domestic_min_share <= 0 and not any(
        o.denied or o.channel == "smuggled" or o.channel == "rented" for o in offers
    ):
        # Fast path (most buyers): every offer is an allowed purchase.
        return logit_shares([o.price / o.quality for o in offers], elasticity)
    out = [0.0] * n
    primary = [i for i, o in enumerate(offers) if o.channel not in ("smuggled", "rented")]
    if not primary:
        return out
    shares = logit_shares([offers[i].price / offers[i].quality for i in primary], elasticity)
    allowed = [i for i in primary if not offers[i].denied]
    leftover = 0.0
    leaks: dict[str, dict[str, int]] = {}
    for j, o in enumerate(offers):
        if o.channel in ("smuggled", "rented"):
            leaks.setdefault(o.vendor, {})[o.channel] = j
    for i, s in zip(primary, shares, strict=True):
        o = offers[i]
        if not o.denied:
            out[i] += s
            continue
        twins = leaks.get(o.vendor, {})
        ss = smuggle_share if "smuggled" in twins else 0.0
        rs = rent_share if "rented" in twins else 0.0
        if "smuggled" in twins:
            out[twins["smuggled"]] += s * ss
        if "rented" in twins:
            out[twins["rented"]] += s * rs
        leftover += s * (1.0 - ss - rs)
    allowed_total = sum(out[i] for i in allowed)
    if leftover > 0 and allowed:
        if allowed_total > 0:
            for i in allowed:
                out[i] += leftover * out[i] / allowed_total
        else:
            for i in allowed:
                out[i] += leftover / len(allowed)
    if domestic_min_share > 0:
        dom = [i for i in allowed if offers[i].channel == "domestic"]
        dom_total = sum(out[i] for i in dom)
        if dom and dom_total < domestic_min_share:
            others = [i for i in range(n) if i not in dom and out[i] > 0]
            other_total = sum(out[i] for i in others)
            need = min(domestic_min_share - dom_total, other_total)
            for i in others:
                out[i] -= need * out[i] / other_total
            for i in dom:
                out[i] += need * (out[i] / dom_total if dom_total > 0 else 1 / len(dom))
    return out


def ration(orders: Sequence[float], capacity: float) -> float:
    """Pro-rata fill fraction when ``orders`` (chips) meet ``capacity`` (chips)."""
    total = sum(orders)
    if total <= capacity or total <= 0:
        return 1.0
    return max(capacity, 0.0) / total if capacity > 0 else 0.0


def scarcity_multiplier(
    demand: float, capacity: float, elasticity: float, cap: float = 3.0
) -> float:
    """Next year's price multiplier from excess demand (1 when supply covers demand)."""
    if capacity <= 0 or demand <= capacity:
        return 1.0
    return min(cap, (demand / capacity) ** elasticity)


def depreciate(stock: list[float], rate: float, keep_index: int | None = None) -> None:
    """Depreciate every entry in place; ``keep_index`` (rented) is zeroed instead (leases end)."""
    for i in range(len(stock)):
        stock[i] = 0.0 if i == keep_index else stock[i] * (1.0 - rate)


def safe_log10(x: float) -> float:
    """log10 with a floor so empty labs score a finite, very low OOM."""
    return math.log10(max(x, 1.0))
