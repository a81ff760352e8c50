"""The workshop game: roles, bots, inject cards, secret simultaneous moves, saves and reports.

A thin layer over the model: a move only sets model parameters (as dated events the model's
own phase 1 applies), and a round is one or more ``model.step()`` calls. See ``docs/game.md``.
Names load on first use so that registering the ``play`` command does not import the model.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Game", "GameSetup", "Observation", "RoundResult", "autoplay", "replay"]


def __getattr__(name: str) -> Any:
    """Import the engine's public names lazily (PEP 562)."""
    if name in __all__:
        from sim.game import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'sim.game' has no attribute {name!r}")
