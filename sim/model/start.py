"""The start state: labs join their nations, fleets are sorted into classes, nations get their
power grids, vendors learn last year's home sales, their costs and how long their industry has
lived under controls; the starting fleets are scored for first-year lags."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from sim.config.schema import ORIGINS, Scenario, World
from sim.model.agents import ChipVendor, Lab, Nation
from sim.model.capability import FrontierHistory, diffuse, score_year, train_lab
from sim.model.clearing import DOM, FULL, LINK, MEM, N_CLASSES
from sim.model.controls import ExportControl
from sim.model.finance import share_demand
from sim.model.power import PowerGrid
from sim.model.trends import Trends


def class_kw(world: World, kw_per_h100e: float) -> list[float]:
    """Power per H100e of each fleet class (kW): H20-class and domestic chips draw more."""
    out = [kw_per_h100e] * N_CLASSES
    out[MEM] *= world.kw_factor_variant
    out[DOM] *= world.kw_factor_domestic
    return out


def place_start_stocks(
    scen: Scenario,
    nations: Mapping[str, Nation],
    labs: Sequence[Lab],
    vendors: Sequence[ChipVendor],
    controls: ExportControl,
    kw_per_h100e: float,
) -> None:
    """Set up the start-year state of agents from the scenario (see the module docstring)."""
    c, w = controls, scen.world
    start = scen.horizon.start_year
    for nation in nations.values():
        if nation.power_gw is not None:
            grid = PowerGrid(
                capacity_gw=float(nation.power_gw),
                lead_years=nation.power_lead_years,
                build_rate=nation.power_build_rate,
                build_decay=w.power_build_decay,
                build_floor=w.power_build_floor,
            )
            # Builds already under way: as if the nation had been building at its rate.
            cap = grid.capacity_gw
            for _ in range(max(grid.lead_years, 1) - 1):
                grid.pipeline.append(cap * grid.build_rate)
                cap *= 1.0 + grid.build_rate
            nation.grid = grid
        pens = [
            v.domestic.training_penalty
            for v in vendors
            if v.domestic is not None and v.nation == nation.key
        ]
        nation.domestic_penalty_base = max(pens) if pens else 0.0
    world_stock = sum(lab.compute_h100e for lab in scen.labs.values()) or 1.0
    hbm_limited = c.active and c.hbm_controls
    for v in vendors:
        v.sme_years = max(0, start - c.comply_year) if c.enabled else 0
        if v.domestic is not None:
            if c.targets(nations[v.nation]):
                fade = 0.5 ** (v.sme_years / w.sme_erosion_half_life_years)
                v.premium0 = v.domestic.sme_cost_premium * c.sme_controls * fade
            v.capacity = v.domestic_capacity(hbm_limited)
        # Last year's home-market sales (licence volume caps refer to them): the home nation's
        # share of the starting world stock, applied to this year's capacity.
        home = sum(lab.compute_h100e for lab in scen.labs.values() if lab.nation == v.nation)
        v.last_home_sales_chips = v.capacity * (home / world_stock)
    kw = class_kw(w, kw_per_h100e)
    legal, licensed, smuggled, domestic = (
        ORIGINS.index(o) for o in ("legal", "licensed", "smuggled", "domestic")
    )
    for lab in labs:
        nation = nations[lab.nation]
        nation.labs.append(lab)
        lab.log_eff = math.log(lab.efficiency)
        st = lab.stock
        # Legal stock held by a target nation is compliant variants: H20-class (memory-rich) and
        # A800/H800-class (link-cut).
        variants = c.targets(nation)
        mem = st[legal] * w.start_variant_mem_share if variants else 0.0
        link = st[legal] - mem if variants else 0.0
        full = (0.0 if variants else st[legal]) + st[licensed] + st[smuggled]
        lab.flop = [0.0] * N_CLASSES
        lab.flop[FULL], lab.flop[LINK], lab.flop[MEM], lab.flop[DOM] = full, link, mem, st[domestic]
        lab.serve = [
            full,
            link,
            mem * w.start_variant_serve,
            st[domestic]
            * 1.2,  # Ascend bandwidth per H100e of FLOP (schema: vendors' serve_per_h100e)
        ]
        if nation.grid is not None:
            nation.grid.used_gw += sum(f * k for f, k in zip(lab.flop, kw, strict=True)) / 1e6
    for nation in nations.values():
        g = nation.grid
        if g is not None and g.used_gw > g.capacity_gw:
            g.capacity_gw = g.used_gw  # the starting fleet is plugged in by definition


def rental_pool(nations: Mapping[str, Nation], controls: ExportControl) -> float:
    """Capacity hosts offer to renters from target nations (H100e-years): each host's offered
    share of its owned fleet times its permit for target firms."""
    pool = 0.0
    for n in nations.values():
        if n.rental_host_share > 0 and not controls.targets(n):
            pool += n.rental_host_share * n.rental_permit * sum(lab.owned for lab in n.labs)
    return pool


def score_start_fleets(
    labs: Sequence[Lab],
    nations: Mapping[str, Nation],
    world: World,
    api_access: Mapping[tuple[str, str], float],
    market_access: Mapping[str, Mapping[str, float]],
    frontier: FrontierHistory,
    start_year: int,
) -> Lab:
    """Score the starting fleets with the previous year's trends (first-year deltas and lags);
    returns the leading lab. Two passes: the second sizes serving to the demand the first pass
    implies. Sets each lab's and nation's starting level and each nation's private spending."""
    trends = Trends.at(world, -1)
    for _ in range(2):
        for lab in labs:
            lab.compute_spend = lab.efficiency_spend = 0.0
            lab.d_catchup = 0.0
            train_lab(lab, nations[lab.nation], world, trends, 1.0)
            lab.oom_hist = [lab.own_oom, lab.own_oom]
        diffuse(labs, api_access, world)
        share_demand(labs, nations, market_access, world, world.ai_revenue_usd)
    for lab in labs:
        lab.prev_oom = lab.oom
        lab.oom_hist = [lab.oom, lab.oom]
    leader = score_year(labs, nations, frontier, start_year - 1)
    for nation in nations.values():
        nation.prev_oom = nation.oom
        nation.private_spend = sum(
            lab.external_usd + lab.reinvest_share * lab.revenue_usd for lab in nation.labs
        )
    return leader
