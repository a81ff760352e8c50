"""ComputeRaceModel: the Mesa model. ``step()`` simulates one year as ten named phases.

The model never reads files, prints or plots; it appends typed rows to its record lists (see
:mod:`sim.model.records`) and ``sim.run`` turns them into DataFrames after the run. Mechanisms
live in small modules of functions over agents and numbers (:mod:`~sim.model.finance`,
:mod:`~sim.model.trade` and :mod:`~sim.model.clearing`, :mod:`~sim.model.algorithms`,
:mod:`~sim.model.capability`); interventions are policies (:mod:`sim.model.policies`); live
parameters are read and written by path (:mod:`sim.model.params`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, cast

import mesa
import numpy as np

from sim.config.loader import resolve_scenario
from sim.config.schema import Event, Scenario, World
from sim.model import clearing, params, records, trade
from sim.model.agents import ChipVendor, Lab, Nation, release_agent_ids
from sim.model.algorithms import choose_efficiency_share, constraints, improve_algorithms
from sim.model.capability import FrontierHistory, diffuse, score_year, sputnik_lab, train_lab
from sim.model.clearing import RENTED
from sim.model.controls import ExportControl
from sim.model.finance import (
    ai_demand,
    close_budget,
    earn_revenue,
    fund_nation,
    lognormal_noise,
    programme_payment,
    raise_capital,
    share_demand,
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
from sim.model.serving import serve_weights
from sim.model.start import place_start_stocks, rental_pool, score_start_fleets
from sim.model.trends import Trends


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
        self.world = scen.world
        self.start_year = self.year = scen.horizon.start_year
        self.end_year = scen.horizon.end_year
        self.t = 0
        self.trends = Trends.at(self.w, 0)
        self.controls = ExportControl(scen.controls, self.start_year)
        self.nations: dict[str, Nation] = {k: Nation(self, k, c) for k, c in scen.nations.items()}
        self.labs: list[Lab] = [Lab(self, k, c) for k, c in scen.labs.items()]
        self.lab_by_key = {lab.key: lab for lab in self.labs}
        self.vendors: list[ChipVendor] = [ChipVendor(self, k, c) for k, c in scen.vendors.items()]
        self.vendor_by_key = {v.key: v for v in self.vendors}
        release_agent_ids(self)  # no agent is created after this point
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
        self.rule_month = 1  #: month this year's new rules bind from (earlier buys: old rules)
        self.controls_before: ExportControl | None = None
        self.pre_rule_share = 0.0
        self.sputnik_year: int | None = None
        self.sputnik_lab: str | None = None
        self.sputnik_now = False
        self.sputnik_lab_now = ""
        self.sputnik_last: tuple[str, str] | None = None  # (lab, nation) that fired last year
        self.frontier = FrontierHistory(self.w.prehistory_oom_per_year)
        self.frontier_oom = self.initial_frontier = 0.0
        self.frontier_progress = self.frontier_progress_next = self.w.prehistory_oom_per_year
        self.frontier_lab = self.frontier_nation = ""
        self.world_compute = 0.0
        self.world_revenue = self.world_demand = self.w.ai_revenue_usd
        self.demand_growth = 1.0
        self.initial_gdp = sum(n.gdp for n in self.nations.values())
        self.rental_pool = self.rented_total = self.host_income = 0.0
        self.new_kw = np.zeros(len(self.nations))
        # The year's market: offers, per-lab clearing inputs, first-round channel shares.
        self.book = clearing.empty_book(len(self.labs), len(self.vendors))
        self.offer_plan: trade.OfferPlan | None = None
        self.before_plan: trade.OfferPlan | None = None
        self.buyers = trade.buyers(self.labs, self.nations, self.w, self.controls, 0.0)
        self.weights: clearing.Weights | None = None
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
        place_start_stocks(
            scen, self.nations, self.labs, self.vendors, self.controls, self.trends.kw_per_h100e
        )
        self.rental_pool = rental_pool(self.nations, self.controls)
        self._initial_capability()
        self.datacollector = records.ScalarCollector(
            model_reporters=records.model_reporters(self.nations)
        )
        self.datacollector.collect(self)

    @property
    def world(self) -> World:
        """The world parameters: a frozen config object that a lever write replaces."""
        return self._world

    @world.setter
    def world(self, value: World) -> None:
        self._world = value
        # The phases read world parameters thousands of times a run, from this plain copy: a
        # pydantic model's ``__getattr__`` hook keeps CPython from caching attribute reads
        # (~35 ns against ~6 ns each).
        self.w = cast(World, SimpleNamespace(**dict(value)))

    def _initial_capability(self) -> None:
        """Score the starting fleets (:func:`sim.model.start.score_start_fleets`) for first-year
        deltas and lags."""
        api = self.controls.api_access(self.nations, self.w.diffusion)
        leader = score_start_fleets(
            self.labs, self.nations, self.w, api, self.access, self.frontier, self.start_year
        )
        self.initial_frontier = self.frontier_oom = leader.oom

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
        """Every policy in order: stockpiling, events, players' moves, reactions, controls, shocks.

        A rule that binds from a later month than January (a compliance month, an event's
        ``month``) leaves the months before it under the old rules: the year's market then has
        both regimes, weighted by their share of the year."""
        self.fired = []
        c = self.controls
        c.update(self.year)
        before = c.snapshot()
        self.rule_month = 1
        if c.enabled and self.year == c.comply_year:
            self.rule_month = c.comply_month
            before.active = False
        for policy in self.policies:
            policy.apply(self, self.year)
        self.pre_rule_share = (self.rule_month - 1) / 12.0
        self.controls_before = before if self.pre_rule_share > 0 else None
        if c.licence.enabled and c.licence_base_perf is None:
            c.licence_base_perf = trade.best_controller_perf(self.vendors, c)
        if self.vendors_changed:  # a yield or HBM event changes this year's domestic output
            trade.refresh_domestic_capacity(self.vendors, c)
            self.vendors_changed = False
        self.controller_mineral_ban = any(
            n.mineral_ban and c.targets(n) for n in self.nations.values()
        )

    # ------------------------------------------------------------------ phase 2
    def finance(self) -> None:
        """Budgets: reinvested revenue + investors (soft saturation, mood) + the state
        (subsidies, grants, programmes that also build power)."""
        shocks = self.rng.standard_normal(len(self.labs)).tolist()
        raise_capital(self.labs, self.nations, self.w, self.t == 0, self.frontier_progress, shocks)
        for nation in self.nations.values():
            fund_nation(nation, nation.labs)
            p = nation.programme
            if p is not None and p.lab in self.lab_by_key:
                paid = programme_payment(p, self.year)
                self.lab_by_key[p.lab].programme_funds = p.delivery_share * paid
                if paid > 0 and nation.grid is not None:
                    # A compute programme builds its data centres too (Stargate: ~10 GW).
                    nation.grid.build_now(p.delivery_share * p.power_gw / p.years)
        c = self.controls
        for lab in self.labs:
            stockpiling = self.stockpile_window and self.nations[lab.nation].tier in c.target_tiers
            close_budget(lab, c.stockpile_boost * lab.external_now if stockpiling else 0.0)

    # ------------------------------------------------------------------ phase 3
    def allocate(self) -> None:
        """This year's offers at this year's prices; each lab weighs training against serving
        value, sees the price it pays relative to the median allied lab (its constraint) and
        splits its budget between compute and efficiency R&D."""
        w, c, n = self.w, self.controls, len(self.labs)
        serve_weights(self.labs, w, self.trends.serve_unit_cost, self.demand_growth)
        terms = trade.terms(w, self.trends, self.year, self.rental_pool > 0, self.vendors, c)
        mineral = self.controller_mineral_ban
        book, self.offer_plan = trade.offer_book(
            self.labs, self.nations, self.vendors, c, w, terms, mineral, self.offer_plan
        )
        f = self.pre_rule_share
        if self.controls_before is not None:
            before = self.controls_before
            old, self.before_plan = trade.offer_book(
                self.labs, self.nations, self.vendors, before, w, terms, mineral, self.before_plan
            )
            book = trade.split_year(old, book, n)
        self.book = book
        elasticity = w.channel_price_elasticity
        self.weights = clearing.weigh(book, elasticity)
        buyers = trade.buyers(
            self.labs, self.nations, w, c, trade.smuggle_share(self._smuggling(), 1.0)
        )
        if book.n_labs > n:
            buyers = trade.twice(buyers, f)
        trade.list_prices(self.labs, book, buyers, f, elasticity, w.min_fill_rate)
        constraints(self.labs, self.nations)
        for lab in self.labs:
            share = choose_efficiency_share(lab, w, self.trends)
            lab.share_now = share
            lab.efficiency_spend = share * lab.budget
            lab.compute_budget = (1.0 - share) * lab.budget
        budget = np.array([lab.compute_budget for lab in self.labs])
        if book.n_labs > n:
            budget = np.concatenate([f * budget, (1.0 - f) * budget])
        buyers.budget = budget
        self.buyers = buyers

    def _smuggling(self) -> float:
        """Share of denied money that leaks into smuggling at this year's enforcement."""
        w = self.w
        return smuggling_share(
            self.controls.enforcement, w.smuggling_max_share, w.smuggling_enforcement_exponent
        )

    # ------------------------------------------------------------------ phase 4
    def trade_chips(self) -> None:
        """Orders meet supply through the control regime: leakage, caps, the hosts' rental pool,
        power, rationing (:func:`sim.model.clearing.clear`), then delivery, payment and flows."""
        w, c = self.w, self.controls
        base = self._smuggling()
        noise = self.rng.standard_normal(len(self.nations)).tolist()
        by_nation = [
            trade.smuggle_share(base, lognormal_noise(w.smuggling_noise_sd, z)) for z in noise
        ]
        buyers = self.buyers  # this year's smuggling, with its noise per buyer nation
        buyers.smuggle = np.array(by_nation)[buyers.nation]
        caps = trade.caps(
            c, self.labs, self.nations, self.vendors, self.book.layout, self.rental_pool
        )
        orders = clearing.clear(
            self.book,
            buyers,
            np.array([v.capacity for v in self.vendors]),
            caps,
            w.channel_price_elasticity,
            weights=self.weights,
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
        trade.settle_vendors(self.vendors, got, orders.demand)
        trade.settle_labs(self.labs, got)
        c.licence_fees = got.licence_fees
        self.host_income = got.host_income
        self.rented_total = orders.rented
        self.new_kw = got.new_kw
        trade.settle_nations(self.nations, got, orders.power_demand)
        records.append_flows(self, got.flows)

    # ------------------------------------------------------------------ phase 5
    def update_stocks(self) -> None:
        """Depreciate owned compute (retired chips free their power), end last year's leases,
        add this year's purchases."""
        dep = self.w.depreciation
        for lab in self.labs:
            depreciate(lab.stock, dep, keep_index=RENTED, add=lab.bought)
            depreciate(lab.flop, dep, add=lab.bought_class)
            depreciate(lab.serve, dep, add=lab.bought_serve)
        new = self.new_kw.tolist()
        for i, nation in enumerate(self.nations.values()):
            g = nation.grid
            if g is not None:
                gw = new[i] / 1e6
                g.used_gw = (g.used_gw - gw) * (1.0 - dep) + gw

    # ------------------------------------------------------------------ phase 6
    def improve_algorithms(self) -> None:
        """Own R&D with diminishing returns, method spillover toward the best open and closed
        labs, and the necessity edge of constrained labs."""
        shocks = self.rng.standard_normal(len(self.labs)).tolist()
        improve_algorithms(self.labs, self.w, self.trends.rd_reference, shocks)

    # ------------------------------------------------------------------ phase 7
    def train(self) -> None:
        """Serve first, train the rest: flagship runs, own capability, diffusion through open
        weights and APIs; the frontier, lags and the Sputnik flag."""
        for lab in self.labs:
            train_lab(lab, self.nations[lab.nation], self.w, self.trends, self.demand_growth)
        diffuse(self.labs, self.controls.api_access(self.nations, self.w.diffusion), self.w)
        leader = score_year(self.labs, self.nations, self.frontier, self.year)
        self.frontier_progress_next = leader.oom - self.frontier_oom
        self.frontier_oom = leader.oom
        self.frontier_lab = leader.key
        self.frontier_nation = leader.nation
        self.world_compute = sum(lab.total_stock for lab in self.labs)
        first = sputnik_lab(self.labs, self.nations, leader, self.w)
        self.sputnik_now = first is not None
        self.sputnik_lab_now = first.key if first is not None else ""
        self.sputnik_last = (first.key, first.nation) if first is not None else None
        if first is not None:
            first.boost += self.w.sputnik_investor_boost
            if self.sputnik_year is None:
                self.sputnik_year, self.sputnik_lab = self.year, first.key
            self.log_event("sputnik", f"Sputnik moment: {first.name}")

    # ------------------------------------------------------------------ phase 8
    def sell_models(self) -> None:
        """World AI demand follows the frontier (saturating in GDP); labs share it by capability,
        serving cost, price and access; revenue needs serving capacity; hosts earn rent."""
        w = self.w
        gdp = sum(n.gdp for n in self.nations.values())
        demand = ai_demand(w, self.frontier_oom - self.initial_frontier, gdp, self.initial_gdp)
        self.demand_growth = demand / self.world_demand if self.world_demand > 0 else 1.0
        self.world_demand = demand
        share_demand(self.labs, self.nations, self.access, w, demand)
        self.world_revenue = earn_revenue(
            self.labs, self.nations, w, self.trends.serve_unit_cost, self.host_income
        )

    # ------------------------------------------------------------------ phase 9
    def record(self) -> None:
        """Place this year's power builds (their construction is paid from this year on), then
        append this year's rows (the model-level reporters are collected in ``advance``)."""
        growth = max(self.demand_growth, 1.0) ** 0.5
        for nation in self.nations.values():
            if nation.grid is not None:
                nation.grid.order(self.t, growth)
        records.append_rows(self)

    # ------------------------------------------------------------------ phase 10
    def advance(self) -> None:
        """Technology, supply, power and the economy move on; the clock advances; stop after the
        last year."""
        trade.advance_vendors(self.vendors, self.nations, self.controls, self.w)
        for nation in self.nations.values():
            nation.private_spend = sum(lab.external_now + lab.reinvested for lab in nation.labs)
            if nation.grid is not None:
                nation.grid.arrive()  # the builds ordered in ``record``
            nation.gdp *= 1.0 + nation.gdp_growth
            nation.prev_oom = nation.oom
        for lab in self.labs:
            lab.oom_hist = [lab.oom_hist[1], lab.oom]
            lab.prev_oom = lab.oom
        self.frontier_progress = self.frontier_progress_next
        self.rental_pool = rental_pool(self.nations, self.controls)
        self.year += 1
        self.t += 1
        self.trends = Trends.at(self.w, self.t)
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
