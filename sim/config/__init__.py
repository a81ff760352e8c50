"""Scenario configuration: schema, loading, validation."""

from sim.config.loader import (
    ScenarioError,
    ScenarioInfo,
    list_scenarios,
    load_scenario,
    parse_value,
    scenario_hash,
)
from sim.config.paths import check_param_path
from sim.config.schema import FORMAT_VERSION, ORIGINS, Scenario

__all__ = [
    "FORMAT_VERSION",
    "ORIGINS",
    "Scenario",
    "ScenarioError",
    "ScenarioInfo",
    "check_param_path",
    "list_scenarios",
    "load_scenario",
    "parse_value",
    "scenario_hash",
]
