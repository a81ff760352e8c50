"""The three agent kinds, each declaring its state.

Every agent has two kinds of attributes:

* **levers**: the scenario's parameters for that agent, named as in the schema
  (:mod:`sim.config.schema`), which events, game moves and sweeps set by path
  (``labs.deepseek.open_weights``, see :mod:`sim.model.params`). Nested sections (``reaction``,
  ``programme``, ``domestic``) stay frozen config objects that are replaced on write.
* **state**: what the simulation changes year by year, initialised from the start values.

Behaviour lives in the model's phases and in the pure mechanism functions (clearing, algorithms,
capability, finance, penalties), so it can be unit-tested alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.config.schema import ORIGINS, DomesticIndustry, Programme, Reaction, Strategy, Tier
from sim.model.clearing import N_CLASSES

if TYPE_CHECKING:
    from sim.config import schema

H100_TPP = 15_832.0  # total processing performance of one H100 (the H100e unit)


class Nation(mesa.Agent):
    """A nation: economy, policy levers, counter-moves and a reactive rule."""

    # levers (schema.Nation)
    name: str
    tier: Tier
    gdp_usd: float  #: GDP in the start year (the live value is ``gdp``)
    gdp_growth: float
    max_ai_capex_gdp_share: float
    subsidy_usd: float  #: raised by a reaction rule
    power_limit_gw: float | None
    domestic_mandate_share: float
    ban_compliant_imports: bool
    mineral_ban: bool
    reaction: Reaction | None
    programme: Programme | None
    # state
    key: str
    gdp: float
    labs: list[Lab]
    reacted: bool  #: the reaction rule has fired
    cum_domestic_h100e: float  #: domestic chips bought so far (the software stack learns)
    domestic_penalty_base: float  #: training penalty of the nation's own chips at the start
    oom: float  #: best lab's OOM score this year
    prev_oom: float
    lag_months: float
    best: Lab | None  #: best lab this year

    def __init__(self, model: mesa.Model, key: str, cfg: schema.Nation):
        super().__init__(model)
        self.key = key
        self.name = cfg.name
        self.tier = cfg.tier
        self.gdp_usd = cfg.gdp_usd
        self.gdp_growth = cfg.gdp_growth
        self.max_ai_capex_gdp_share = cfg.max_ai_capex_gdp_share
        self.subsidy_usd = cfg.subsidy_usd
        self.power_limit_gw = cfg.power_limit_gw
        self.domestic_mandate_share = cfg.domestic_mandate_share
        self.ban_compliant_imports = cfg.ban_compliant_imports
        self.mineral_ban = cfg.mineral_ban
        self.reaction = cfg.reaction
        self.programme = cfg.programme
        self.gdp = cfg.gdp_usd
        self.labs = []
        self.reacted = False
        self.cum_domestic_h100e = 0.0
        self.domestic_penalty_base = 0.0
        self.oom = self.prev_oom = self.lag_months = 0.0
        self.best = None


class Lab(mesa.Agent):
    """An AI developer: money, compute stock by origin, efficiency, strategy."""

    # levers (schema.Lab)
    name: str
    nation: str  #: home nation id
    strategy: Strategy
    efficiency_share: float  #: current efficiency-R&D share (adaptive labs move it)
    efficiency_share_min: float
    efficiency_share_max: float
    compute_h100e: float  #: start stock
    origin_mix: dict[str, float]
    efficiency: float  #: algorithmic efficiency (live: grows with R&D and catch-up)
    external_usd: float  #: start value of external capital
    external_growth: float
    revenue_usd: float  #: revenue of the year before the start
    reinvest_share: float
    open_weights: bool
    price_markup: float
    rent_abroad: bool
    # state: money
    key: str
    external: float  #: external capital trend (before noise and the GDP cap)
    external_now: float  #: this year's external capital
    reinvested: float
    raised: float  #: new capital actually raised (idle cash replaces it)
    subsidy_now: float
    programme_funds: float
    cash: float  #: money left at the end of the year
    cash_start: float
    inflow: float
    budget: float
    compute_budget: float
    efficiency_spend: float
    compute_spend: float
    cum_efficiency_spend: float
    share_now: float  #: efficiency share used this year
    revenue: float
    usage: float  #: share of world AI usage (market share)
    # state: compute
    stock: list[float]  #: H100e by origin (ORIGINS order; rented lasts one year)
    quality_stock: list[float]  #: owned H100e by penalty class (full, variant, domestic)
    bought: list[float]  #: this year's purchases by origin
    bought_class: list[float]  #: this year's owned purchases by penalty class
    effective_price: float  #: price per usable H100e the lab faces (fill rate included)
    fill_rate: float  #: share of last year's compute money that found chips
    # state: capability
    log_eff: float  #: natural log of ``efficiency``
    d_eff: float  #: this year's own-R&D efficiency gain (OOM)
    d_catchup: float  #: this year's catch-up gain (OOM)
    bonus: float  #: follower bonus in this year's score (OOM)
    cluster: float
    quality: float
    training_flop: float
    effective_flop: float
    oom: float
    prev_oom: float
    lag_months: float
    headline_cost: float
    total_cost: float

    def __init__(self, model: mesa.Model, key: str, cfg: schema.Lab):
        super().__init__(model)
        self.key = key
        self.name = cfg.name
        self.nation = cfg.nation
        self.strategy = cfg.strategy
        self.efficiency_share = cfg.efficiency_share
        self.efficiency_share_min = cfg.efficiency_share_min
        self.efficiency_share_max = cfg.efficiency_share_max
        self.compute_h100e = cfg.compute_h100e
        self.origin_mix = dict(cfg.origin_mix)
        self.efficiency = cfg.efficiency
        self.external_usd = cfg.external_usd
        self.external_growth = cfg.external_growth
        self.revenue_usd = cfg.revenue_usd
        self.reinvest_share = cfg.reinvest_share
        self.open_weights = cfg.open_weights
        self.price_markup = cfg.price_markup
        self.rent_abroad = cfg.rent_abroad
        self.external = self.external_now = cfg.external_usd
        self.reinvested = self.raised = self.subsidy_now = self.programme_funds = 0.0
        self.cash = self.cash_start = self.inflow = self.budget = self.compute_budget = 0.0
        self.efficiency_spend = self.compute_spend = self.cum_efficiency_spend = 0.0
        self.share_now = cfg.efficiency_share
        self.revenue = cfg.revenue_usd
        self.usage = 0.0
        self.stock = [cfg.compute_h100e * cfg.origin_mix.get(o, 0.0) for o in ORIGINS]
        self.quality_stock = [0.0] * N_CLASSES  # set by the model (who holds variants)
        self.bought = [0.0] * len(ORIGINS)
        self.bought_class = [0.0] * N_CLASSES
        self.effective_price = 0.0
        self.fill_rate = 1.0
        self.log_eff = 0.0  # set by the model from ``efficiency``
        self.d_eff = self.d_catchup = self.bonus = 0.0
        self.cluster = self.quality = self.training_flop = self.effective_flop = 0.0
        self.oom = self.prev_oom = self.lag_months = 0.0
        self.headline_cost = self.total_cost = 0.0

    @property
    def total_stock(self) -> float:
        """All compute in use this year (owned plus rented), H100e."""
        return sum(self.stock)


class ChipVendor(mesa.Agent):
    """A chip vendor: flagship product, capacity, and (for a substitute industry) yield and HBM."""

    # levers (schema.Vendor)
    name: str
    nation: str
    perf_h100e: float  #: start value (the live value is ``perf``)
    perf_growth: float
    price_usd: float  #: start price per chip (the live value is ``price_per_h100e``)
    capacity_chips: float  #: capacity before disruption (live: grows every year)
    capacity_growth: float
    capacity_growth_decay: float
    taiwan_dependence: float
    exclusive_buyers: tuple[str, ...]
    exports: bool
    domestic: DomesticIndustry | None  #: a substitute industry limited by dies, yield and HBM
    # state
    key: str
    perf: float  #: H100e per flagship chip
    price_per_h100e: float  #: list price before scarcity
    capacity: float  #: chips on sale this year
    growth: float  #: this year's capacity growth factor
    scarcity: float  #: this year's price multiplier from last year's excess orders
    next_scarcity: float
    expansion: float  #: extra capacity growth pulled by last year's excess orders
    disruption: float  #: share of capacity lost to a Taiwan shock (recovers)
    demand_chips: float
    sold_chips: float
    home_sales_chips: float
    last_home_sales_chips: float  #: licence volume caps refer to these
    revenue: float
    sme_years: int  #: years the home industry has lived under equipment controls
    gross_dies: float  #: domestic industry: dies started this year
    yield_rate: float  #: domestic industry: good-die share
    hbm_stockpile: float  #: domestic industry: HBM stacks left from before the ban
    hbm_domestic: float  #: domestic industry: HBM stacks made at home per year

    def __init__(self, model: mesa.Model, key: str, cfg: schema.Vendor):
        super().__init__(model)
        self.key = key
        self.name = cfg.name
        self.nation = cfg.nation
        self.perf_h100e = cfg.perf_h100e
        self.perf_growth = cfg.perf_growth
        self.price_usd = cfg.price_usd
        self.capacity_chips = cfg.capacity_chips
        self.capacity_growth = cfg.capacity_growth
        self.capacity_growth_decay = cfg.capacity_growth_decay
        self.taiwan_dependence = cfg.taiwan_dependence
        self.exclusive_buyers = cfg.exclusive_buyers
        self.exports = cfg.exports
        self.domestic = cfg.domestic
        self.perf = cfg.perf_h100e
        self.price_per_h100e = cfg.price_usd / cfg.perf_h100e
        self.capacity = cfg.capacity_chips
        self.growth = cfg.capacity_growth
        self.scarcity = self.next_scarcity = self.expansion = 1.0
        self.disruption = 0.0
        self.demand_chips = self.sold_chips = self.revenue = 0.0
        self.home_sales_chips = self.last_home_sales_chips = 0.0
        self.sme_years = 0
        d = cfg.domestic
        self.gross_dies = d.gross_dies if d else 0.0
        self.yield_rate = d.yield_rate if d else 0.0
        self.hbm_stockpile = d.hbm_stockpile_stacks if d else 0.0
        self.hbm_domestic = d.hbm_domestic_stacks if d else 0.0

    def domestic_capacity(self, hbm_limited: bool) -> float:
        """Good chips this year for a substitute industry: dies x yield, limited by HBM when
        ``hbm_limited`` (HBM export controls in force), less any disruption."""
        d = self.domestic
        if d is None:
            return self.capacity
        good = self.gross_dies * self.yield_rate
        if hbm_limited:
            good = min(good, (self.hbm_stockpile + self.hbm_domestic) / d.hbm_stacks_per_chip)
        return good * (1.0 - self.disruption)

    @property
    def flagship_tpp(self) -> float:
        """TPP of the flagship chip (H100 = 15,832)."""
        return self.perf * H100_TPP
