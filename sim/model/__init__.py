"""The agent-based model: agents, pure mechanism functions and the Mesa model."""

from sim.model.model import ComputeRaceModel

__all__ = ["ComputeRaceModel"]
