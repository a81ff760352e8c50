"""Command-line interface: ``sputnik`` and ``python -m sim``.

Contract for feature packages: a module listed in ``EXTENSIONS`` defines
``register(subparsers) -> None`` that adds its subcommands with
``parser.set_defaults(func=handler)``; ``handler(args) -> int`` returns the exit code. Modules
must import heavy libraries lazily inside handlers so ``sputnik --help`` stays fast. Handlers
raise :class:`sim.errors.UserError` or :class:`sim.ScenarioError` for bad input: ``main``
prints each problem on one line and exits 2; :class:`sim.errors.RunFailure` (valid input, failed
work) prints its lines and exits with its code; any other exception exits 1 with a short message.

The contract (see ``docs/cli.md``): every file and flag is parsed and validated before any work
starts; bad input gives exit 2 and one line per problem, never a traceback; outputs go to a
temporary directory renamed into place and never mix with other files.

Core commands (this module): ``list``, ``validate``, ``run``, ``compare`` and ``demo``. They only
parse arguments and call the library (:func:`sim.run`, :mod:`sim.outputs`, :mod:`sim.charts`,
:mod:`sim.summary`); pandas, matplotlib and rich are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.results import Result

EXTENSIONS = ("sim.sweeps.cli", "sim.game.cli", "sim.calibration.cli", "sim.web.cli")

# The headline comparison, run by ``sputnik demo`` (and ``make demo``).
DEMO_SCENARIOS = ("baseline", "stargate", "deepseek", "stargate-vs-deepseek")
DEMO_OUT = "out/demo"


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``error: sputnik run: argument --seed: ...`` and exit 2."""

    def error(self, message: str) -> typing.NoReturn:
        """Print one line naming the command and the problem, then exit 2."""
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every available subcommand."""
    from sim import __version__

    parser = Parser(
        prog="sputnik", description="Sputnik Moment: the AI compute race under export controls."
    )
    parser.add_argument("--version", action="version", version=f"sputnik {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
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
    """Entry point of ``sputnik`` and ``python -m sim``: returns the exit code.

    0 done; 1 the work failed or an internal error (a bug: please report); 2 bad input (one
    line per problem); 3 a sweep finished but some runs failed; 130 interrupted. A closed
    output pipe (``sputnik list | head -1``) ends quietly.
    """
    try:
        return _main(argv)
    except BrokenPipeError:
        _silence_stdout()
        return 0


def _silence_stdout() -> None:
    """After the reader of stdout went away, point stdout at /dev/null so exit stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout replaced (tests) or closed
        pass


