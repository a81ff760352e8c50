"""Sputnik Moment: an agent-based model of the AI compute race under chip export controls.

Public API::

    import sim
    scen = sim.load_scenario("baseline", overrides={"controls.enforcement": 0.9})
    result = sim.run(scen, seed=7)          # .years .nations .labs .flows .manifest
    model = sim.ComputeRaceModel("baseline", seed=1)   # a mesa.Model, one step per year
    ens = sim.run_ensemble("baseline", n=50, workers=2)  # over the calibrated ensemble
    ens.band("lag_months:china")                         # median, p5, p95 by year

Heavy modules (mesa, pandas) load on first use so ``sputnik --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

_LAZY = {
    "ComputeRaceModel": "sim.model",
    "EnsembleResult": "sim.ensembles",
    "compare_ensembles": "sim.ensembles",
    "paired_effect": "sim.ensembles",
    "run_ensemble": "sim.ensembles",
    "Result": "sim.results",
    "run": "sim.results",
    "Scenario": "sim.config",
    "ScenarioError": "sim.config",
    "list_scenarios": "sim.config",
    "load_scenario": "sim.config",
}

if TYPE_CHECKING:
    from sim.config import Scenario, ScenarioError, list_scenarios, load_scenario
    from sim.ensembles import EnsembleResult, compare_ensembles, paired_effect, run_ensemble
    from sim.model import ComputeRaceModel
    from sim.results import Result, run


def __getattr__(name: str) -> Any:
    """Import public names on first access (PEP 562)."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


__all__ = [
    "ComputeRaceModel",
    "EnsembleResult",
    "Result",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare_ensembles",
    "list_scenarios",
    "load_scenario",
    "paired_effect",
    "run",
    "run_ensemble",
]
