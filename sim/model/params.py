"""Live parameters by dotted path: read and write the levers of a running model.

A path names a scenario parameter as in scenario files (``controls.enforcement``,
``labs.deepseek.open_weights``, ``vendors.huawei.domestic.yield_rate``; see
:mod:`sim.config.paths`). Agents and the export-control regime hold their levers as attributes;
``world`` and nested sections (``controls.licence``, ``nations.X.reactions``,
``nations.X.programme``, ``vendors.X.domestic``) are frozen config objects that a write replaces
with an updated copy. Values are validated against the schema before they are written.

Some start-year parameters are also live state (a vendor's ``perf_h100e`` is the chip on sale):
writing them replaces the state too (:func:`_sync_live`), so an event that sets
``vendors.huawei.perf_h100e`` changes the chips actually sold.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from sim.config.paths import check_param_path, structured_value
from sim.model.agents import ChipVendor, Lab, Nation

if TYPE_CHECKING:
    from sim.model.model import ComputeRaceModel

# Domestic-industry parameters that the model advances every year: the live values are vendor
# attributes, so reads and writes of ``vendors.X.domestic.<name>`` go to the vendor.
LIVE_DOMESTIC = {
    "gross_dies": "gross_dies",
    "dies_growth": "dies_growth",
    "yield_rate": "yield_rate",
    "die_bank": "die_bank",
    "hbm_stockpile_stacks": "hbm_stockpile",
    "hbm_domestic_stacks": "hbm_domestic",
}


def _owner(model: ComputeRaceModel, path: str) -> tuple[Any, list[str]]:
    """The object holding the first part of ``path`` and the remaining parts."""
    head, *rest = path.split(".")
    if head == "world":
        return model, ["world", *rest]
    if head == "controls":
        return model.controls, rest
    pools: dict[str, dict[str, Any]] = {
        "nations": model.nations,
        "labs": model.lab_by_key,
        "vendors": model.vendor_by_key,
    }
    if head not in pools:
        raise KeyError(f"{path}: unknown section '{head}'")
    return pools[head][rest[0]], rest[1:]


def get_param(model: ComputeRaceModel, path: str) -> Any:
    """The current value of a parameter (AttributeError or KeyError if there is none)."""
    target, rest = _owner(model, path)
    if isinstance(target, ChipVendor) and rest[:1] == ["domestic"] and rest[-1] in LIVE_DOMESTIC:
        if target.domestic is None:
            raise AttributeError(f"{path}: vendor has no domestic industry")
        return getattr(target, LIVE_DOMESTIC[rest[-1]])
    for part in rest:
        target = getattr(target, part)
    return target


def set_param(model: ComputeRaceModel, path: str, value: Any) -> None:
    """Set a parameter of the running model; ValueError names the path and why it cannot be set."""
    err = check_param_path(model.scenario, path, value)
    if err:
        raise ValueError(f"{path}: {err}")
    value = structured_value(model.scenario, path, value)
    if isinstance(value, list):
        value = tuple(value)
    target, rest = _owner(model, path)
    name = rest[-1]
    new_threshold = path in ("controls.tpp_threshold", "controls.link_rule_only")
    if new_threshold and getattr(target, name) != value:
        model.controls.threshold_changed_year = model.year
    _write(target, rest, value)
    if isinstance(target, (Nation, Lab, ChipVendor)):
        _sync_live(target, rest, value)
    if path.startswith("vendors."):
        model.vendors_changed = True  # domestic output is recomputed before the market opens


def _write(target: Any, rest: list[str], value: Any) -> None:
    """``target.a.b.c = value``, replacing frozen config objects on the way with updated copies."""
    name = rest[0]
    if len(rest) == 1:
        setattr(target, name, value)
        return
    child = getattr(target, name)
    if isinstance(child, BaseModel):
        setattr(target, name, _replaced(child, rest[1:], value))
    else:
        _write(child, rest[1:], value)


def _replaced(config: BaseModel, rest: list[str], value: Any) -> BaseModel:
    """A copy of a frozen config object with the nested field ``rest`` set to ``value``."""
    name = rest[0]
    if len(rest) > 1:
        value = _replaced(getattr(config, name), rest[1:], value)
    return config.model_copy(update={name: value})


def _sync_live(agent: Nation | Lab | ChipVendor, rest: list[str], value: Any) -> None:
    """Start-year parameters that agents keep as live state: a new value replaces the state."""
    name = rest[-1]
    if isinstance(agent, ChipVendor):
        if rest == ["perf_h100e"]:
            # Same chip price and cost, more H100e per chip.
            ratio = agent.perf / value
            agent.price_per_h100e *= ratio
            agent.cost_per_h100e *= ratio
            agent.base_cost *= ratio
            agent.perf = value
        elif rest == ["price_usd"]:
            agent.price_per_h100e = value / agent.perf
        elif rest == ["capacity_chips"] and agent.domestic is None:
            agent.potential = value
            agent.capacity = value * (1.0 - agent.disruption)
        elif rest[:1] == ["domestic"] and name in LIVE_DOMESTIC:
            setattr(agent, LIVE_DOMESTIC[name], value)
    elif isinstance(agent, Nation) and rest == ["gdp_usd"]:
        agent.gdp = value
    elif isinstance(agent, Nation) and agent.grid is not None and rest == ["power_build_rate"]:
        agent.grid.build_rate = value
    elif isinstance(agent, Nation) and agent.grid is not None and rest == ["power_lead_years"]:
        agent.grid.lead_years = value
    elif isinstance(agent, Lab) and rest == ["efficiency"]:
        agent.log_eff = math.log(value)
