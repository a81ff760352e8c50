"""``sputnik params``, ``sputnik backtest``, ``sputnik calibrate``, ``sputnik sensitivity``.

Only argument parsing and printing; the work is done by the modules of this package, imported
inside the handlers so ``sputnik --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli import add_ensemble_options, count_arg, ensemble_choice, ensemble_workers, seed_arg
from sim.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the calibration subcommands to the top-level parser."""
    p = subparsers.add_parser(
        "params", help="print the parameter reference (schema + a scenario's values)"
    )
    p.add_argument(
        "--scenario",
        default="baseline",
        help="scenario whose values and sources to list (default: baseline)",
    )
    p.add_argument(
        "--format",
        choices=("md", "table"),
        default="table",
        help="md = the docs/parameters.md text",
    )
    p.set_defaults(func=_params)

    b = subparsers.add_parser(
        "backtest",
        help="history-2020 over the ensemble against every 2020-2024 target; 2025 predictions",
        description="Runs history-2020 over the ensemble (default) and shows each target's data "
        "band against the members' median and 5-95% band, pass or fail, and the ensemble's "
        "predictions for 2025 (no 2025 data is used). --no-ensemble: the single-run back-test "
        "against Epoch AI data with --seed.",
    )
    b.add_argument(
        "--scenario", default="history-2020", help="history scenario to run (default: history-2020)"
    )
    b.add_argument(
        "--overrides", type=Path, help="TOML file of tuned values (from `sputnik calibrate`)"
    )
    b.add_argument("--seed", type=seed_arg, default=0)
    b.add_argument(
        "--out",
        type=Path,
        help="directory for the tables and chart (backtest_ensemble.csv, predictions_2025.csv, "
        "backtest_ensemble.png; with --no-ensemble backtest.csv and backtest.png)",
    )
    b.add_argument(
        "--targets", type=Path, default=None, help="targets CSV (default: the shipped targets.csv)"
    )
    add_ensemble_options(b, default_on=True)
    b.set_defaults(func=_backtest)

    c = subparsers.add_parser(
        "calibrate",
        help="history-match every uncertain parameter to the 2020-2024 targets; write an ensemble",
        description="History matching (docs/calibration.md): waves of parameter sets over every "
        "uncertain parameter of the schema, run on history-2020 with several seeds each, keeping "
        "those whose outputs are not implausible against the targets. Writes DIR (journal, "
        "survivors, wave history, diagnostics, plots) and DIR/ensemble.json. A killed run resumes "
        "with --resume. --method grid (or --points/--params) runs the older grid search instead.",
    )
    c.add_argument("--scenario", default="history-2020")
    c.add_argument(
        "--out",
        type=Path,
        default=None,
        help="history matching: output directory (default out/calibrate); grid: the TOML "
        "overrides file (default calibration-overrides.toml)",
    )
    c.add_argument(
        "--method",
        choices=("history", "grid"),
        default=None,
        help="history (default) or grid (implied by --points or --params)",
    )
    c.add_argument("--waves", type=count_arg, default=5, help="waves (default 5)")
    c.add_argument(
        "--per-wave",
        type=count_arg,
        default=200,
        metavar="N",
        help="parameter sets per wave (default 200)",
    )
    c.add_argument(
        "--replicates", type=count_arg, default=2, help="seeds per parameter set (default 2)"
    )
    c.add_argument("--seed", type=seed_arg, default=0, help="master seed (default 0)")
    c.add_argument(
        "--workers",
        type=count_arg,
        default=None,
        metavar="N",
        help="local processes (default: all cores)",
    )
    c.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="run on a Dask scheduler ('local' starts one); needs the [cluster] extra",
    )
    c.add_argument("--resume", action="store_true", help="continue the history match in --out")
    c.add_argument(
        "--targets", type=Path, default=None, help="targets CSV (default: the shipped targets.csv)"
    )
    c.add_argument(
        "--discrepancy",
        type=float,
        default=1.0,
        help="model discrepancy per target, as a multiple of its data uncertainty (default 1)",
    )
    c.add_argument("--cutoff", type=float, default=3.0, help="implausibility cut-off (default 3)")
    c.add_argument(
        "--screen",
        choices=("nn", "gp", "none"),
        default="nn",
        help="candidate screen of later waves: nearest neighbours (default), GP emulator, none",
    )
    c.add_argument(
        "--ensemble-size", type=count_arg, default=100, metavar="N", help="members (default 100)"
    )
    c.add_argument(
        "--ensemble-out",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write the ensemble here (e.g. scenarios/ensemble/history-matched.json)",
    )
    c.add_argument(
        "--allow-implausible",
        action="store_true",
        help="if no set survives, write a PROVISIONAL ensemble of the least implausible sets",
    )
    c.add_argument("--no-plots", action="store_true", help="skip the diagnostic plots")
    c.add_argument(
        "--points", type=int, default=None, help="grid: points per parameter (default 5)"
    )
    c.add_argument(
        "--params",
        help="grid: comma-separated assumption parameters to tune (default: the built-in three)",
    )
    c.set_defaults(func=_calibrate)

    s = subparsers.add_parser(
        "sensitivity",
        help="one-at-a-time sensitivity of lag and compute share to every uncertain parameter",
        description="Sets each uncertain parameter to its low and then its high value (by default "
        "the smallest and largest value among the ensemble's members, for every parameter the "
        "ensemble varies; --no-ensemble: the schema's assumption parameters and sensitivity "
        "ranges), all else fixed, and ranks the parameters by the swing they cause.",
    )
    s.add_argument("scenario", help="scenario id or path")
    s.add_argument(
        "--out", type=Path, required=True, help="directory for sensitivity.csv and tornado PNGs"
    )
    s.add_argument(
        "--nation",
        default="china",
        help="nation whose lag and compute share to measure (default china)",
    )
    s.add_argument("--years", default="2030,2045", help="comma-separated years (default 2030,2045)")
    s.add_argument("--seed", type=seed_arg, default=0)
    s.add_argument(
        "--include-sourced",
        action="store_true",
        help="--no-ensemble: also vary sourced parameters that carry a sensitivity range",
    )
    add_ensemble_options(s, default_on=True, workers=False)
    s.set_defaults(func=_sensitivity)


