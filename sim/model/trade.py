"""The chip market's inputs and outputs on the agents' side: this year's offers, buyers and caps
for :mod:`sim.model.clearing`, what the cleared market delivers back to labs and vendors, and
how vendors' costs, prices and capacity move on."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.config.schema import World
from sim.model import clearing
from sim.model.agents import ChipVendor, Lab, Nation
from sim.model.clearing import DOM, LINK, RENTED, FloatArray, IntArray, Offer
from sim.model.controls import ExportControl, Terms
from sim.model.penalties import domestic_penalty, hardware_penalty
from sim.model.supply import expansion_order, scarcity, smooth_price, target_price, utilisation
from sim.model.trends import Trends

SMUGGLE_MAX = 0.95  # smuggling never takes all denied money, however noisy the year


@dataclass(frozen=True)
class OfferPlan:
    """Which offer of the control regime's menus each entry of the book is, and which entries
    take their quality from the lab's research: reused from year to year while the menus have
    the same shape and the labs the same filters, so only the numbers are refreshed."""

    shape: tuple[Any, ...]
    layout: clearing.Layout
    row: IntArray  #: per entry: its row in the year's menus
    lab: IntArray  #: per entry: the buying lab
    vendor: IntArray  #: per entry: the selling vendor
    links: list[tuple[int, int]]  #: (entry, lab) of link-cut variant offers (a training penalty)
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
    vendor (its menus); each lab's training penalties (link-cut variants, domestic chips) and its
    vendors' software set their training value, and its serving weight blends in their serving
    value. Returns the book and the plan to pass back next year."""
    w = world
    mineral = 1.0 + w.mineral_cost_increase if mineral_ban else 1.0
    prices = [
        v.price_per_h100e * (mineral if v.nation == controls.controller else 1.0) for v in vendors
    ]
    rows: list[Offer] = []
    menus: list[tuple[tuple[int, int, int], ...]] = []
    for nation in nations.values():
        menu = []
        for vi, v in enumerate(vendors):
            offers = controls.offers(nation, v, prices[vi], terms)
            if offers:
                menu.append((vi, len(rows), len(rows) + len(offers)))
                rows.extend(offers)
        menus.append(tuple(menu))
    # the menus' columns (Offer field order)
    channel, price_of, perf_of, pclass, denied, chip_price_of, serve_of, kw_of = (
        zip(*rows, strict=True) if rows else ((),) * len(Offer._fields)
    )
    shape = (
        tuple(zip(channel, pclass, denied, strict=True)),
        tuple(menus),
        tuple(nations),
        tuple((lab.key, lab.nation, lab.rent_abroad) for lab in labs),
        tuple(v.exclusive_buyers for v in vendors),
    )
    if plan is None or plan.shape != shape:
        plan = _plan(shape)
    r = plan.row
    price = np.array(price_of, dtype=np.float64)[r]
    software = np.array([v.software_quality for v in vendors])[plan.vendor]
    # The software stack sets how much of a chip's bandwidth serves customers, as it sets how
    # much of its FLOP trains (ROCm, CANN against CUDA).
    serve = np.array(serve_of, dtype=np.float64)[r] * software
    quality = software.copy()
    for entry, li in plan.links:
        lab = labs[li]
        quality[entry] *= 1.0 - hardware_penalty(
            w.variant_training_penalty, lab.cum_efficiency_spend, w.penalty_mitigation_usd
        )
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
    sw = np.array([lab.serve_weight for lab in labs])[plan.lab]
    value = (1.0 - sw) * quality + sw * serve
    return clearing.OfferBook(
        len(labs),
        len(vendors),
        plan.layout,
        price,
        np.array(perf_of, dtype=np.float64)[r],
        quality,
        price / np.where(value > 0, value, 1e-12),
        np.array(chip_price_of, dtype=np.float64)[r],
        serve,
        np.array(kw_of, dtype=np.float64)[r],
    ), plan


def best_controller_perf(vendors: Sequence[ChipVendor], controls: ExportControl) -> float:
    """H100e per chip of the controller's best flagship (indexed licence ceilings)."""
    perfs = [v.perf for v in vendors if v.nation == controls.controller and v.domestic is None]
    return max(perfs, default=1.0)


