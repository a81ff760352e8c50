"""ComputeRaceModel: the Mesa model. ``step()`` simulates one year as ten named phases.

The model never reads files, prints or plots; it appends typed rows to its record lists (see
:mod:`sim.model.records`) and ``sim.run`` turns them into DataFrames after the run. Mechanisms
live in small modules of functions over agents and numbers (:mod:`~sim.model.finance`,
:mod:`~sim.model.trade` and :mod:`~sim.model.clearing`, :mod:`~sim.model.algorithms`,
:mod:`~sim.model.capability`); interventions are policies (:mod:`sim.model.policies`); live
parameters are read and written by path (:mod:`sim.model.params`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import mesa
import numpy as np

from sim.config.loader import apply_overrides, load_scenario
from sim.config.schema import ORIGINS, Event, Scenario, World
from sim.model import clearing, params, records, trade
from sim.model.agents import ChipVendor, Lab, Nation
from sim.model.algorithms import choose_efficiency_share, improve_algorithms
from sim.model.capability import (
    FrontierHistory,
    follower_bonus,
    score_year,
    sputnik_labs,
    train_lab,
)
from sim.model.clearing import RENTED
from sim.model.controls import ExportControl, Terms
from sim.model.finance import (
    close_budget,
    fund_nation,
    lognormal_noise,
    programme_payment,
    raise_capital,
    sell_models,
    world_revenue,
)
from sim.model.market import depreciate, smuggling_share
from sim.model.policies import (
    EVENT,
    PLAYER,
    Policy,
    Proposal,
    ReactionRule,
    ScheduledEvents,
    StockpileWindow,
    TaiwanShock,
    set_lever,
)
from sim.model.start import place_start_stocks
from sim.model.trends import Trends


def resolve_scenario(
    scenario: str | Scenario, overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """A validated scenario from a Scenario or a name/path (loaded by :mod:`sim.config`), with
    ``overrides`` applied through the one override path (:func:`sim.config.loader.apply_overrides`)."""
    if isinstance(scenario, Scenario):
        return apply_overrides(scenario, overrides)
    return load_scenario(scenario, overrides)


class ComputeRaceModel(mesa.Model):
    """Nations, labs and chip vendors racing under export controls; one ``step()`` = one year.

    Args:
        scenario: a validated :class:`~sim.config.schema.Scenario`, or a scenario name or path
            (then :mod:`sim.config` loads it; the model itself never reads files).
        seed: the seed that decides the run bit for bit.
        rng: Mesa's random-generator argument (``mesa.batch_run`` passes it); used when no seed.
        overrides: dotted parameter paths and values (``{"controls.enforcement": 0.9}``).
        **kwargs: more overrides as keywords, dotted or with ``__`` (``controls__enforcement=0.9``),
            which is how ``mesa.batch_run`` and SolaraViz pass swept parameters (Mesa's tools
            recognise this catch-all by the name ``kwargs``).

    The game's contract (see :mod:`sim.model.policies`): ``held_paths`` (lever paths a human
    team holds), ``player_events`` (moves and overrides, applied as they are) and ``proposals``
    (changes to held levers that the model left to the team).
    """

    def __init__(
        self,
        scenario: str | Scenario = "baseline",
        seed: int | None = None,
        rng: Any = None,
        overrides: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ):
        scen = resolve_scenario(scenario, {**(overrides or {}), **kwargs})
        super().__init__(rng=rng if rng is not None else seed)
        self.scenario = scen
        self.seed = seed
        self.world: World = scen.world
        self.start_year = self.year = scen.horizon.start_year
        self.end_year = scen.horizon.end_year
        self.t = 0
        self.trends = Trends.at(self.world, 0)
        self.controls = ExportControl(scen.controls, self.start_year)
        self.nations: dict[str, Nation] = {k: Nation(self, k, c) for k, c in scen.nations.items()}
        self.labs: list[Lab] = [Lab(self, k, c) for k, c in scen.labs.items()]
        self.lab_by_key = {lab.key: lab for lab in self.labs}
        self.vendors: list[ChipVendor] = [ChipVendor(self, k, c) for k, c in scen.vendors.items()]
        self.vendor_by_key = {v.key: v for v in self.vendors}
        # Mesa 3.3's class-level id counter (Agent._ids) holds every model ever built, ~200 KB per
        # run; no agent is created after this point, so release this model's entry.
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)
        # Share of each market (buyer nation) a seller nation's labs can reach (default: all).
        self.access = {
            s: {b: scen.market_access.get(s, {}).get(b, 1.0) for b in self.nations}
            for s in self.nations
        }
        # Interventions (see sim.model.policies for the order and the held-lever contract).
        self.events: list[Event] = list(scen.events)  # the game appends cards here
        self.player_events: list[Event] = []
        self.held_paths: set[str] = set()
        self.proposals: list[Proposal] = []
        self.policies: list[Policy] = [
            StockpileWindow(),
            ScheduledEvents(self.events, EVENT),
            ScheduledEvents(self.player_events, PLAYER),
            *(ReactionRule(key) for key in self.nations),
            self.controls,
            TaiwanShock(),
        ]
        self.fired: list[str] = []
        self.stockpile_window = self.vendors_changed = self.controller_mineral_ban = False
        self.sputnik_year: int | None = None
        self.sputnik_lab: str | None = None
        self.sputnik_now = False
        self.frontier = FrontierHistory(self.world.prehistory_oom_per_year)
        self.frontier_oom = self.prev_frontier_oom = self.initial_frontier = 0.0
        self.frontier_lab = self.frontier_nation = ""
        self.world_compute = 0.0
        self.world_revenue = self.world.ai_revenue_usd
        self.initial_gdp = sum(n.gdp for n in self.nations.values())
        # The year's market: offers, per-lab clearing inputs, first-round channel shares.
        self.book = clearing.OfferBookBuilder(len(self.labs), len(self.vendors)).build()
        self.offer_plan: trade.OfferPlan | None = None
        self.buyers = trade.buyers(self.labs, self.nations, self.world, self.controls, 0.0)
        self.first_shares = np.zeros(0)
        nation_ids = list(self.nations)
        self.vendor_nation = np.array(
            [nation_ids.index(v.nation) for v in self.vendors], dtype=np.intp
        )
        self.year_rows: list[records.YearRow] = []
        self.nation_rows: list[records.NationRow] = []
        self.lab_rows: list[records.LabRow] = []
        self.flow_rows: list[records.FlowRow] = []
        self.vendor_rows: list[records.VendorRow] = []
        self.event_log: list[records.EventRow] = []
        place_start_stocks(scen, self.nations, self.labs, self.vendors, self.controls)
        self._initial_capability()
        self.datacollector = mesa.DataCollector(
            model_reporters=records.model_reporters(self.nations)
        )
        self.datacollector.collect(self)

    def _initial_capability(self) -> None:
        """Score the starting fleets with the previous year's trends, for first-year deltas and lags."""
        self.trends = Trends.at(self.world, -1)
        for lab in self.labs:
            lab.compute_spend = lab.efficiency_spend = 0.0
            lab.bonus = lab.d_catchup = 0.0
            train_lab(lab, self.nations[lab.nation], self.world, self.trends)
        follower_bonus(self.labs, self.world)
        for lab in self.labs:
            lab.prev_oom = lab.oom
        for nation in self.nations.values():
            nation.prev_oom = nation.oom = max((lab.oom for lab in nation.labs), default=0.0)
        self.initial_frontier = max(lab.oom for lab in self.labs)
        self.frontier_oom = self.prev_frontier_oom = self.initial_frontier
        self.frontier.record(self.start_year - 1, self.initial_frontier)
        for lab in self.labs:
            lab.lag_months = self.frontier.lag_months(lab.oom, self.start_year - 1)
        for nation in self.nations.values():
            nation.lag_months = self.frontier.lag_months(nation.oom, self.start_year - 1)
        self.trends = Trends.at(self.world, self.t)

    # ------------------------------------------------------------------ the year
    def step(self) -> None:
        """Simulate one year: the ten phases of ``docs/model.md`` section 4."""
        self.apply_policies()
        self.finance()
        self.allocate()
        self.trade_chips()
        self.update_stocks()
        self.improve_algorithms()
        self.train()
        self.sell_models()
        self.record()
        self.advance()

    # ------------------------------------------------------------------ phase 1
    def apply_policies(self) -> None:
        """Every policy in order: stockpiling, events, players' moves, reactions, controls, shocks."""
        self.fired = []
        for policy in self.policies:
            policy.apply(self, self.year)
        if self.vendors_changed:  # a yield or HBM event changes this year's domestic output
            hbm_limited = self.controls.active and self.controls.hbm_controls
            for v in self.vendors:
                if v.domestic is not None:
                    v.capacity = v.domestic_capacity(hbm_limited)
            self.vendors_changed = False
        self.controller_mineral_ban = any(
            n.mineral_ban and self.controls.targets(n) for n in self.nations.values()
        )

    # ------------------------------------------------------------------ phase 2
    def finance(self) -> None:
        """Budgets: reinvested revenue + external capital (capped by GDP) + subsidies + programmes."""
        gain = self.frontier_oom - self.prev_frontier_oom
        shocks = self.rng.standard_normal(len(self.labs))
        raise_capital(self.labs, self.world, self.t == 0, gain, shocks)
        for nation in self.nations.values():
            fund_nation(nation, nation.labs)
            p = nation.programme
            if p is not None and p.lab in self.lab_by_key:
                paid = programme_payment(p, self.year)
                self.lab_by_key[p.lab].programme_funds = p.delivery_share * paid
        c = self.controls
        for lab in self.labs:
            stockpiling = self.stockpile_window and self.nations[lab.nation].tier in c.target_tiers
            close_budget(lab, c.stockpile_boost * lab.external_now if stockpiling else 0.0)

    # ------------------------------------------------------------------ phase 3
    def allocate(self) -> None:
        """Strategies split each budget between compute and efficiency R&D, at the prices and
        access each lab faces (this year's offers, fixed within the year)."""
        w, c = self.world, self.controls
        terms = Terms(
            self.year,
            self.trends.rental_price,
            w.smuggling_premium,
            w.rental_abroad_premium,
            w.variant_price_factor,
        )
        book, self.offer_plan = trade.offer_book(
            self.labs,
            self.nations,
            self.vendors,
            c,
            w,
            terms,
            self.controller_mineral_ban,
            self.offer_plan,
        )
        self.book = book
        everything = np.ones(len(book), dtype=np.bool_)
        self.first_shares = clearing.primary_shares(book, everything, w.channel_price_elasticity)
        buyers = trade.buyers(
            self.labs, self.nations, w, c, trade.smuggle_share(self._smuggling(), 1.0)
        )
        shares = clearing.split_money(
            book,
            everything,
            buyers.smuggle,
            buyers.rent,
            buyers.domestic_min,
            w.channel_price_elasticity,
            self.first_shares,
        )
        lab_of, n = book.layout.lab, book.n_labs
        spent = np.bincount(lab_of, shares, n).tolist()
        eff_cost = np.bincount(lab_of, shares * book.price / book.quality, n).tolist()
        for i, lab in enumerate(self.labs):
            # Access counts as price: a lab that got only part of the chips it paid for last year
            # (rationed, denied) faces a proportionally higher effective price per usable H100e.
            lab.effective_price = (
                eff_cost[i] / spent[i] / max(lab.fill_rate, w.min_fill_rate)
                if spent[i] > 0
                else math.inf
            )
            share = choose_efficiency_share(lab, w, self.trends)
            lab.efficiency_spend = share * lab.budget
            lab.compute_budget = (1.0 - share) * lab.budget
            lab.share_now = share
        self.buyers = replace(buyers, budget=np.array([lab.compute_budget for lab in self.labs]))

    def _smuggling(self) -> float:
        """Share of denied money that leaks into smuggling at this year's enforcement."""
        w = self.world
        return smuggling_share(
            self.controls.enforcement, w.smuggling_max_share, w.smuggling_enforcement_exponent
        )

    # ------------------------------------------------------------------ phase 4
    def trade_chips(self) -> None:
        """Orders meet supply through the control regime: leakage, caps, rationing, prices
        (:func:`sim.model.clearing.clear`), then delivery, payment and flows."""
        w, c = self.world, self.controls
        base = self._smuggling()
        noise = self.rng.standard_normal(len(self.nations)).tolist()
        by_nation = [
            trade.smuggle_share(base, lognormal_noise(w.smuggling_noise_sd, z)) for z in noise
        ]
        buyers = replace(self.buyers, smuggle=np.array(by_nation)[self.buyers.nation])
        orders = clearing.clear(
            self.book,
            buyers,
            np.array([v.capacity for v in self.vendors]),
            trade.caps(c, self.labs, self.nations, self.vendors, self.book.layout),
            w.channel_price_elasticity,
            first_shares=self.first_shares,
        )
        got = clearing.deliver(
            self.book,
            orders,
            buyers.nation,
            self.vendor_nation,
            buyers.n_nations,
            w.smuggling_premium,
            c.licence.fee_share,
            np.array([n.cum_domestic_h100e for n in self.nations.values()]),
        )
        trade.settle_vendors(self.vendors, got, orders.demand, w)
        trade.settle_labs(self.labs, got)
        c.licence_fees = got.licence_fees
        for nation, cum in zip(self.nations.values(), got.domestic_h100e.tolist(), strict=True):
            nation.cum_domestic_h100e = cum
        nation_ids, vendor_ids, y = list(self.nations), [v.key for v in self.vendors], self.year
        make = records.FlowRow._make
        for vi, ni, ch, h, chips, rev, spend in got.flows:
            self.flow_rows.append(
                make((y, vendor_ids[vi], nation_ids[ni], ORIGINS[ch], h, chips, rev, spend))
            )

    # ------------------------------------------------------------------ phase 5
    def update_stocks(self) -> None:
        """Depreciate owned compute, end last year's leases, add this year's purchases."""
        dep = self.world.depreciation
        for lab in self.labs:
            depreciate(lab.stock, dep, keep_index=RENTED)
            depreciate(lab.quality_stock, dep)
            for i, b in enumerate(lab.bought):
                lab.stock[i] += b
            for i, b in enumerate(lab.bought_class):
                lab.quality_stock[i] += b

    # ------------------------------------------------------------------ phase 6
    def improve_algorithms(self) -> None:
        """Own R&D with diminishing returns plus catch-up toward the best open and closed labs."""
        shocks = self.rng.standard_normal(len(self.labs))
        improve_algorithms(self.labs, self.world, self.trends.rd_reference, shocks)

    # ------------------------------------------------------------------ phase 7
    def train(self) -> None:
        """Flagship runs: FLOP, effective compute, OOM score, costs; frontier, lags, Sputnik flag."""
        for lab in self.labs:
            train_lab(lab, self.nations[lab.nation], self.world, self.trends)
        follower_bonus(self.labs, self.world)
        leader = score_year(self.labs, self.nations, self.frontier, self.year)
        self.frontier_oom = leader.oom
        self.frontier_lab = leader.key
        self.frontier_nation = leader.nation
        self.world_compute = sum(lab.total_stock for lab in self.labs)
        first = sputnik_labs(self.labs, self.nations, leader, self.world)
        self.sputnik_now = bool(first)
        if first and self.sputnik_year is None:
            self.sputnik_year, self.sputnik_lab = self.year, first[0].key
            self.log_event("sputnik", f"Sputnik moment: {first[0].name}")

    # ------------------------------------------------------------------ phase 8
    def sell_models(self) -> None:
        """World AI revenue follows the frontier; labs share it by capability, price and access."""
        gdp = sum(n.gdp for n in self.nations.values())
        gain = self.frontier_oom - self.initial_frontier
        self.world_revenue = world_revenue(self.world, gain, gdp, self.initial_gdp)
        sell_models(
            self.labs, self.nations, self.access, self.world, self.world_revenue, self.frontier_oom
        )

    # ------------------------------------------------------------------ phase 9
    def record(self) -> None:
        """Append this year's rows (the model-level reporters are collected in ``advance``)."""
        records.append_rows(self)

    # ------------------------------------------------------------------ phase 10
    def advance(self) -> None:
        """Technology and economy move on; the clock advances; stop after the last year."""
        trade.advance_vendors(self.vendors, self.nations, self.controls, self.world)
        for nation in self.nations.values():
            nation.gdp *= 1.0 + nation.gdp_growth
            nation.prev_oom = nation.oom
        for lab in self.labs:
            lab.prev_oom = lab.oom
        self.prev_frontier_oom = self.frontier_oom
        self.year += 1
        self.t += 1
        self.trends = Trends.at(self.world, self.t)
        self.datacollector.collect(self)
        if self.year > self.end_year:
            self.running = False

    # ------------------------------------------------------------------ levers and log
    def get_param(self, path: str) -> Any:
        """Read a live parameter by dotted path (see :mod:`sim.model.params`)."""
        return params.get_param(self, path)

    def set_param(self, path: str, value: Any) -> None:
        """Set a live parameter by dotted path (validated; ValueError says why not)."""
        params.set_param(self, path, value)

    def set_lever(self, path: str, value: Any, source: str, title: str) -> bool:
        """Set a lever on behalf of a policy, unless a human team holds it (then a
        :class:`~sim.model.policies.Proposal`); True if it was set. See
        :func:`sim.model.policies.set_lever`."""
        return set_lever(self, path, value, source, title)

    def log_event(self, kind: str, title: str) -> None:
        """Log what happened this year (events table); events and reactions also go into the
        year's ``events`` column."""
        if kind in ("event", "reaction"):
            self.fired.append(title)
        self.event_log.append(records.EventRow(self.year, kind, title))

    def policy_events(self) -> list[Event]:
        """Every policy's serialised form: dated events that replay the levers set so far."""
        return [ev for p in self.policies for ev in p.to_events()]
