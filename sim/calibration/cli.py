"""``sputnik params``, ``sputnik backtest``, ``sputnik calibrate``, ``sputnik sensitivity``.

Only argument parsing and printing; the work is done by the modules of this package, imported
inside the handlers so ``sputnik --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli import seed_arg
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
        "backtest", help="run history-2020 and compare it with Epoch AI data 2020-2024"
    )
    b.add_argument(
        "--scenario", default="history-2020", help="history scenario to run (default: history-2020)"
    )
    b.add_argument(
        "--overrides", type=Path, help="TOML file of tuned values (from `sputnik calibrate`)"
    )
    b.add_argument("--seed", type=seed_arg, default=0)
    b.add_argument("--out", type=Path, help="directory for backtest.csv and backtest.png")
    b.set_defaults(func=_backtest)

    c = subparsers.add_parser(
        "calibrate", help="fit assumption parameters to the back-test (deterministic grid search)"
    )
    c.add_argument("--scenario", default="history-2020")
    c.add_argument(
        "--out",
        type=Path,
        default=Path("calibration-overrides.toml"),
        help="TOML overrides file to write",
    )
    c.add_argument("--points", type=int, default=5, help="grid points per parameter (default 5)")
    c.add_argument(
        "--params",
        help="comma-separated assumption parameters to tune (default: the built-in three)",
    )
    c.set_defaults(func=_calibrate)

    s = subparsers.add_parser(
        "sensitivity", help="one-at-a-time sensitivity of lag and compute share (tornado chart)"
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
        help="also vary sourced parameters that carry a sensitivity range (e.g. utilisation)",
    )
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

    overrides = read_overrides_file(args.overrides) if args.overrides else None
    if args.out:
        prepare_dir(args.out)  # checked before the work, not after
    bt = backtest.run_backtest(args.scenario, seed=args.seed, overrides=overrides)
    print(backtest.format_table(bt))
    if args.out:
        written = backtest.write_outputs(bt, args.out)
        for path in written:
            print(f"wrote {path}")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from sim.calibration import calibrate

    names = [p.strip() for p in args.params.split(",") if p.strip()] if args.params else None
    if args.points < 2:
        raise UserError(f"--points: {args.points} is too few (need at least 2)")
    _check_out_file(args.out)
    fit = calibrate.fit(args.scenario, names=names, points=args.points)
    print(calibrate.describe(fit))
    calibrate.write_overrides(fit, args.out)
    print(f"wrote {args.out}")
    return 0


def _check_out_file(path: Path) -> None:
    """``--out FILE``: not a directory, and its folder exists (or can be made) and is writable."""
    from sim.outputs import prepare_dir

    if path.is_dir():
        raise UserError(f"--out {path}: is a directory; name the overrides file to write")
    prepare_dir(path.parent if str(path.parent) else Path("."))


def _sensitivity(args: argparse.Namespace) -> int:
    from sim.calibration import sensitivity

    try:
        years = [int(y) for y in args.years.split(",") if y.strip()]
    except ValueError:
        raise UserError(f"--years: '{args.years}' is not a comma-separated list of years") from None
    from sim.outputs import prepare_dir

    prepare_dir(args.out)  # checked before the runs, not after
    res = sensitivity.one_at_a_time(
        args.scenario,
        nation=args.nation,
        years=years,
        seed=args.seed,
        include_sourced=args.include_sourced,
    )
    print(sensitivity.format_table(res))
    for path in sensitivity.write_outputs(res, args.out):
        print(f"wrote {path}")
    return 0
