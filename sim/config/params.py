"""Field helpers that attach unit, source and assumption labels to schema fields.

Every world-derived default carries ``source`` (with a date); every invented behavioural
parameter carries ``assumption`` (the reasoning). ``sputnik params`` and
``docs/parameters.md`` are generated from these labels, so the table cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field


def param(
    default: Any,
    description: str,
    *,
    unit: str = "",
    source: str | None = None,
    assumption: str | None = None,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    sensitivity: tuple[float, float] | None = None,
    bound: str | None = None,
) -> Any:
    """Return a pydantic ``Field`` carrying unit, source/assumption and a sensitivity range.

    Values are strict (a bool is not a number) and finite. ``sensitivity`` is the (low, high)
    range the one-at-a-time and global sensitivity analyses explore; it defaults to the valid
    range where one is given. ``bound`` says why a bound is there when it is not physical but
    keeps the model's arithmetic finite (found by fuzzing: ``tests/test_fuzz.py``).
    """
    extra: dict[str, Any] = {"unit": unit}
    if source:
        extra["source"] = source
    if assumption:
        extra["assumption"] = assumption
    if sensitivity is not None:
        extra["sensitivity"] = list(sensitivity)
    if bound:
        extra["bound"] = bound
    return Field(
        default=default,
        description=description,
        ge=ge,
        le=le,
        gt=gt,
        lt=lt,
        strict=True,
        allow_inf_nan=False,
        json_schema_extra=extra,
    )
