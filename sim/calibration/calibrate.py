"""``sputnik calibrate``: a reproducible fit of assumption parameters to the back-test.

Method: an exhaustive grid over each parameter's sensitivity range (``points`` evenly spaced
values per parameter, the current value added), one run per grid point with seed 0, scoring the
root-mean-square back-test error in orders of magnitude (:func:`sim.calibration.backtest.rms_oom`).
Ties go to the point closest to the current values, so the fit is deterministic. Only parameters
labelled ``assumption`` in the schema may be tuned; sourced values stay as published.

The result is written to a TOML overrides file; scenario files are never modified.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import UserError

DEFAULT_PARAMS = ("world.run_duration_growth", "world.supply_response", "world.max_bonus_oom")
SEED = 0


@dataclass(frozen=True)
class Fit:
    """Outcome of a calibration: tuned values, scores before and after, and how they were found."""

    scenario: str
    names: tuple[str, ...]
    start: tuple[float, ...]
    values: tuple[float, ...]
    score_before: float
    score_after: float
    grid: tuple[tuple[float, ...], ...]
    runs: int

    @property
    def method(self) -> str:
        """One-line description of the search."""
        sizes = "x".join(str(len(g)) for g in self.grid)
        return (
            f"exhaustive grid ({sizes} = {self.runs} runs) over each parameter's sensitivity range, "
            f"seed {SEED}, minimising the RMS back-test error (OOM) of scenario '{self.scenario}'"
        )


def assumption_rows() -> dict[str, Any]:
    """Schema rows labelled as assumptions, keyed by their generic dotted name."""
    from sim.calibration.params import ASSUMPTION, schema_rows

    return {r.name: r for r in schema_rows() if r.kind == ASSUMPTION}


def _generic(path: str) -> str:
    """``vendors.nvidia.x`` -> ``vendors.<vendor>.x`` (the schema table's spelling)."""
    from sim.calibration.params import AGENT_SECTIONS

    parts = path.split(".")
    if parts[0] in AGENT_SECTIONS and len(parts) > 2:
        parts[1] = f"<{AGENT_SECTIONS[parts[0]]}>"
    return ".".join(parts)


def check_params(names: list[str] | tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """The (low, high) search range of each name; UserError unless it is a ranged assumption."""
    rows = assumption_rows()
    problems, ranges = [], {}
    for name in names:
        row = rows.get(_generic(name))
        if row is None:
            problems.append(
                f"--params: '{name}' is not an assumption-labelled parameter (sourced values are not tuned)"
            )
        elif row.sensitivity is None:
            problems.append(f"--params: '{name}' has no sensitivity range to search")
        else:
            ranges[name] = row.sensitivity
    if problems:
        raise UserError(problems)
    return ranges


def _current(scenario: str, name: str) -> float:
    from sim.config.loader import load_scenario
    from sim.config.paths import get_path

    return float(get_path(load_scenario(scenario).model_dump(), name))


def fit(
    scenario: str = "history-2020",
    names: list[str] | tuple[str, ...] | None = None,
    points: int = 5,
) -> Fit:
    """Grid-search the named assumption parameters to minimise the back-test error."""
    from sim.calibration.backtest import compare, load_runs, load_stock, rms_oom
    from sim.results import run

    names = tuple(names or DEFAULT_PARAMS)
    ranges = check_params(names)
    start = tuple(_current(scenario, n) for n in names)
    grid = tuple(
        tuple(sorted({round(lo + (hi - lo) * i / (points - 1), 10) for i in range(points)} | {s}))
        for (lo, hi), s in zip((ranges[n] for n in names), start, strict=True)
    )
    runs, stock = load_runs(), load_stock()

    def score(values: tuple[float, ...]) -> float:
        result = run(scenario, seed=SEED, overrides=dict(zip(names, values, strict=True)))
        return rms_oom(compare(result, runs, stock))

    def distance(values: tuple[float, ...]) -> float:
        return sum(
            abs(v - s) / (hi - lo)
            for v, s, (lo, hi) in zip(values, start, (ranges[n] for n in names), strict=True)
        )

    before = score(start)
    best, best_score, count = start, before, 1
    for values in itertools.product(*grid):
        s = score(values) if values != start else before
        count += values != start
        if s < best_score - 1e-12 or (
            math.isclose(s, best_score, abs_tol=1e-12) and distance(values) < distance(best)
        ):
            best, best_score = values, s
    return Fit(
        scenario, names, start, tuple(float(v) for v in best), before, best_score, grid, count
    )


def describe(f: Fit) -> str:
    """Printable summary: method, each parameter's start and tuned value, scores."""
    lines = [f"Method: {f.method}."]
    for n, s, v in zip(f.names, f.start, f.values, strict=True):
        lines.append(f"  {n}: {s:.6g} -> {v:.6g}")
    lines.append(
        f"RMS back-test error: {f.score_before:.3f} OOM before, {f.score_after:.3f} OOM after"
    )
    return "\n".join(lines)


def render_overrides(f: Fit) -> str:
    """TOML text of the tuned values (no timestamps, so the same fit gives the same file)."""
    lines = [
        "# Generated by `sputnik calibrate`; do not edit by hand. Scenario files are unchanged.",
        f"# Method: {f.method}.",
        f"# RMS back-test error: {f.score_before:.4f} OOM before, {f.score_after:.4f} OOM after.",
        "# Use: sputnik backtest --overrides THIS_FILE, or pass the values as --set overrides.",
        "",
        "[overrides]",
    ]
    for n, s, v in zip(f.names, f.start, f.values, strict=True):
        lines.append(f'"{n}" = {v!r}  # was {s!r}')
    return "\n".join(lines) + "\n"


def write_overrides(f: Fit, path: Path) -> None:
    """Write :func:`render_overrides` to ``path``."""
    Path(path).write_text(render_overrides(f))


def read_overrides(path: Path) -> dict[str, Any]:
    """Read an overrides file written by :func:`write_overrides` into ``{dotted.path: value}``
    (the one validated reader of overrides files, :func:`sim.config.inputs.read_overrides_file`)."""
    from sim.config.inputs import read_overrides_file

    return read_overrides_file(path, "overrides file")
