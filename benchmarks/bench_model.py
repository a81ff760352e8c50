"""Benchmark of one model run (``make bench``; not a timed test).

Prints median wall and CPU time of one 21-year ``baseline`` run in-process against the 15 ms
target (issue 9), the time per phase of the year, runs per second, ``sim.run`` with its tables,
10x the labs, and a longer horizon (2025-2100, 3.6x the years, since the schema ends at 2100).

Side by side with the previous version: the same run of v0.1.0 (``PREVIOUS``, the last commit
before the core was restructured and its per-order clearing replaced) and of this checkout, each
in its own fresh process, in alternation, so that a noisy machine slows both alike; it prints the
ratio of their medians. It needs the git history (a clone has it) and is skipped without it.
Exits 1 when the 15 ms target is missed.

Timed runs follow warm-up runs: offer plans and layouts are cached per process
(``sim.model.trade._plan``), as in an ensemble or a sweep, so a process's very first run costs
~0.5 ms more. Per-year phase times include a small timer overhead.

Usage: ``.venv/bin/python benchmarks/bench_model.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sim  # noqa: E402
from sim.config.loader import resolve_scenario  # noqa: E402
from sim.config.schema import Scenario  # noqa: E402
from sim.model.model import ComputeRaceModel  # noqa: E402

TARGET_MS = 15.0  # issue 9: a 21-year baseline run, mechanisms included
#: v0.1.0: the last commit before the core restructure (issue 8) replaced the clearing
PREVIOUS = "b4b875b0335ad85185efb93d72ebe6cea7d4b88f"
ROOT = Path(__file__).resolve().parents[1]
# One process's timing of the baseline run (the scenario loaded once; the model built and run, as
# both versions allow): warm-up runs, then the median of the timed ones in ms.
_TIMER = """
import statistics, sys, time
import sim
from sim.model.model import ComputeRaceModel
scen = sim.load_scenario("baseline")
def once():
    m = ComputeRaceModel(scen, seed=0)
    while m.running:
        m.step()
for _ in range(3):
    once()
ts = []
for _ in range(int(sys.argv[1])):
    t = time.perf_counter()
    once()
    ts.append(time.perf_counter() - t)
print(statistics.median(ts) * 1e3)
"""
PHASES = (
    "apply_policies",
    "finance",
    "allocate",
    "trade_chips",
    "update_stocks",
    "improve_algorithms",
    "train",
    "sell_models",
    "record",
    "advance",
)


def model_loop(scen: Scenario, seed: int = 0) -> ComputeRaceModel:
    """The yearly loop only (no DataFrames); returns the finished model."""
    m = ComputeRaceModel(scen, seed=seed)
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


def phase_times(scen: Scenario, runs: int) -> dict[str, float]:
    """Median milliseconds per run spent in each phase of the year (wrapped timers)."""
    spent: dict[str, list[float]] = {p: [] for p in PHASES}
    for seed in range(runs):
        m = ComputeRaceModel(scen, seed=seed)
        acc = dict.fromkeys(PHASES, 0.0)
        for name in PHASES:
            fn = getattr(m, name)

            def wrapped(
                fn: Callable[[], None] = fn, name: str = name, acc: dict[str, float] = acc
            ) -> None:
                t = time.perf_counter()
                fn()
                acc[name] += time.perf_counter() - t

            setattr(m, name, wrapped)
        while m.running:
            m.step()
        for name in PHASES:
            spent[name].append(acc[name] * 1e3)
    return {name: statistics.median(v) for name, v in spent.items()}


def previous_checkout(dest: Path) -> bool:
    """Write the ``PREVIOUS`` version's package and scenarios under ``dest`` (git archive); False
    when this checkout has no git history to take it from."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return False
    out = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", PREVIOUS, "sim", "scenarios"],
        capture_output=True,
    )
    if out.returncode != 0:
        return False
    with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tf:
        tf.extractall(dest, filter="tar")
    return True


def time_in_process(src: Path, runs: int) -> float:
    """Median ms of the baseline run, timed in a fresh Python process importing ``sim`` from
    ``src``."""
    env = dict(os.environ, PYTHONPATH=str(src))
    out = subprocess.run(
        [sys.executable, "-c", _TIMER, str(runs)],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.split()[-1])


def side_by_side(rounds: int, runs: int) -> tuple[float, float] | None:
    """(previous, current) median ms of the same run, the two versions timed in alternation in
    fresh processes; None without the git history."""
    with tempfile.TemporaryDirectory() as tmp:
        old_src = Path(tmp)
        if not previous_checkout(old_src):
            return None
        old: list[float] = []
        new: list[float] = []
        for _ in range(rounds):
            old.append(time_in_process(old_src, runs))
            new.append(time_in_process(ROOT, runs))
    return statistics.median(old), statistics.median(new)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30, help="timed repetitions per case")
    ap.add_argument(
        "--rounds", type=int, default=4, help="alternations with the previous version (0: skip)"
    )
    args = ap.parse_args(argv)
    base = resolve_scenario("baseline")
    years = base.horizon.end_year - base.horizon.start_year + 1
    rows: list[tuple[str, str, str]] = []
    ms = 1e3

    ((new_med, new_best, new_cpu),) = timed([lambda: model_loop(base)], args.repeat)
    verdict = "meets" if new_med * ms <= TARGET_MS else "MISSES"
    rows.append(
        (
            f"baseline, {years} years, model loop",
            f"{new_med * ms:.1f} ms",
            f"{new_best * ms:.1f} ms",
        )
    )
    rows.append(("  median CPU time of that run", f"{new_cpu * ms:.1f} ms", ""))
    rows.append((f"  target {TARGET_MS:.0f} ms", verdict, ""))
    for name, t in phase_times(base, max(5, args.repeat // 3)).items():
        rows.append((f"  phase {name}", f"{t:.2f} ms", ""))

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
    ((big_med, _, _),) = timed([lambda: model_loop(big)], max(3, args.repeat // 5), warmup=1)
    rows.append(
        (
            f"10x labs ({len(big.labs)}), model loop",
            f"{big_med * ms:.1f} ms",
            f"x{big_med / new_med:.1f} of baseline",
        )
    )

    long = horizon(base, 2025, 2100)
    ((med_long, _, _),) = timed([lambda: model_loop(long)], max(3, args.repeat // 5), warmup=1)
    per_year = med_long / 76
    rows.append(("2025-2100 (76 years), model loop", f"{med_long * ms:.1f} ms", ""))
    rows.append(
        (
            "  cost per simulated year: 21 y vs 76 y",
            f"{new_med / years * ms:.2f} ms",
            f"{per_year * ms:.2f} ms",
        )
    )

    pair = side_by_side(args.rounds, max(5, args.repeat // 3)) if args.rounds > 0 else None
    if pair is None:
        rows.append(("previous version side by side", "skipped", "needs the git history"))
    else:
        old_ms, cur_ms = pair
        rows.append((f"side by side: v0.1.0 ({PREVIOUS[:7]}), same run", f"{old_ms:.1f} ms", ""))
        rows.append(("  this version, same run", f"{cur_ms:.1f} ms", ""))
        rows.append(("  ratio previous / this", f"x{old_ms / cur_ms:.2f}", "(>1: this is faster)"))

    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  {'median':>12}  {'best / note':>20}")
    for name, a, b in rows:
        print(f"{name:<{width}}  {a:>12}  {b:>20}")
    return 0 if verdict == "meets" else 1


if __name__ == "__main__":
    raise SystemExit(main())