def _main(argv: list[str] | None) -> int:
    from sim.errors import InputError, InternalError, RunFailure

    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (already printed)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    args.cli_argv = argv  # recorded in manifests so a run can be repeated
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        for line in exc.problems:
            print(f"error: {line}", file=sys.stderr)
        return 2
    except RunFailure as exc:
        for line in exc.problems:
            print(f"error: {line}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise
    except InternalError as exc:
        print(f"internal error: {exc} (please report)", file=sys.stderr)
        if os.environ.get("SPUTNIK_DEBUG"):
            raise
        return 1
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback for users
        print(
            f"internal error: {type(exc).__name__}: {exc} (please report; rerun with SPUTNIK_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        if os.environ.get("SPUTNIK_DEBUG"):
            raise
        return 1


# --- argument types (here, not in sim.config, so that --help stays fast) ------------------------

MAX_SEED = 2**63 - 1


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number") from None


def seed_arg(text: str) -> int:
    """argparse ``type=`` for ``--seed``: a whole number from 0 to 2^63-1."""
    value = _whole(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{text[:40]} is out of range (0 to 2^63-1)")
    return value


def count_arg(text: str) -> int:
    """argparse ``type=`` for counts (``--rounds``, ``--workers``): a whole number, 1 to 10^6."""
    value = _whole(text)
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"{text[:40]} is invalid: must be 1 or more")
    return value


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
        help="check scenario files, sweep specs, move scripts, decks and role files",
        description="Validate inputs before any work: 'ok' and what each will do, or one line per problem (exit 2). "
        "Recognises scenario files and names, sweep specs, move scripts, decks and role files.",
    )
    p.add_argument(
        "scenarios",
        nargs="+",
        metavar="FILE_OR_NAME",
        help="a scenario, sweep spec, move script, deck or role file (.toml), or a shipped scenario id",
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
    add_ensemble_options(p, default_on=False)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "compare",
        help="run several scenarios over the calibrated ensemble and compare them",
        description="Run each scenario over the same ensemble members and seeds (default; "
        "--no-ensemble: one run each with --seed), write its outputs to DIR/<scenario>/, "
        "side-by-side charts with 5-95% bands to DIR, and print a table of medians [5%, 95%] "
        "and paired differences from the first scenario.",
    )
    p.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO",
        help="two or more scenario ids or .toml files; the first is the reference",
    )
    _add_run_options(p, "DIR (default: out/compare)")
    add_ensemble_options(p, default_on=True)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "demo",
        help="the headline comparison: " + " vs ".join(DEMO_SCENARIOS),
        description=f"Compare {', '.join(DEMO_SCENARIOS)} and write charts to {DEMO_OUT}.",
    )
    p.add_argument(
        "--out", metavar="DIR", default=DEMO_OUT, help=f"output directory (default: {DEMO_OUT})"
    )
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed (default 0)")
    p.add_argument("--no-charts", action="store_true", help="write tables only")
    _add_force(p)
    add_ensemble_options(p, default_on=True)
    p.set_defaults(func=cmd_demo)


def add_set_option(
    p: argparse.ArgumentParser,
    help: str = "override a parameter, e.g. controls.enforcement=0.9 (value is a TOML literal; "
    "repeatable)",
) -> None:
    """``--set KEY=VALUE`` (repeatable), read with :func:`parse_overrides`."""
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="set", help=help)


def _add_overrides(p: argparse.ArgumentParser) -> None:
    add_set_option(p)
    p.add_argument("--years", metavar="START:END", help="simulate these years, e.g. 2025:2040")


def _add_force(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--force",
        action="store_true",
        help="replace --out even if it holds other files (default: refuse a non-empty --out "
        "that does not hold the same kind of output)",
    )


def _add_run_options(p: argparse.ArgumentParser, out_help: str) -> None:
    p.add_argument(
        "--seed",
        type=seed_arg,
        default=0,
        help="random seed, 0 to 2^63-1 (default 0); the seed alone decides the run",
    )
    p.add_argument("--out", metavar="DIR", help=f"output directory: {out_help}")
    _add_overrides(p)
    p.add_argument(
        "--no-charts", action="store_true", help="write tables and manifest only (faster)"
    )
    _add_force(p)


def add_ensemble_options(
    p: argparse.ArgumentParser, default_on: bool, workers: bool = True
) -> None:
    """``--ensemble [N]``, ``--no-ensemble``, ``--ensemble-file``, ``--workers``.

    ``default_on`` commands run over the shipped ensemble unless ``--no-ensemble``; the others
    only with ``--ensemble``. ``--seed`` is the ensemble's master seed (each member's run seed is
    derived from it), or the single run's seed with ``--no-ensemble``.
    """
    g = p.add_argument_group(
        "ensemble",
        "runs over the calibrated ensemble (docs/calibration.md); "
        + ("on by default" if default_on else "off unless --ensemble"),
    )
    g.add_argument(
        "--ensemble",
        nargs="?",
        type=count_arg,
        const=0,
        default=None,
        metavar="N",
        help="run over the first N members of the ensemble (default: all of them)",
    )
    if default_on:
        g.add_argument(
            "--no-ensemble",
            action="store_true",
            help="one run per scenario with --seed (the single-run behaviour)",
        )
    g.add_argument(
        "--ensemble-file",
        metavar="FILE",
        help="an ensemble file (default: scenarios/ensemble/history-matched.json)",
    )
    if workers:
        g.add_argument(
            "--workers",
            type=count_arg,
            default=None,
            metavar="N",
            help="processes for ensemble runs (default: all cores; 1 = this process)",
        )
    p.set_defaults(ensemble_default=default_on)