def _params(args: argparse.Namespace) -> int:
    from sim.calibration import params
    from sim.config.loader import resolve_path

    resolve_path(args.scenario)  # clear error for an unknown scenario
    text = (
        params.render_markdown(args.scenario)
        if args.format == "md"
        else params.render_text(args.scenario)
    )
    sys.stdout.write(text)
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from sim.calibration import backtest
    from sim.config.inputs import read_overrides_file
    from sim.outputs import prepare_dir

    use, n = ensemble_choice(args)
    overrides = read_overrides_file(args.overrides) if args.overrides else None
    if args.targets is not None and not use:
        raise UserError("--targets: the single-run back-test (--no-ensemble) uses Epoch's files")
    if use:
        from sim.calibration.targets import load_targets
        from sim.ensembles import resolve_ensemble

        load_targets(args.targets)  # a bad file: one line per problem before any run
        ens_file = resolve_ensemble(args.ensemble_file)
    if args.out:
        prepare_dir(args.out)  # checked before the work, not after
    if use:
        from sim.calibration import ensemble_backtest

        ebt = ensemble_backtest.run_ensemble_backtest(
            args.scenario,
            n=n,
            workers=ensemble_workers(args),
            seed=args.seed,
            ensemble=ens_file,
            overrides=overrides,
            targets_path=args.targets,
        )
        print(ensemble_backtest.format_table(ebt))
        written = ensemble_backtest.write_outputs(ebt, args.out) if args.out else []
    else:
        bt = backtest.run_backtest(args.scenario, seed=args.seed, overrides=overrides)
        print(backtest.format_table(bt))
        written = backtest.write_outputs(bt, args.out) if args.out else []
    for path in written:
        print(f"wrote {path}")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    grid = args.method == "grid" or (
        args.method is None and (args.points is not None or args.params is not None)
    )
    if grid:
        return _calibrate_grid(args)
    if args.points is not None or args.params is not None:
        raise UserError("--points/--params belong to --method grid")
    return _calibrate_history(args)


def _calibrate_grid(args: argparse.Namespace) -> int:
    """The older grid search of 1-3 assumption parameters (a TOML overrides file)."""
    from sim.calibration import calibrate

    names = [p.strip() for p in args.params.split(",") if p.strip()] if args.params else None
    points = 5 if args.points is None else args.points
    if points < 2:
        raise UserError(f"--points: {points} is too few (need at least 2)")
    out = args.out or Path("calibration-overrides.toml")
    _check_out_file(out)
    fit = calibrate.fit(args.scenario, names=names, points=points)
    print(calibrate.describe(fit))
    calibrate.write_overrides(fit, out)
    print(f"wrote {out}")
    return 0


