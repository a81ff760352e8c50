"""The chip market's inputs and outputs on the agents' side: this year's offers, buyers and caps
for :mod:`sim.model.clearing`, and what the cleared market delivers back to labs and vendors."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.config.schema import World
from sim.model import clearing
from sim.model.agents import ChipVendor, Lab, Nation
from sim.model.clearing import DOMESTIC_CLASS, RENTED, VARIANT, FloatArray, IntArray, Offer
from sim.model.controls import ExportControl, Terms
from sim.model.market import scarcity_multiplier
from sim.model.penalties import domestic_penalty, hardware_penalty

SMUGGLE_MAX = 0.95  # smuggling never takes all denied money, however noisy the year


@dataclass(frozen=True)
class OfferPlan:
    """Which offer of the control regime's menus each entry of the book is, and which entries
    take their quality from the lab's research: reused from year to year while the menus have
    the same shape and the labs the same filters, so only the numbers are refreshed."""

    shape: tuple[Any, ...]
    layout: clearing.Layout
    row: IntArray  #: per entry: its row in the year's menus
    variants: list[tuple[int, int]]  #: (entry, lab) of compliant-variant offers
    domestic: list[tuple[int, int, int]]  #: (entry, lab, vendor) of domestic-chip offers


def offer_book(
    labs: Sequence[Lab],
    nations: dict[str, Nation],
    vendors: Sequence[ChipVendor],
    controls: ExportControl,
    world: World,
    terms: Terms,
    mineral_ban: bool,
    plan: OfferPlan | None,
) -> tuple[clearing.OfferBook, OfferPlan]:
    """Every offer of the year: the control regime decides the channels per buyer nation and
    vendor (its menus); each lab's training penalties (variants, domestic chips) set their
    quality. Returns the book and the plan to pass back next year."""
    w = world
    mineral = 1.0 + w.mineral_cost_increase if mineral_ban else 1.0
    prices = [
        v.price_per_h100e * v.scarcity * (mineral if v.nation == controls.controller else 1.0)
        for v in vendors
    ]
    rows: list[Offer] = []
    menus: dict[str, list[tuple[int, int, int]]] = {}
    for key, nation in nations.items():
        menu = menus[key] = []
        for vi, v in enumerate(vendors):
            offers = controls.offers(nation, v, prices[vi], terms)
            if offers:
                menu.append((vi, len(rows), len(rows) + len(offers)))
                rows.extend(offers)
    shape = (
        tuple((o.channel, o.pclass, o.denied) for o in rows),
        tuple(tuple(m) for m in menus.values()),
        tuple((lab.nation, lab.rent_abroad) for lab in labs),
        tuple(v.exclusive_buyers for v in vendors),
    )
    if plan is None or plan.shape != shape:
        plan = _plan(labs, vendors, menus, rows, shape)
    price = np.array([o.price for o in rows])[plan.row]
    quality = np.ones(len(plan.row))
    variant_q = [
        1.0
        - hardware_penalty(
            w.variant_training_penalty, lab.cum_efficiency_spend, w.penalty_mitigation_usd
        )
        for lab in labs
    ]
    for entry, li in plan.variants:
        quality[entry] = variant_q[li]
    for entry, li, vi in plan.domestic:
        lab, d = labs[li], vendors[vi].domestic
        assert d is not None
        nation = nations[lab.nation]
        quality[entry] = 1.0 - domestic_penalty(
            d.training_penalty,
            nation.cum_domestic_h100e,
            w.domestic_penalty_learning_h100e,
            lab.cum_efficiency_spend,
            w.penalty_mitigation_usd,
        )
    return clearing.OfferBook(
        len(labs),
        len(vendors),
        plan.layout,
        price,
        np.array([o.chip_perf for o in rows])[plan.row],
        quality,
        price / quality,
    ), plan


def _plan(
    labs: Sequence[Lab],
    vendors: Sequence[ChipVendor],
    menus: dict[str, list[tuple[int, int, int]]],
    rows: list[Offer],
    shape: tuple[Any, ...],
) -> OfferPlan:
    """Expand the menus lab by lab: a vendor with exclusive buyers sells only to them, and only
    labs willing to rent abroad get rented offers."""
    book = clearing.OfferBookBuilder(len(labs), len(vendors))
    row: list[int] = []
    variants: list[tuple[int, int]] = []
    domestic: list[tuple[int, int, int]] = []
    for li, lab in enumerate(labs):
        for vi, start, end in menus[lab.nation]:
            v = vendors[vi]
            if v.exclusive_buyers and lab.key not in v.exclusive_buyers:
                continue
            for r in range(start, end):
                o = rows[r]
                if o.channel == RENTED and not lab.rent_abroad:
                    continue
                if o.pclass == VARIANT:
                    variants.append((len(row), li))
                elif o.pclass == DOMESTIC_CLASS:
                    domestic.append((len(row), li, vi))
                book.add(li, vi, o.channel, o.price, o.chip_perf, 1.0, o.pclass, o.denied)
                row.append(r)
    layout = book.build().layout
    return OfferPlan(shape, layout, np.array(row, dtype=np.intp), variants, domestic)


def buyers(
    labs: Sequence[Lab],
    nations: dict[str, Nation],
    world: World,
    controls: ExportControl,
    smuggle: float,
) -> clearing.Buyers:
    """Per-lab clearing inputs: budget, nation, leakage shares, domestic mandate."""
    index = {key: i for i, key in enumerate(nations)}
    rent = world.rental_max_share if controls.cloud_loophole_open else 0.0
    return clearing.Buyers(
        budget=np.array([lab.compute_budget for lab in labs]),
        nation=np.array([index[lab.nation] for lab in labs], dtype=np.intp),
        n_nations=len(index),
        smuggle=np.full(len(labs), smuggle),
        rent=np.array([rent if lab.rent_abroad else 0.0 for lab in labs]),
        domestic_min=np.array([nations[lab.nation].domestic_mandate_share for lab in labs]),
    )


def smuggle_share(base: float, noise: float) -> float:
    """This year's smuggling share of denied money: the enforcement-driven share times noise."""
    return min(base * noise, SMUGGLE_MAX)


