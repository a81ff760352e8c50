"""``sputnik sweep`` and ``sputnik analyze`` (registered through :data:`sim.cli.EXTENSIONS`)."""

from __future__ import annotations

import argparse
import sys

from sim.cli import count_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` and ``analyze`` subcommands."""
    p = subparsers.add_parser(
        "sweep",
        help="run a parameter sweep (many runs) into a directory of Parquet tables",
        description="Run a sweep spec (TOML) and stream one row per run to DIR/outcomes.parquet. "
        "Example: sputnik sweep scenarios/sweeps/smoke.toml --out out/smoke",
    )
    p.add_argument("spec", metavar="SPEC.toml", help="sweep specification (see docs/sweeps.md)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument(
        "--workers",
        type=count_arg,
        default=None,
        metavar="N",
        help="local worker processes (default: all cores; 1 = serial)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="run on an existing Dask scheduler ('local' starts a local Dask cluster); needs the [cluster] extra",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue a killed or stopped sweep in DIR (finished chunks are kept)",
    )
    p.add_argument(
        "--quiet", action="store_true", help="no progress (a bar at a terminal, else lines)"
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="validate the spec and --out, print what the sweep will do, run nothing",
    )
    p.add_argument(
        "--yes",
        action="store_true",
        help="run even if the sweep has more runs than the limit (100,000; $SPUTNIK_MAX_RUNS)",
    )
    p.add_argument(
        "--allow-failures",
        action="store_true",
        help="exit 0 even if some runs raised (default: exit 3; see the 'status' column)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="use --out even if it holds other files (they are removed first)",
    )
    p.set_defaults(func=_sweep)

    a = subparsers.add_parser(
        "analyze",
        help="summarise a finished sweep: distributions per lever, fan charts, Sobol/Morris, PRIM",
        description="Write summary tables and charts for a sweep directory.",
    )
    a.add_argument("dir", metavar="DIR", help="a sweep output directory")
    a.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="where to write tables and charts (default: DIR/analysis)",
    )
    a.add_argument(
        "--prim",
        action="append",
        default=None,
        metavar="RULE",
        help="scenario discovery rule such as 'lag_months:china:2030 < 6' (repeatable; default: the spec's [analysis] prim)",
    )
    a.add_argument(
        "--prim-density",
        type=float,
        default=0.8,
        metavar="D",
        help="PRIM picks the box with the largest coverage among those with density >= D (default 0.8;"
        " see the trajectory CSV/chart to choose another)",
    )
    a.add_argument(
        "--force",
        action="store_true",
        help="replace --out even if it holds other files (default: refuse unless it holds an analysis)",
    )
    a.set_defaults(func=_analyze)


def _confirm(n_runs: int, limit: int, yes: bool) -> None:
    """Ask before a sweep above the run limit (or refuse without a terminal and without --yes)."""
    from sim.errors import UserError

    if n_runs <= limit or yes:
        return
    if sys.stdin.isatty() and sys.stderr.isatty():
        print(
            f"{n_runs:,} runs is above the limit of {limit:,}. Run them? [y/N] ",
            end="",
            file=sys.stderr,
        )
        if input().strip().lower() in ("y", "yes"):
            return
    raise UserError(
        f"sweep: {n_runs:,} runs is above the limit of {limit:,}; add --yes to run it anyway "
        "(or set SPUTNIK_MAX_RUNS)"
    )


def _sweep(args: argparse.Namespace) -> int:
    from sim.errors import RunFailure
    from sim.sweeps.runner import check_scheduler, run_sweep
    from sim.sweeps.spec import load_spec, max_runs
    from sim.sweeps.storage import SweepStore

    check_scheduler(args.scheduler)  # a bad or dead address: one line at once, nothing written
    spec = load_spec(args.spec)
    SweepStore(args.out).check(spec.spec_hash, args.resume, args.force)
    if args.dry_run:
        print(f"ok: {spec.plan()} -> {args.out} (dry run: nothing was run)")
        return 0
    _confirm(spec.n_runs, max_runs(), args.yes)
    progress: bool | str = False
    if not args.quiet:
        progress = True if sys.stderr.isatty() else "lines"
    try:
        res = run_sweep(
            spec,
            args.out,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            progress=progress,
            force=args.force,
        )
    except KeyboardInterrupt:
        print(
            f"sweep stopped; finished chunks are kept: continue with"
            f"  sputnik sweep {args.spec} --out {args.out} --resume",
            file=sys.stderr,
        )
        raise
    m = res.manifest
    rate = m["timings"]["runs_per_second"]
    print(
        f"{res.runs} runs ({res.errors} failed) in {res.wall_seconds:.1f} s"
        + (f", {rate:.1f} runs/s" if rate else f", {res.resumed_chunks} chunks resumed")
        + f" on {m['backend']['kind']} -> {res.out / 'outcomes.parquet'}"
    )
    if res.errors and not args.allow_failures:
        raise RunFailure(
            f"sweep: {res.errors} of {res.runs} runs raised; see the 'status' and 'error' columns "
            "of outcomes.parquet (add --allow-failures to accept them)",
            code=3,
        )
    if res.errors:
        print(
            f"note: {res.errors} runs raised; see the 'status' and 'error' columns", file=sys.stderr
        )
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sim.outputs import check_out, staged_dir
    from sim.sweeps.analysis import analyze

    if not 0 < args.prim_density <= 1:
        from sim.errors import UserError

        raise UserError(f"--prim-density: {args.prim_density} is invalid: must be in (0, 1]")
    src = Path(args.dir)
    if not (src / "outcomes.parquet").is_file():
        from sim.errors import UserError

        raise UserError(f"{src}: not a finished sweep directory (no outcomes.parquet)")
    dest = Path(args.out) if args.out else src / "analysis"
    check_out(dest, "analysis", args.force)
    with staged_dir(dest, "analysis", args.force) as tmp:
        rep = analyze(src, tmp, prim_rules=args.prim, prim_density=args.prim_density)
    s = rep["tables"]["summary"]
    overall = s[s["lever"] == "all"][["outcome", "n", "p05", "p50", "p95"]]
    print(overall.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for line in rep["notes"]:
        print(line)
    print(f"wrote {len(rep['files'])} files to {dest}")
    return 0
