"""ComputeRaceModel: the Mesa model. ``step()`` simulates one year as nine named phases.

The model never reads files, prints or plots; it only appends plain tuples to its record lists
(see :mod:`sim.model.records`). ``sim.run`` turns them into DataFrames after the run.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import mesa

from sim.config.loader import apply_overrides, load_scenario
from sim.config.paths import check_param_path
from sim.config.schema import ORIGINS, Scenario
from sim.model import records
from sim.model.agents import DOMESTIC, FULL, VARIANT, ChipVendor, Lab, Nation, namespace
from sim.model.algorithms import (
    LN10,
    best_efficiency_share,
    catchup_gain,
    own_rd_gain,
    training_flop,
)
from sim.model.capability import FrontierHistory
from sim.model.controls import ExportControl
from sim.model.market import (
    depreciate,
    ration,
    safe_log10,
    scarcity_multiplier,
    smuggling_share,
    split_budget,
)
from sim.model.policies import Proposal

RENTED = ORIGINS.index("rented")
ORIGIN_INDEX = {o: i for i, o in enumerate(ORIGINS)}
PCLASS_OF_CHANNEL = {
    "legal": FULL,
    "licensed": FULL,
    "smuggled": FULL,
    "rented": FULL,
    "domestic": DOMESTIC,
}


def resolve_scenario(scenario: str | Scenario, overrides: dict[str, Any] | None = None) -> Scenario:
    """A frozen scenario from a name, path or Scenario, with overrides applied and validated."""
    if isinstance(scenario, Scenario):
        return apply_overrides(scenario, overrides)
    return load_scenario(scenario, overrides)


class ComputeRaceModel(mesa.Model):
    """Nations, labs and chip vendors racing under export controls; one ``step()`` = one year.

    ``ComputeRaceModel(scenario="baseline", seed=1, **overrides)``: overrides are dotted parameter
    paths (``**{"controls.enforcement": 0.9}``) or the same with ``__`` for keyword use
    (``controls__enforcement=0.9``).
    """

    def __init__(
        self,
        scenario: str | Scenario = "baseline",
        seed: int | None = None,
        rng: Any = None,
        **overrides: Any,
    ):
        scen = resolve_scenario(scenario, overrides)
        super().__init__(rng=rng if rng is not None else seed)
        self.scenario = scen
        self.seed = seed
        self.world = namespace(scen.world)
        self.controls = ExportControl(scen.controls)
        self.start_year = scen.horizon.start_year
        self.end_year = scen.horizon.end_year
        self.year = self.start_year
        self.t = 0
        self.controls.update(self.year)
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
        world_stock = sum(lab.compute_h100e for lab in scen.labs.values()) or 1.0
        home_share = {
            n: sum(lab.compute_h100e for lab in scen.labs.values() if lab.nation == n) / world_stock
            for n in scen.nations
        }
        for v in self.vendors:
            # Last year's home-market sales (licence volume caps refer to them): the home nation's
            # share of the starting world stock, applied to this year's capacity.
            v.last_home_sales_chips = v.capacity * home_share[v.nation]
        for v in self.vendors:  # years the target's industry has already lived under controls
            v.sme_years = (
                max(0, self.start_year - self.controls.comply_year) if scen.controls.enabled else 0
            )
        self.market_access = {s: dict(row) for s, row in scen.market_access.items()}
        self.events = list(scen.events)
        # SHIM (web branch) of the player contract the "core" restructure implements: lever
        # paths a human team holds, the players' own dated moves, and the changes refused.
        self.held_paths: set[str] = set()
        self.player_events: list[Any] = []
        self.proposals: list[Proposal] = []
        for lab in self.labs:
            nation = self.nations[lab.nation]
            nation.labs.append(lab)
            lab.log_eff = math.log(lab.efficiency)
            held_as_variants = self.controls.targets(nation)
            st = lab.stock
            lab.quality_stock = [
                st[ORIGIN_INDEX["licensed"]]
                + st[ORIGIN_INDEX["smuggled"]]
                + (0.0 if held_as_variants else st[0]),
                st[0] if held_as_variants else 0.0,
                st[ORIGIN_INDEX["domestic"]],
            ]
        for nation in self.nations.values():
            pens = [
                v.domestic.training_penalty
                for v in self.vendors
                if v.domestic is not None and v.nation == nation.key
            ]
            nation.domestic_penalty_base = max(pens) if pens else 0.0
        self.frontier = FrontierHistory(self.world.prehistory_oom_per_year)
        self.fired: list[str] = []
        self.sputnik_year: int | None = None
        self.sputnik_lab: str | None = None
        self.sputnik_now = False
        self.frontier_oom = 0.0
        self.frontier_lab = ""
        self.frontier_nation = ""
        self.world_compute = 0.0
        self.world_revenue = self.world.ai_revenue_usd
        self.controller_mineral_ban = False
        self.stockpile_window = False
        self.year_rows: list[tuple] = []
        self.nation_rows: list[tuple] = []
        self.lab_rows: list[tuple] = []
        self.flow_rows: list[tuple] = []
        self.vendor_rows: list[tuple] = []
        self.event_log: list[tuple[int, str, str]] = []
        self._set_trends()
        self._initial_capability()
        self.datacollector = mesa.DataCollector(
            model_reporters=records.model_reporters(self.nations)
        )
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ the year
    def step(self) -> None:
        """Simulate one year: the nine phases of MODEL.md section 4."""
        self.apply_events_and_policy()
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
    def apply_events_and_policy(self) -> None:
        """Scheduled events, announced rules (stockpiling), reactive rules, controls in force."""
        self.controls.update(self.year)
        self.fired = []
        self.stockpile_window = self.controls.in_window(self.year)
        vendor_changed = False
        for ev in self.events:
            if ev.year == self.year:
                for path, value in ev.set.items():
                    if self._held(path, value, "event", ev.title):
                        continue
                    self.set_param(path, value)
                    vendor_changed = vendor_changed or path.startswith("vendors.")
                self.fired.append(ev.title)
                self.event_log.append((self.year, "event", ev.title))
            elif (
                ev.announce_year == self.year
                and self.controls.enabled
                and any(p.startswith("controls.") for p in ev.set)
            ):
                self.stockpile_window = True  # an announced rule: targets buy ahead of it
        for ev in self.player_events:  # players' moves land after the year's events and cards
            if ev.year == self.year:
                for path, value in ev.set.items():
                    self.set_param(path, value)
                    vendor_changed = vendor_changed or path.startswith("vendors.")
                self.event_log.append((self.year, "move", ev.title))
        for nation in self.nations.values():
            r = nation.reaction
            if r is None or nation.reacted or self.t == 0:
                continue
            rival = self.nations[r.rival]
            if rival.lag_months < r.trigger_lag_months or (r.on_sputnik and self.sputnik_now):
                nation.reacted = True
                title = f"{nation.name} responds to {rival.name}"
                changes = {
                    f"nations.{nation.key}.subsidy_usd": nation.subsidy_usd + r.subsidy_increase_usd
                }
                if nation.key == self.controls.controller:
                    changes["controls.enforcement"] = min(
                        1.0, self.controls.enforcement + r.enforcement_increase
                    )
                    if r.close_cloud_loophole:
                        changes["controls.cloud_loophole_open"] = False
                for path, value in changes.items():
                    if not self._held(path, value, "reaction", title):
                        self.set_param(path, value)
                self.fired.append(title)
                self.event_log.append((self.year, "reaction", title))
        self.controls.update(self.year)
        if vendor_changed:  # a yield or HBM event changes this year's domestic output
            for v in self.vendors:
                if v.domestic is not None:
                    v.capacity = v.domestic_capacity()
        shock = self.world.taiwan_shock
        if shock > 0:
            for v in self.vendors:
                v.disruption = max(v.disruption, shock * v.taiwan_dependence)
                if v.domestic is not None:
                    v.capacity = v.domestic_capacity()
                else:  # the shock hits this year's output
                    v.capacity = v.capacity_chips * (1.0 - v.disruption)
            self.world.taiwan_shock = 0.0
        self.controller_mineral_ban = any(
            n.mineral_ban and self.controls.targets(n) for n in self.nations.values()
        )

    # ------------------------------------------------------------------ phase 2
    def finance(self) -> None:
        """Budgets: reinvested revenue + external capital (capped by GDP) + subsidies + programmes."""
        w = self.world
        shocks = self.rng.standard_normal(len(self.labs))
        for lab, z in zip(self.labs, shocks, strict=True):
            noise = math.exp(w.capital_noise_sd * z - 0.5 * w.capital_noise_sd**2)
            if self.t > 0:
                # Investors compare progress with the frontier's pace, not an absolute target.
                surprise = (lab.oom - lab.prev_oom) - (self.frontier_oom - self.prev_frontier_oom)
                mood = min(1.6, max(0.6, 1.0 + w.investor_response * surprise))
                lab.external = lab.external * lab.external_growth * mood
            lab.external_now = lab.external * noise
        for nation in self.nations.values():
            # Private AI capital (external + reinvested revenue) is capped by a share of GDP.
            private = sum(
                lab.external_now + lab.reinvest_share * lab.revenue for lab in nation.labs
            )
            cap = nation.max_ai_capex_gdp_share * nation.gdp
            scale = cap / private if private > cap > 0 else 1.0
            for lab in nation.labs:
                lab.external_now *= scale
                lab.reinvested = lab.reinvest_share * lab.revenue * scale
                lab.external = min(lab.external, lab.external_now)
            total = sum(lab.external_now for lab in nation.labs)
            for lab in nation.labs:
                share = lab.external_now / total if total > 0 else 1.0 / len(nation.labs)
                lab.subsidy_now = nation.subsidy_usd * share
                lab.programme_funds = 0.0
            p = nation.programme
            if p is not None and p.lab in self.lab_by_key:
                self.lab_by_key[p.lab].programme_funds = p.delivery_share * programme_payment(
                    p, self.year
                )
        for lab in self.labs:
            boost = 0.0
            if (
                self.stockpile_window
                and self.nations[lab.nation].tier in self.controls.target_tiers
            ):
                boost = self.controls.stockpile_boost * lab.external_now
            lab.cash_start = lab.cash
            # Investors top up the lab's budget; they do not refinance cash it could not spend
            # (chips it could not get), so idle cash replaces new capital instead of piling up.
            lab.raised = max(0.0, lab.external_now - lab.cash)
            lab.inflow = lab.reinvested + lab.raised + lab.subsidy_now + boost + lab.programme_funds
            # Programme money is part of the budget the strategy splits: a compute programme's
            # chips also run the lab's experiments (efficiency research), not only its flagship run.
            lab.budget = lab.cash + lab.inflow

    # ------------------------------------------------------------------ phase 3
    def allocate(self) -> None:
        """Strategies split each budget between compute and efficiency R&D."""
        w = self.world
        ref = self.rd_reference
        for lab in self.labs:
            nation = self.nations[lab.nation]
            offers = lab.offers = self._offers(lab, nation)  # prices are fixed within a year
            shares = split_budget(
                offers,
                w.channel_price_elasticity,
                self._smuggle_share(1.0),
                self._rent_share(lab),
                nation.domestic_mandate_share,
            )
            spent = sum(shares)
            eff_cost = sum(s * o.price / o.quality for s, o in zip(shares, offers, strict=True))
            # Access counts as price: a lab that got only part of the chips it paid for last year
            # (rationed, denied) faces a proportionally higher effective price per usable H100e.
            lab.effective_price = (
                eff_cost / spent / max(lab.fill_rate, w.min_fill_rate)
                if spent > 0
                else float("inf")
            )
            if lab.strategy == "scale-first":
                share = lab.efficiency_share_min
            elif lab.strategy == "efficiency-first":
                share = lab.efficiency_share_max
            elif lab.strategy == "fixed" or not math.isfinite(lab.effective_price):
                share = lab.efficiency_share
            else:
                bound = lab.total_stock * w.frontier_share > self.cluster_cap
                target = best_efficiency_share(
                    lab.budget,
                    lab.total_stock,
                    lab.effective_price,
                    w.depreciation,
                    w.frontier_efficiency_growth,
                    ref,
                    w.efficiency_rd_elasticity,
                    w.cluster_bound_value if bound else 1.0,
                    lab.efficiency_share_min,
                    lab.efficiency_share_max,
                )
                share = lab.efficiency_share + w.adaptive_speed * (target - lab.efficiency_share)
                lab.efficiency_share = share
            if not math.isfinite(lab.effective_price):
                share = lab.efficiency_share_max  # no compute to be had: spend on research
            lab.efficiency_spend = share * lab.budget
            lab.compute_budget = (1.0 - share) * lab.budget
            lab.share_now = share

    # ------------------------------------------------------------------ phase 4
    def trade_chips(self) -> None:
        """Orders meet supply through the control regime; leakage, caps, rationing, prices.

        Clearing runs in up to three rounds: money rationed away from a sold-out product is offered
        again to products with capacity left, as buyers turn to other vendors.
        """
        w = self.world
        smuggle = {}
        for key, z in zip(self.nations, self.rng.standard_normal(len(self.nations)), strict=True):
            smuggle[key] = self._smuggle_share(
                math.exp(w.smuggling_noise_sd * z - 0.5 * w.smuggling_noise_sd**2)
            )
        remaining = {lab.key: lab.compute_budget for lab in self.labs}
        cap_left = {v.key: v.capacity for v in self.vendors}
        licence_used: dict[tuple[str, str], float] = defaultdict(float)
        tier2_used: dict[str, float] = defaultdict(float)
        demand = dict.fromkeys(cap_left, 0.0)
        orders: list[list] = []  # [lab, offer, money, chips]
        for lab in self.labs:
            lab.open_offers = -1
        for round_ in range(3):
            new = self._order_round(remaining, cap_left, smuggle, licence_used, tier2_used)
            if not new:
                break
            self._apply_caps(new, licence_used, tier2_used)
            by_vendor: dict[str, list[list]] = defaultdict(list)
            for od in new:
                if od[1].uses_capacity:
                    by_vendor[od[1].vendor].append(od)
            for vkey, ods in by_vendor.items():
                chips = [od[3] for od in ods]
                if round_ == 0:
                    demand[vkey] = sum(chips)
                self._scale(ods, ration(chips, cap_left[vkey]))
                cap_left[vkey] -= sum(od[3] for od in ods)
            for od in new:
                remaining[od[0].key] -= od[2]
            orders.extend(new)
            if all(remaining[lab.key] <= 1e-3 * max(lab.compute_budget, 1.0) for lab in self.labs):
                break
        for v in self.vendors:
            v.next_scarcity = scarcity_multiplier(
                demand[v.key], v.capacity, w.scarcity_price_elasticity
            )
            # Orders beyond capacity pull capacity forward (fabs, packaging lines follow orders).
            v.expansion = scarcity_multiplier(demand[v.key], v.capacity, w.supply_response)
            v.demand_chips = demand[v.key]
            v.sold_chips = v.home_sales_chips = v.revenue = 0.0
        for lab, o, _money, chips in orders:
            if o.uses_capacity:
                v = self.vendor_by_key[o.vendor]
                v.sold_chips += chips
                if lab.nation == v.nation:
                    v.home_sales_chips += chips
        # Deliver, pay, record flows.
        flows: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
        c = self.controls
        c.licence_fees = 0.0
        for lab in self.labs:
            lab.compute_spend = 0.0
            lab.bought = [0.0] * len(ORIGINS)
            lab.bought_class = [0.0, 0.0, 0.0]
        for lab, o, money, chips in orders:
            if money <= 0:
                continue
            h100e = money / o.price
            lab.compute_spend += money
            lab.bought[ORIGIN_INDEX[o.channel]] += h100e
            if o.channel != "rented":
                lab.bought_class[o.pclass] += h100e
            v = self.vendor_by_key[o.vendor]
            if o.channel == "rented":
                vendor_rev = 0.0
            elif o.channel == "smuggled":
                vendor_rev = money / (1.0 + w.smuggling_premium)
            else:
                vendor_rev = money
            if o.channel == "licensed":
                c.licence_fees += c.licence.fee_share * vendor_rev
            v.revenue += vendor_rev
            f = flows[(o.vendor, lab.nation, o.channel)]
            f[0] += h100e
            f[1] += chips
            f[2] += vendor_rev
            f[3] += money
            if o.channel == "domestic":
                self.nations[lab.nation].cum_domestic_h100e += h100e
        for v in self.vendors:
            if v.domestic is not None:
                used = v.sold_chips * v.domestic.hbm_stacks_per_chip
                from_stock = min(used, v.hbm_stockpile)
                v.hbm_stockpile -= from_stock
        for (vkey, buyer, channel), (h, chips, rev, spend) in flows.items():
            self.flow_rows.append((self.year, vkey, buyer, channel, h, chips, rev, spend))
        for lab in self.labs:
            # max(): rounding can leave a few 1e-8 dollars below zero when everything was spent
            lab.cash = max(0.0, lab.budget - lab.efficiency_spend - lab.compute_spend)
            if lab.compute_budget > 0:
                lab.fill_rate = lab.compute_spend / lab.compute_budget

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
        w = self.world
        shocks = self.rng.standard_normal(len(self.labs))
        best_all = max(lab.log_eff for lab in self.labs)
        open_labs = [lab.log_eff for lab in self.labs if lab.open_weights]
        best_open = max(open_labs) if open_labs else -math.inf
        for lab, z in zip(self.labs, shocks, strict=True):
            own = own_rd_gain(
                lab.efficiency_spend,
                self.rd_reference,
                w.frontier_efficiency_growth,
                w.efficiency_rd_elasticity,
            )
            own *= math.exp(w.rd_noise_sd * z - 0.5 * w.rd_noise_sd**2)
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
            lab.d_eff = own / LN10
            lab.d_catchup = catch / LN10
            lab.cum_efficiency_spend += lab.efficiency_spend

    # ------------------------------------------------------------------ phase 7
    def train(self) -> None:
        """Flagship runs: FLOP, effective compute, OOM score, costs; frontier, lags, Sputnik flag."""
        for lab in self.labs:
            self._train_lab(lab)
        self._follower_bonus()
        leader = max(self.labs, key=lambda lab: lab.oom)
        self.frontier_oom = leader.oom
        self.frontier_lab = leader.key
        self.frontier_nation = leader.nation
        self.frontier.record(self.year, leader.oom)
        self.world_compute = sum(lab.total_stock for lab in self.labs)
        for lab in self.labs:
            lab.lag_months = self.frontier.lag_months(lab.oom, self.year)
        for nation in self.nations.values():
            if not nation.labs:
                nation.oom, nation.lag_months, nation.best = (
                    0.0,
                    self.frontier.lag_months(0.0, self.year),
                    None,
                )
                continue
            best = max(nation.labs, key=lambda lab: lab.oom)
            nation.best = best
            nation.oom = best.oom
            nation.lag_months = best.lag_months
        self.sputnik_now = False
        w = self.world
        for lab in self.labs:
            if self.nations[lab.nation].tier == "ally" or lab is leader:
                continue
            if (
                lab.lag_months <= w.sputnik_lag_months
                and lab.headline_cost < w.sputnik_cost_share * leader.headline_cost
            ):
                self.sputnik_now = True
                if self.sputnik_year is None:
                    self.sputnik_year, self.sputnik_lab = self.year, lab.key
                    self.event_log.append((self.year, "sputnik", f"Sputnik moment: {lab.name}"))

    def _follower_bonus(self) -> None:
        """Following is cheaper than leading: a lab ``gap`` OOM behind this year's leader gains
        ``min(s x gap, b)`` with ``s = follower_bonus_share x diffusion`` and
        ``b = follower_bonus_oom x diffusion``: it makes up a fixed share of its gap (distillation,
        papers and open weights show it the way), up to a cap, and nobody passes the leader."""
        top = max(lab.oom for lab in self.labs)
        w = self.world
        share = min(w.follower_bonus_share * w.diffusion, 0.95)
        b = w.follower_bonus_oom * w.diffusion
        for lab in self.labs:
            raw = lab.oom
            gap = top - raw
            bonus = min(share * gap, b) if gap > 0 and b > 0 else 0.0
            lab.oom = raw + bonus
            lab.d_catchup += bonus - lab.bonus
            lab.bonus = bonus

    def _train_lab(self, lab: Lab) -> None:
        w = self.world
        usable = lab.total_stock * self._power_factor(self.nations[lab.nation])
        lab.cluster = min(usable * w.frontier_share, self.cluster_cap)
        lab.quality = self._quality(lab)
        lab.training_flop = training_flop(
            lab.cluster,
            w.utilisation,
            self.run_duration,
            w.seconds_per_year,
            w.h100e_flops,
            lab.quality,
        )
        lab.effective_flop = lab.training_flop * lab.efficiency
        lab.oom = safe_log10(lab.effective_flop)
        lab.headline_cost = lab.cluster * self.run_duration * self.rental_price
        lab.total_cost = lab.compute_spend + lab.efficiency_spend

    # ------------------------------------------------------------------ phase 8
    def sell_models(self) -> None:
        """World AI revenue follows the frontier; labs share it by capability, price and access."""
        w = self.world
        world_gdp = sum(n.gdp for n in self.nations.values())
        self.world_revenue = min(
            w.ai_revenue_usd
            * 10 ** (w.revenue_oom_elasticity * (self.frontier_oom - self.initial_frontier)),
            w.revenue_max_gdp_share * world_gdp * (w.world_gdp_usd / max(self.initial_gdp, 1.0)),
        )
        best_eff = max(lab.log_eff for lab in self.labs)
        attract = {
            lab.key: 10 ** (w.market_oom_sensitivity * (lab.oom - self.frontier_oom))
            * math.exp(w.serving_cost_elasticity * (lab.log_eff - best_eff))
            / lab.price_markup**2
            for lab in self.labs
        }
        for lab in self.labs:
            lab.usage = 0.0
            lab.revenue = 0.0
        for market in self.nations.values():
            weight = market.gdp / world_gdp
            scores = [
                (lab, self._access(lab.nation, market.key) * attract[lab.key]) for lab in self.labs
            ]
            total = sum(s for _, s in scores)
            if total <= 0:
                continue
            for lab, s in scores:
                share = s / total
                lab.usage += weight * share
                capture = w.open_weights_capture if lab.open_weights else 1.0
                lab.revenue += self.world_revenue * weight * share * capture * lab.price_markup

    # ------------------------------------------------------------------ phase 9
    def record(self) -> None:
        """Append this year's rows (plain tuples) and collect the model-level reporters."""
        records.append_rows(self)

    # ------------------------------------------------------------------ end of year
    def advance(self) -> None:
        """Technology and economy move on; the clock advances; stop after the last year."""
        w = self.world
        c = self.controls
        for v in self.vendors:
            v.scarcity = v.next_scarcity
            v.last_home_sales_chips = v.home_sales_chips
            v.disruption *= math.exp(-1.0 / w.taiwan_recovery_years)
            v.price_per_h100e /= w.price_performance_growth
            if v.domestic is None:
                v.growth = 1.0 + (v.growth - 1.0) * v.capacity_growth_decay
                v.capacity_chips *= v.growth * v.expansion
                v.capacity = v.capacity_chips * (1.0 - v.disruption)
                v.perf *= v.perf_growth
            else:
                d = v.domestic
                targeted = c.targets(self.nations[v.nation])
                slow = 1.0
                if targeted:
                    # Controls bite less each year as the target builds its own tools.
                    v.sme_years += 1
                    fade = 0.5 ** (v.sme_years / w.sme_erosion_half_life_years)
                    slow -= c.sme_effect * c.sme_controls * fade
                d.gross_dies *= (1.0 + (d.dies_growth - 1.0) * slow) * v.expansion
                d.yield_rate += d.yield_learning * slow * (d.yield_max - d.yield_rate)
                v.perf *= 1.0 + (v.perf_growth - 1.0) * slow
                v.hbm_domestic *= d.hbm_domestic_growth
                v.capacity = v.domestic_capacity()
        for nation in self.nations.values():
            nation.gdp *= 1.0 + nation.gdp_growth
            nation.prev_oom = nation.oom
        for lab in self.labs:
            lab.prev_oom = lab.oom
        self.prev_frontier_oom = self.frontier_oom
        self.year += 1
        self.t += 1
        self._set_trends()
        self.datacollector.collect(self)
        if self.year > self.end_year:
            self.running = False

    # ------------------------------------------------------------------ helpers
    def set_param(self, path: str, value: Any) -> None:
        """Set a live parameter by dotted path (events, game moves, policies)."""
        err = check_param_path(self.scenario, path, value)
        if err:
            raise ValueError(f"{path}: {err}")
        head, target, name = self._owner(path)
        if (
            head == "controls"
            and name in ("tpp_threshold", "link_rule_only")
            and getattr(target, name) != value
        ):
            self.controls.threshold_changed_year = self.year
        if isinstance(value, list):
            value = tuple(value)
        setattr(target, name, value)
        if head in ("vendors", "nations", "labs") and len(path.split(".")) == 3:
            self._sync_live(head, target, name, value)

    def _sync_live(self, head: str, agent: Any, name: str, value: Any) -> None:
        """Start-year parameters that agents keep as live state: a new value replaces the state,
        so an event that sets ``vendors.huawei.perf_h100e`` changes the chips actually on sale."""
        if head == "vendors":
            if name == "perf_h100e":
                agent.price_per_h100e *= agent.perf / value  # same chip price, more H100e per chip
                agent.perf = value
            elif name == "price_usd":
                agent.price_per_h100e = value / agent.perf
            elif name == "capacity_chips" and agent.domestic is None:
                agent.capacity = value * (1.0 - agent.disruption)
        elif head == "nations" and name == "gdp_usd":
            agent.gdp = value
        elif head == "labs" and name == "efficiency":
            agent.efficiency = value
            agent.log_eff = math.log(value)

    def _held(self, path: str, value: Any, source: str, title: str) -> bool:
        """True (and a Proposal recorded) if ``path`` is held by a human team and would change."""
        if path not in self.held_paths:
            return False
        old = self.get_param(path)
        if old == value:
            return False
        self.proposals.append(Proposal(self.year, path, old, value, source, title))
        self.event_log.append(
            (self.year, "proposal", f"{title}: {path} {old!r} -> {value!r} (held)")
        )
        return True

    def get_param(self, path: str) -> Any:
        """Read a live parameter by dotted path."""
        _, target, name = self._owner(path)
        return getattr(target, name)

    def _owner(self, path: str) -> tuple[str, Any, str]:
        """Resolve a dotted path to (section, object holding the parameter, parameter name)."""
        head, *rest = path.split(".")
        if head == "world":
            target: Any = self.world
        elif head == "controls":
            target = self.controls
        else:
            pool = {"nations": self.nations, "labs": self.lab_by_key, "vendors": self.vendor_by_key}
            target, rest = pool[head][rest[0]], rest[1:]
        for p in rest[:-1]:
            target = getattr(target, p)
        return head, target, rest[-1]

    def hardware_penalty(self, lab: Lab, base: float) -> float:
        """A hardware training penalty after the lab's efficiency R&D has engineered around it."""
        return base * 0.5 ** (lab.cum_efficiency_spend / self.world.penalty_mitigation_usd)

    def domestic_penalty(self, nation: Nation, lab: Lab, base: float | None = None) -> float:
        """Domestic-chip penalty, shrinking with the nation's cumulative use and the lab's R&D."""
        base = nation.domestic_penalty_base if base is None else base
        learned = base * math.exp(
            -nation.cum_domestic_h100e / self.world.domestic_penalty_learning_h100e
        )
        return self.hardware_penalty(lab, learned)

    def _offers(self, lab: Lab, nation: Nation) -> list:
        out = []
        for v in self.vendors:
            out.extend(self.controls.offers(lab, nation, v, self))
        return out

    def _smuggle_share(self, noise: float) -> float:
        w = self.world
        s = smuggling_share(
            self.controls.enforcement, w.smuggling_max_share, w.smuggling_enforcement_exponent
        )
        return min(s * noise, 0.95)

    def _rent_share(self, lab: Lab) -> float:
        if not (self.controls.cloud_loophole_open and lab.rent_abroad):
            return 0.0
        return self.world.rental_max_share

    def _order_round(
        self,
        remaining: dict[str, float],
        cap_left: dict[str, float],
        smuggle: dict[str, float],
        licence_used: dict[tuple[str, str], float],
        tier2_used: dict[str, float],
    ) -> list[list]:
        """One round of orders: each lab splits its remaining compute money across open offers
        (offers whose vendor is sold out, or whose licence or tier-2 cap is used up, are closed)."""
        w = self.world
        open_vendor = {
            k: left > 1e-9 * max(self.vendor_by_key[k].capacity, 1.0)
            for k, left in cap_left.items()
        }
        capped_nations = {n for _, n in licence_used} | set(tier2_used)
        orders: list[list] = []
        for lab in self.labs:
            money_left = remaining[lab.key]
            if money_left <= 1e-3 * max(lab.compute_budget, 1.0):
                continue
            nation = self.nations[lab.nation]
            offers = [o for o in lab.offers if not o.uses_capacity or open_vendor[o.vendor]]
            if (licence_used or tier2_used) and lab.nation in capped_nations:
                offers = [
                    o for o in offers if not self._cap_used_up(o, nation, licence_used, tier2_used)
                ]
            if len(offers) == lab.open_offers:
                continue  # nothing closed since the last round: leftover money found no seller
            lab.open_offers = len(offers)
            shares = split_budget(
                offers,
                w.channel_price_elasticity,
                smuggle[nation.key],
                self._rent_share(lab),
                nation.domestic_mandate_share,
            )
            for o, sh in zip(offers, shares, strict=True):
                if sh > 0:
                    money = sh * money_left
                    orders.append([lab, o, money, money / o.price / o.chip_perf])
        return orders

    def _cap_used_up(self, o: Any, nation: Nation, licence_used: dict, tier2_used: dict) -> bool:
        """True if ``o`` is a licensed or tier-2-capped offer whose cap this year is exhausted."""
        c = self.controls
        if o.channel == "licensed":
            v = self.vendor_by_key[o.vendor]
            cap = c.licence.volume_cap_share * v.last_home_sales_chips
            if licence_used.get((o.vendor, nation.key), 0.0) >= cap * (1 - 1e-9):
                return True
        if (
            o.channel in ("legal", "licensed")
            and not o.denied
            and nation.tier == "restricted"
            and c.active
            and c.tier2_cap_h100e is not None
            and c.controlled(self.vendor_by_key[o.vendor])
        ):
            return tier2_used.get(nation.key, 0.0) >= c.tier2_cap_h100e * (1 - 1e-9)
        return False

    def _apply_caps(self, orders: list[list], licence_used: dict, tier2_used: dict) -> None:
        """Licence volume caps and diffusion-rule tier-2 caps, cumulative across rounds."""
        c = self.controls
        if c.licence.enabled:
            by_key: dict[tuple[str, str], list[list]] = defaultdict(list)
            for od in orders:
                if od[1].channel == "licensed":
                    by_key[(od[1].vendor, od[0].nation)].append(od)
            for key, ods in by_key.items():
                cap = c.licence.volume_cap_share * self.vendor_by_key[key[0]].last_home_sales_chips
                self._scale(ods, ration([od[3] for od in ods], cap - licence_used[key]))
                licence_used[key] += sum(od[3] for od in ods)
        if c.active and c.tier2_cap_h100e is not None:
            by_nation: dict[str, list[list]] = defaultdict(list)
            for od in orders:
                v = self.vendor_by_key[od[1].vendor]
                if (
                    self.nations[od[0].nation].tier == "restricted"
                    and c.controlled(v)
                    and od[1].channel in ("legal", "licensed")
                ):
                    by_nation[od[0].nation].append(od)
            for key, ods in by_nation.items():
                self._scale(
                    ods,
                    ration(
                        [od[3] * od[1].chip_perf for od in ods], c.tier2_cap_h100e - tier2_used[key]
                    ),
                )
                tier2_used[key] += sum(od[3] * od[1].chip_perf for od in ods)

    @staticmethod
    def _scale(ods: list[list], fill: float) -> None:
        if fill < 1.0:
            for od in ods:
                od[2] *= fill
                od[3] *= fill

    def _access(self, seller: str, buyer: str) -> float:
        return self.market_access.get(seller, {}).get(buyer, 1.0)

    def _power_factor(self, nation: Nation) -> float:
        if nation.power_limit_gw is None:
            return 1.0
        stock = sum(lab.total_stock for lab in nation.labs)
        cap = nation.power_limit_gw * 1e6 / self.kw_per_h100e
        return min(1.0, cap / stock) if stock > 0 else 1.0

    def _quality(self, lab: Lab) -> float:
        nation = self.nations[lab.nation]
        q = lab.quality_stock
        rented = lab.stock[RENTED]
        total = sum(q) + rented
        if total <= 0:
            return 1.0
        w = self.world
        good = q[FULL] + rented
        good += q[VARIANT] * (1.0 - self.hardware_penalty(lab, w.variant_training_penalty))
        good += q[DOMESTIC] * (1.0 - self.domestic_penalty(nation, lab))
        return good / total

    def _set_trends(self) -> None:
        w = self.world
        t = self.t
        self.cluster_cap = w.largest_cluster_h100e * w.cluster_growth**t
        self.run_duration = min(w.run_duration_years * w.run_duration_growth**t, w.run_duration_max)
        self.rental_price = w.rental_usd_per_h100e_year / w.price_performance_growth**t
        self.rd_reference = w.efficiency_rd_reference_usd * w.efficiency_rd_cost_growth**t
        self.kw_per_h100e = w.kw_per_h100e / w.power_efficiency_growth**t

    def _initial_capability(self) -> None:
        """Score the starting fleets with the previous year's trends, for first-year deltas and lags."""
        saved = (self.t, self.cluster_cap, self.run_duration, self.rental_price)
        self.t = -1
        self._set_trends()
        for lab in self.labs:
            lab.compute_spend = lab.efficiency_spend = 0.0
            lab.bonus = lab.d_catchup = 0.0
            self._train_lab(lab)
        self._follower_bonus()
        for lab in self.labs:
            lab.prev_oom = lab.oom
        for nation in self.nations.values():
            nation.prev_oom = max((lab.oom for lab in nation.labs), default=0.0)
            nation.oom = nation.prev_oom
        self.initial_frontier = max(lab.oom for lab in self.labs)
        self.frontier_oom = self.prev_frontier_oom = self.initial_frontier
        self.initial_gdp = sum(n.gdp for n in self.nations.values())
        self.frontier.record(self.start_year - 1, self.initial_frontier)
        for lab in self.labs:
            lab.lag_months = self.frontier.lag_months(lab.oom, self.start_year - 1)
        for nation in self.nations.values():
            nation.lag_months = self.frontier.lag_months(nation.oom, self.start_year - 1)
        self.t = saved[0]
        self._set_trends()


def programme_payment(p: Any, year: int) -> float:
    """Programme money usable in ``year``: upfront in the first year, the rest evenly, after the lag."""
    k = year - p.buildout_lag_years - p.start_year
    if k < 0 or k >= p.years:
        return 0.0
    if p.years == 1:
        return p.total_usd
    if k == 0:
        return p.upfront_usd
    return (p.total_usd - p.upfront_usd) / max(p.years - 1, 1)
