"""Benchmark of one model run (``make bench``; not a timed test).

Prints median wall and CPU time of one 21-year ``baseline`` run in-process, runs per second,
and the same run with the previous market clearing (``old_clearing.py``) side by side: the two
are timed in alternation so a busy machine slows both alike, and their ratio is the figure to
compare. Also: ``sim.run`` with its tables, 10x the labs, and a longer horizon (2025-2100, 3.6x
the years, since the schema ends at 2100).

Usage: ``.venv/bin/python benchmarks/bench_model.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from old_clearing import OldClearingModel  # noqa: E402

import sim  # noqa: E402
from sim.config.schema import Scenario  # noqa: E402
from sim.model.model import ComputeRaceModel, resolve_scenario  # noqa: E402


def model_loop(scen: Scenario, seed: int = 0, cls: type[ComputeRaceModel] = ComputeRaceModel):
    """The yearly loop only (no DataFrames); returns the finished model."""
    m = cls(scen, seed=seed)
    while m.running:
        m.step()
    return m


def timed(
    fns: list[Callable[[], object]], repeat: int, warmup: int = 2
) -> list[tuple[float, float, float]]:
    """(median wall, best wall, median CPU) seconds per call of each function, timed in
    alternation (one call of each per repetition) after ``warmup`` calls of each."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    wall: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t, c = time.perf_counter(), time.process_time()
            fn()
            wall[i].append(time.perf_counter() - t)
            cpu[i].append(time.process_time() - c)
    return [
        (statistics.median(w), min(w), statistics.median(c)) for w, c in zip(wall, cpu, strict=True)
    ]


def cloned_labs(scen: Scenario, factor: int) -> Scenario:
    """The scenario with every lab cloned ``factor`` times (stocks and money split among clones)."""
    raw = scen.model_dump(mode="json")
    labs = {}
    for key, lab in raw["labs"].items():
        for i in range(factor):
            clone = dict(lab)
            clone["name"] = f"{lab['name']} #{i}"
            for money in ("compute_h100e", "external_usd", "revenue_usd"):
                clone[money] = lab[money] / factor
            labs[key if i == 0 else f"{key}-{i}"] = clone
    raw["labs"] = labs
    return Scenario.model_validate(raw)


def horizon(scen: Scenario, start: int, end: int) -> Scenario:
    raw = scen.model_dump(mode="json")
    raw["horizon"] = {"start_year": start, "end_year": end}
    return Scenario.model_validate(raw)


def same_results(scen: Scenario) -> bool:
    """True if the current and the previous clearing give identical tables for a few seeds."""
    for seed in (0, 1, 2):
        new, old = model_loop(scen, seed), model_loop(scen, seed, OldClearingModel)
        for table in ("year_rows", "nation_rows", "lab_rows", "vendor_rows"):
            if [tuple(r) for r in getattr(new, table)] != [tuple(r) for r in getattr(old, table)]:
                return False
        if sorted(map(tuple, new.flow_rows)) != sorted(map(tuple, old.flow_rows)):
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30, help="timed repetitions per case")
    args = ap.parse_args(argv)
    base = resolve_scenario("baseline")
    years = base.horizon.end_year - base.horizon.start_year + 1
    rows: list[tuple[str, str, str]] = []
    ms = 1e3

    (new, old) = timed(
        [lambda: model_loop(base), lambda: model_loop(base, cls=OldClearingModel)], args.repeat
    )
    rows.append(
        (f"baseline, {years} years, model loop", f"{new[0] * ms:.1f} ms", f"{new[1] * ms:.1f} ms")
    )
    rows.append(("  median CPU time of that run", f"{new[2] * ms:.1f} ms", ""))
    rows.append(
        ("  same with the previous clearing", f"{old[0] * ms:.1f} ms", f"{old[1] * ms:.1f} ms")
    )
    rows.append(("  previous clearing, median CPU", f"{old[2] * ms:.1f} ms", ""))
    rows.append(("  ratio current / previous (CPU)", f"{new[2] / old[2]:.2f}", "side by side"))
    rows.append(("  identical results", "yes" if same_results(base) else "NO", "3 seeds"))

    ((med_run, best_run, _),) = timed([lambda: sim.run(base, seed=0)], args.repeat)
    rows.append(
        ("baseline, sim.run (loop + tables)", f"{med_run * ms:.1f} ms", f"{best_run * ms:.1f} ms")
    )
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 3.0:
        sim.run(base, seed=n)
        n += 1
    rows.append(
        ("runs per second, one process (sim.run)", f"{n / (time.perf_counter() - t0):.1f}", "")
    )

    big = cloned_labs(base, 10)
    (big_new, big_old) = timed(
        [lambda: model_loop(big), lambda: model_loop(big, cls=OldClearingModel)],
        max(3, args.repeat // 5),
        warmup=1,
    )
    rows.append(
        (
            f"10x labs ({len(big.labs)}), model loop",
            f"{big_new[0] * ms:.1f} ms",
            f"x{big_new[0] / new[0]:.1f} of baseline",
        )
    )
    rows.append(
        (
            "  same with the previous clearing",
            f"{big_old[0] * ms:.1f} ms",
            f"ratio {big_new[2] / big_old[2]:.2f} (CPU)",
        )
    )

    long = horizon(base, 2025, 2100)
    ((med_long, _, _),) = timed([lambda: model_loop(long)], max(3, args.repeat // 5), warmup=1)
    per_year = med_long / 76
    rows.append(("2025-2100 (76 years), model loop", f"{med_long * ms:.1f} ms", ""))
    rows.append(
        (
            "  cost per simulated year: 21 y vs 76 y",
            f"{new[0] / years * ms:.2f} ms",
            f"{per_year * ms:.2f} ms",
        )
    )

    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  {'median':>12}  {'best / note':>20}")
    for name, a, b in rows:
        print(f"{name:<{width}}  {a:>12}  {b:>20}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
