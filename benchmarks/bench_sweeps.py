"""Sweep benchmark: throughput, overheads against plain loops, mesa.batch_run and Dask, and memory.

    .venv/bin/python benchmarks/bench_sweeps.py                 # ~4-6 min on 2 cores
    .venv/bin/python benchmarks/bench_sweeps.py --runs 200      # quick look
    .venv/bin/python benchmarks/bench_sweeps.py --memory-runs 100000   # the full 100k memory sweep

Measures (baseline scenario, full 2025-2045 horizon unless noted):
  1. ``sim.run`` in a plain loop (the floor a sweep can approach) and ``mesa.batch_run``;
  2. ``run_sweep`` with 1 and 2 local workers: runs/s, speed-up, per-run cost vs the loop;
  3. the same sweep on a local Dask cluster (2 single-thread workers): start-up and per-run overhead;
  4. peak resident memory of an outcomes-only sweep at two sizes (short horizon so it is quick;
     memory depends on the number of runs, not their length), extrapolated linearly to 100,000
     runs, unless ``--memory-runs`` asks for the full size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUTCOMES = [
    "lag_months:china:2030",
    "lag_months:china:end",
    "compute_share:china:end",
    "cumulative_spending:china:end",
    "sputnik_year",
]


def baseline_spec(runs: int):
    """A spec of ``runs`` replications of the baseline (no swept parameters)."""
    from sim.sweeps.spec import parse_spec

    return parse_spec(
        {
            "title": "bench",
            "base": "baseline",
            "seed": 1,
            "replications": runs,
            "outcomes": OUTCOMES,
        },
        source="bench",
    )


LAST_CPU = [0.0]  # CPU seconds (this process + reaped children) of the last timed() call


def _cpu() -> float:
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def timed(fn) -> tuple[float, object]:
    """Wall seconds and result of ``fn()``; its CPU seconds go to LAST_CPU.

    CPU time is reported beside wall time because on a shared machine other jobs steal cores:
    CPU ms/run shows the sweep's own overhead even when the wall-clock speed-up cannot.
    """
    c, t = _cpu(), time.perf_counter()
    out = fn()
    LAST_CPU[0] = _cpu() - c
    return time.perf_counter() - t, out


def bench_loop(runs: int) -> float:
    import sim

    scen = sim.load_scenario("baseline")

    def go():
        for i in range(runs):
            sim.run(scen, seed=i)

    return timed(go)[0]


def bench_batch_run(runs: int, processes: int) -> float:
    import mesa
    import tqdm

    import sim

    # batch_run's tqdm would leave a monitor thread behind, and the sweeps timed after it would
    # then spawn their workers (sim.workers forks only a single-threaded process), unlike the CLI
    tqdm.tqdm.monitor_interval = 0

    return timed(
        lambda: mesa.batch_run(
            sim.ComputeRaceModel,
            parameters={"scenario": "baseline"},
            iterations=runs,
            number_processes=processes,
            data_collection_period=-1,
            display_progress=False,
        )
    )[0]


def bench_sweep(
    runs: int, tmp: Path, workers: int, scheduler: str | None = None
) -> tuple[float, dict]:
    from sim.sweeps.runner import run_sweep

    out = tmp / f"sweep-{workers}-{'dask' if scheduler else 'pool'}"
    wall, res = timed(
        lambda: run_sweep(baseline_spec(runs), out, workers=workers, scheduler=scheduler)
    )
    return wall, res.manifest


def _spin(n: int) -> int:
    s = 0
    for i in range(n):
        s += i * i % 7
    return s


def bench_ceiling(n: int = 20_000_000) -> float:
    """Speed-up of 2 processes over 1 on pure-Python busy work: what this machine allows right now."""
    import multiprocessing

    t1 = timed(lambda: [_spin(n), _spin(n)])[0]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        t2 = timed(lambda: pool.map(_spin, [n, n]))[0]
    return t1 / t2


def bench_dask_startup() -> float:
    from distributed import Client, LocalCluster

    from sim.sweeps.runner import dask_fix_malloc

    def go():
        dask_fix_malloc()
        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, dashboard_address=":0", silence_logs=40
            ) as c,
            Client(c) as cl,
        ):
            cl.submit(sum, [1, 2]).result()

    return timed(go)[0]


def peak_rss_mib() -> float:
    """Peak resident memory of this process in MiB.

    Reads VmHWM (Linux): ``ru_maxrss`` survives ``exec`` and would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_child(runs: int, out: str) -> None:
    """(subprocess) Run an outcomes-only LHS sweep of ``runs`` short runs; print peak RSS as JSON."""
    from sim.sweeps.runner import run_sweep
    from sim.sweeps.spec import parse_spec

    spec = parse_spec(
        {
            "base": "baseline",
            "seed": 3,
            "overrides": {"horizon.end_year": 2026},
            "outcomes": OUTCOMES[2:],
            "sampler": {"method": "lhs", "n": runs},
            "uncertainties": {
                "controls.sme_effect": {"low": 0.3, "high": 0.9},
                "controls.enforcement": {"low": 0.1, "high": 0.9},
            },
        },
        source="bench-memory",
    )
    before = peak_rss_mib()
    t = time.perf_counter()
    res = run_sweep(spec, out, workers=2)
    wall = time.perf_counter() - t
    me = peak_rss_mib()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = (Path(out) / "outcomes.parquet").stat().st_size / 2**20
    print(
        json.dumps(
            {
                "runs": res.runs,
                "wall": wall,
                "main_mib": me,
                "import_mib": before,
                "worker_mib": kids,
                "parquet_mib": size,
            }
        )
    )