def terms(
    world: World,
    trends: Trends,
    year: int,
    rental_open: bool,
    vendors: Sequence[ChipVendor],
    controls: ExportControl,
) -> Terms:
    """This year's market terms shared by every offer."""
    w, tr = world, trends
    return Terms(
        year=year,
        rental_price=tr.rental_price,
        smuggling_premium=w.smuggling_premium,
        rental_abroad_premium=w.rental_abroad_premium,
        variant_price_factor=w.variant_price_factor,
        kw_per_h100e=tr.kw_per_h100e,
        facility_usd_per_kw=w.facility_usd_per_kw,
        kw_factor_variant=w.kw_factor_variant,
        kw_factor_domestic=w.kw_factor_domestic,
        rental_open=rental_open,
        best_controller_perf=best_controller_perf(vendors, controls),
    )


def list_prices(
    labs: Sequence[Lab],
    book: clearing.OfferBook,
    buyers: clearing.Buyers,
    first_share: float,
    elasticity: float,
    min_fill_rate: float,
) -> None:
    """Each lab's list price per unit of training value (``lab.list_price``), at the split it
    would choose for training alone, and its effective price: access counts as price, so a lab
    that got only part of the chips it paid for last year (rationed, denied) faces a
    proportionally higher price. ``book`` may hold each lab twice (:func:`split_year`): the old
    rules' share of the year is ``first_share``."""
    n = len(labs)
    split = [0.0] * len(book)
    # every offer open: the shares are the logit weights at the training cost, renormalised
    weights = clearing.weigh(book, elasticity, (book.price / book.quality).tolist())
    clearing.split_labs(
        book.layout,
        range(book.n_labs),
        [True] * len(book),
        [],
        elasticity,
        None,
        buyers.smuggle.tolist(),
        buyers.rent.tolist(),
        buyers.domestic_min.tolist(),
        split,
        weights.share,
        True,
    )
    shares = np.array(split)
    if book.n_labs > n:
        f = first_share
        lab_weight = np.concatenate([np.full(n, f), np.full(n, 1.0 - f)])
        shares = shares * lab_weight[book.layout.lab]
    lab_of = book.layout.lab % n
    spent = np.bincount(lab_of, shares, n).tolist()
    eff_cost = np.bincount(lab_of, shares * book.price / book.quality, n).tolist()
    for i, lab in enumerate(labs):
        lab.list_price = eff_cost[i] / spent[i] if spent[i] > 0 else math.inf
        fill = lab.fill_rate
        lab.effective_price = lab.list_price / (min_fill_rate if min_fill_rate > fill else fill)


@functools.lru_cache(maxsize=256)
def _plan(shape: tuple[Any, ...]) -> OfferPlan:
    """Expand the menus lab by lab: a vendor with exclusive buyers sells only to them, and only
    labs willing to rent abroad get rented offers. A pure function of the ``shape`` that
    :func:`offer_book` builds (offer kinds, menus per nation, nation ids, labs, exclusive
    buyers), so plans are built once per process and shared by every run with that shape."""
    kinds, menu_list, nation_ids, lab_info, exclusive = shape
    menus = dict(zip(nation_ids, menu_list, strict=True))
    keys: list[tuple[int, int, int, int, bool]] = []
    row: list[int] = []
    lab_of: list[int] = []
    vendor_of: list[int] = []
    links: list[tuple[int, int]] = []
    domestic: list[tuple[int, int, int]] = []
    for li, (key, nation, rent_abroad) in enumerate(lab_info):
        for vi, start, end in menus[nation]:
            if exclusive[vi] and key not in exclusive[vi]:
                continue
            for r in range(start, end):
                channel, pclass, denied = kinds[r]
                if channel == RENTED and not rent_abroad:
                    continue
                if pclass == LINK:
                    links.append((len(row), li))
                elif pclass == DOM:
                    domestic.append((len(row), li, vi))
                keys.append((li, vi, channel, pclass, denied))
                row.append(r)
                lab_of.append(li)
                vendor_of.append(vi)
    return OfferPlan(
        shape,
        clearing.Layout.of(keys, len(lab_info)),
        np.array(row, dtype=np.intp),
        np.array(lab_of, dtype=np.intp),
        np.array(vendor_of, dtype=np.intp),
        links,
        domestic,
    )


def split_year(
    before: clearing.OfferBook, after: clearing.OfferBook, n_labs: int
) -> clearing.OfferBook:
    """One book for a year whose rules change within it: each lab appears twice, as buyer
    ``i`` under the old rules and as buyer ``n_labs + i`` under the new ones."""
    keys = list(before.layout.keys) + [
        (li + n_labs, vi, ch, pc, den) for li, vi, ch, pc, den in after.layout.keys
    ]
    layout = clearing.Layout.of(keys, 2 * n_labs)

    def cat(a: FloatArray, b: FloatArray) -> FloatArray:
        return np.concatenate([a, b])

    return clearing.OfferBook(
        2 * n_labs,
        before.n_vendors,
        layout,
        cat(before.price, after.price),
        cat(before.chip_perf, after.chip_perf),
        cat(before.quality, after.quality),
        cat(before.cost, after.cost),
        cat(before.chip_price, after.chip_price),
        cat(before.serve, after.serve),
        cat(before.kw, after.kw),
    )


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


