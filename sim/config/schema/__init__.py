"""Validated, frozen scenario schema (pydantic v2), one module per part of a scenario.

A scenario file is a named override of ``baseline``; after merging it must validate into
:class:`Scenario`. Field descriptions are the reference documentation; ``unit``, ``source``
and ``assumption`` labels feed the generated parameter table (``sputnik params``).

Modules: :mod:`~sim.config.schema.base` (frozen strict base, bounded types, constants),
:mod:`~sim.config.schema.world`, :mod:`~sim.config.schema.controls`,
:mod:`~sim.config.schema.agents` (nation, lab, vendor, domestic industry),
:mod:`~sim.config.schema.events`, :mod:`~sim.config.schema.scenario`. Import from this package:
``from sim.config.schema import Scenario``.

Calibration sources are abbreviated as in ``../shared/calibration/facts.md`` ("facts §N").
Epoch AI data are CC BY 4.0.
"""

from sim.config.schema.agents import DomesticIndustry, Lab, Nation, Programme, Reaction, Vendor
from sim.config.schema.base import (
    FORMAT_VERSION,
    MAX_ID,
    ORIGINS,
    Frozen,
    Name,
    Number,
    Slug,
    Strategy,
    Text,
    Tier,
    check_slug,
)
from sim.config.schema.controls import Controls, Licence
from sim.config.schema.events import Event
from sim.config.schema.scenario import Horizon, Scenario
from sim.config.schema.world import World

__all__ = [
    "FORMAT_VERSION",
    "MAX_ID",
    "ORIGINS",
    "Controls",
    "DomesticIndustry",
    "Event",
    "Frozen",
    "Horizon",
    "Lab",
    "Licence",
    "Name",
    "Nation",
    "Number",
    "Programme",
    "Reaction",
    "Scenario",
    "Slug",
    "Strategy",
    "Text",
    "Tier",
    "Vendor",
    "World",
    "check_slug",
]
