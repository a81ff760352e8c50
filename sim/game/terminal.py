"""Terminal play: prompts for human roles, a facilitator menu, and a results table per round.

Plain ``input()``/``print()`` so it works in any terminal and can be driven through a
pseudo-terminal in tests. End of input (Ctrl-D) pauses: the game is saved after every round, so
``sputnik play --resume game.db`` continues where the room stopped.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from sim.errors import UserError
from sim.game.engine import Game, RoundResult
from sim.game.levers import Lever, fmt_value
from sim.game.script import apply_script_round

CLEAR = "\033[2J\033[H"
HELP = (
    "Facilitator: Enter = resolve the round | c CARD = play a card | cards = list cards | "
    "o ROLE = override a move | u = undo last round | p = pause (save and quit) | e = end the game"
)


class Paused(Exception):
    """The facilitator paused (or input ended): stop and keep the save."""


def _ask(prompt: str) -> str:
    try:
        return input(prompt)
    except EOFError:
        raise Paused() from None


def _lever_value(game: Game, role: str, lv: Lever, cur: Any, ask: Callable[[str], str]) -> Any:
    """Prompt for one lever until the answer is valid; Enter keeps ``cur``."""
    from sim.config.paths import check_param_path

    print(f"  {lv.name}: {lv.explain}")
    while True:
        text = ask(
            f"    now {fmt_value(cur, lv.unit)}, range {lv.bounds_text()} (Enter keeps) > "
        ).strip()
        if not text:
            return cur
        try:
            value = lv.parse(text)
        except ValueError as exc:
            print(f"    ! {exc}; try again")
            continue
        err = lv.check(value) or check_param_path(game.scenario, lv.path, value)
        if err:
            print(f"    ! {err}; try again")
            continue
        return value


def _prompt_levers(game: Game, role: str, ask: Callable[[str], str]) -> dict[str, Any]:
    r = game.roles[role]
    cur = game.current_values(role)
    move: dict[str, Any] = {}
    for lv in r.levers:
        v = _lever_value(game, role, lv, cur[lv.path], ask)
        if v != cur[lv.path]:
            move[lv.name] = v
    return move


def prompt_role(game: Game, role: str, ask: Callable[[str], str] = _ask) -> None:
    """Ask one human role for its prediction and levers, then submit the (secret) move."""
    r = game.roles[role]
    obs = game.observe(role)
    print(f"\n--- {r.name} ({role}), round {game.round}, {game.year} ---")
    if game.round == 1:
        print(f"  {r.brief}")
        if r.objectives:
            print("  Objectives: " + "; ".join(r.objectives))
    if obs.scheduled:
        print("  Scheduled this year: " + "; ".join(obs.scheduled))
    if r.headline:
        while True:
            text = ask(f"  Predict {r.headline} at the end of this round (Enter skips) > ").strip()
            if not text:
                break
            try:
                game.predict(role, r.headline, float(text))
                break
            except ValueError:
                print(f"    ! '{text}' is not a number; try again")
    move = _prompt_levers(game, role, ask)
    game.submit(role, move, by="human")
    changed = ", ".join(f"{k} = {fmt_value(v)}" for k, v in move.items()) or "no change"
    print(f"  Move recorded (secret until the round resolves): {changed}")


def facilitator(game: Game, ask: Callable[[str], str] = _ask) -> str:
    """The facilitator menu before a round resolves; returns ``resolve``, ``undo``, ``end``."""
    while True:
        text = ask("Facilitator (Enter resolves, ? for help) > ").strip()
        cmd, _, arg = text.partition(" ")
        arg = arg.strip()
        try:
            if not text:
                return "resolve"
            if cmd in ("?", "h", "help"):
                print(HELP)
            elif cmd == "cards":
                for c in game.deck.values():
                    state = (
                        "fired"
                        if c.id in game.fired
                        else (f"n/a: {c.unavailable}" if c.unavailable else c.describe_trigger())
                    )
                    print(f"  {c.id:22} {c.title} ({state})")
            elif cmd == "c":
                card = game.play_card(arg)
                print(f"  Card queued for this round: {card.title}")
            elif cmd == "o":
                role = game.role_id(arg)
                move = _prompt_levers(game, role, ask)
                reason = ""
                while not reason:
                    reason = ask("  Reason for the override (logged) > ").strip()
                game.override(role, move, reason)
                print(f"  Override of {role} recorded")
            elif cmd == "u":
                return "undo"
            elif cmd == "p":
                raise Paused()
            elif cmd == "e":
                return "end"
            else:
                print(f"  ! unknown command '{cmd}'. {HELP}")
        except UserError as exc:
            for line in exc.problems:
                print(f"  ! {line}")


def show_result(game: Game, res: RoundResult, out: Callable[[str], None] = print) -> None:
    """Print what changed and why: each nation's capability change split into its parts."""
    yrs = res.years
    span = f"{yrs[0]}" if len(yrs) == 1 else f"{yrs[0]}-{yrs[-1]}"
    out(f"\n=== Round {res.round} results ({span}) ===")
    out(
        f"{'nation':8} {'OOM':>6} {'change':>7} {'=compute':>9} {'+effic.':>8} {'+catch-up':>9} {'lag mo':>7} {'lag chg':>8} {'compute':>8}"
    )
    for n in res.nations:
        dl = "" if n["d_lag"] is None else f"{n['d_lag']:+.1f}"
        out(
            f"{n['nation']:8} {n['oom']:6.2f} {n['d_oom']:+7.2f} {n['d_oom_compute']:+9.2f} {n['d_oom_efficiency']:+8.2f} "
            f"{n['d_oom_catchup']:+9.2f} {n['lag_months']:7.1f} {dl:>8} {n['compute_share']:8.1%}"
        )
    rec = res.record
    fired = [f for f in rec["fired"] if f["how"] != "ends"]
    if fired:
        out("Cards fired: " + "; ".join(f"{f['title']} ({f['year']}, {f['how']})" for f in fired))
    ends = [f for f in rec["fired"] if f["how"] == "ends"]
    if ends:
        out("Cards ended: " + "; ".join(f["title"] for f in ends))
    events = game.model.event_log
    other = [e.title for e in events if e.year in yrs and e.kind in ("reaction", "sputnik")]
    if other:
        out("Also: " + "; ".join(other))
    for rid, ch in rec["effective"].items():
        who = "override" if rid in rec["overrides"] else rec["moves"][rid]["by"]
        levers = {lv.path: lv for lv in game.roles[rid].levers}
        shown = [
            f"{levers[p].name} = {fmt_value(v, levers[p].unit)}"
            if p in levers
            else f"{p} = {fmt_value(v)}"
            for p, v in ch.items()
        ]
        out(f"Move {rid} ({who}): " + ", ".join(shown))
    for rid, ov in rec["overrides"].items():
        out(f"  override of {rid}: {ov['reason']}")
    for rid, pr in rec["predictions"].items():
        act = rec["actuals"].get(rid)
        shown = "unknown" if act is None else f"{act:.3g}"
        out(f"Prediction {rid}: {pr['metric']} = {pr['value']:g}, actual {shown}")


def play(game: Game, ask: Callable[[str], str] = _ask) -> str:
    """Run the interactive loop until the game is over or paused; returns ``over`` or ``paused``."""
    humans = game.setup.humans
    many = len(humans) > 1 and sys.stdout.isatty()
    try:
        while not game.over:
            print(f"\n##### Round {game.round}: {game.year} #####")
            apply_script_round(game)
            for role in humans:
                if many:
                    ask(
                        f"Pass the keyboard to {game.roles[role].name} ({role}); press Enter when ready > "
                    )
                prompt_role(game, role, ask)
                if many:
                    print(CLEAR, end="")
            action = facilitator(game, ask)
            if action == "undo":
                try:
                    last = game.undo()
                    print(f"Round {last['round']} undone; back to {game.year}.")
                except UserError as exc:
                    print(f"  ! {exc.problems[0]}")
                continue
            if action == "end":
                game.end()
                break
            show_result(game, game.resolve())
    except Paused:
        print(
            "\nPaused. "
            + (
                f"Resume with: sputnik play --resume {game.store.path}"
                if game.store
                else "(no --save file: this game is not saved)"
            )
        )
        return "paused"
    return "over"
