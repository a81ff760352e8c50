"""The uncertain parameters: every schema field with a sensitivity range, as concrete paths.

Read from the parameter table (:func:`sim.calibration.params.schema_rows`), never a hand list:
assumptions and sourced values alike, whenever the schema gives a ``sensitivity`` range. A
per-agent field (``vendors.<vendor>.capacity_growth_decay``) becomes one parameter per agent of
the reference scenario, so agents keep their own values: an agent whose value differs from the
schema default gets the range scaled by the same factors (EU's 0.4% capex ceiling varies over
0.21-0.8%, not over the 0.8-3% meant for the default), clipped to the field's valid bounds.

A parameter that the calibration scenario sets to a value of its own (``history-2020`` winds
revenue, R&D reference costs and HBM stocks back to 2020) is a start-of-period state derived in
that file: a value matched there would not carry over to a 2025 start, so it is held, not matched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sim.calibration.history_matching import Param

LOG_RATIO = 4.0  # ranges spanning this factor or more are sampled on a log scale


@dataclass(frozen=True)
class Held:
    """A ranged parameter left out of the match, and why."""

    path: str
    reason: str


def _bounds(field: Any) -> tuple[float, float]:
    """The field's valid interval (open bounds nudged inside)."""
    lo, hi = -math.inf, math.inf
    for meta in field.metadata:
        for attr, sign in (("ge", 0), ("gt", 1)):
            b = getattr(meta, attr, None)
            if b is not None:
                lo = max(lo, float(b) + sign * 1e-9 * max(1.0, abs(float(b))))
        for attr, sign in (("le", 0), ("lt", 1)):
            b = getattr(meta, attr, None)
            if b is not None:
                hi = min(hi, float(b) - sign * 1e-9 * max(1.0, abs(float(b))))
    return lo, hi


def expand(scenario: Any, generic: str) -> list[str]:
    """Concrete paths of a schema name such as ``vendors.<vendor>.domestic.x`` in a scenario."""
    from sim.calibration.sensitivity import _targets

    return _targets(scenario, generic)


def uncertain_parameters(
    scenario: str = "history-2020", reference: str = "baseline"
) -> tuple[list[Param], list[Held]]:
    """The parameters to match over ``scenario`` (``Param`` list) and those held, with reasons.

    Ranges are the schema's sensitivity ranges (scaled per agent as the module docstring says);
    ``reference`` is the scenario whose agents and values define the parameters (the projection
    scenarios extend it).
    """
    from sim.calibration.params import schema_rows
    from sim.config.loader import load_scenario
    from sim.config.paths import get_path, resolve_field

    scen, ref = load_scenario(scenario), load_scenario(reference)
    sd, rd = scen.model_dump(), ref.model_dump()
    params: list[Param] = []
    held: list[Held] = []
    for row in schema_rows():
        if row.sensitivity is None or not row.numeric:
            continue
        lo, hi = row.sensitivity
        for path in expand(ref, row.name):
            field, _why = resolve_field(ref, path)
            mine, theirs = get_path(sd, path, None), get_path(rd, path, None)
            if field is None or theirs is None:
                continue
            if mine is None:
                held.append(Held(path, f"not defined in '{scenario}'"))
                continue
            if mine != theirs:
                held.append(
                    Held(
                        path,
                        f"'{scenario}' sets its own value ({mine:g}; '{reference}' {theirs:g})",
                    )
                )
                continue
            a, b = lo, hi
            default = field.default
            per_agent = "<" in row.name and isinstance(default, int | float) and default > 0
            if per_agent and theirs != default:  # the agent's own value: same relative range
                a, b = lo * theirs / default, hi * theirs / default
            vlo, vhi = _bounds(field)
            a, b = _round(max(a, vlo)), _round(min(b, vhi))
            if not a < b:
                held.append(
                    Held(path, f"empty range after clipping to the valid bounds ({a:g}, {b:g})")
                )
                continue
            scale = "log" if a > 0 and b / a >= LOG_RATIO else "lin"
            params.append(Param(path=path, low=a, high=b, scale=scale))
    return params, held


def _round(x: float) -> float:
    """Drop the last-digit noise of scaled ranges (0.7499999999999999 -> 0.75)."""
    return float(f"{x:.12g}")
