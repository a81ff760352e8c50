"""Checks around a run: what an input file is and will do (before), finite tables (after).

:func:`check_finite` is the post-run guard called by :func:`sim.run`: a NaN or infinity in an
output table is a bug (inputs are bounded so that valid input cannot produce one), so it raises
:class:`sim.errors.InternalError` naming the table, column, first row and the run's scenario.
:func:`describe_input` backs ``sputnik validate``: it recognises the kind of a TOML file, validates
it whole and says in a few words what it will do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import InputError, InternalError, UserError

if TYPE_CHECKING:
    import pandas as pd

    from sim.model.model import ComputeRaceModel

SWEEP_KEYS = frozenset({"sampler", "uncertainties", "levers", "outcomes"})


def non_finite(frame: pd.DataFrame) -> list[tuple[str, int]]:
    """``(column, count)`` for each numeric column of ``frame`` holding NaN or infinity."""
    import numpy as np

    out = []
    for col in frame.columns:
        values = frame[col]
        if values.dtype.kind in "fc":
            bad = int((~np.isfinite(values.to_numpy())).sum())
            if bad:
                out.append((str(col), bad))
    return out


def check_finite(tables: dict[str, pd.DataFrame], scenario_id: str, seed: int | None) -> None:
    """Raise :class:`InternalError` if any table holds a NaN or infinite number."""
    problems = []
    for name, frame in tables.items():
        for col, count in non_finite(frame):
            problems.append(f"{name}.{col} ({count} rows)")
    _report(problems, scenario_id, seed)


def check_records_finite(model: ComputeRaceModel) -> None:
    """:func:`check_finite` over a finished model's records, without building its tables."""
    import numpy as np

    from sim.model.records import TABLES, fields_of

    problems = []
    for name, (attribute, record) in TABLES.items():
        rows = getattr(model, attribute)
        columns, get = fields_of(record, (float,))
        if not rows or not columns:
            continue
        bad = (~np.isfinite(np.array([get(r) for r in rows], dtype=float))).sum(axis=0)
        problems += [f"{name}.{c} ({int(n)} rows)" for c, n in zip(columns, bad, strict=True) if n]
    _report(problems, model.scenario.id, model.seed)


def _report(problems: list[str], scenario_id: str, seed: int | None) -> None:
    if problems:
        raise InternalError(
            f"the run of '{scenario_id}' with seed {seed} produced non-finite numbers in "
            f"{', '.join(problems[:5])}{' and more' if len(problems) > 5 else ''}"
        )


def input_kind(raw: dict[str, Any]) -> str:
    """The kind of a parsed TOML input: scenario, sweep, script, deck or roles."""
    keys = set(raw)
    if "nations" in keys or "extends" in keys or "labs" in keys:
        return "scenario"
    if "base" in keys and keys & SWEEP_KEYS:
        return "sweep"
    if "round" in keys:
        return "script"
    if "cards" in keys:
        return "deck"
    if "roles" in keys:
        return "roles"
    return "scenario"


def describe_input(
    name: str, overrides: dict[str, str] | None = None, years_given: bool = False
) -> tuple[str, str]:
    """``(kind, what it will do)`` for a scenario name or a TOML input; InputError if invalid."""
    from sim.config.inputs import read_toml

    path = Path(name)
    if path.suffix != ".toml" and not path.exists():
        return "scenario", _describe_scenario(name, overrides, years_given)
    raw = read_toml(path)
    kind = input_kind(raw)
    others = kind != "scenario" and (overrides or years_given)
    if others:
        raise UserError(f"{name}: --set and --years apply to scenarios, not to a {kind} file")
    if kind == "sweep":
        from sim.sweeps.spec import load_spec

        return kind, "sweep: " + load_spec(path).plan()
    if kind == "script":
        from sim.game.script import describe_script

        return kind, describe_script(path)
    if kind == "deck":
        from sim.game.cards import read_deck

        cards = read_deck(path)
        return kind, f"deck: {len(cards)} card(s)"
    if kind == "roles":
        from sim.game.roles import read_role_file

        roles = read_role_file(path)
        return kind, f"role file: {len(roles)} role(s): {', '.join(roles)}"
    return kind, _describe_scenario(name, overrides, years_given)


def _describe_scenario(name: str, overrides: dict[str, str] | None, years_given: bool) -> str:
    from sim.cli import _load

    try:
        scen = _load(name, overrides or {}, years_given)
    except InputError:
        raise
    h = scen.horizon
    text = f"{scen.title}, {h.start_year}-{h.end_year}, {len(scen.events)} event(s)"
    return "\n".join([text, *whole_year_notes(scen)])


def whole_year_notes(scen: Any) -> list[str]:
    """A note for each event dated after January that sets anything but export controls: only
    the control regime is split at an event's month; other parameters hold for its whole year."""
    notes = []
    for e in scen.events:
        others = [k for k in e.set if not k.startswith("controls.")]
        if e.month > 1 and others:
            notes.append(
                f"note: event '{e.title}' ({e.year}-{e.month:02d}) sets {', '.join(others)}: "
                "only export controls take effect at an event's month; these hold for all of "
                f"{e.year} (date the event January {e.year + 1}, or split it, if that matters)"
            )
    return notes