def bench_memory(runs: int, tmp: Path) -> dict:
    out = tmp / f"mem-{runs}"
    p = subprocess.run(
        [sys.executable, __file__, "--_memory-child", str(runs), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--runs",
        type=int,
        default=1000,
        help="baseline runs for the throughput benchmarks (default 1000)",
    )
    ap.add_argument(
        "--memory-runs",
        default="2000,8000",
        help="sizes of the outcomes-only memory sweeps, comma-separated (default 2000,8000; 100000 for the full one)",
    )
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask benchmark")
    ap.add_argument("--no-mesa", action="store_true", help="skip mesa.batch_run")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    ap.add_argument("--_memory-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._memory_child:
        memory_child(int(args._memory_child[0]), args._memory_child[1])
        return
    n = args.runs
    rows: list[tuple[str, str, str]] = []
    fig: dict = {
        "runs": n,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
    }

    def add(name: str, value: str, note: str = "") -> None:
        rows.append((name, value, note))
        print(f"  {name:<44} {value:>14}  {note}", flush=True)

    print(
        f"sweep benchmark: {n} baseline runs (2025-2045), {os.cpu_count()} cores,"
        f" load average {os.getloadavg()[0]:.1f} at start (wall-clock speed-ups need idle cores)"
    )
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        import sim  # noqa: F401 - import cost outside the timings

        loop = bench_loop(n)
        loop_cpu = LAST_CPU[0]
        fig.update(loop_s=loop, loop_cpu_s=loop_cpu)
        add(
            "sim.run loop (1 process)",
            f"{n / loop:.1f} runs/s",
            f"{1000 * loop / n:.1f} ms/run; CPU {1000 * loop_cpu / n:.1f} ms/run",
        )
        if not args.no_mesa:
            br = bench_batch_run(n, 1)
            fig["batch_run_1_s"] = br
            add(
                "mesa.batch_run, 1 process",
                f"{n / br:.1f} runs/s",
                f"{1000 * br / n:.1f} ms/run (no tables, scenario re-read per run)",
            )
            br2 = bench_batch_run(n, 2)
            fig["batch_run_2_s"] = br2
            add(
                "mesa.batch_run, 2 processes",
                f"{n / br2:.1f} runs/s",
                f"{br / br2:.2f}x vs 1 process",
            )
        s1, m1 = bench_sweep(n, tmp, 1)
        fig["sweep_1_s"] = s1
        add(
            "sputnik sweep, 1 worker (serial)",
            f"{n / s1:.1f} runs/s",
            f"{1000 * s1 / n:.1f} ms/run = {s1 / loop:.2f}x the loop (target <= 1.20);"
            f" CPU {1000 * LAST_CPU[0] / n:.1f} ms/run = {LAST_CPU[0] / loop_cpu:.2f}x",
        )
        fig["sweep_1_cpu_s"] = LAST_CPU[0]
        ceiling = bench_ceiling()
        fig["ceiling_speedup"] = ceiling
        add(
            "2-process ceiling (pure-Python busy loop)",
            f"{ceiling:.2f}x",
            "the best any 2-worker speed-up can be now",
        )
        s2, m2 = bench_sweep(n, tmp, 2)
        fig["sweep_2_s"] = s2
        add(
            "sputnik sweep, 2 workers",
            f"{n / s2:.1f} runs/s",
            f"speed-up {s1 / s2:.2f}x (target >= 1.8); chunks of {m2['counts']['chunk_size']};"
            f" CPU {1000 * LAST_CPU[0] / n:.1f} ms/run = {LAST_CPU[0] / loop_cpu:.2f}x the loop",
        )
        fig["sweep_2_cpu_s"] = LAST_CPU[0]
        if not args.no_dask:
            try:
                start = bench_dask_startup()
                sd, md = bench_sweep(n, tmp, 2, scheduler="local")
                fig.update(dask_start_s=start, dask_sweep_s=sd)
                add(
                    "Dask local cluster start + stop",
                    f"{start:.2f} s",
                    "2 worker processes, malloc fix applied",
                )
                add(
                    "sputnik sweep on Dask (2 workers)",
                    f"{n / sd:.1f} runs/s",
                    f"{sd:.1f} s incl. start; {(sd - start - s2) * 1000 / n:+.2f} ms/run vs local pool after start-up",
                )
            except ImportError:
                add("Dask", "skipped", "dask[distributed] not installed")
        sizes = [int(x) for x in args.memory_runs.split(",") if x]
        mems = []
        for r in sizes:
            m = bench_memory(r, tmp)
            mems.append(m)
            add(
                f"peak RSS, {r:,}-run outcomes-only sweep",
                f"{m['main_mib']:.0f} MiB",
                f"main process ({m['import_mib']:.0f} after imports); workers <= {m['worker_mib']:.0f} MiB; {m['wall']:.0f} s",
            )
        fig["memory"] = mems
        if len(mems) >= 2 and mems[-1]["runs"] < 100_000:
            a, b = mems[0], mems[-1]
            slope = (b["main_mib"] - a["main_mib"]) / (b["runs"] - a["runs"])
            est = b["main_mib"] + slope * (100_000 - b["runs"])
            fig["memory_100k_estimate_mib"] = est
            add(
                "peak RSS at 100,000 runs (extrapolated)",
                f"{est:.0f} MiB",
                f"linear from the two sizes: {slope * 1024:.2f} KiB/run (run --memory-runs 100000 to measure)",
            )
    print()
    print(f"{'measure':<46}{'value':>16}  note")
    print("-" * 110)
    for name, value, note in rows:
        print(f"{name:<46}{value:>16}  {note}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.json:
        Path(args.json).write_text(json.dumps(fig, indent=2))


if __name__ == "__main__":
    main()