def twice(buyers: clearing.Buyers, first_share: float) -> clearing.Buyers:
    """Buyers for a :func:`split_year` book: each lab twice, with ``first_share`` of its budget
    under the old rules and the rest under the new."""

    def cat(x: Any) -> Any:
        return np.concatenate([x, x])

    return clearing.Buyers(
        budget=np.concatenate([first_share * buyers.budget, (1.0 - first_share) * buyers.budget]),
        nation=cat(buyers.nation),
        n_nations=buyers.n_nations,
        smuggle=cat(buyers.smuggle),
        rent=cat(buyers.rent),
        domestic_min=cat(buyers.domestic_min),
    )


def smuggle_share(base: float, noise: float) -> float:
    """This year's smuggling share of denied money: the enforcement-driven share times noise."""
    share = base * noise
    return SMUGGLE_MAX if share > SMUGGLE_MAX else share


def caps(
    controls: ExportControl,
    labs: Sequence[Lab],
    nations: dict[str, Nation],
    vendors: Sequence[ChipVendor],
    layout: clearing.Layout,
    rental_pool: float,
) -> clearing.Caps:
    """This year's quantity limits: licence volume caps, diffusion-rule tier-2 caps, each
    nation's free data-centre power and the hosts' rental pool."""
    c = controls
    lic = None
    if c.licence.enabled:
        lic = np.array([c.licence.volume_cap_share * v.last_home_sales_chips for v in vendors])
    grids = [n.grid for n in nations.values()]
    power = None
    if any(g is not None for g in grids):
        power = np.array([g.free_gw * 1e6 if g is not None else math.inf for g in grids])
    if not (c.active and c.tier2_cap_h100e is not None):
        return clearing.Caps(licence_chips=lic, power_kw=power, rental_pool=rental_pool)
    n_labs = len(labs)
    restricted = np.array([nations[lab.nation].tier == "restricted" for lab in labs])
    controlled = np.array([c.controlled(v) for v in vendors])
    entry = (
        ((layout.channel == clearing.LEGAL) | (layout.channel == clearing.LICENSED))
        & ~layout.denied
        & restricted[layout.lab % n_labs]
        & controlled[layout.vendor]
    )
    return clearing.Caps(lic, c.tier2_cap_h100e, entry, power, rental_pool)


def settle_vendors(
    vendors: Sequence[ChipVendor], got: clearing.Delivery, demand: FloatArray
) -> None:
    """Vendors' sales, revenue, the orders that signal scarcity, and their use of banked dies
    and HBM."""
    ordered = demand.tolist()
    sold, home, revenue = got.sold_chips.tolist(), got.home_chips.tolist(), got.revenue.tolist()
    for i, v in enumerate(vendors):
        v.demand_chips = ordered[i]
        v.utilisation = utilisation(ordered[i], v.capacity)
        v.sold_chips = sold[i]
        v.home_sales_chips = home[i]
        v.revenue = revenue[i]
        d = v.domestic
        if d is not None:
            banked = v.bank_release() * d.yield_max
            v.die_bank -= min(v.sold_chips, banked) / d.yield_max
            used = v.sold_chips * d.hbm_stacks_per_chip
            v.hbm_stockpile -= min(used, v.hbm_stockpile)


def settle_labs(labs: Sequence[Lab], got: clearing.Delivery) -> None:
    """Labs pay for and receive their compute; unspent money stays as cash. A book with each
    lab twice (rules changing within the year) folds back onto the labs."""
    n = len(labs)

    def fold(x: FloatArray) -> list[Any]:
        folded: list[Any] = (x[:n] + x[n:] if len(x) == 2 * n else x).tolist()
        return folded

    spend, facility = fold(got.spend), fold(got.facility)
    bought, bought_class, bought_serve = (
        fold(got.bought),
        fold(got.bought_class),
        fold(got.bought_serve),
    )
    for i, lab in enumerate(labs):
        lab.compute_spend = spend[i]
        lab.facility_spend = facility[i]
        lab.bought = bought[i]
        lab.bought_class = bought_class[i]
        lab.bought_serve = bought_serve[i]
        # max(): rounding can leave a few 1e-8 dollars below zero when everything was spent
        cash = lab.budget - lab.efficiency_spend - lab.compute_spend
        lab.cash = cash if cash > 0.0 else 0.0
        if lab.compute_budget > 0:
            lab.fill_rate = lab.compute_spend / lab.compute_budget