def _calibrate_history(args: argparse.Namespace) -> int:
    """History matching over every uncertain parameter, then the ensemble file."""
    import math

    from sim.calibration.ensemble import write_ensemble
    from sim.config.loader import resolve_path
    from sim.ensembles.calibrate import calibrate, make_ensemble
    from sim.outputs import prepare_dir
    from sim.sweeps.runner import check_scheduler, open_executor

    problems = []
    if not (math.isfinite(args.discrepancy) and args.discrepancy >= 0):
        problems.append(f"--discrepancy: {args.discrepancy} is invalid: must be 0 or more")
    if not (math.isfinite(args.cutoff) and args.cutoff > 0):
        problems.append(f"--cutoff: {args.cutoff} is invalid: must be a positive number")
    if args.per_wave < 2:
        problems.append(f"--per-wave: {args.per_wave} is too few (need at least 2)")
    if problems:
        raise UserError(problems)
    from sim.calibration.targets import load_targets

    resolve_path(args.scenario)  # one clear line for an unknown scenario
    load_targets(args.targets)  # one line per bad row, before any process starts
    out = args.out or Path("out/calibrate")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not args.resume:
        what = "a history match" if (out / "config.json").exists() else "other files"
        raise UserError(
            f"--out {out}: holds {what}; add --resume to continue it or choose another directory"
        )
    if args.ensemble_out is not None:
        _check_out_file(args.ensemble_out, "--ensemble-out", "the ensemble file")
    prepare_dir(out.parent if str(out.parent) else Path("."))
    check_scheduler(args.scheduler)
    workers = ensemble_workers(args)
    with open_executor(workers, args.scheduler) as (ex, _slots, backend):
        print(f"history matching '{args.scenario}' on {backend}", flush=True)
        cal = calibrate(
            out,
            scenario=args.scenario,
            targets_path=args.targets,
            waves=args.waves,
            per_wave=args.per_wave,
            seed=args.seed,
            replicates=args.replicates,
            discrepancy=args.discrepancy,
            cutoff=args.cutoff,
            screen=args.screen,
            executor=ex,
            resume=args.resume,
            plots=not args.no_plots,
            progress=lambda line: print(line, flush=True),
        )
    print(_calibration_summary(cal))
    for f in cal.match.files:
        print(f"wrote {f}")
    ens = make_ensemble(cal, args.ensemble_size, allow_implausible=args.allow_implausible)
    for path in [out / "ensemble.json", *([args.ensemble_out] if args.ensemble_out else [])]:
        write_ensemble(ens, path)
        print(f"wrote {path} ({len(ens.members)} members)")
    if ens.provenance.settings.get("provisional"):
        print(f"warning: {ens.provenance.notes}", file=sys.stderr)
    return 0


def _calibration_summary(cal) -> str:  # noqa: ANN001 - sim.ensembles.calibrate.Calibration
    hm = cal.match
    lines = [
        f"{len(hm.params)} parameters matched ({len(cal.held)} held: "
        + ", ".join(h.path for h in cal.held)
        + ")",
        f"{len(cal.targets)} targets (version {cal.targets.version}); {len(cal.skipped_targets)} "
        "skipped: " + ", ".join(i for i, _ in cal.skipped_targets),
    ]
    lines.append(
        f"non-implausible: {int(hm.runs['non_implausible'].sum())} of {len(hm.runs)} sets "
        f"(least implausible {hm.runs['max_implausibility'].min():.3g})"
    )
    return "\n".join(lines)


def _check_out_file(path: Path, flag: str = "--out", what: str = "the overrides file") -> None:
    """``FILE``: not a directory, and its folder exists (or can be made) and is writable."""
    from sim.outputs import prepare_dir

    if path.is_dir():
        raise UserError(f"{flag} {path}: is a directory; name {what} to write")
    prepare_dir(path.parent if str(path.parent) else Path("."), flag)


def _sensitivity(args: argparse.Namespace) -> int:
    from sim.calibration import sensitivity

    try:
        years = [int(y) for y in args.years.split(",") if y.strip()]
    except ValueError:
        raise UserError(f"--years: '{args.years}' is not a comma-separated list of years") from None
    use, n = ensemble_choice(args)
    ranges = None
    if use:
        if args.include_sourced:
            raise UserError(
                "--include-sourced: the ensemble already varies sourced parameters; it belongs to --no-ensemble"
            )
        from sim.config.loader import load_scenario
        from sim.ensembles import resolve_ensemble
        from sim.ensembles.members import ensemble_ranges

        ranges = ensemble_ranges(
            resolve_ensemble(args.ensemble_file), load_scenario(args.scenario), n
        )
    from sim.outputs import prepare_dir

    prepare_dir(args.out)  # checked before the runs, not after
    res = sensitivity.one_at_a_time(
        args.scenario,
        nation=args.nation,
        years=years,
        seed=args.seed,
        include_sourced=args.include_sourced,
        ranges=ranges,
    )
    if ranges is not None:
        print(
            f"Ranges: the smallest and largest value among the ensemble's members, "
            f"{len(ranges)} parameters"
        )
    print(sensitivity.format_table(res))
    rank = sensitivity.ranking(res)
    print("\nRanking (mean swing, each scaled by the largest of its metric and year):")
    for r in rank.head(15).itertuples(index=False):
        print(f"  {r.rank:>3}. {r.parameter:<52} {r.score:.2f}")
    written = sensitivity.write_outputs(res, args.out)
    rank.to_csv(args.out / "ranking.csv", index=False, lineterminator="\n")
    for path in [*written, args.out / "ranking.csv"]:
        print(f"wrote {path}")
    return 0
