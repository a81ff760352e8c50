"""The workshop game: roles, bots, inject cards, secret simultaneous moves, saves and reports.

A thin layer over the model: a move only sets model parameters (as dated events the model's
own phase 1 applies), and a round is one or more ``model.step()`` calls. See ``docs/game.md``.
"""

from sim.game.engine import Game, GameSetup, Observation, RoundResult, autoplay, replay

__all__ = ["Game", "GameSetup", "Observation", "RoundResult", "autoplay", "replay"]
