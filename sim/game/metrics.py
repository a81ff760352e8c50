"""Headline metrics read from a live model: card triggers, predictions and scores share them.

A metric expression is one of:

- ``year``, ``frontier_oom``, ``sputnik`` (1 once a Sputnik moment has fired, else 0);
- ``COLUMN.ID``: a column of the nations table for nation ``ID`` (``lag_months.china``,
  ``compute_share.usa``, ``smuggled_share.china``), else of the labs table for lab ``ID``
  (``lag_months.deepseek``, ``market_share.deepseek``); ``ID-lab`` forces the lab;
- a model parameter path (``controls.enforcement``, ``controls.licence.enabled``).

Values come from the last simulated year; before the first step only ``oom`` and
``lag_months`` (the starting fleets' scores) and parameters are known.

A condition is ``EXPR OP NUMBER`` joined by ``and`` (``lag_months.china < 6 and year >= 2027``),
with OP in ``< <= > >= == !=``; ``true``/``false`` compare booleans.
"""

from __future__ import annotations

import operator
import re
from typing import TYPE_CHECKING, Any

from sim.config.paths import SETTABLE_SECTIONS
from sim.model.records import LAB_COLUMNS, NATION_COLUMNS

if TYPE_CHECKING:
    from sim.model.model import ComputeRaceModel

OPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
CLAUSE = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$")
NATION_INDEX = {c: i for i, c in enumerate(NATION_COLUMNS)}
LAB_INDEX = {c: i for i, c in enumerate(LAB_COLUMNS)}
GLOBAL = ("year", "frontier_oom", "sputnik")


def check_metric(expr: str, nations: set[str], labs: set[str]) -> str | None:
    """Why ``expr`` is not a known metric for these nations and labs (None if it is)."""
    if expr in GLOBAL:
        return None
    head = expr.split(".", 1)[0]
    if head in SETTABLE_SECTIONS:
        return None
    if "." not in expr:
        return f"unknown metric '{expr}' (use e.g. lag_months.china, compute_share.usa, year)"
    col, ident = expr.split(".", 1)
    lab_id = ident.removesuffix("-lab")
    if ident in nations and not ident.endswith("-lab"):
        return None if col in NATION_INDEX else f"'{col}' is not a nations-table column"
    if lab_id in labs:
        return None if col in LAB_INDEX else f"'{col}' is not a labs-table column"
    return f"'{ident}' is neither a nation nor a lab in this scenario"


def value(model: ComputeRaceModel, expr: str) -> Any:
    """The current value of a metric expression on ``model`` (None if not yet known)."""
    if expr == "year":
        return model.year
    if expr == "frontier_oom":
        return model.frontier_oom
    if expr == "sputnik":
        return 1.0 if model.sputnik_year is not None else 0.0
    head = expr.split(".", 1)[0]
    if head in SETTABLE_SECTIONS:
        try:
            return model.get_param(expr)
        except (AttributeError, KeyError):
            return None
    col, ident = expr.split(".", 1)
    if ident in model.nations and not ident.endswith("-lab"):
        if col in ("oom", "lag_months"):
            return getattr(model.nations[ident], col)
        rows = model.nation_rows[-len(model.nations) :] if model.nation_rows else []
        return next((r[NATION_INDEX[col]] for r in rows if r[1] == ident), None)
    lab_id = ident.removesuffix("-lab")
    if col in ("oom", "lag_months"):
        return getattr(model.lab_by_key[lab_id], col)
    rows = model.lab_rows[-len(model.labs) :] if model.lab_rows else []
    return next((r[LAB_INDEX[col]] for r in rows if r[1] == lab_id), None)


def parse_condition(text: str, nations: set[str], labs: set[str]) -> list[tuple[str, str, Any]]:
    """Parse a condition into clauses ``(metric, op, number)``; raise ValueError with a reason."""
    clauses = []
    for part in re.split(r"\s+and\s+", text.strip()):
        m = CLAUSE.match(part)
        if not m:
            raise ValueError(
                f"'{part}' is not of the form METRIC OP NUMBER (e.g. lag_months.china < 6)"
            )
        metric, op, raw = m.groups()
        err = check_metric(metric, nations, labs)
        if err:
            raise ValueError(err)
        if raw.lower() in ("true", "false"):
            num: Any = raw.lower() == "true"
        else:
            try:
                num = float(raw)
            except ValueError:
                raise ValueError(f"'{raw}' is not a number or true/false") from None
        clauses.append((metric, op, num))
    return clauses


def holds(model: ComputeRaceModel, clauses: list[tuple[str, str, Any]]) -> bool:
    """True if every clause holds on the model's current state (unknown values never hold)."""
    for metric, op, target in clauses:
        v = value(model, metric)
        if v is None:
            return False
        if not bool(OPS[op](v, target)):
            return False
    return True
