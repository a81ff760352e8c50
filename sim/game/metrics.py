"""Headline metrics read from a live model: card triggers, predictions and scores share them.

Metrics are those of the one vocabulary (:mod:`sim.metrics`), written ``ID:ARG[:YEAR]``:
``lag_months:china`` (a nation), ``lag_months:deepseek`` or ``market_share:deepseek`` (a lab;
``ID-lab`` forces the lab where a nation has the same id), ``frontier_oom``,
``sputnik_moment`` (1 once a Sputnik moment has fired), ``year``, or a model parameter path
(``controls.enforcement``, ``controls.licence.enabled``). Without a year a metric is read now:
the last simulated year (a nation's or lab's ``oom`` and ``lag_months`` are known before the
first step too). Earlier spellings (``lag_months.china``, ``sputnik``) still work.

A condition is ``METRIC OP NUMBER`` joined by ``and`` (``lag_months:china < 6 and year >= 2027``),
with OP in ``< <= > >= == !=``; ``true``/``false`` compare booleans.
"""

from __future__ import annotations

import operator
import re
from typing import TYPE_CHECKING, Any

from sim import metrics

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
CLAUSE = re.compile(r"^\s*([A-Za-z_][\w.:\-]*)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$")


def check_metric(expr: str, nations: set[str], labs: set[str]) -> str | None:
    """Why ``expr`` is not a known metric for these nations and labs (None if it is)."""
    expr = metrics.canonical(expr)
    if expr == "year" or metrics.is_parameter(expr):
        return None
    try:
        metrics.parse(expr, sorted(nations), sorted(labs))
    except ValueError as exc:
        return str(exc)
    return None


def value(model: ComputeRaceModel, expr: str) -> Any:
    """The current value of a metric expression on ``model`` (None if not yet known)."""
    return metrics.live_value(model, expr)


def parse_condition(text: str, nations: set[str], labs: set[str]) -> list[tuple[str, str, Any]]:
    """Parse a condition into clauses ``(metric, op, number)``; raise ValueError with a reason."""
    clauses = []
    for part in re.split(r"\s+and\s+", text.strip()):
        m = CLAUSE.match(part)
        if not m:
            raise ValueError(
                f"'{part}' is not of the form METRIC OP NUMBER (e.g. lag_months:china < 6)"
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
        clauses.append((metrics.canonical(metric), op, num))
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
