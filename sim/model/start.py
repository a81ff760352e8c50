"""The start state: labs join their nations, fleets are sorted by training quality, vendors
learn last year's home sales and how long their industry has lived under controls."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from sim.config.schema import ORIGINS, Scenario
from sim.model.agents import ChipVendor, Lab, Nation
from sim.model.controls import ExportControl


def place_start_stocks(
    scen: Scenario,
    nations: Mapping[str, Nation],
    labs: Sequence[Lab],
    vendors: Sequence[ChipVendor],
    controls: ExportControl,
) -> None:
    """Set up the start-year state of agents from the scenario (see the module docstring)."""
    c = controls
    start = scen.horizon.start_year
    world_stock = sum(lab.compute_h100e for lab in scen.labs.values()) or 1.0
    for v in vendors:
        v.capacity = v.domestic_capacity(c.active and c.hbm_controls)
        # Last year's home-market sales (licence volume caps refer to them): the home nation's
        # share of the starting world stock, applied to this year's capacity.
        home = sum(lab.compute_h100e for lab in scen.labs.values() if lab.nation == v.nation)
        v.last_home_sales_chips = v.capacity * (home / world_stock)
        v.sme_years = max(0, start - c.comply_year) if c.enabled else 0
    licensed, smuggled, domestic = (ORIGINS.index(o) for o in ("licensed", "smuggled", "domestic"))
    for lab in labs:
        nation = nations[lab.nation]
        nation.labs.append(lab)
        lab.log_eff = math.log(lab.efficiency)
        # Legal stock held by a target nation is mostly compliant variants.
        variants = c.targets(nation)
        st = lab.stock
        full = st[licensed] + st[smuggled] + (0.0 if variants else st[0])
        lab.quality_stock = [full, st[0] if variants else 0.0, st[domestic]]
    for nation in nations.values():
        pens = [
            v.domestic.training_penalty
            for v in vendors
            if v.domestic is not None and v.nation == nation.key
        ]
        nation.domestic_penalty_base = max(pens) if pens else 0.0
