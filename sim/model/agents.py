"""The three agent kinds. All state is in plain attributes; behaviour lives in the model's phases
and in pure functions (market, algorithms, capability) so it can be unit-tested alone."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import mesa
from pydantic import BaseModel

from sim.config.schema import ORIGINS

# Penalty classes for the quality of compute in training.
FULL, VARIANT, DOMESTIC = 0, 1, 2


def namespace(model: BaseModel) -> SimpleNamespace:
    """A mutable copy of a frozen config section; nested sections become namespaces too."""
    out = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            value = namespace(value)
        elif isinstance(value, dict):
            value = dict(value)
        out[name] = value
    return SimpleNamespace(**out)


def copy_fields(target: Any, config: BaseModel) -> None:
    """Copy a config section's fields onto an agent as plain, settable attributes."""
    for key, value in vars(namespace(config)).items():
        setattr(target, key, value)


class Nation(mesa.Agent):
    """A nation: economy, policy levers, counter-moves and a reactive rule."""

    def __init__(self, model: mesa.Model, key: str, config: BaseModel):
        super().__init__(model)
        self.key = key
        copy_fields(self, config)
        self.gdp = self.gdp_usd
        self.reacted = False
        self.labs: list[Lab] = []
        self.cum_domestic_h100e = 0.0
        # Per-year outputs (filled by the model).
        self.oom = 0.0
        self.lag_months = 0.0
        self.prev_oom = 0.0


class Lab(mesa.Agent):
    """An AI developer: money, compute stock by origin, efficiency, strategy."""

    def __init__(self, model: mesa.Model, key: str, config: BaseModel):
        super().__init__(model)
        self.key = key
        copy_fields(self, config)
        total = self.compute_h100e
        self.stock = [total * self.origin_mix.get(o, 0.0) for o in ORIGINS]
        # Quality classes: legal stock held by a target nation is mostly compliant variants.
        self.quality_stock = [0.0, 0.0, 0.0]
        self.external = self.external_usd
        self.cash = 0.0
        self.revenue = self.revenue_usd
        self.prev_revenue = self.revenue_usd
        self.cum_efficiency_spend = 0.0
        self.log_eff = 0.0  # natural log of efficiency, set by the model
        self.budget = 0.0
        self.compute_budget = 0.0
        self.efficiency_spend = 0.0
        self.compute_spend = 0.0
        self.programme_funds = 0.0
        self.effective_price = 0.0
        self.fill_rate = 1.0  # share of last year's compute money that found chips
        self.raised = 0.0
        self.oom = 0.0
        self.prev_oom = 0.0
        self.d_eff = 0.0
        self.d_catchup = 0.0
        self.bonus = 0.0
        self.bought = [0.0] * len(ORIGINS)

    @property
    def total_stock(self) -> float:
        """All compute in use this year (owned plus rented), H100e."""
        return sum(self.stock)


class ChipVendor(mesa.Agent):
    """A chip vendor: flagship product, capacity, and (for a substitute industry) yield and HBM."""

    def __init__(self, model: mesa.Model, key: str, config: BaseModel):
        super().__init__(model)
        self.key = key
        copy_fields(self, config)
        self.perf = self.perf_h100e
        self.price_per_h100e = self.price_usd / self.perf_h100e
        self.capacity = self.capacity_chips
        self.growth = self.capacity_growth
        self.scarcity = 1.0
        self.expansion = 1.0  # extra capacity growth pulled by last year's excess orders
        self.disruption = 0.0
        self.home_sales_chips = 0.0
        self.last_home_sales_chips = 0.0
        self.sold_chips = 0.0
        self.demand_chips = 0.0
        self.revenue = 0.0
        if self.domestic is not None:
            self.hbm_stockpile = self.domestic.hbm_stockpile_stacks
            self.hbm_domestic = self.domestic.hbm_domestic_stacks
            self.capacity = self.domestic_capacity()

    def domestic_capacity(self) -> float:
        """Good chips this year for a substitute industry: dies x yield, limited by HBM if controlled."""
        d = self.domestic
        good = d.gross_dies * d.yield_rate
        if self.model.controls.active and self.model.controls.hbm_controls:
            hbm_chips = (self.hbm_stockpile + self.hbm_domestic) / d.hbm_stacks_per_chip
            good = min(good, hbm_chips)
        return good * (1.0 - self.disruption)

    @property
    def flagship_tpp(self) -> float:
        """TPP of the flagship chip (H100 = 15,832)."""
        return self.perf * 15_832.0
