"""Policy records shared by the model and the game.

SHIM (web branch): the "core" restructure owns this module; only :class:`Proposal` is defined
here so the game can be built and tested against the model contract below.

Contract: ``model.held_paths`` (lever paths a human team holds), ``model.player_events``
(player moves and facilitator overrides, applied after the year's scenario events and cards)
and ``model.proposals``: when anything but a player event would set a held path to a different
value, the model leaves the value, appends a :class:`Proposal` and logs an events-table row of
kind ``proposal``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Proposal:
    """A change the model did not make because a human team holds the lever.

    ``source`` is ``event`` (a scheduled scenario event or an inject card, both dated events)
    or ``reaction`` (a nation's automatic reaction rule); ``title`` names it.
    """

    year: int
    path: str
    old: Any
    new: Any
    source: str
    title: str
