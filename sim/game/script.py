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

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints

from sim.config.inputs import MAX_SEED, InputError, InputModel, Scalar, load
from sim.errors import UserError

if TYPE_CHECKING:
    from sim.game.engine import Game

RESERVED = ("cards", "override")
MAX_ROUNDS = 1000

Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Word = Annotated[str, StringConstraints(max_length=200)]


# A lever value as a script writes it: yes/no, a finite number, or a word (a choice).
Value = Scalar
RoundKey = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,3}$")]


class RoleMove(InputModel):
    """``[round.N.ROLE]``: lever short names (or quoted full paths) and values, and a prediction."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Value]  # type: ignore[assignment]

    predict: dict[Word, Finite] | None = Field(
        None, description="Metric -> predicted value at the end of the round."
    )


class Override(InputModel):
    """``[round.N.override.ROLE]``: the facilitator replaces a move and says why."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Value]  # type: ignore[assignment]

    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)] = Field(
        description="Why the facilitator replaced the move (goes into the log)."
    )


class ScriptRound(InputModel):
    """``[round.N]``: cards the facilitator plays, overrides, and one table per scripted role."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, RoleMove]  # type: ignore[assignment]

    cards: list[Word] = Field(default_factory=list, max_length=100)
    override: dict[Word, Override] = Field(default_factory=dict)


class ScriptFile(InputModel):
    """A move script (``sputnik play --script FILE``)."""

    scenario: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] | None = None
    years_per_round: Annotated[int, Field(ge=1, le=50)] | None = None
    bots: dict[Word, Word] = Field(default_factory=dict)
    round: dict[RoundKey, ScriptRound] = Field(default_factory=dict)


def read_script(path: str | Path) -> dict[str, Any]:
    """Parse a moves file into ``{"meta": {...}, "rounds": {"1": {...}}}``; UserError if malformed.

    The whole file is validated here (shapes, types, finite numbers); :func:`check_script`
    then checks it against the game (roles, levers, bounds, cards) before round 1.
    """
    p = Path(path)
    try:
        parsed = load(ScriptFile, p)
    except InputError as exc:
        raise UserError(exc.problems) from None
    data = parsed.model_dump(exclude_none=True, exclude_unset=True)
    rounds = {str(int(k)): _round_table(v) for k, v in data.pop("round", {}).items()}
    return {"meta": data, "rounds": rounds, "path": str(p)}


def _round_table(rnd: dict[str, Any]) -> dict[str, Any]:
    """A validated round as plain dicts (the shape :func:`apply_script_round` reads)."""
    out = {k: v for k, v in rnd.items() if k not in RESERVED}
    if "cards" in rnd:
        out["cards"] = list(rnd["cards"])
    if "override" in rnd:
        out["override"] = dict(rnd["override"])
    return out


def describe_script(path: str | Path) -> str:
    """What a move script will do, checked against its scenario when it names one."""
    script = read_script(path)
    meta, rounds = script["meta"], script["rounds"]
    roles = sorted({k for r in rounds.values() for k in r if k not in RESERVED})
    cards = sorted({c for r in rounds.values() for c in r.get("cards", [])})
    name = meta.get("scenario")
    if name:
        from sim.config.loader import load_scenario
        from sim.game.cards import read_deck
        from sim.game.engine import Game, GameSetup
        from sim.game.roles import read_role_file

        scen = load_scenario(name)
        setup = GameSetup(
            scen.model_dump(mode="json"),
            str(name),
            script=rounds,
            deck=read_deck(),
            role_file=read_role_file(),
        )
        normalise_roles(Game(setup), str(path))
    what = f"move script: {len(rounds)} round(s), moves for {', '.join(roles) or 'no role'}"
    if cards:
        what += f"; cards {', '.join(cards)}"
    return what + (f"; scenario {name}" if name else "; no scenario named (give one to play)")


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
                        problems.append(f"{where}: round.{rnd}.override: {exc.problems[0]}")
            elif key in RESERVED:
                new[key] = val
            else:
                try:
                    new[resolve_role_id(game.roles, key)] = val
                except UserError as exc:
                    problems.append(f"{where}: round.{rnd}: {exc.problems[0]}")
        fixed[rnd] = new
    if problems:
        raise UserError(problems)
    game.setup.script = fixed
    check_script(game, where)


def check_script(game: Game, where: str = "script") -> None:
    """Check every round of the game's script against the game before round 1.

    Levers and bounds, prediction metrics, cards (known, playable, played once) and override
    reasons: a bad round 3 is reported before round 1 is played, not after round 2.
    """
    from sim.game import metrics
    from sim.game.levers import validate_move

    problems: list[str] = []
    nations, labs = set(game.scenario.nations), set(game.scenario.labs)
    played: dict[str, str] = {}
    for rnd, table in sorted(game.setup.script.items(), key=lambda kv: int(kv[0])):
        at = f"{where}: round.{rnd}"
        for key, val in table.items():
            if key in RESERVED:
                continue
            move = dict(val)
            pred = move.pop("predict", None) or {}
            try:
                validate_move(game.scenario, list(game.roles[key].levers), key, move)
            except ValueError as exc:
                problems += [f"{at}.{key}: {line}" for line in str(exc).splitlines()]
            for metric in pred:
                err = metrics.check_metric(metric, nations, labs)
                if err:
                    problems.append(f"{at}.{key}.predict: {err}")
        for role, mv in table.get("override", {}).items():
            mv = dict(mv)
            if not str(mv.pop("reason", "")).strip():
                problems.append(f'{at}.override.{role}: needs reason = "..."')
            try:
                validate_move(game.scenario, list(game.roles[role].levers), role, mv)
            except ValueError as exc:
                problems += [f"{at}.override.{role}: {line}" for line in str(exc).splitlines()]
        for cid in table.get("cards", []):
            card = game.deck.get(cid)
            if card is None:
                from sim.config.paths import did_you_mean

                hint = did_you_mean(cid, list(game.deck), fallback="cards")
                problems.append(f"{at}.cards: no card '{cid}'{hint}")
            elif card.unavailable:
                problems.append(f"{at}.cards: '{cid}' cannot be played here: {card.unavailable}")
            elif cid in played:
                problems.append(f"{at}.cards: '{cid}' is already played in round {played[cid]}")
            else:
                played[cid] = rnd
    if problems:
        raise UserError(problems)


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
    if isinstance(v, dict):  # an inline table (TOML has no null: unset keys are left out)
        items = (f"{toml_key(str(k))} = {_toml_value(x)}" for k, x in v.items() if x is not None)
        return "{" + ", ".join(items) + "}"
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