def ensemble_choice(args: argparse.Namespace) -> tuple[bool, int | None]:
    """``(use the ensemble, member count or None for all)`` from the parsed ensemble options."""
    from sim.errors import UserError

    wanted = getattr(args, "ensemble", None)
    off = getattr(args, "no_ensemble", False)
    if off and wanted is not None:
        raise UserError("--ensemble and --no-ensemble: choose one")
    if off or not (wanted is not None or getattr(args, "ensemble_default", False)):
        if getattr(args, "ensemble_file", None):
            raise UserError(
                "--ensemble-file: needs an ensemble run (drop --no-ensemble or add --ensemble)"
            )
        return False, None
    return True, (wanted or None)


def ensemble_workers(args: argparse.Namespace) -> int:
    """``--workers`` or every core (ensembles, history matching)."""
    return getattr(args, "workers", None) or os.cpu_count() or 1


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
    """Load a scenario, naming ``--years`` for horizon problems that came from it."""
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
    """Validate each file or name; print "ok" and what it will do, or one line per problem.

    Recognises scenario files and names, sweep specs, move scripts, decks and role files.
    """
    from sim.checks import describe_input
    from sim.errors import InputError

    overrides = parse_overrides(args.set, args.years)
    failed = 0
    for name in args.scenarios:
        try:
            kind, what = describe_input(name, overrides, args.years is not None)
        except InputError as exc:
            failed += 1
            for line in exc.problems:
                print(f"error: {line}", file=sys.stderr)
            continue
        first, *notes = what.split("\n")
        print(f"ok  {name}  ({first})")
        for note in notes:
            print(f"    {note}")
    if failed:
        print(f"{failed} of {len(args.scenarios)} input(s) invalid", file=sys.stderr)
        return 2
    return 0


def _command_line(args: argparse.Namespace) -> str:
    import shlex

    return shlex.join(["sputnik", *getattr(args, "cli_argv", [args.command])])


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario, write its outputs and print the summary table.

    Everything is checked before the run starts: overrides, the scenario and ``--out``.
    """
    import sim
    from sim.outputs import KIND_KEY, check_out, staged_dir, write_result
    from sim.summary import console, run_notes, run_table

    overrides = parse_overrides(args.set, args.years)
    scen = _load(args.scenario, overrides, args.years is not None)
    out = Path(args.out) if args.out else Path("out") / scen.id
    use, n = ensemble_choice(args)
    if use:
        return _run_ensemble(args, scen, overrides, out, n)
    check_out(out, "run", args.force)
    result = sim.run(scen, seed=args.seed)
    extra = {"command": _command_line(args), "overrides": overrides, KIND_KEY: "run"}
    with staged_dir(out, "run", args.force) as tmp:
        paths = write_result(result, tmp, charts=not args.no_charts, extra=extra)
    con = console()
    con.print(run_table(result))
    for note in run_notes(result):
        con.print(note, highlight=False)
    con.print(f"wrote {len(paths)} files to {out}/", highlight=False)
    return 0


def load_all(names: list[str], overrides: dict[str, str], years_given: bool) -> dict[str, Any]:
    """Every scenario by id, validated before any run; one line per problem (twice-given too)."""
    import sim
    from sim.errors import UserError

    scenarios = {}
    problems: list[str] = []
    for name in names:
        try:
            scen = _load(name, overrides, years_given)
        except sim.ScenarioError as exc:
            problems += exc.problems
            continue
        if scen.id in scenarios:
            problems.append(
                f"{name}: scenario '{scen.id}' given twice (each scenario needs its own output folder)"
            )
        scenarios[scen.id] = scen
    if problems:
        raise UserError(problems)
    return scenarios


def write_compare_index(
    folder: Path,
    results: dict[str, Any],
    seed: int,
    overrides: dict[str, str],
    command: str,
    files: list[str],
    **extra: Any,
) -> None:
    """``manifest.json`` of a comparison folder: scenarios, seed, runs' hashes, files (+ extra)."""
    import json

    from sim.outputs import KIND_KEY

    index = {
        KIND_KEY: "compare",
        "scenarios": list(results),
        "seed": seed,
        **extra,
        "overrides": overrides,
        "command": command,
        "files": sorted([*files, "manifest.json"]),
        "runs": {
            sid: {"hash": r.manifest["scenario"]["hash"], "dir": sid} for sid, r in results.items()
        },
    }
    (folder / "manifest.json").write_text(json.dumps(index, indent=2) + "\n")


