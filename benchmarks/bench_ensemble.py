"""Benchmark of an ensemble run (``make bench``; not a timed test).

A 100-member ensemble of ``baseline`` (21 years) over the shipped ensemble: serial, then with 2
workers, each time also the time to the first band (the first finished chunk, turned into a
median and 5-95% band of China's lag). "cold" starts the worker pool inside the call, as
``sim.run_ensemble(..., workers=2)`` does: forked when that is safe (this benchmark runs one
thread, so it is), and, for comparison, spawned (what a caller running other threads gets: the
worker imports the model, ~1 s); "warm" reuses a pool opened before (what ``sputnik compare A B C``
gets for its second and third scenario).

Target (issue 10): under 1.5 s with 2 workers, cold.

Usage: ``.venv/bin/python benchmarks/bench_ensemble.py [--repeat N] [--members N]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import sim
from sim.config.loader import load_scenario
from sim.ensembles import ensemble_pool, resolve_ensemble, run_ensemble
from sim.ensembles.members import plan
from sim.ensembles.runner import run_chunk
from sim.workers import start_method


def one_member(scen, ens, repeat: int) -> float:
    """Median seconds of one member (overrides, run, metric extraction) in this process."""
    p = plan(ens, scen, 12, 0)
    items = [(i, p.seeds[i], p.values[i]) for i in range(12)]
    run_chunk(scen, items[:2], None, False)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run_chunk(scen, items, None, False)
        times.append((time.perf_counter() - t) / len(items))
    return statistics.median(times)


def ensemble_run(scen, ens, n: int, workers: int, executor=None) -> tuple[float, float]:
    """(total seconds, seconds to the first band) of one ensemble run."""
    first: list[float] = []
    t = time.perf_counter()

    def progress(p) -> None:
        if not first:
            p.result().band("lag_months:china")
            first.append(time.perf_counter() - t)

    run_ensemble(scen, n=n, workers=workers, ensemble=ens, progress=progress, executor=executor)
    return time.perf_counter() - t, first[0]


def med(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--members", type=int, default=100)
    args = ap.parse_args()
    scen = load_scenario("baseline")
    ens = resolve_ensemble(None)
    n = min(args.members, len(ens.members))
    sim.run(scen)  # warm imports
    rows = []
    per = one_member(scen, ens, args.repeat)
    rows.append(("one member (run + overrides + metrics), in-process", per * 1e3, None, "ms"))
    serial = med([ensemble_run(scen, ens, n, 1) for _ in range(args.repeat)])
    rows.append((f"{n} members, serial", *serial, "s"))
    cold = med([ensemble_run(scen, ens, n, 2) for _ in range(args.repeat)])
    rows.append((f"{n} members, 2 workers, cold ({start_method()} inside the call)", *cold, "s"))

    def spawned() -> tuple[float, float]:
        t = time.perf_counter()
        with ensemble_pool(2, method="spawn") as pool:
            _total, first = ensemble_run(scen, ens, n, 2, pool)
        return time.perf_counter() - t, first

    spawn = med([spawned() for _ in range(args.repeat)])
    rows.append((f"{n} members, 2 workers, cold spawn (a threaded caller)", *spawn, "s"))
    with ensemble_pool(2) as pool:
        ensemble_run(scen, ens, 4, 2, pool)  # start the workers
        warm = med([ensemble_run(scen, ens, n, 2, pool) for _ in range(args.repeat)])
    rows.append((f"{n} members, 2 workers, warm (pool reused)", *warm, "s"))
    print(f"Ensemble benchmark: baseline 2025-2045, shipped ensemble, median of {args.repeat}")
    print(f"{'case':<58} {'total':>9} {'first band':>11}")
    for name, total, first, unit in rows:
        f = f"{first:>9.2f} {unit}" if first is not None else f"{'':>11}"
        print(f"{name:<58} {total:>7.2f} {unit:<2}{f}")


if __name__ == "__main__":
    main()
