"""Move scripts: a TOML file of moves per round and role (``sputnik play --script moves.toml``).

::

    scenario = "stargate-vs-deepseek"   # optional: used when the command line names none
    seed = 0                            # optional

    [round.1.usa]                       # lever short names (or full paths, quoted)
    enforcement = 0.8
    cloud_loophole_open = false
    predict = { "lag_months:china" = 9 }

    [round.1]
    cards = ["taiwan-crisis"]           # the facilitator plays these cards this round

    [round.2.override.deepseek]         # the facilitator replaces a move, with a reason
    reason = "team left the room"
    efficiency_share = 0.5

Roles the file never moves are played by bots; a scripted role with no entry in a round holds.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import UserError

if TYPE_CHECKING:
    from sim.game.engine import Game

RESERVED = ("cards", "override")


def read_script(path: str | Path) -> dict[str, Any]:
    """Parse a moves file into ``{"meta": {...}, "rounds": {"1": {...}}}``; UserError if malformed."""
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text())
    except OSError as exc:
        raise UserError(f"{p}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{p}: not valid TOML: {exc}") from None
    rounds = raw.get("round", {})
    if not isinstance(rounds, dict):
        raise UserError(f"{p}: 'round' must be a table of [round.N.ROLE] sections")
    problems = []
    for key, rnd in rounds.items():
        if not str(key).isdigit() or int(key) < 1:
            problems.append(f"{p}: round.{key}: round numbers are 1, 2, 3 ...")
        elif not isinstance(rnd, dict):
            problems.append(f"{p}: round.{key}: must be a table")
    if problems:
        raise UserError(problems)
    meta = {k: v for k, v in raw.items() if k != "round"}
    return {"meta": meta, "rounds": {str(int(k)): v for k, v in rounds.items()}, "path": str(p)}


def normalise_roles(game: Game, where: str = "script") -> None:
    """Rewrite role aliases in the game's script to canonical ids, reporting unknown roles."""
    from sim.game.roles import resolve_role_id

    fixed: dict[str, Any] = {}
    problems: list[str] = []
    for rnd, table in game.setup.script.items():
        new: dict[str, Any] = {}
        for key, val in table.items():
            if key == "override":
                new[key] = {}
                for r, mv in val.items():
                    try:
                        new[key][resolve_role_id(game.roles, r)] = mv
                    except UserError as exc:
                        problems.append(
                            f"{where}: round.{rnd}.override: {exc.problems[0].removeprefix('--roles: ')}"
                        )
            elif key in RESERVED:
                new[key] = val
            else:
                try:
                    new[resolve_role_id(game.roles, key)] = val
                except UserError as exc:
                    problems.append(
                        f"{where}: round.{rnd}: {exc.problems[0].removeprefix('--roles: ')}"
                    )
        fixed[rnd] = new
    if problems:
        raise UserError(problems)
    game.setup.script = fixed


def apply_script_round(game: Game) -> None:
    """Submit this round's scripted moves, predictions, cards and overrides to ``game``."""
    table = game.setup.script.get(str(game.round), {})
    where = f"script round.{game.round}"
    for key, val in table.items():
        if key in RESERVED:
            continue
        move = dict(val)
        pred = move.pop("predict", None)
        game.submit(key, move, by="script")
        for metric, v in (pred or {}).items():
            game.predict(key, metric, v)
    for cid in table.get("cards", []):
        game.play_card(cid)
    for role, mv in table.get("override", {}).items():
        mv = dict(mv)
        reason = str(mv.pop("reason", ""))
        if not reason:
            raise UserError(f'{where}.override.{role}: needs reason = "..."')
        game.override(role, mv, reason)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return str(v)


def toml_key(k: str) -> str:
    """A TOML key, quoted when it contains dots or other special characters."""
    return k if k.replace("_", "").replace("-", "").isalnum() else _toml_value(k)


def export_script(game: Game) -> str:
    """Every resolved round's moves (humans, script and bots), cards and overrides as a moves file.

    Playing the file with ``--script`` and every other role on the ``scenario`` bot reproduces
    the game, since bot moves are written out too.
    """
    lines = [
        f"# Moves of a game of {game.scenario.id} (seed {game.setup.seed}), exported by sputnik play.",
        f"scenario = {_toml_value(game.setup.source)}",
        f"seed = {game.setup.seed}",
        f"years_per_round = {game.setup.years_per_round}",
        "",
    ]
    for rec in game.log:
        n = rec["round"]
        head = [f"[round.{n}]", f"# {rec['years'][0] if rec['years'] else rec['year']}"]
        if rec["manual_cards"]:
            head.append(f"cards = {_toml_value(rec['manual_cards'])}")
        lines += head + [""]
        for rid, mv in rec["moves"].items():
            lines.append(f"[round.{n}.{toml_key(rid)}]  # {mv['by']}")
            for p, v in mv["set"].items():
                lines.append(f"{toml_key(p)} = {_toml_value(v)}")
            pred = rec["predictions"].get(rid)
            if pred:
                lines.append(f"predict = {{ {toml_key(pred['metric'])} = {pred['value']!r} }}")
            lines.append("")
        for rid, pred in rec["predictions"].items():
            if rid not in rec["moves"]:
                lines += [
                    f"[round.{n}.{toml_key(rid)}]",
                    f"predict = {{ {toml_key(pred['metric'])} = {pred['value']!r} }}",
                    "",
                ]
        for rid, ov in rec["overrides"].items():
            lines.append(f"[round.{n}.override.{toml_key(rid)}]")
            lines.append(f"reason = {_toml_value(ov['reason'])}")
            for p, v in ov["set"].items():
                lines.append(f"{toml_key(p)} = {_toml_value(v)}")
            lines.append("")
    return "\n".join(lines) + "\n"
