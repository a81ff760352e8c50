"""Pure functions for algorithmic efficiency, training and the adaptive spending rule."""

from __future__ import annotations

import math
from collections.abc import Callable

LN10 = math.log(10.0)


def own_rd_gain(spend: float, reference: float, base_rate: float, elasticity: float) -> float:
    """Natural-log efficiency gain from a year's R&D.

    ``ln(base_rate) x 2x / (1 + x)`` with ``x = (spend/reference)^elasticity``: the reference spend
    gives the reference rate, small budgets get diminishing returns, and no budget gets more than
    twice the reference rate in log terms (researchers, data and experiments saturate).
    """
    if spend <= 0:
        return 0.0
    x = (spend / reference) ** elasticity
    return math.log(base_rate) * 2.0 * x / (1.0 + x)


def catchup_gain(
    log_eff: float,
    best_open: float,
    best_all: float,
    rate_open: float,
    rate_closed: float,
    diffusion: float,
) -> float:
    """Natural-log efficiency gain from diffusion toward the best open and the best closed lab.

    A follower closes ``rate_open`` of its gap to the best open-weight lab and ``rate_closed`` of
    the remaining gap to the best lab overall, both scaled by ``diffusion`` (0 closes diffusion).
    """
    gap_open = max(0.0, best_open - log_eff)
    gap_rest = max(0.0, best_all - max(log_eff, best_open))
    gain = diffusion * (rate_open * gap_open + rate_closed * gap_rest)
    return min(gain, max(0.0, best_all - log_eff))


def training_flop(
    cluster_h100e: float,
    utilisation: float,
    duration_years: float,
    seconds_per_year: float,
    flops: float,
    quality: float,
) -> float:
    """FLOP of the flagship run: cluster x utilisation x duration x FLOP/s x quality."""
    return cluster_h100e * utilisation * duration_years * seconds_per_year * flops * quality


def bisect(f: Callable[[float], float], lo: float, hi: float, iters: int = 30) -> float:
    """Root of a decreasing function on [lo, hi] (clamped to the ends)."""
    if f(lo) <= 0:
        return lo
    if f(hi) >= 0:
        return hi
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if f(mid) > 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def best_efficiency_share(
    budget: float,
    stock_h100e: float,
    effective_price: float,
    depreciation: float,
    rd_rate: float,
    rd_reference: float,
    rd_elasticity: float,
    compute_value: float,
    lo: float,
    hi: float,
) -> float:
    """Share of budget on efficiency R&D that equalises marginal capability per dollar.

    Marginal log-capability of a dollar of efficiency R&D is ``elasticity x gain / spend``; of a
    dollar of compute it is ``compute_value / (price x stock after buying)``. The DeepSeek pattern
    emerges because restricted labs face a higher effective price of compute.
    """
    if budget <= 0:
        return lo
    base = max(stock_h100e * (1.0 - depreciation), 1.0)

    log_rate2 = 2.0 * math.log(rd_rate)

    def excess(share: float) -> float:
        spend = max(share * budget, 1.0)
        x = (spend / rd_reference) ** rd_elasticity
        # derivative of own_rd_gain with respect to spend
        m_eff = log_rate2 * rd_elasticity * x / (spend * (1.0 + x) ** 2)
        m_comp = compute_value / (effective_price * base + (1 - share) * budget)
        return m_eff - m_comp

    return bisect(excess, lo, hi, iters=12)  # share to ~1e-4: finer changes nothing visible
