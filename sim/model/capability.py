"""Capability: flagship training runs, the follower bonus, the frontier and the lag in months."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence

from sim.config.schema import World
from sim.model.agents import Lab, Nation
from sim.model.algorithms import training_flop
from sim.model.clearing import DOMESTIC_CLASS, FULL, RENTED, VARIANT
from sim.model.market import safe_log10
from sim.model.penalties import domestic_penalty, hardware_penalty
from sim.model.trends import Trends


class FrontierHistory:
    """Running maximum of the frontier OOM score by year, for lag look-ups.

    Before the first recorded year the frontier is extrapolated backwards at
    ``prehistory_slope`` OOM per year.
    """

    def __init__(self, prehistory_slope: float):
        self.slope = prehistory_slope
        self.years: list[float] = []
        self.levels: list[float] = []

    def record(self, year: float, level: float) -> None:
        """Add this year's frontier (kept monotone: the frontier never moves backwards)."""
        if self.levels:
            level = max(level, self.levels[-1])
        self.years.append(year)
        self.levels.append(level)

    def first_reached(self, score: float) -> float:
        """Time (fractional year) at which the frontier first reached ``score``."""
        ys, ls = self.years, self.levels
        if not ls:
            raise ValueError("no frontier recorded yet")
        if score <= ls[0]:
            return ys[0] - (ls[0] - score) / self.slope
        i = bisect_left(ls, score)  # levels are monotone: first year at or above the score
        if i >= len(ls):
            return ys[-1]
        lo, hi = ls[i - 1], ls[i]
        frac = 0.0 if hi == lo else (score - lo) / (hi - lo)
        return ys[i - 1] + frac * (ys[i] - ys[i - 1])

    def lag_months(self, score: float, year: float) -> float:
        """Months since the frontier first reached ``score`` (0 at or above the frontier)."""
        if not self.levels or score >= self.levels[-1]:
            return 0.0
        return max(0.0, 12.0 * (year - self.first_reached(score)))


def power_factor(nation: Nation, kw_per_h100e: float) -> float:
    """Share of the nation's compute that its AI power limit can run (1 without a limit)."""
    if nation.power_limit_gw is None:
        return 1.0
    stock = sum(lab.total_stock for lab in nation.labs)
    cap = nation.power_limit_gw * 1e6 / kw_per_h100e
    return min(1.0, cap / stock) if stock > 0 else 1.0


def fleet_quality(lab: Lab, nation: Nation, world: World) -> float:
    """Penalty-weighted share of good compute in the lab's fleet (1 = all full-quality): compliant
    variants and domestic chips train worse, less so as the lab's research engineers around them."""
    q = lab.quality_stock
    rented = lab.stock[RENTED]
    total = sum(q) + rented
    if total <= 0:
        return 1.0
    w = world
    spent = lab.cum_efficiency_spend
    variant_pen = hardware_penalty(w.variant_training_penalty, spent, w.penalty_mitigation_usd)
    domestic_pen = domestic_penalty(
        nation.domestic_penalty_base,
        nation.cum_domestic_h100e,
        w.domestic_penalty_learning_h100e,
        spent,
        w.penalty_mitigation_usd,
    )
    good = q[FULL] + rented
    good += q[VARIANT] * (1.0 - variant_pen)
    good += q[DOMESTIC_CLASS] * (1.0 - domestic_pen)
    return good / total


def train_lab(lab: Lab, nation: Nation, world: World, trends: Trends) -> None:
    """The lab's flagship run: cluster, training FLOP, effective compute, OOM score and costs."""
    w, tr = world, trends
    usable = lab.total_stock * power_factor(nation, tr.kw_per_h100e)
    lab.cluster = min(usable * w.frontier_share, tr.cluster_cap)
    lab.quality = fleet_quality(lab, nation, w)
    lab.training_flop = training_flop(
        lab.cluster, w.utilisation, tr.run_duration, w.seconds_per_year, w.h100e_flops, lab.quality
    )
    lab.effective_flop = lab.training_flop * lab.efficiency
    lab.oom = safe_log10(lab.effective_flop)
    lab.headline_cost = lab.cluster * tr.run_duration * tr.rental_price
    lab.total_cost = lab.compute_spend + lab.efficiency_spend


def follower_bonus(labs: Sequence[Lab], world: World) -> None:
    """Following is cheaper than leading: a lab ``gap`` OOM behind this year's leader gains
    ``min(s x gap, b)`` with ``s = follower_bonus_share x diffusion`` and
    ``b = follower_bonus_oom x diffusion``: it makes up a fixed share of its gap (distillation,
    papers and open weights show it the way), up to a cap, and nobody passes the leader."""
    top = max(lab.oom for lab in labs)
    w = world
    share = min(w.follower_bonus_share * w.diffusion, 0.95)
    b = w.follower_bonus_oom * w.diffusion
    for lab in labs:
        raw = lab.oom
        gap = top - raw
        bonus = min(share * gap, b) if gap > 0 and b > 0 else 0.0
        lab.oom = raw + bonus
        lab.d_catchup += bonus - lab.bonus
        lab.bonus = bonus


def score_year(
    labs: Sequence[Lab], nations: Mapping[str, Nation], frontier: FrontierHistory, year: int
) -> Lab:
    """Record this year's frontier and every lab's and nation's lag; return the leading lab.
    A nation's score is its best lab's."""
    leader = max(labs, key=lambda lab: lab.oom)
    frontier.record(year, leader.oom)
    for lab in labs:
        lab.lag_months = frontier.lag_months(lab.oom, year)
    for nation in nations.values():
        best = max(nation.labs, key=lambda lab: lab.oom, default=None)
        nation.best = best
        nation.oom = best.oom if best else 0.0
        nation.lag_months = best.lag_months if best else frontier.lag_months(0.0, year)
    return leader


def sputnik_labs(
    labs: Sequence[Lab], nations: Mapping[str, Nation], leader: Lab, world: World
) -> list[Lab]:
    """Labs of non-allied nations within ``sputnik_lag_months`` of the frontier at under
    ``sputnik_cost_share`` of the leader's headline training cost (a Sputnik moment)."""
    w = world
    return [
        lab
        for lab in labs
        if nations[lab.nation].tier != "ally"
        and lab is not leader
        and lab.lag_months <= w.sputnik_lag_months
        and lab.headline_cost < w.sputnik_cost_share * leader.headline_cost
    ]
