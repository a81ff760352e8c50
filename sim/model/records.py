"""The model's output rows: one typed record per year, nation, lab, vendor, flow and event.

Rows are NamedTuples appended once per year; :func:`sim.results.run` turns them into pandas
DataFrames after the run, keeping pandas out of the yearly loop. Read a row's values by name
(``row.lag_months``); the column order of each table is its record's field order.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import mesa

from sim.config.schema import ORIGINS
from sim.model.start import class_kw

if TYPE_CHECKING:
    from sim.model.model import ComputeRaceModel


class YearRow(NamedTuple):
    """World-level numbers of one year."""

    year: int
    frontier_oom: float
    frontier_lab: str
    frontier_nation: str
    world_compute_h100e: float
    sputnik_moment: bool
    sputnik_lab: str
    world_ai_revenue_usd: float
    world_ai_demand_usd: float  #: what users would pay (revenue needs serving capacity)
    rental_pool_h100e: float  #: capacity foreign hosts offered to renters from target nations
    rented_h100e: float  #: of which rented
    licence_fees_usd: float
    largest_cluster_h100e: float
    enforcement: float
    cloud_loophole_open: bool
    events: str  #: titles of the events and reactions of the year, "; "-separated


class NationRow(NamedTuple):
    """One nation in one year (origin shares are of its compute stock)."""

    year: int
    nation: str
    tier: str
    oom: float
    lag_months: float
    frontier_gap_oom: float  #: frontier OOM minus the nation's (beside lag_months)
    compute_h100e: float
    compute_share: float
    largest_run_flop: float
    legal_share: float
    licensed_share: float
    smuggled_share: float
    rented_share: float
    domestic_chip_share: float
    efficiency_spend_share: float  #: budget-weighted efficiency share its labs chose
    ai_spend_usd: float
    compute_spend_usd: float
    facility_spend_usd: float  #: data-centre part of the compute spend
    #: data centres built this year, as filings book capex (paid over the build; see power.py)
    construction_spend_usd: float
    #: AI capex as filings count it: chips bought for owned fleets + data-centre construction
    ai_capex_usd: float
    efficiency_spend_usd: float
    revenue_usd: float
    subsidy_usd: float
    power_capacity_gw: float  #: AI data-centre power (0: unlimited)
    power_used_gw: float  #: drawn by its owned fleet
    best_lab: str
    d_oom: float
    d_oom_compute: float
    d_oom_efficiency: float
    d_oom_catchup: float


class LabRow(NamedTuple):
    """One lab in one year."""

    year: int
    lab: str
    nation: str
    strategy: str
    oom: float
    lag_months: float
    compute_h100e: float
    legal_h100e: float
    licensed_h100e: float
    smuggled_h100e: float
    rented_h100e: float
    domestic_h100e: float
    efficiency: float
    budget_usd: float
    inflow_usd: float
    cash_start_usd: float
    cash_usd: float
    programme_usd: float
    compute_spend_usd: float
    efficiency_spend_usd: float
    efficiency_share: float
    effective_price_usd: float
    constraint: float  #: 1 - median allied lab's price / own price
    serving_need_units: float
    serving_covered_units: float
    facility_spend_usd: float
    training_h100e: float  #: compute left for training and experiments after serving (R&D)
    cluster_h100e: float
    training_quality: float
    training_flop: float
    effective_flop: float
    own_oom: float  #: from its own compute and algorithms
    diffusion_bonus_oom: float  #: learned from better models (open weights, APIs)
    teacher: str  #: the model it learned most from
    headline_training_cost_usd: float
    total_cost_usd: float
    revenue_usd: float
    market_share: float
    open_weights: bool
    d_oom: float
    d_oom_compute: float
    d_oom_efficiency: float
    d_oom_catchup: float


class FlowRow(NamedTuple):
    """Compute from one vendor to one buyer nation through one channel in one year."""

    year: int
    vendor: str
    buyer: str
    channel: str
    h100e: float
    chips: float
    revenue_usd: float
    spend_usd: float


class VendorRow(NamedTuple):
    """One chip vendor in one year."""

    year: int
    vendor: str
    nation: str
    capacity_chips: float
    demand_chips: float
    sold_chips: float
    perf_h100e: float
    price_per_h100e_usd: float
    revenue_usd: float


class EventRow(NamedTuple):
    """Something that happened: kind ``event``, ``reaction``, ``sputnik`` or ``proposal``."""

    year: int
    kind: str
    title: str


YEAR_COLUMNS = YearRow._fields
NATION_COLUMNS = NationRow._fields
LAB_COLUMNS = LabRow._fields
FLOW_COLUMNS = FlowRow._fields
VENDOR_COLUMNS = VendorRow._fields
EVENT_COLUMNS = EventRow._fields
assert LAB_COLUMNS[7:12] == tuple(f"{o}_h100e" for o in ORIGINS)
assert NATION_COLUMNS[9:14] == (*(f"{o}_share" for o in ORIGINS[:4]), "domestic_chip_share")

Getter = Callable[[Any], tuple[Any, ...]]

#: Each output table: the model's attribute holding its rows, and the rows' record type.
TABLES: dict[str, tuple[str, type[Any]]] = {
    "years": ("year_rows", YearRow),
    "nations": ("nation_rows", NationRow),
    "labs": ("lab_rows", LabRow),
    "flows": ("flow_rows", FlowRow),
    "vendors": ("vendor_rows", VendorRow),
}


@functools.cache
def fields_of(record: type[Any], kinds: tuple[type, ...]) -> tuple[tuple[str, ...], Getter]:
    """The fields of a record type whose declared type is one of ``kinds`` (``year`` left out),
    in field order, and a getter of their values from a row as a tuple: the columns pandas
    selects as numbers from the table, read without building it."""
    hints = typing.get_type_hints(record)
    idx = [i for i, f in enumerate(record._fields) if f != "year" and hints[f] in kinds]
    names = tuple(record._fields[i] for i in idx)
    if not idx:
        return names, lambda row: ()
    if len(idx) == 1:
        one = idx[0]
        return names, lambda row: (row[one],)
    return names, itemgetter(*idx)


SMUGGLED_INDEX = ORIGINS.index("smuggled")
RENTED_ORIGIN = "rented"  # the flows' channel name of compute rented abroad
assert RENTED_ORIGIN in ORIGINS
Row = TypeVar("Row", NationRow, LabRow)


def latest(rows: Sequence[Row], count: int, key: str) -> Row | None:
    """The most recent row of agent ``key`` among the last ``count`` rows (one year's worth)."""
    for row in rows[-count:] if rows else ():
        if row[1] == key:  # the agent id is each per-agent record's second field
            return row
    return None


def model_reporters(nations: Iterable[str]) -> dict[str, str | Callable[[Any], Any]]:
    """Mesa DataCollector model reporters (cheap attribute reads) incl. each nation's lag."""
    reps: dict[str, str | Callable[[Any], Any]] = {
        "year": lambda m: m.year - 1 if m.t > 0 else m.start_year - 1,
        "frontier_oom": "frontier_oom",
        "frontier_nation": "frontier_nation",
        "world_compute_h100e": "world_compute",
        "sputnik_moment": "sputnik_now",
    }
    for key in nations:
        reps[f"oom_{key}"] = _reporter(key, "oom")
        reps[f"lag_months_{key}"] = _reporter(key, "lag_months")
        reps[f"smuggled_share_{key}"] = _smuggled_reporter(key)
    return reps


def _reporter(key: str, attribute: str) -> Callable[[Any], float]:
    """A model reporter that reads an attribute of one nation."""
    return lambda m: getattr(m.nations[key], attribute)


def _smuggled_reporter(key: str) -> Callable[[Any], float]:
    """A model reporter of one nation's smuggled share of compute."""
    return lambda m: _smuggled_share(m.nations[key].labs)


class ScalarCollector(mesa.DataCollector):  # type: ignore[misc]
    """Mesa's DataCollector for model reporters that return immutable values (numbers, strings,
    flags), given as attribute names or functions of the model.

    Mesa deep-copies each value it collects, in case a reporter returns something mutable; for
    immutable values the copy changes nothing and costs more than the reporters, so after Mesa's
    own first (validating) collection the values are appended as they are.
    """

    def collect(self, model: Any) -> None:
        """Append each reporter's value for this step."""
        if not self._validated or self.agent_reporters or self.agenttype_reporters:
            super().collect(model)
            return
        for var, reporter in self.model_reporters.items():
            value = getattr(model, reporter, None) if isinstance(reporter, str) else reporter(model)
            self.model_vars[var].append(value)


def _smuggled_share(labs: Iterable[Any]) -> float:
    """Share of a nation's compute stock that was smuggled."""
    total = smuggled = 0.0
    for lab in labs:
        total += lab.total_stock
        smuggled += lab.stock[SMUGGLED_INDEX]
    return smuggled / total if total > 0 else 0.0


def append_flows(
    m: ComputeRaceModel, flows: Iterable[tuple[int, int, int, float, float, float, float]]
) -> None:
    """Append this year's chip flows (vendor, buyer nation and channel as indices) as rows."""
    nation_ids, vendor_ids, y = list(m.nations), [v.key for v in m.vendors], m.year
    make = FlowRow._make
    for vi, ni, ch, h, chips, rev, spend in flows:
        m.flow_rows.append(
            make((y, vendor_ids[vi], nation_ids[ni], ORIGINS[ch], h, chips, rev, spend))
        )


def append_rows(m: ComputeRaceModel) -> None:
    """Append this year's rows to the model's record lists."""
    y = m.year
    m.year_rows.append(
        YearRow._make(
            (
                y,
                m.frontier_oom,
                m.frontier_lab,
                m.frontier_nation,
                m.world_compute,
                m.sputnik_now,
                m.sputnik_lab_now,
                m.world_revenue,
                m.world_demand,
                m.rental_pool,
                m.rented_total,
                m.controls.licence_fees,
                m.trends.cluster_cap,
                m.controls.enforcement,
                m.controls.cloud_loophole_open,
                "; ".join(m.fired),
            )
        )
    )
    vendor_row = VendorRow._make
    for v in m.vendors:
        m.vendor_rows.append(
            vendor_row(
                (
                    y,
                    v.key,
                    v.nation,
                    v.capacity,
                    v.demand_chips,
                    v.sold_chips,
                    v.perf,
                    v.price_per_h100e,
                    v.revenue,
                )
            )
        )
    lab_row = LabRow._make
    for lab in m.labs:
        d = lab.oom - lab.prev_oom
        m.lab_rows.append(
            lab_row(
                (
                    y,
                    lab.key,
                    lab.nation,
                    lab.strategy,
                    lab.oom,
                    lab.lag_months,
                    lab.total_stock,
                    *lab.stock,
                    lab.efficiency,
                    lab.budget,
                    lab.inflow,
                    lab.cash_start,
                    lab.cash,
                    lab.programme_funds,
                    lab.compute_spend,
                    lab.efficiency_spend,
                    lab.share_now,
                    lab.effective_price,
                    lab.constraint,
                    lab.serve_need,
                    lab.serve_covered,
                    lab.facility_spend,
                    lab.training_h100e,
                    lab.cluster,
                    lab.quality,
                    lab.training_flop,
                    lab.effective_flop,
                    lab.own_oom,
                    lab.bonus,
                    lab.teacher,
                    lab.headline_cost,
                    lab.total_cost,
                    lab.revenue,
                    lab.usage,
                    lab.open_weights,
                    d,
                    d - lab.d_eff - lab.d_catchup,
                    lab.d_eff,
                    lab.d_catchup,
                )
            )
        )
    world = m.world_compute or 1.0
    nation_row = NationRow._make
    kw = class_kw(m.world, m.trends.kw_per_h100e)
    rent = _rent_by_nation(m.flow_rows, y)
    usd_per_gw = m.world.facility_usd_per_kw * 1e6
    for n in m.nations.values():
        labs = n.labs
        stock = [0.0] * len(ORIGINS)
        comp = fac = eff = rev = chosen = budget = largest = 0.0
        for lab in labs:  # sums in lab order, from 0.0
            for i, s in enumerate(lab.stock):
                stock[i] += s
            comp += lab.compute_spend
            fac += lab.facility_spend
            eff += lab.efficiency_spend
            rev += lab.revenue
            chosen += lab.share_now * lab.budget
            budget += lab.budget
            if lab.training_flop > largest:
                largest = lab.training_flop
        total = sum(stock)
        shares = [s / total if total > 0 else 0.0 for s in stock]
        best = n.best
        d = n.oom - n.prev_oom
        de = best.d_eff if best else 0.0
        dc = best.d_catchup if best else 0.0
        grid = n.grid
        if grid is not None:
            capacity, used = grid.capacity_gw, grid.used_gw
            built = grid.construction_gw * usd_per_gw
        else:  # unlimited power: what its fleet would draw at this year's chips
            capacity = 0.0
            used = sum(f * k for lab in labs for f, k in zip(lab.flop, kw, strict=True)) / 1e6
            built = fac  # no grid: the data centres are paid when the chips go in
        chips = comp - fac - rent.get(n.key, 0.0)
        m.nation_rows.append(
            nation_row(
                (
                    y,
                    n.key,
                    n.tier,
                    n.oom,
                    n.lag_months,
                    m.frontier_oom - n.oom,
                    total,
                    total / world,
                    largest,
                    *shares,
                    chosen / budget if budget > 0 else 0.0,
                    eff + comp,
                    comp,
                    fac,
                    built,
                    chips + built,
                    eff,
                    rev,
                    n.subsidy_usd,
                    capacity,
                    used,
                    best.key if best else "",
                    d,
                    d - de - dc,
                    de,
                    dc,
                )
            )
        )


def _rent_by_nation(flows: Sequence[FlowRow], year: int) -> dict[str, float]:
    """Money each buyer nation paid this year for compute rented abroad (from the flow rows)."""
    out: dict[str, float] = {}
    for row in reversed(flows):  # this year's flows are the last rows
        if row.year != year:
            break
        if row.channel == RENTED_ORIGIN:
            out[row.buyer] = out.get(row.buyer, 0.0) + row.spend_usd
    return out