def compare_scenarios(
    names: list[str],
    seed: int,
    out: Path,
    overrides: dict[str, str],
    charts: bool = True,
    years_given: bool = False,
    command: str = "",
    force: bool = False,
) -> dict[str, Result]:
    """Run each scenario with one seed; write DIR/<id>/, compare.csv and side-by-side charts; print the table."""

    import sim
    from sim.outputs import KIND_KEY, check_out, staged_dir, write_result
    from sim.summary import compare_frame, compare_table, console

    scenarios = load_all(names, overrides, years_given)
    check_out(out, "compare", force)
    results: dict[str, Result] = {sid: sim.run(scen, seed=seed) for sid, scen in scenarios.items()}
    extra = {"command": command, "overrides": overrides, KIND_KEY: "run"}
    with staged_dir(out, "compare", force) as tmp:
        for sid, res in results.items():
            write_result(res, tmp / sid, charts=charts, extra=extra)
        frame = compare_frame(results)
        frame.to_csv(tmp / "compare.csv", index=False, lineterminator="\n")
        files = ["compare.csv"]
        if charts:
            from sim.charts import compare_charts

            files += [p.name for p in compare_charts(results, tmp)]
        write_compare_index(tmp, results, seed, overrides, command, files)
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
    use, n = ensemble_choice(args)
    if use:
        compare_ensemble_scenarios(
            args.scenarios,
            args,
            out,
            overrides,
            n,
            charts=not args.no_charts,
            years_given=args.years is not None,
        )
        return 0
    compare_scenarios(
        args.scenarios,
        args.seed,
        out,
        overrides,
        charts=not args.no_charts,
        years_given=args.years is not None,
        command=_command_line(args),
        force=args.force,
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The headline comparison of the shipped demo scenarios (over the ensemble by default)."""
    use, n = ensemble_choice(args)
    if use:
        compare_ensemble_scenarios(
            list(DEMO_SCENARIOS), args, Path(args.out), {}, n, charts=not args.no_charts
        )
        return 0
    compare_scenarios(
        list(DEMO_SCENARIOS),
        args.seed,
        Path(args.out),
        {},
        charts=not args.no_charts,
        command=_command_line(args),
        force=args.force,
    )
    return 0


# --- ensemble runs (sputnik run --ensemble, compare and demo by default) ---------------------------


def _ensemble_progress(label: str) -> Any:
    """A progress callback printing one line per quarter of the members (to stderr)."""
    marks: set[int] = set()

    def report(p: Any) -> None:
        q = 4 * p.done // p.total
        if q not in marks and q > 0:
            marks.add(q)
            print(f"{label}: {p.done}/{p.total} members ({p.elapsed:.1f} s)", file=sys.stderr)

    return report


def _finished_line(sid: str, p: Any) -> None:
    if p.done == p.total:
        print(f"{sid}: {p.total} members ({p.elapsed:.1f} s)", file=sys.stderr)


def _run_ensemble(
    args: argparse.Namespace, scen: Any, overrides: dict[str, str], out: Path, n: int | None
) -> int:
    """``sputnik run SCEN --ensemble [N]``: bands, member table, charts and manifest."""
    from sim.ensembles import resolve_ensemble, run_ensemble
    from sim.ensembles.report import run_table
    from sim.outputs import ENSEMBLE_KIND, check_out, staged_dir, write_ensemble_result
    from sim.summary import console

    ens_file = resolve_ensemble(args.ensemble_file)
    check_out(out, ENSEMBLE_KIND, args.force)
    res = run_ensemble(
        scen,
        n=n,
        workers=ensemble_workers(args),
        overrides=overrides,
        seed=args.seed,
        ensemble=ens_file,
        progress=_ensemble_progress(scen.id),
    )
    extra = {"command": _command_line(args), "overrides": overrides}
    with staged_dir(out, ENSEMBLE_KIND, args.force) as tmp:
        paths = write_ensemble_result(res, tmp, charts=not args.no_charts, extra=extra)
    con = console()
    con.print(run_table(res))
    con.print(f"wrote {len(paths)} files to {out}/", highlight=False)
    return 0


def compare_ensemble_scenarios(
    names: list[str],
    args: argparse.Namespace,
    out: Path,
    overrides: dict[str, str],
    n: int | None,
    charts: bool = True,
    years_given: bool = False,
) -> dict[str, Any]:
    """Run each scenario over the same members and seeds; write DIR/<id>/, compare.csv,
    paired.csv and band charts; print medians [p5, p95] and paired differences."""

    import pandas as pd

    from sim.ensembles import compare_ensembles, resolve_ensemble, run_ensembles
    from sim.ensembles.report import compare_table
    from sim.outputs import check_out, staged_dir, write_ensemble_result
    from sim.summary import console

    scenarios = load_all(names, overrides, years_given)
    ens_file = resolve_ensemble(args.ensemble_file)
    check_out(out, "compare", args.force)
    results = run_ensembles(
        list(scenarios.values()),
        n=n,
        workers=ensemble_workers(args),
        overrides=overrides,
        seed=args.seed,
        ensemble=ens_file,
        progress=_finished_line,
    )
    effects = compare_ensembles(results)
    command = _command_line(args)
    with staged_dir(out, "compare", args.force) as tmp:
        for sid, res in results.items():
            write_ensemble_result(
                res, tmp / sid, charts=charts, extra={"command": command, "overrides": overrides}
            )
        frames = [r.bands().assign(scenario=sid) for sid, r in results.items()]
        cols = ["scenario", "metric", "year", "median", "p5", "p95", "n"]
        pd.concat(frames, ignore_index=True)[cols].to_csv(
            tmp / "compare.csv", index=False, lineterminator="\n", na_rep="NaN"
        )
        base = next(iter(results))
        paired = [e.bands().assign(scenario=sid, reference=base) for sid, e in effects.items()]
        files = ["compare.csv"]
        if paired:
            pd.concat(paired, ignore_index=True)[["scenario", "reference", *cols[1:]]].to_csv(
                tmp / "paired.csv", index=False, lineterminator="\n", na_rep="NaN"
            )
            files.append("paired.csv")
        if charts:
            from sim.charts import compare_band_charts

            files += [p.name for p in compare_band_charts(results, effects, tmp)]
        first = next(iter(results.values())).manifest["ensemble"]
        ensemble = {k: v for k, v in first.items() if k not in ("applied", "held")}
        write_compare_index(tmp, results, args.seed, overrides, command, files, ensemble=ensemble)
    con = console()
    con.print(compare_table(results, effects))
    con.print(
        f"wrote {', '.join(f'{s}/' for s in results)} and {len(files)} comparison files to {out}/",
        highlight=False,
    )
    return results
