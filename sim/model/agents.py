"""The three agent kinds, each declaring its state.

Every agent has two kinds of attributes:

* **levers**: the scenario's parameters for that agent, named as in the schema
  (:mod:`sim.config.schema`), which events, game moves and sweeps set by path
  (``labs.deepseek.open_weights``, see :mod:`sim.model.params`). Nested sections (``reactions``,
  ``programme``, ``domestic``) stay frozen config objects that are replaced on write.
* **state**: what the simulation changes year by year, initialised from the start values.

Behaviour lives in the model's phases and in the pure mechanism functions (clearing, algorithms,
capability, diffusion, finance, power, supply, serving), so it can be unit-tested alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.config.schema import ORIGINS, DomesticIndustry, Programme, Reaction, Strategy, Tier
from sim.model.clearing import N_CLASSES, RENTED
from sim.model.power import PowerGrid

if TYPE_CHECKING:
    from sim.config import schema

H100_TPP = 15_832.0  # total processing performance of one H100 (the H100e unit)


class Nation(mesa.Agent):
    """A nation: economy, policy levers, counter-moves, AI power and reactive rules."""

    # levers (schema.Nation)
    name: str
    tier: Tier
    gdp_usd: float  #: GDP in the start year (the live value is ``gdp``)
    gdp_growth: float
    ai_capex_saturation_gdp_share: float
    subsidy_usd: float
    power_gw: float | None  #: AI power at the start (the live value is ``grid.capacity_gw``)
    power_build_rate: float
    power_lead_years: int
    rental_host_share: float
    rental_permit: float
    domestic_mandate_share: float
    ban_compliant_imports: bool
    mineral_ban: bool
    reactions: tuple[Reaction, ...]
    programme: Programme | None
    # state
    key: str
    gdp: float
    labs: list[Lab]
    grid: PowerGrid | None  #: AI data-centre power (None: unlimited)
    fired: set[int]  #: reaction rules that fired (once-only rules fire once)
    private_spend: float  #: last year's private AI spending (investors and reinvested revenue)
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
        self.ai_capex_saturation_gdp_share = cfg.ai_capex_saturation_gdp_share
        self.subsidy_usd = cfg.subsidy_usd
        self.power_gw = cfg.power_gw
        self.power_build_rate = cfg.power_build_rate
        self.power_lead_years = cfg.power_lead_years
        self.rental_host_share = cfg.rental_host_share
        self.rental_permit = cfg.rental_permit
        self.domestic_mandate_share = cfg.domestic_mandate_share
        self.ban_compliant_imports = cfg.ban_compliant_imports
        self.mineral_ban = cfg.mineral_ban
        self.reactions = cfg.reactions
        self.programme = cfg.programme
        self.gdp = cfg.gdp_usd
        self.labs = []
        self.grid = None
        self.fired = set()
        self.private_spend = 0.0
        self.cum_domestic_h100e = 0.0
        self.domestic_penalty_base = 0.0
        self.oom = self.prev_oom = self.lag_months = 0.0
        self.best = None


class Lab(mesa.Agent):
    """An AI developer: money, compute by origin and class, efficiency, strategy, capability."""

    # levers (schema.Lab)
    name: str
    nation: str  #: home nation id
    strategy: Strategy
    efficiency_share: float  #: current efficiency-R&D share (adaptive labs move it)
    efficiency_share_min: float
    efficiency_share_max: float
    flagship_share: float
    compute_h100e: float  #: start stock
    origin_mix: dict[str, float]
    efficiency: float  #: algorithmic efficiency (live: grows with R&D and spillover)
    necessity_edge: float  #: start value of ``adapt``
    external_usd: float  #: start value of outside capital
    external_growth: float
    revenue_usd: float  #: revenue of the year before the start
    reinvest_share: float
    open_weights: bool
    price_markup: float
    rent_abroad: bool
    # state: money
    key: str
    external: float  #: outside capital trend (before noise)
    external_now: float  #: this year's outside capital
    boost: float  #: one-year extra growth of outside capital (Sputnik moment, reactions)
    grants: list[list[float]]  #: state grants: [yearly amount, years left]
    grant_now: float
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
    facility_spend: float  #: data-centre part of the compute spend
    cum_efficiency_spend: float
    share_now: float  #: efficiency share chosen this year
    revenue: float
    demand_usd: float  #: AI demand the lab attracts (revenue needs serving capacity to earn it)
    usage: float  #: share of world AI usage (market share)
    # state: compute
    stock: list[float]  #: H100e by origin (ORIGINS order; rented lasts one year)
    flop: list[float]  #: owned H100e by fleet class (full, link-cut, memory-rich, domestic)
    serve: list[float]  #: owned serving units by fleet class
    bought: list[float]  #: this year's purchases by origin
    bought_class: list[float]  #: this year's owned purchases by fleet class
    bought_serve: list[float]  #: this year's serving units bought by fleet class
    serve_weight: float  #: weight of serving value in the lab's choice of chips
    list_price: float  #: price per unit of training value at list prices
    effective_price: float  #: the same with the fill rate (access counts as price)
    constraint: float  #: 1 - median allied lab's price / own price (0: unconstrained)
    fill_rate: float  #: share of last year's compute money that found chips
    serve_need: float
    serve_covered: float
    # state: capability
    log_eff: float  #: natural log of ``efficiency``
    adapt: float  #: ln of the necessity edge (engineering around constraints)
    d_eff: float  #: this year's own-R&D efficiency gain (OOM)
    d_catchup: float  #: this year's spillover and diffusion gain (OOM)
    bonus: float  #: diffusion bonus in this year's score (OOM)
    teacher: str  #: the model it learned most from this year
    training_h100e: float  #: compute left for training and experiments after serving
    cluster: float
    quality: float
    training_flop: float
    effective_flop: float
    own_oom: float  #: capability from its own compute and algorithms
    oom: float  #: with what it learned from better models
    prev_oom: float
    oom_hist: list[float]  #: OOM two years ago and last year (investors' view of progress)
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
        self.flagship_share = cfg.flagship_share
        self.compute_h100e = cfg.compute_h100e
        self.origin_mix = dict(cfg.origin_mix)
        self.efficiency = cfg.efficiency
        self.necessity_edge = cfg.necessity_edge
        self.external_usd = cfg.external_usd
        self.external_growth = cfg.external_growth
        self.revenue_usd = cfg.revenue_usd
        self.reinvest_share = cfg.reinvest_share
        self.open_weights = cfg.open_weights
        self.price_markup = cfg.price_markup
        self.rent_abroad = cfg.rent_abroad
        self.external = self.external_now = cfg.external_usd
        self.boost = self.grant_now = 0.0
        self.grants = []
        self.reinvested = self.raised = self.subsidy_now = self.programme_funds = 0.0
        self.cash = self.cash_start = self.inflow = self.budget = self.compute_budget = 0.0
        self.efficiency_spend = self.compute_spend = self.facility_spend = 0.0
        self.cum_efficiency_spend = 0.0
        self.share_now = cfg.efficiency_share
        self.revenue = self.demand_usd = cfg.revenue_usd
        self.usage = 0.0
        self.stock = [cfg.compute_h100e * cfg.origin_mix.get(o, 0.0) for o in ORIGINS]
        self.flop = [0.0] * N_CLASSES  # set at the start (who holds variants)
        self.serve = [0.0] * N_CLASSES
        self.bought = [0.0] * len(ORIGINS)
        self.bought_class = [0.0] * N_CLASSES
        self.bought_serve = [0.0] * N_CLASSES
        self.serve_weight = 0.0
        self.list_price = self.effective_price = 0.0
        self.constraint = 0.0
        self.fill_rate = 1.0
        self.serve_need = self.serve_covered = 0.0
        self.log_eff = 0.0  # set at the start from ``efficiency``
        self.adapt = cfg.necessity_edge
        self.d_eff = self.d_catchup = self.bonus = 0.0
        self.teacher = ""
        self.training_h100e = self.cluster = self.quality = self.training_flop = (
            self.effective_flop
        ) = 0.0
        self.own_oom = self.oom = self.prev_oom = self.lag_months = 0.0
        self.oom_hist = [0.0, 0.0]
        self.headline_cost = self.total_cost = 0.0

    @property
    def total_stock(self) -> float:
        """All compute in use this year (owned plus rented), H100e."""
        return sum(self.stock)

    @property
    def owned(self) -> float:
        """Owned compute (H100e)."""
        return sum(self.stock) - self.stock[RENTED]


class ChipVendor(mesa.Agent):
    """A chip vendor: flagship product, cost curve, price, capacity and (for a substitute
    industry) banked dies, yield and HBM."""

    # levers (schema.Vendor)
    name: str
    nation: str
    perf_h100e: float  #: start value (the live value is ``perf``)
    perf_growth: float
    price_usd: float  #: start price per chip (the live value is ``price_per_h100e``)
    markup: float
    cost_decline: float
    serve_per_h100e: float
    software_quality: float
    capacity_chips: float  #: start capacity (live: ``potential`` and ``capacity``)
    capacity_growth: float
    capacity_growth_decay: float
    taiwan_dependence: float
    exclusive_buyers: tuple[str, ...]
    exports: bool
    domestic: DomesticIndustry | None  #: a substitute industry limited by dies, yield and HBM
    # state
    key: str
    perf: float  #: H100e per flagship chip
    price_per_h100e: float  #: this year's list price (cost x markup x scarcity, smoothed)
    cost_per_h100e: float  #: unit cost
    base_cost: float  #: domestic industry: unit cost before yield and equipment premium
    premium0: float  #: domestic industry: equipment-control premium at the start
    potential: float  #: chips it could make undisrupted
    capacity: float  #: chips on sale this year
    growth: float  #: this year's trend growth factor
    pipeline: list[float]  #: expansions (shares of capacity) arriving in 1, 2, ... years
    utilisation: float  #: last year's orders over capacity (shortage above 1, idle below)
    disruption: float  #: share of capacity lost to a Taiwan shock (recovers)
    demand_chips: float
    sold_chips: float
    home_sales_chips: float
    last_home_sales_chips: float  #: licence volume caps refer to these
    revenue: float
    sme_years: int  #: years the home industry has lived under equipment controls
    gross_dies: float  #: domestic industry: dies started this year
    dies_growth: float  #: domestic industry: yearly growth of die starts (live)
    yield_rate: float  #: domestic industry: good-die share
    yield_start: float
    die_bank: float  #: domestic industry: dies made abroad before a cut-off, held in stock
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
        self.markup = cfg.markup
        self.cost_decline = cfg.cost_decline
        self.serve_per_h100e = cfg.serve_per_h100e
        self.software_quality = cfg.software_quality
        self.capacity_chips = cfg.capacity_chips
        self.capacity_growth = cfg.capacity_growth
        self.capacity_growth_decay = cfg.capacity_growth_decay
        self.taiwan_dependence = cfg.taiwan_dependence
        self.exclusive_buyers = cfg.exclusive_buyers
        self.exports = cfg.exports
        self.domestic = cfg.domestic
        self.perf = cfg.perf_h100e
        self.price_per_h100e = cfg.price_usd / cfg.perf_h100e
        self.cost_per_h100e = self.base_cost = self.price_per_h100e / cfg.markup
        self.premium0 = 0.0
        self.potential = self.capacity = cfg.capacity_chips
        self.growth = cfg.capacity_growth
        self.pipeline = []
        self.utilisation = 1.0
        self.disruption = 0.0
        self.demand_chips = self.sold_chips = self.revenue = 0.0
        self.home_sales_chips = self.last_home_sales_chips = 0.0
        self.sme_years = 0
        d = cfg.domestic
        self.gross_dies = d.gross_dies if d else 0.0
        self.dies_growth = d.dies_growth if d else 0.0
        self.yield_rate = self.yield_start = d.yield_rate if d else 0.0
        self.die_bank = d.die_bank if d else 0.0
        self.hbm_stockpile = d.hbm_stockpile_stacks if d else 0.0
        self.hbm_domestic = d.hbm_domestic_stacks if d else 0.0

    def bank_release(self) -> float:
        """Banked dies that can be packaged this year (packaging is sized to the domestic flow)."""
        d = self.domestic
        return min(self.die_bank, d.bank_release_share * self.gross_dies) if d else 0.0

    def domestic_capacity(self, hbm_limited: bool) -> float:
        """Good chips this year for a substitute industry: banked dies plus domestic dies x yield,
        limited by HBM (stockpile plus domestic output) when ``hbm_limited``, less any disruption."""
        d = self.domestic
        if d is None:
            return self.capacity
        good = self.bank_release() * d.yield_max + self.gross_dies * self.yield_rate
        if hbm_limited:
            good = min(good, (self.hbm_stockpile + self.hbm_domestic) / d.hbm_stacks_per_chip)
        return good * (1.0 - self.disruption)

    @property
    def flagship_tpp(self) -> float:
        """TPP of the flagship chip (H100 = 15,832)."""
        return self.perf * H100_TPP


def release_agent_ids(model: mesa.Model) -> None:
    """Drop ``model``'s entry from Mesa 3.3's class-level agent id counter (``Agent._ids``), which
    otherwise holds every model ever built (~200 KB per run). Call once every agent exists."""
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)
