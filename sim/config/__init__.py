"""Scenario configuration: schema, loading, validation, and the one input layer (:mod:`.inputs`)."""

from sim.config.inputs import InputError, read_toml
from sim.config.loader import (
    ScenarioError,
    ScenarioInfo,
    apply_overrides,
    list_scenarios,
    load_scenario,
    parse_value,
    scenario_hash,
)
from sim.config.paths import check_param_path
from sim.config.schema import FORMAT_VERSION, ORIGINS, Scenario

__all__ = [
    "FORMAT_VERSION",
    "InputError",
    "apply_overrides",
    "read_toml",
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
