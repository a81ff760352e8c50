"""Chip supply: per-vendor cost curves, smooth prices and capacity that follows orders with a lag.

A vendor's cost per H100e falls at its own rate (node, yield, memory). Its target price is cost x a
markup that rises with last year's scarcity and falls when its capacity sat idle (competition: a
vendor undercut by a rival cuts its price, never below cost); the price moves toward the target by
at most ``max_change`` a year (list prices and contracts move gradually). Capacity grows on a trend
whose excess decays, as far as the vendor's capacity was used, plus expansions ordered when orders
exceeded capacity, which arrive after a lead time; a disruption (a Taiwan shock) cuts actual output
below potential and recovers toward it, never above.
"""

from __future__ import annotations


def target_price(cost: float, markup: float, utilisation: float, elasticity: float) -> float:
    """Cost x markup x utilisation^elasticity (utilisation = orders / capacity), never below cost:
    a shortage raises the price, idle capacity lowers it."""
    # (max and min as conditionals in the same order as the builtins: a call costs ~5x)
    used = 1e-6 if utilisation < 1e-6 else utilisation
    moved: float = cost * markup * used**elasticity
    return moved if moved > cost else cost


def smooth_price(previous: float, target: float, max_change: float) -> float:
    """Move from ``previous`` toward ``target`` by at most ``max_change`` (a share) this year."""
    if previous <= 0.0:
        return target
    lo, hi = previous * (1.0 - max_change), previous * (1.0 + max_change)
    price = target if target > lo else lo
    return price if price < hi else hi


def utilisation(orders: float, capacity: float, cap: float = 3.0) -> float:
    """Orders over capacity, at most ``cap`` (1 when there is neither)."""
    if capacity <= 0.0:
        return cap if orders > 0.0 else 1.0
    used = orders / capacity
    return used if used < cap else cap


def scarcity(orders: float, capacity: float, cap: float = 3.0) -> float:
    """Orders over capacity, at least 1, at most ``cap``."""
    used = utilisation(orders, capacity, cap)
    return used if used > 1.0 else 1.0


def expansion_order(scarce: float, response: float, cap: float) -> float:
    """Extra capacity growth (share) ordered when orders exceeded capacity: ``scarce^response - 1``,
    at most ``cap``."""
    wanted: float = scarce**response - 1.0
    wanted = wanted if wanted > 0.0 else 0.0
    return wanted if wanted < cap else cap
