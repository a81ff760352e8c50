"""CPU work for the web app, run in a process pool (never on the event loop).

Top-level functions only (the pool pickles them by name). Each worker keeps small caches of
baseline runs, so a slider move costs one model run and one drawing.
"""

from __future__ import annotations

import functools
import time
from typing import Any

import numpy as np

from sim.web.config import FOCUS, METRICS

PARTS = ("d_oom_compute", "d_oom_efficiency", "d_oom_catchup")


def warm() -> float:
    """Import the model and matplotlib and run one short model, so the first click is fast."""
    t0 = time.perf_counter()
    import sim
    from sim.game import figures

    sim.run("baseline", seed=0, overrides={"horizon.end_year": 2026})
    with figures.style() as plt:
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        figures.to_svg(fig)
    return time.perf_counter() - t0


def _series(scenario: str, overrides: dict[str, Any], seed: int) -> dict[str, Any]:
    """Each explorer metric per year, and the focus nation's capability parts, for one run."""
    import sim

    res = sim.run(scenario, seed=seed, overrides=overrides or None)
    nat, labs = res.nations, res.labs
    out: dict[str, Any] = {"years": sorted(int(y) for y in nat["year"].unique())}
    for m in METRICS:
        col, ident = m.id.split(".", 1)
        if ident in set(nat["nation"]) and col in nat.columns:
            g = nat[nat["nation"] == ident]
        else:
            g = labs[labs["lab"] == ident.removesuffix("-lab")]
        out[m.id] = g[col].astype(float).tolist()
    f = nat[nat["nation"] == FOCUS]
    out["parts"] = {p: float(f[p].sum()) for p in PARTS} if len(f) else {}
    return out


@functools.lru_cache(maxsize=64)
def _baseline(scenario: str, seed: int) -> dict[str, Any]:
    return _series(scenario, {}, seed)


def series_many(scenario: str, overrides: dict[str, Any], seeds: list[int]) -> list[dict[str, Any]]:
    """:func:`_series` for several seeds (baseline runs come from the worker's cache)."""
    if not overrides:
        return [_baseline(scenario, s) for s in seeds]
    return [_series(scenario, overrides, s) for s in seeds]


def draw(run: list[dict[str, Any]], base: list[dict[str, Any]], title: str) -> str:
    """The explorer chart: one panel per metric; the baseline in grey (dashed median, light
    band), the re-run in the focus colour (median line, band over seeds when there are several)."""
    from sim.game import figures
    from sim.palette import BASELINE_COLOUR, nation_colour

    with figures.style() as plt:
        fig, axes = plt.subplots(1, len(METRICS), figsize=(6.2 * len(METRICS), 4.4), squeeze=False)
        for ax, m in zip(axes[0], METRICS, strict=True):
            colour = nation_colour(m.id.split(".", 1)[1])
            for runs, c, label, ls in (
                (base, BASELINE_COLOUR, "baseline", "--"),
                (run, colour, "your settings", "-"),
            ):
                ys = np.array([r[m.id] for r in runs], dtype=float)
                years = runs[0]["years"]
                if len(runs) > 1:
                    lo, hi = np.percentile(ys, [10, 90], axis=0)
                    ax.fill_between(years, lo, hi, color=c, alpha=0.18, lw=0)
                ax.plot(years, np.median(ys, axis=0), color=c, ls=ls, label=label)
            ax.set_title(m.label, fontsize=15)
            figures.years_axis(ax)
            if m.fmt == "pct":
                figures.pct_axis(ax)
            ax.set_ylim(bottom=0)
        axes[0][0].legend(loc="upper left")
        fig.suptitle(title, fontsize=14)
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.1, top=0.84, wspace=0.18)
        return figures.to_svg(fig, tight=False)


def single(scenario: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Seed 0 with the sliders' values against the baseline's seed 0: chart and decomposition."""
    t0 = time.perf_counter()
    run = series_many(scenario, overrides, [0])
    base = series_many(scenario, {}, [0])
    svg = draw(run, base, "seed 0 (the band over seeds follows)")
    return {"svg": svg, "why": why(run, base), "ms": 1000 * (time.perf_counter() - t0)}


def why(run: list[dict[str, Any]], base: list[dict[str, Any]]) -> dict[str, float]:
    """How the focus nation's capability change over the run differs from the baseline, split
    into compute, efficiency and catch-up (OOM, medians over the runs given)."""
    out = {}
    for p in PARTS:
        a = float(np.median([r["parts"].get(p, 0.0) for r in run]))
        b = float(np.median([r["parts"].get(p, 0.0) for r in base]))
        out[p] = a - b
    m = METRICS[0].id
    out["metric_end"] = float(np.median([r[m][-1] for r in run]))
    out["metric_end_base"] = float(np.median([r[m][-1] for r in base]))
    return out


def game_figures(
    tables: dict[str, Any], names: dict[str, str], focus: str
) -> list[tuple[str, str]]:
    """The projector's figures for the game's tables (see :func:`sim.game.figures.game_figures`)."""
    from sim.game import figures

    return figures.game_figures(tables, names, focus, width=9.5)


def report(setup: dict[str, Any], rounds: list[dict[str, Any]]) -> str:
    """The self-contained after-action report of a saved game (replayed from its log)."""
    from sim.game.engine import Game, GameSetup
    from sim.game.report import report_html

    return report_html(Game(GameSetup.from_dict(setup), rounds))
