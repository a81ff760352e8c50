"""Serving (inference): how much of a fleet answers customers, and how much is left to train.

Revenue needs serving capacity. Serving is limited by memory bandwidth more than by FLOP, so chips are
valued for both: one H100e of FLOP of a class carries ``bw`` serving units (an H100 = 1; a
performance-capped variant that keeps the flagship's memory carries ``flagship_perf / capped_perf``).
A lab serves from its highest-bandwidth classes first and trains on the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.config.schema import World
    from sim.model.agents import Lab


def serving_units_needed(revenue: float, cost_share: float, unit_cost: float) -> float:
    """Serving units (H100-equivalents of bandwidth) to earn ``revenue`` in a year.

    Serving costs ``cost_share`` of revenue at ``unit_cost`` per unit-year: units = revenue x share / cost.
    """
    if revenue <= 0.0 or unit_cost <= 0.0:
        return 0.0
    return revenue * cost_share / unit_cost


def assign_serving(
    flop: Sequence[float],
    bw: Sequence[float],
    need: float,
    order: Sequence[int],
    max_flop: float = float("inf"),
) -> tuple[list[float], float]:
    """Take serving capacity from classes in ``order`` until ``need`` units are covered.

    ``flop[k]`` is the H100e of FLOP in class k and ``bw[k]`` its serving units per H100e; at most
    ``max_flop`` H100e serve in all. Returns the FLOP left for training per class and the serving units
    actually covered.
    """
    left = list(flop)
    covered = 0.0
    remaining = need
    budget = max_flop
    for k in order:
        if remaining <= 0.0 or budget <= 0.0:
            break
        if left[k] <= 0.0 or bw[k] <= 0.0:
            continue
        take = left[k]  # min(left[k], remaining / bw[k], budget), without a builtin call
        need_k = remaining / bw[k]
        if need_k < take:
            take = need_k
        if budget < take:
            take = budget
        budget -= take
        left[k] -= take
        covered += take * bw[k]
        remaining -= take * bw[k]
    return left, covered


def serve_weights(
    labs: Sequence[Lab], world: World, unit_cost: float, demand_growth: float
) -> None:
    """Weight of serving value in each lab's choice of chips (``lab.serve_weight``): how short
    of serving capacity it expects to be for the demand it expects, between
    ``serving_value_floor`` and 0.8."""
    w = world
    for lab in labs:
        need = serving_units_needed(lab.demand_usd * demand_growth, w.serving_cost_share, unit_cost)
        have = sum(lab.serve) * (1.0 - w.depreciation) + 1.0
        weight = need / (need + have)
        floor = w.serving_value_floor
        weight = weight if weight > floor else floor
        lab.serve_weight = weight if weight < 0.8 else 0.8
