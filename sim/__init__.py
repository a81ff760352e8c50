"""Sputnik Moment: an agent-based model of the AI compute race under chip export controls.

Public API::

    import sim
    scen = sim.load_scenario("baseline", overrides={"controls.enforcement": 0.9})
    result = sim.run(scen, seed=7)          # .years .nations .labs .flows .manifest
    model = sim.ComputeRaceModel("baseline", seed=1)   # a mesa.Model, one step per year
"""

__version__ = "0.1.0"

from sim.config import Scenario, ScenarioError, list_scenarios, load_scenario  # noqa: E402
from sim.model import ComputeRaceModel  # noqa: E402
from sim.results import Result, run  # noqa: E402

__all__ = [
    "ComputeRaceModel",
    "Result",
    "Scenario",
    "ScenarioError",
    "__version__",
    "list_scenarios",
    "load_scenario",
    "run",
]
