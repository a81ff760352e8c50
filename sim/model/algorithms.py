"""Pure functions for algorithmic efficiency, training and the adaptive spending rule."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.config.schema import World
    from sim.model.agents import Lab, Nation
    from sim.model.trends import Trends

LN10 = math.log(10.0)


def own_rd_gain(spend: float, reference: float, base_rate: float, elasticity: float) -> float:
    """Natural-log efficiency gain from a year's R&D.

    ``ln(base_rate) x 2x / (1 + x)`` with ``x = (spend/reference)^elasticity``: the reference spend
    gives the reference rate, small budgets get diminishing returns, and no budget gets more than
    twice the reference rate in log terms (researchers, data and experiments saturate).
    """
    if spend <= 0:
        return 0.0
    x: float = (spend / reference) ** elasticity
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
    # (max and min of two numbers as conditionals: per lab and year, a builtin call costs ~5x)
    gap_open = best_open - log_eff
    gap_open = gap_open if gap_open > 0.0 else 0.0
    gap_rest = best_all - (best_open if best_open > log_eff else log_eff)
    gap_rest = gap_rest if gap_rest > 0.0 else 0.0
    gain = diffusion * (rate_open * gap_open + rate_closed * gap_rest)
    room = best_all - log_eff
    room = room if room > 0.0 else 0.0
    return room if room < gain else gain


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
    base = stock_h100e * (1.0 - depreciation)
    base = 1.0 if base < 1.0 else base  # max(base, 1.0)
    # d own_rd_gain / d spend = k x / (spend (1 + x)^2), x = (spend / reference)^elasticity
    k = 2.0 * math.log(rd_rate) * rd_elasticity
    held = effective_price * base
    # The bisection of :func:`bisect` over the excess marginal value of R&D (at the ends, then 12
    # halvings: the share to ~1e-4, finer changes nothing visible), written out without a
    # function call per evaluation because it runs for every adaptive lab every year.
    spend = lo * budget
    spend = 1.0 if spend < 1.0 else spend
    x: float = (spend / rd_reference) ** rd_elasticity
    if k * x / (spend * (1.0 + x) ** 2) - compute_value / (held + (1 - lo) * budget) <= 0:
        return lo
    spend = hi * budget
    spend = 1.0 if spend < 1.0 else spend
    x = (spend / rd_reference) ** rd_elasticity
    if k * x / (spend * (1.0 + x) ** 2) - compute_value / (held + (1 - hi) * budget) >= 0:
        return hi
    for _ in range(12):
        share = 0.5 * (lo + hi)
        spend = share * budget
        if spend < 1.0:
            spend = 1.0
        x = (spend / rd_reference) ** rd_elasticity
        if k * x / (spend * (1.0 + x) ** 2) - compute_value / (held + (1 - share) * budget) > 0:
            lo = share
        else:
            hi = share
    return 0.5 * (lo + hi)


def improve_algorithms(
    labs: Sequence[Lab], world: World, rd_reference: float, shocks: Sequence[float]
) -> None:
    """Each lab's efficiency grows with its own R&D (diminishing returns, log-normal noise from
    ``shocks``) plus spillover toward the best open-weight and the best closed lab; a constrained
    lab's necessity edge moves toward ``necessity_offset`` x ln(own price / free price), faster
    the more of its budget it puts into research. The edge is a level (engineering around its own
    constraint): it is not transmitted by spillover and fades if the constraint goes."""
    w = world
    best_all = max(lab.log_eff for lab in labs)
    open_labs = [lab.log_eff for lab in labs if lab.open_weights]
    best_open = max(open_labs) if open_labs else -math.inf
    sd = w.rd_noise_sd
    half_var = 0.5 * sd**2
    for lab, z in zip(labs, shocks, strict=True):
        own = own_rd_gain(
            lab.efficiency_spend,
            rd_reference,
            w.frontier_efficiency_growth,
            w.efficiency_rd_elasticity,
        )
        own *= math.exp(sd * z - half_var)
        catch = catchup_gain(
            lab.log_eff,
            best_open,
            best_all,
            w.catchup_rate_open,
            w.catchup_rate_closed,
            w.diffusion,
        )
        lab.log_eff += own + catch
        lab.efficiency = math.exp(lab.log_eff)
        target = necessity_target(lab.constraint, w.necessity_offset)
        step = (1.0 - math.exp(-w.necessity_speed * lab.share_now)) * (target - lab.adapt)
        lab.adapt += step
        lab.d_eff = (own + step) / LN10
        lab.d_catchup = catch / LN10
        lab.cum_efficiency_spend += lab.efficiency_spend


def constraints(labs: Sequence[Lab], nations: Mapping[str, Nation]) -> None:
    """Each lab's constraint: how much dearer usable compute is for it than for the median lab
    of an allied nation, at list prices (controls, penalties), not shortages everyone shares:
    ``1 - median allied price / own price`` (0 unconstrained, 1 no compute to be had)."""
    free = sorted(
        lab.list_price
        for lab in labs
        if nations[lab.nation].tier == "ally" and math.isfinite(lab.list_price)
    )
    p_ref = free[len(free) // 2] if free else 1.0
    for lab in labs:
        price = lab.list_price
        c = 1.0 - p_ref / price if math.isfinite(price) else 1.0
        lab.constraint = c if c > 0.0 else 0.0  # (c is 1.0 when not finite)


def necessity_target(constraint: float, offset: float) -> float:
    """The necessity edge (ln) a lab with this constraint works toward: ``offset`` times the log of
    its price disadvantage ``1 / (1 - constraint)``."""
    c = 0.0 if constraint < 0.0 else constraint  # (conditionals: see catchup_gain)
    c = 0.99 if c > 0.99 else c
    return offset * -math.log(1.0 - c)


def choose_efficiency_share(lab: Lab, world: World, trends: Trends) -> float:
    """This year's efficiency-R&D share of the lab's budget, by its strategy (an adaptive lab
    moves ``adaptive_speed`` of the way to :func:`best_efficiency_share`). Research is worth more
    to a constrained lab: it also buys its necessity edge."""
    w = world
    if not math.isfinite(lab.effective_price):
        return lab.efficiency_share_max  # no compute to be had: spend on research
    if lab.strategy == "scale-first":
        return lab.efficiency_share_min
    if lab.strategy == "efficiency-first":
        return lab.efficiency_share_max
    if lab.strategy == "fixed":
        return lab.efficiency_share
    stock = lab.total_stock
    bound = stock * lab.flagship_share > trends.cluster_cap
    boost = 1.0 + w.necessity_offset * lab.constraint
    target = best_efficiency_share(
        lab.budget,
        stock,
        lab.effective_price,
        w.depreciation,
        w.frontier_efficiency_growth**boost,
        trends.rd_reference,
        w.efficiency_rd_elasticity,
        w.cluster_bound_value if bound else 1.0,
        lab.efficiency_share_min,
        lab.efficiency_share_max,
    )
    lab.efficiency_share += w.adaptive_speed * (target - lab.efficiency_share)
    return lab.efficiency_share
