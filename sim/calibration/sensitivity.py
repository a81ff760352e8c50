"""``sputnik sensitivity``: one-at-a-time sweep of the assumption parameters, drawn as a tornado.

Each parameter labelled ``assumption`` with a ``sensitivity`` (low, high) range in the schema is
set to its low and then its high value, all else at the scenario's values and the same seed
(common random numbers), and metrics of one nation (:mod:`sim.metrics`; by default its lag in
months and its compute share) are read in the chosen years. Per-agent parameters (``labs.<lab>.x``, ``vendors.<vendor>.x``, ...) are set
for every agent of that kind at once. Global (variance-based) methods belong to the sweeps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim import metrics
from sim.errors import UserError

METRICS = ("lag_months", "compute_share")  # metric ids of the vocabulary, for one nation


@dataclass
class Sensitivity:
    """Result of a one-at-a-time sweep: one row per (parameter, metric)."""

    scenario: str
    nation: str
    years: list[int]
    table: pd.DataFrame  # parameter, low, high, metric, year, base, at_low, at_high, swing


def _targets(scenario: Any, generic: str) -> list[str]:
    """Concrete dotted paths for a schema name such as ``vendors.<vendor>.domestic.x``."""
    parts = generic.split(".")
    if not parts[1].startswith("<"):
        return [generic]
    agents = getattr(scenario, parts[0])
    rest = parts[2:]
    out = []
    for aid, agent in agents.items():
        node: Any = agent
        for p in rest[:-1]:
            node = getattr(node, p, None)
        if node is not None:
            out.append(".".join([parts[0], aid, *rest]))
    return out


def parameters(include_sourced: bool = False) -> list[Any]:
    """Schema rows of the assumption parameters that carry a sensitivity range.

    ``include_sourced`` adds sourced parameters that also carry a range (e.g. utilisation, whose
    range is itself an assumption around a published value).
    """
    from sim.calibration.params import ASSUMPTION, schema_rows

    return [
        r
        for r in schema_rows()
        if r.sensitivity is not None and (include_sourced or r.kind == ASSUMPTION)
    ]


def one_at_a_time(
    scenario: str,
    nation: str = "china",
    years: list[int] | None = None,
    seed: int = 0,
    names: list[str] | None = None,
    include_sourced: bool = False,
    ranges: dict[str, tuple[float, float]] | None = None,
) -> Sensitivity:
    """Run the scenario at each parameter's low and high value and measure ``nation`` in ``years``.

    The horizon is cut after the last year asked for (or the last event), since later years cannot
    change earlier ones; this keeps short checks fast. ``ranges`` (concrete path -> (low, high),
    e.g. an ensemble's) replaces the schema's parameters and sensitivity ranges.
    """
    from sim.config.loader import load_scenario
    from sim.results import run

    years = sorted(years or [2030, 2045])
    scen = load_scenario(scenario)
    h = scen.horizon
    problems = [
        f"--years: {y} is outside the horizon {h.start_year}-{h.end_year} of '{scenario}'"
        for y in years
        if not h.start_year <= y <= h.end_year
    ]
    if nation not in scen.nations:
        problems.append(
            f"--nation: '{nation}' is not a nation of '{scenario}' (defined: {', '.join(scen.nations)})"
        )
    if problems:
        raise UserError(problems)
    last_event = max((e.year for e in scen.events), default=h.start_year)
    horizon = {"horizon.end_year": max(years[-1], last_event)}
    if ranges is not None:
        items = [(path, [path], lo, hi) for path, (lo, hi) in ranges.items()]
    else:
        items = [
            (r.name, _targets(scen, r.name), *r.sensitivity)
            for r in parameters(include_sourced)
            if not names or r.name in names
        ]

    wanted = [(m, y) for m in METRICS for y in years]
    checked = [metrics.for_scenario(f"{m}:{nation}:{y}", scen) for m, y in wanted]

    def measure(overrides: dict[str, Any]) -> dict[tuple[str, int], float]:
        res = run(scen, seed=seed, overrides={**horizon, **overrides})
        return dict(zip(wanted, metrics.values(res, checked), strict=True))

    base = measure({})
    rows = []
    for name, paths, lo, hi in items:
        if not paths:
            continue  # e.g. a domestic-industry parameter in a scenario without one
        at_lo = measure(dict.fromkeys(paths, lo))
        at_hi = measure(dict.fromkeys(paths, hi))
        for (metric, year), b in base.items():
            rows.append(
                (name, lo, hi, metric, year, b, at_lo[(metric, year)], at_hi[(metric, year)])
            )
    table = pd.DataFrame(
        rows, columns=["parameter", "low", "high", "metric", "year", "base", "at_low", "at_high"]
    )
    table["swing"] = (table["at_high"] - table["at_low"]).abs()
    return Sensitivity(scen.id, nation, years, table)


def ranking(s: Sensitivity) -> pd.DataFrame:
    """Parameters ranked by their swing, each swing scaled by the largest of its metric and year
    (so months and shares weigh alike): ``parameter, score`` (mean scaled swing, 0-1), best first."""
    t = s.table.copy()
    top = t.groupby(["metric", "year"])["swing"].transform("max")
    t["scaled"] = (t["swing"] / top.where(top > 0)).fillna(0.0)
    out = t.groupby("parameter", sort=False)["scaled"].mean().rename("score").reset_index()
    out = out.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


def format_table(s: Sensitivity, top: int = 10) -> str:
    """The largest swings per metric and year, as text."""
    lines = [f"One-at-a-time sensitivity of '{s.scenario}', nation {s.nation} (seed fixed)"]
    for (metric, year), grp in s.table.groupby(["metric", "year"], sort=False):
        grp = grp.sort_values("swing", ascending=False).head(top)
        base = grp["base"].iloc[0] if len(grp) else float("nan")
        lines.append(f"\n{metric} {year} (base {base:.3g}):")
        for r in grp.itertuples(index=False):
            lines.append(
                f"  {r.parameter:<48} {r.low:>9.3g} -> {r.at_low:>8.3g}   {r.high:>9.3g} -> {r.at_high:>8.3g}"
            )
    return "\n".join(lines)


def write_outputs(s: Sensitivity, out: Path, top: int = 15) -> list[Path]:
    """Write ``sensitivity.csv`` and ``tornado.png`` (one panel per metric and year)."""
    from sim.plotting import pyplot

    plt = pyplot()

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "sensitivity.csv"
    s.table.to_csv(csv, index=False)
    groups = list(s.table.groupby(["metric", "year"], sort=False))
    ncols = min(2, max(len(groups), 1))
    nrows = -(-max(len(groups), 1) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(7 * ncols, (0.3 * top + 1.5) * nrows), squeeze=False
    )
    flat = [ax for row in axes for ax in row]
    for ax, ((metric, year), grp) in zip(flat, groups, strict=False):
        grp = grp.sort_values("swing").tail(top)
        base = float(grp["base"].iloc[0])
        y = range(len(grp))
        # Low and high bars side by side, so both show when they fall on the same side of the base.
        ax.barh(
            [i - 0.2 for i in y],
            grp["at_low"] - base,
            left=base,
            height=0.4,
            color="tab:blue",
            label="low value",
        )
        ax.barh(
            [i + 0.2 for i in y],
            grp["at_high"] - base,
            left=base,
            height=0.4,
            color="tab:orange",
            label="high value",
        )
        ax.axvline(base, color="k", lw=0.8)
        ax.set_yticks(list(y))
        ax.set_yticklabels([re.sub(r"<[a-z]+>", "*", p) for p in grp["parameter"]], fontsize=7)
        d = metrics.METRICS[metric]
        ax.set_title(f"{d.label.format(s.nation)} ({d.unit}), {year}", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    for ax in flat[len(groups) :]:
        ax.set_visible(False)
    flat[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(
        f"One-at-a-time sensitivity, scenario '{s.scenario}' (bars: parameter at its low / high value)",
        fontsize=10,
    )
    fig.tight_layout()
    png = out / "tornado.png"
    fig.savefig(png, dpi=100)
    plt.close(fig)
    return [csv, png]
