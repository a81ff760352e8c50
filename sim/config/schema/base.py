"""Shared pieces of the scenario schema: the frozen base model, constants and bounded types.

Every model is strict (no bool as a number, no text as a bool) and finite (no ``inf``/``nan``):
bad input is refused at validation instead of turning into NaN tables later. Ids are slugs
because they name output folders and files.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

FORMAT_VERSION = 2
ORIGINS = ("legal", "licensed", "smuggled", "rented", "domestic")
Tier = Literal["ally", "restricted", "embargoed"]
Strategy = Literal["adaptive", "scale-first", "efficiency-first", "fixed"]

MAX_ID = 64
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def check_slug(value: str) -> str:
    """``value`` if it is a safe id (letters, digits, ``-``, ``_``, ``.``; no leading dot or
    dash; at most 64 characters), else ValueError."""
    if len(value) > MAX_ID or not SLUG.match(value):
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise ValueError(
            f"{shown!r} is not an id: use letters, digits, '-', '_' or '.' "
            f"(start with a letter or digit, at most {MAX_ID} characters)"
        )
    return value


# An id that can name a file or folder (scenario, nation, lab, vendor, card, role).
Slug = Annotated[str, AfterValidator(check_slug)]
# Display names and titles, short text and long text (bounded so a file cannot carry megabytes).
Name = Annotated[str, StringConstraints(max_length=200)]
Text = Annotated[str, StringConstraints(max_length=20_000)]
# A finite, strict number (for values inside tables: shares, access levels).
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class Frozen(BaseModel):
    """Base: unknown keys are errors, instances are immutable, numbers are strict and finite."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, strict=True, allow_inf_nan=False
    )
