"""Dated scenario events: parameter changes at a year (rules, shocks, game moves and cards)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sim.config.schema.base import Frozen, Name, Text


class Event(Frozen):
    """A dated scenario event: sets parameters of the live model (an 'inject card')."""

    year: int = Field(
        description="Year the event takes effect (compliance year for rules).", ge=1900, le=2200
    )
    month: int = Field(
        1,
        ge=1,
        le=12,
        description="Month it takes effect: a rule binding from month m leaves the first (m-1)/12 of the "
        "year's purchases under the old rules.",
    )
    title: Name = Field(description="Short title.")
    text: Text = Field("", description="Text shown to players.")
    announce_year: int | None = Field(
        None, description="Earlier announcement year (triggers stockpiling).", ge=1900, le=2200
    )
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Parameter paths and new values, e.g. 'controls.enforcement'.",
    )
