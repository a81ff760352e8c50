"""Capability: serving and training, flagship runs, diffusion, the frontier and the lag in months."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Mapping, Sequence

from sim.config.schema import World
from sim.model.agents import Lab, Nation
from sim.model.algorithms import training_flop
from sim.model.clearing import DOM, FULL, LINK, MEM, RENTED, SERVE_ORDER
from sim.model.diffusion import Teacher, board, learn, teacher_levels
from sim.model.market import safe_log10
from sim.model.penalties import domestic_penalty, hardware_penalty
from sim.model.serving import assign_serving, serving_units_needed
from sim.model.trends import Trends

assert (FULL, LINK, MEM, DOM) == (0, 1, 2, 3)  # a fleet's classes unpack in this order


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
        months = 12.0 * (year - self.first_reached(score))
        return months if months > 0.0 else 0.0


def train_lab(lab: Lab, nation: Nation, world: World, trends: Trends, demand_growth: float) -> None:
    """The lab's year of compute: it serves first (from its best-bandwidth classes, up to
    ``serving_fleet_max_share`` of its fleet, for the demand it expects), trains on the rest:
    ``flagship_share`` into its largest run, capped by the world's largest cluster and by a share
    of its nation's power; own capability = log10(FLOP x efficiency x necessity edge)."""
    w, tr = world, trends
    lab.serve_need = need = serving_units_needed(
        lab.demand_usd * demand_growth, w.serving_cost_share, tr.serve_unit_cost
    )
    flop = lab.flop
    bw = [s / f if f > 0 else 0.0 for s, f in zip(lab.serve, flop, strict=True)]
    left, lab.serve_covered = assign_serving(
        flop, bw, need, SERVE_ORDER, w.serving_fleet_max_share * sum(flop)
    )
    full, link, mem, dom = left
    rented = lab.stock[RENTED]
    raw = full + link + mem + dom + rented
    good = full + rented + mem
    # A class with no compute adds 0.0 to the sum whatever its penalty: skip the penalty.
    if link:
        good += link * (
            1.0
            - hardware_penalty(
                w.variant_training_penalty, lab.cum_efficiency_spend, w.penalty_mitigation_usd
            )
        )
    if dom:
        good += dom * (
            1.0
            - domestic_penalty(
                nation.domestic_penalty_base,
                nation.cum_domestic_h100e,
                w.domestic_penalty_learning_h100e,
                lab.cum_efficiency_spend,
                w.penalty_mitigation_usd,
            )
        )
    lab.quality = good / raw if raw > 0 else 1.0
    lab.training_h100e = raw
    cap = tr.cluster_cap
    if nation.grid is not None:
        site = w.max_site_share * nation.grid.capacity_gw * 1e6 / tr.kw_per_h100e
        cap = site if site < cap else cap
    run = raw * lab.flagship_share
    lab.cluster = cap if cap < run else run
    lab.training_flop = training_flop(
        lab.cluster, tr.utilisation, tr.run_duration, w.seconds_per_year, w.h100e_flops, lab.quality
    )
    lab.effective_flop = lab.training_flop * lab.efficiency * math.exp(lab.adapt)
    lab.own_oom = safe_log10(lab.effective_flop)
    lab.headline_cost = lab.cluster * tr.run_duration * tr.rental_price
    lab.total_cost = lab.compute_spend + lab.efficiency_spend


def diffuse(labs: Sequence[Lab], access: Mapping[tuple[str, str], float], world: World) -> None:
    """Capability through channels: each lab learns from the best open-weight model and the best
    closed model it can query (:func:`sim.model.diffusion.distillation_bonus`)."""
    w = world
    teachers = [
        Teacher(lab.key, lab.nation, lab.own_oom, lab.oom_hist[1], lab.open_weights) for lab in labs
    ]
    classroom = board(
        teachers, teacher_levels(teachers, w.open_lag_years, w.api_lag_years, w.diffusion)
    )
    scale = w.diffusion
    s_open, s_api, cap = w.open_share * scale, w.api_share * scale, w.max_bonus_oom * scale
    reachable = {n: classroom.reachable(n, access) for n in {lab.nation for lab in labs}}
    for i, lab in enumerate(labs):
        bonus, who = learn(lab.own_oom, i, classroom, reachable[lab.nation], s_open, s_api, cap)
        lab.oom = lab.own_oom + bonus
        lab.d_catchup += bonus - lab.bonus
        lab.bonus = bonus
        lab.teacher = who


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


def sputnik_lab(
    labs: Sequence[Lab], nations: Mapping[str, Nation], leader: Lab, world: World
) -> Lab | None:
    """The lab that makes this year a Sputnik moment, if any: of the labs of non-allied nations
    within ``sputnik_lag_months`` of the frontier at under ``sputnik_cost_share`` of the leader's
    headline training cost, the closest to the frontier (then the cheapest)."""
    w = world
    candidates = [
        lab
        for lab in labs
        if nations[lab.nation].tier != "ally"
        and lab is not leader
        and lab.lag_months <= w.sputnik_lag_months
        and lab.headline_cost < w.sputnik_cost_share * leader.headline_cost
    ]
    return min(candidates, key=lambda x: (x.lag_months, x.headline_cost), default=None)