def caps(
    controls: ExportControl,
    labs: Sequence[Lab],
    nations: dict[str, Nation],
    vendors: Sequence[ChipVendor],
    layout: clearing.Layout,
) -> clearing.Caps:
    """This year's licence volume caps and diffusion-rule tier-2 caps."""
    c = controls
    lic = None
    if c.licence.enabled:
        lic = np.array([c.licence.volume_cap_share * v.last_home_sales_chips for v in vendors])
    if not (c.active and c.tier2_cap_h100e is not None):
        return clearing.Caps(licence_chips=lic)
    restricted = np.array([nations[lab.nation].tier == "restricted" for lab in labs])
    controlled = np.array([c.controlled(v) for v in vendors])
    entry = (
        ((layout.channel == clearing.LEGAL) | (layout.channel == clearing.LICENSED))
        & ~layout.denied
        & restricted[layout.lab]
        & controlled[layout.vendor]
    )
    return clearing.Caps(lic, c.tier2_cap_h100e, entry)


def settle_vendors(
    vendors: Sequence[ChipVendor], got: clearing.Delivery, demand: FloatArray, world: World
) -> None:
    """Vendors' sales, revenue and HBM use, and next year's prices and capacity pull."""
    w = world
    ordered = demand.tolist()
    sold, home, revenue = got.sold_chips.tolist(), got.home_chips.tolist(), got.revenue.tolist()
    for i, v in enumerate(vendors):
        v.next_scarcity = scarcity_multiplier(ordered[i], v.capacity, w.scarcity_price_elasticity)
        # Orders beyond capacity pull capacity forward (fabs, packaging lines follow orders).
        v.expansion = scarcity_multiplier(ordered[i], v.capacity, w.supply_response)
        v.demand_chips = ordered[i]
        v.sold_chips = sold[i]
        v.home_sales_chips = home[i]
        v.revenue = revenue[i]
        if v.domestic is not None:
            used = v.sold_chips * v.domestic.hbm_stacks_per_chip
            v.hbm_stockpile -= min(used, v.hbm_stockpile)


def settle_labs(labs: Sequence[Lab], got: clearing.Delivery) -> None:
    """Labs pay for and receive their compute; unspent money stays as cash."""
    spend, bought, bought_class = got.spend.tolist(), got.bought.tolist(), got.bought_class.tolist()
    for i, lab in enumerate(labs):
        lab.compute_spend = spend[i]
        lab.bought = bought[i]
        lab.bought_class = bought_class[i]
        # max(): rounding can leave a few 1e-8 dollars below zero when everything was spent
        lab.cash = max(0.0, lab.budget - lab.efficiency_spend - lab.compute_spend)
        if lab.compute_budget > 0:
            lab.fill_rate = lab.compute_spend / lab.compute_budget


def advance_vendors(
    vendors: Sequence[ChipVendor],
    nations: Mapping[str, Nation],
    controls: ExportControl,
    world: World,
) -> None:
    """Chip technology and supply move on a year: prices per H100e fall, foreign capacity grows
    (faster when last year's orders exceeded it), a disruption recovers; a substitute industry
    grows dies, yield and performance, slowed by equipment controls that fade with time."""
    w, c = world, controls
    recovery = math.exp(-1.0 / w.taiwan_recovery_years)
    hbm_limited = c.active and c.hbm_controls
    for v in vendors:
        v.scarcity = v.next_scarcity
        v.last_home_sales_chips = v.home_sales_chips
        v.disruption *= recovery
        v.price_per_h100e /= w.price_performance_growth
        d = v.domestic
        if d is None:
            v.growth = 1.0 + (v.growth - 1.0) * v.capacity_growth_decay
            v.capacity_chips *= v.growth * v.expansion
            v.capacity = v.capacity_chips * (1.0 - v.disruption)
            v.perf *= v.perf_growth
            continue
        slow = 1.0
        if c.targets(nations[v.nation]):
            # Controls bite less each year as the target builds its own tools.
            v.sme_years += 1
            fade = 0.5 ** (v.sme_years / w.sme_erosion_half_life_years)
            slow -= c.sme_effect * c.sme_controls * fade
        v.gross_dies *= (1.0 + (d.dies_growth - 1.0) * slow) * v.expansion
        v.yield_rate += d.yield_learning * slow * (d.yield_max - v.yield_rate)
        v.perf *= 1.0 + (v.perf_growth - 1.0) * slow
        v.hbm_domestic *= d.hbm_domestic_growth
        v.capacity = v.domestic_capacity(hbm_limited)
