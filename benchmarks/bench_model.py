"""Benchmark of one model run (``make bench``; not a timed test).

Prints a table: median (and best) wall time of one ``baseline`` run of 21 years in-process, runs per
second in one process, and how time grows with 10x the labs and with a longer horizon.

10x the years (2025-2235) is beyond the schema's 2100 limit, so the horizon test runs 2025-2100
(76 years, 3.6x) and reports the cost per simulated year next to the 21-year run's.

Usage: ``.venv/bin/python benchmarks/bench_model.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import sim
from sim.config.schema import Scenario
from sim.model.model import ComputeRaceModel, resolve_scenario


def model_loop(scen: Scenario, seed: int = 0) -> None:
    """The yearly loop only (no DataFrames)."""
    m = ComputeRaceModel(scen, seed=seed)
    while m.running:
        m.step()


CPU: list[float] = [0.0]  # median process (CPU) time of the last timed() call


def timed(fn: Callable[[], object], repeat: int, warmup: int = 2) -> tuple[float, float]:
    """(median, best) wall time in seconds over ``repeat`` calls, after ``warmup`` calls.

    Also records the median CPU time in ``CPU`` (less sensitive to other processes on a busy box).
    """
    for _ in range(warmup):
        fn()
    times, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    CPU[0] = statistics.median(cpu)
    return statistics.median(times), min(times)


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30, help="timed repetitions per case")
    args = ap.parse_args(argv)
    base = resolve_scenario("baseline")
    years = base.horizon.end_year - base.horizon.start_year + 1
    rows: list[tuple[str, str, str]] = []

    med, best = timed(lambda: model_loop(base), args.repeat)
    rows.append(
        (f"baseline, {years} years, model loop", f"{med * 1e3:.1f} ms", f"{best * 1e3:.1f} ms")
    )
    rows.append(("  median CPU time of that run", f"{CPU[0] * 1e3:.1f} ms", ""))
    base_year = med / years
    med_run, best_run = timed(lambda: sim.run(base, seed=0), args.repeat)
    rows.append(
        ("baseline, sim.run (loop + tables)", f"{med_run * 1e3:.1f} ms", f"{best_run * 1e3:.1f} ms")
    )

    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 3.0:
        sim.run(base, seed=n)
        n += 1
    rows.append(
        ("runs per second, one process (sim.run)", f"{n / (time.perf_counter() - t0):.1f}", "")
    )

    big = cloned_labs(base, 10)
    med10, best10 = timed(lambda: model_loop(big), max(3, args.repeat // 5), warmup=1)
    rows.append(
        (
            f"10x labs ({len(big.labs)}), model loop",
            f"{med10 * 1e3:.1f} ms",
            f"x{med10 / med:.1f} of baseline",
        )
    )

    long = horizon(base, 2025, 2100)
    med_long, _ = timed(lambda: model_loop(long), max(3, args.repeat // 5), warmup=1)
    per_year = med_long / 76
    rows.append(("2025-2100 (76 years), model loop", f"{med_long * 1e3:.1f} ms", ""))
    rows.append(
        (
            "  cost per simulated year: 21 y vs 76 y",
            f"{base_year * 1e3:.2f} ms",
            f"{per_year * 1e3:.2f} ms",
        )
    )
    rows.append(
        ("  extrapolated 10x years (210 y)", f"{per_year * 210 * 1e3:.0f} ms", "linear in years")
    )

    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  {'median':>12}  {'best / note':>18}")
    for name, a, b in rows:
        print(f"{name:<{width}}  {a:>12}  {b:>18}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
