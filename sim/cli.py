"""Command-line interface (skeleton: the CLI helper fills in the core subcommands).

Contract for feature packages: a module listed in ``EXTENSIONS`` defines
``register(subparsers) -> None`` that adds its subcommands with
``parser.set_defaults(func=handler)``; ``handler(args) -> int`` returns the exit code. Modules
must import heavy libraries lazily inside handlers so ``sputnik --help`` stays fast. Handlers
raise :class:`sim.errors.UserError` or :class:`sim.ScenarioError` for bad input: ``main``
prints each problem on one line and exits 2; any other exception exits 1 with a short message.
"""

from __future__ import annotations

import argparse
import importlib
import sys

EXTENSIONS = ("sim.sweeps.cli", "sim.game.cli", "sim.calibration.cli")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every available subcommand."""
    parser = argparse.ArgumentParser(prog="sputnik", description="Sputnik Moment: the AI compute race under export controls.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
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
    args = parser.parse_args(argv)
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
        print(f"internal error: {type(exc).__name__}: {exc} (please report; rerun with SPUTNIK_DEBUG=1 for a traceback)", file=sys.stderr)
        import os

        if os.environ.get("SPUTNIK_DEBUG"):
            raise
        return 1
