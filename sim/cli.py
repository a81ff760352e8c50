"""Command-line interface: ``sputnik`` and ``python -m sim``.

Contract for feature packages: a module listed in ``EXTENSIONS`` defines
``register(subparsers) -> None`` that adds its subcommands with
``parser.set_defaults(func=handler)``; ``handler(args) -> int`` returns the exit code. Modules
must import heavy libraries lazily inside handlers so ``sputnik --help`` stays fast. Handlers
raise :class:`sim.errors.UserError` or :class:`sim.ScenarioError` for bad input: ``main``
prints each problem on one line and exits 2; any other exception exits 1 with a short message.

Core commands (this module): ``list``, ``validate``, ``run``, ``compare`` and ``demo``. They only
parse arguments and call the library (:func:`sim.run`, :mod:`sim.outputs`, :mod:`sim.charts`,
:mod:`sim.summary`); pandas, matplotlib and rich are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.results import Result

EXTENSIONS = ("sim.sweeps.cli", "sim.game.cli", "sim.calibration.cli", "sim.web.cli")

# The headline comparison of MODEL.md section 7, run by ``sputnik demo`` (and ``make demo``).
DEMO_SCENARIOS = ("baseline", "stargate", "deepseek", "stargate-vs-deepseek")
DEMO_OUT = "out/demo"


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="sputnik", description="Sputnik Moment: the AI compute race under export controls."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    register_core(sub)
    for name in EXTENSIONS:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # feature package not present
            raise
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sputnik`` and ``python -m sim``."""
    from sim.errors import ScenarioError, UserError

    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.cli_argv = argv  # recorded in manifests so a run can be repeated
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except (ScenarioError, UserError) as exc:
        for line in exc.problems:
            print(f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback for users
        print(
            f"internal error: {type(exc).__name__}: {exc} (please report; rerun with SPUTNIK_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        import os

        if os.environ.get("SPUTNIK_DEBUG"):
            raise
        return 1


# --- core subcommands ---------------------------------------------------------------------------


def register_core(sub: Any) -> None:
    """Add ``list``, ``validate``, ``run``, ``compare`` and ``demo``."""
    p = sub.add_parser(
        "list",
        help="list the shipped scenarios",
        description="List every scenario with a one-line description.",
    )
    p.set_defaults(func=cmd_list)

    p = sub.add_parser(
        "validate",
        help="check scenario files",
        description="Validate scenario files or names: 'ok' per file, or one line per problem (exit 2).",
    )
    p.add_argument(
        "scenarios",
        nargs="+",
        metavar="FILE_OR_NAME",
        help="a scenario file (.toml) or the id of a shipped scenario",
    )
    _add_overrides(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "run",
        help="run one scenario and write tables and charts",
        description="Run one scenario, print a summary table and write CSV tables, manifest.json and PNG charts.",
    )
    p.add_argument(
        "scenario", metavar="SCENARIO", help="a scenario id (see 'sputnik list') or a .toml file"
    )
    _add_run_options(p, "DIR (default: out/<scenario>)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "compare",
        help="run several scenarios with one seed and compare them",
        description="Run each scenario with the same seed, write its outputs to DIR/<scenario>/, side-by-side charts to DIR, and print a difference table.",
    )
    p.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO",
        help="two or more scenario ids or .toml files; the first is the reference",
    )
    _add_run_options(p, "DIR (default: out/compare)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "demo",
        help="the headline comparison: " + " vs ".join(DEMO_SCENARIOS),
        description=f"Compare {', '.join(DEMO_SCENARIOS)} (skipping any scenario not shipped yet) and write charts to {DEMO_OUT}.",
    )
    p.add_argument(
        "--out", metavar="DIR", default=DEMO_OUT, help=f"output directory (default: {DEMO_OUT})"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--no-charts", action="store_true", help="write tables only")
    p.set_defaults(func=cmd_demo)


def _add_overrides(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="set",
        help="override a parameter, e.g. controls.enforcement=0.9 (value is a TOML literal; repeatable)",
    )
    p.add_argument("--years", metavar="START:END", help="simulate these years, e.g. 2025:2040")


def _add_run_options(p: argparse.ArgumentParser, out_help: str) -> None:
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed (default 0); the seed alone decides the run",
    )
    p.add_argument("--out", metavar="DIR", help=f"output directory: {out_help}")
    _add_overrides(p)
    p.add_argument(
        "--no-charts", action="store_true", help="write tables and manifest only (faster)"
    )


_YEARS = re.compile(r"^\s*(\d{4})\s*:\s*(\d{4})\s*$")


def parse_overrides(sets: list[str], years: str | None) -> dict[str, str]:
    """Turn ``--set KEY=VALUE`` and ``--years A:B`` into loader overrides; bad syntax is a UserError.

    Values stay strings: the loader parses them as TOML literals and validates them.
    """
    from sim.errors import UserError

    out: dict[str, str] = {}
    problems = []
    for item in sets:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            problems.append(f"--set {item}: expected KEY=VALUE, e.g. controls.enforcement=0.9")
            continue
        out[key] = value.strip()
    if years is not None:
        m = _YEARS.match(years)
        if not m:
            problems.append(
                f"--years {years}: expected START:END with four-digit years, e.g. 2025:2040"
            )
        elif int(m[1]) > int(m[2]):
            problems.append(f"--years {years}: the start year {m[1]} is after the end year {m[2]}")
        else:
            out["horizon.start_year"], out["horizon.end_year"] = m[1], m[2]
    if problems:
        raise UserError(problems)
    return out


def _load(name: str, overrides: dict[str, str], years_given: bool) -> Any:
    """Load a scenario, turning stray decoding errors into one clear line and naming ``--years``."""
    from sim import ScenarioError, load_scenario

    try:
        return load_scenario(name, overrides=overrides)
    except ScenarioError as exc:
        if years_given:  # the horizon overrides came from --years, not from a --set the user typed
            exc.problems = [
                re.sub(r"^--set: (horizon\.(start|end)_year)", r"--years: \1", line)
                for line in exc.problems
            ]
        raise


def cmd_list(args: argparse.Namespace) -> int:
    """Print every scenario id with its one-line description, cut to the terminal width."""
    import shutil

    from sim.config.loader import list_scenarios

    infos = list_scenarios()
    if not infos:
        print("no scenarios found")
        return 0
    width = max(len(s.id) for s in infos) + 2
    room = max(40, shutil.get_terminal_size((100, 24)).columns - width - 1)
    for s in infos:
        text = s.summary or s.title
        if len(text) > room:
            text = text[: room - 3].rstrip() + "..."
        print(f"{s.id:<{width}}{text}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate each file or name; print "ok" or one line per problem; exit 2 if any failed."""
    from sim import ScenarioError

    overrides = parse_overrides(args.set, args.years)
    failed = 0
    for name in args.scenarios:
        try:
            scen = _load(name, overrides, args.years is not None)
        except ScenarioError as exc:
            failed += 1
            for line in exc.problems:
                print(f"error: {line}", file=sys.stderr)
            continue
        print(f"ok  {name}  ({scen.title}, {scen.horizon.start_year}-{scen.horizon.end_year})")
    if failed:
        print(f"{failed} of {len(args.scenarios)} scenario(s) invalid", file=sys.stderr)
        return 2
    return 0


def _command_line(args: argparse.Namespace) -> str:
    import shlex

    return shlex.join(["sputnik", *getattr(args, "cli_argv", [args.command])])


def _run_one(name: str, args: argparse.Namespace, overrides: dict[str, str]) -> Result:
    import sim

    scen = _load(name, overrides, args.years is not None)
    return sim.run(scen, seed=args.seed)


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario, write its outputs and print the summary table."""
    from sim.outputs import write_result
    from sim.summary import console, run_notes, run_table

    overrides = parse_overrides(args.set, args.years)
    result = _run_one(args.scenario, args, overrides)
    out = Path(args.out) if args.out else Path("out") / result.scenario_id
    extra = {"command": _command_line(args), "overrides": overrides}
    paths = write_result(result, out, charts=not args.no_charts, extra=extra)
    con = console()
    con.print(run_table(result))
    for note in run_notes(result):
        con.print(note, highlight=False)
    con.print(f"wrote {len(paths)} files to {out}/", highlight=False)
    return 0


def compare_scenarios(
    names: list[str],
    seed: int,
    out: Path,
    overrides: dict[str, str],
    charts: bool = True,
    years_given: bool = False,
    command: str = "",
) -> dict[str, Result]:
    """Run each scenario with one seed; write DIR/<id>/, compare.csv and side-by-side charts; print the table."""
    import json

    import sim
    from sim.errors import UserError
    from sim.outputs import prepare_dir, write_result
    from sim.summary import compare_frame, compare_table, console

    results: dict[str, Result] = {}
    for name in names:
        res = sim.run(_load(name, overrides, years_given), seed=seed)
        if res.scenario_id in results:
            raise UserError(
                f"{name}: scenario '{res.scenario_id}' given twice (each scenario needs its own output folder)"
            )
        results[res.scenario_id] = res
    out = prepare_dir(out)
    extra = {"command": command, "overrides": overrides}
    for sid, res in results.items():
        write_result(res, out / sid, charts=charts, extra=extra)
    frame = compare_frame(results)
    frame.to_csv(out / "compare.csv", index=False, lineterminator="\n")
    files = ["compare.csv"]
    if charts:
        from sim.charts import compare_charts

        files += [p.name for p in compare_charts(results, out)]
    index = {
        "scenarios": list(results),
        "seed": seed,
        "overrides": overrides,
        "command": command,
        "files": sorted([*files, "manifest.json"]),
        "runs": {
            sid: {"hash": r.manifest["scenario"]["hash"], "dir": sid} for sid, r in results.items()
        },
    }
    (out / "manifest.json").write_text(json.dumps(index, indent=2) + "\n")
    con = console()
    con.print(compare_table(results))
    con.print(
        f"wrote {', '.join(f'{s}/' for s in results)} and {len(files)} comparison files to {out}/",
        highlight=False,
    )
    return results


def cmd_compare(args: argparse.Namespace) -> int:
    """Run two or more scenarios with the same seed and compare them."""
    from sim.errors import UserError

    if len(args.scenarios) < 2:
        raise UserError("compare: give at least two scenarios (the first is the reference)")
    overrides = parse_overrides(args.set, args.years)
    out = Path(args.out) if args.out else Path("out") / "compare"
    compare_scenarios(
        args.scenarios,
        args.seed,
        out,
        overrides,
        charts=not args.no_charts,
        years_given=args.years is not None,
        command=_command_line(args),
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The headline comparison, skipping demo scenarios that are not shipped yet."""
    from sim.config.loader import list_scenarios
    from sim.errors import UserError

    known = {s.id for s in list_scenarios()}
    names = [n for n in DEMO_SCENARIOS if n in known]
    for n in DEMO_SCENARIOS:
        if n not in known:
            print(f"note: scenario '{n}' is not shipped yet; skipped", file=sys.stderr)
    if not names:
        raise UserError(
            f"demo: none of the demo scenarios ({', '.join(DEMO_SCENARIOS)}) were found"
        )
    compare_scenarios(
        names, args.seed, Path(args.out), {}, charts=not args.no_charts, command=_command_line(args)
    )
    return 0