def settle_nations(
    nations: Mapping[str, Nation], got: clearing.Delivery, power_demand: FloatArray
) -> None:
    """Nations learn their domestic chips (cumulative purchases), plug in this year's owned chips
    and note the power their labs wanted (kW), which their grids build for."""
    wanted, new = power_demand.tolist(), got.new_kw.tolist()
    for i, nation in enumerate(nations.values()):
        nation.cum_domestic_h100e = float(got.domestic_h100e[i])
        if nation.grid is not None:
            nation.grid.demand_gw = wanted[i] / 1e6
            nation.grid.used_gw += new[i] / 1e6


def refresh_domestic_capacity(vendors: Sequence[ChipVendor], controls: ExportControl) -> None:
    """Domestic (substitute) vendors' output this year, after an event changed yield or HBM."""
    hbm_limited = controls.active and controls.hbm_controls
    for v in vendors:
        if v.domestic is not None:
            v.capacity = v.domestic_capacity(hbm_limited)


def advance_vendors(
    vendors: Sequence[ChipVendor],
    nations: Mapping[str, Nation],
    controls: ExportControl,
    world: World,
) -> None:
    """Chip technology and supply move on a year.

    Prices move toward cost x markup x utilisation^e (never below cost) by at most
    ``price_adjust_max``; a foreign vendor's unit cost falls at its own rate, its capacity grows on
    a decaying trend (as far as last year's capacity was used) plus
    expansions ordered a lead time ago for orders beyond its undisrupted potential, and a
    disruption recovers toward that potential (never above). A substitute industry grows dies,
    yield and performance, slowed by equipment controls that fade with time and that also raise
    its cost; domestic HBM output grows.
    """
    w, c = world, controls
    recovery = math.exp(-1.0 / w.taiwan_recovery_years)
    hbm_limited = c.active and c.hbm_controls
    lead = w.supply_lead_years
    for v in vendors:
        v.last_home_sales_chips = v.home_sales_chips
        v.disruption *= recovery
        target = target_price(
            v.cost_per_h100e, v.markup, v.utilisation, w.scarcity_price_elasticity
        )
        v.price_per_h100e = smooth_price(v.price_per_h100e, target, w.price_adjust_max)
        d = v.domestic
        if d is None:
            v.cost_per_h100e /= v.cost_decline
            v.growth = 1.0 + (v.growth - 1.0) * v.capacity_growth_decay
            # Nobody builds for orders that are not there: the trend applies as far as capacity
            # was used; ``idle_capacity_build`` below 1 also holds back while capacity sits idle
            # (at 0 a vendor builds only when orders grown by the trend exceed its capacity).
            used = min(1.0, v.utilisation)
            k = w.idle_capacity_build  # at 1 the blend is exactly the first term
            trend = k * (1.0 + (v.growth - 1.0) * used) + (1.0 - k) * max(1.0, used * v.growth)
            # Fabs expand for orders beyond what they could make undisrupted: a shock raises
            # prices, not the long-run build-out.
            order = expansion_order(
                scarcity(v.demand_chips, v.potential), w.supply_response, w.supply_response_cap
            )
            while len(v.pipeline) < lead:
                v.pipeline.append(0.0)
            v.pipeline[lead - 1] += order
            v.potential *= trend * (1.0 + v.pipeline.pop(0))
            v.capacity = v.potential * (1.0 - v.disruption)
            v.perf *= v.perf_growth
            continue
        slow, premium = 1.0, 0.0
        if c.targets(nations[v.nation]) and c.sme_controls > 0:
            # Controls bite less each year as the target builds its own tools.
            v.sme_years += 1
            fade = 0.5 ** (v.sme_years / w.sme_erosion_half_life_years)
            slow -= c.sme_effect * c.sme_controls * fade
            premium = d.sme_cost_premium * c.sme_controls * fade
        v.gross_dies *= 1.0 + (v.dies_growth - 1.0) * slow
        v.yield_rate += d.yield_learning * slow * (d.yield_max - v.yield_rate)
        v.perf *= 1.0 + (v.perf_growth - 1.0) * slow
        # Unit cost: the node's trend slowed like its progress; yield and the equipment premium
        # move it relative to the start.
        v.base_cost /= 1.0 + (v.cost_decline - 1.0) * slow
        v.cost_per_h100e = (
            v.base_cost * (v.yield_start / v.yield_rate) * (1.0 + premium) / (1.0 + v.premium0)
        )
        v.hbm_domestic *= d.hbm_domestic_growth
        v.capacity = v.domestic_capacity(hbm_limited)
