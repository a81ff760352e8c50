"""Terminal play: secret prompts for human roles, a facilitator menu, and results per round.

Plain ``input()``/``print()`` so it works in any terminal and can be driven through a
pseudo-terminal in tests. A team's typed values are hidden (``getpass``) and the screen and its
scrollback are cleared between teams, so the room cannot read a move off a projector. The
facilitator can act at every hand-over, not only when every team has moved. Pause keeps the
moves entered so far; ``q`` (or end of input, Ctrl-D) saves finished rounds and quits, so
``sputnik play --resume game.db`` continues where the room stopped.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from typing import Any

from sim.errors import UserError
from sim.game import views
from sim.game.engine import Game, RoundResult
from sim.game.levers import Lever, fmt_value
from sim.game.script import apply_script_round

CLEAR = "\033[2J\033[3J\033[H"  # screen, scrollback (3J), cursor home
HELP = (
    "Facilitator: Enter = resolve the round | c CARD = play a card | cards = list cards | "
    "o ROLE = override a move | u = undo last round | p = pause (moves kept) | "
    "q = save and quit | e = end the game"
)


class Paused(Exception):
    """The facilitator quit (or input ended): stop and keep the save."""


def _ask(prompt: str) -> str:
    try:
        return input(prompt)
    except EOFError:
        raise Paused() from None


def _ask_secret(prompt: str) -> str:
    """Like :func:`_ask`, but the typed text is not shown (when there is a terminal)."""
    if not sys.stdin.isatty():
        return _ask(prompt)
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise Paused() from None


def _yes(ask: Callable[[str], str], prompt: str) -> bool:
    return ask(f"{prompt} (y/N) > ").strip().lower() in ("y", "yes")


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
    """Each lever of ``role``; Enter keeps the value (its pending move's, else the current)."""
    r = game.roles[role]
    cur = game.current_values(role)
    cur.update(game.pending_move(role) or {})
    move: dict[str, Any] = {}
    for lv in r.levers:
        v = _lever_value(game, role, lv, cur[lv.path], ask)
        if v != game.current_values(role)[lv.path]:
            move[lv.name] = v
    return move


def show_state(game: Game, role: str, out: Callable[[str], None] = print) -> None:
    """A team's own position: its indicators, its lab's compute by origin, its last change."""
    st = game.team_state(role)
    out("  Your position: " + "; ".join(f"{lab} {views.fmt(v, how)}" for lab, v, how in st["rows"]))
    if st["d_lag"] is not None:
        out(f"  Change over the last round: {views.fmt_signed(st['d_lag'], 'months')}")
    shown = [f"{o} {views.fmt_count(v)}" for o, v in st["origins"].items() if v]
    if shown:
        out("  Your compute by origin (H100e): " + ", ".join(shown))


def _proposals(game: Game, role: str, ask: Callable[[str], str]) -> None:
    """Ask the team about each open change to its levers: accept, refuse or decide later."""
    for p in game.proposals_for(role):
        if p["decision"] is not None:
            continue
        what = f"{p['title']} ({p['year']}) will set {p['lever']} from {fmt_value(p['old'], p['unit'])} to {fmt_value(p['new'], p['unit'])}"
        while True:
            text = ask(f"  {what}. Accept? (y/n, Enter decides later) > ").strip().lower()
            if text in ("", "y", "yes", "n", "no"):
                break
            print("    ! type y, n or Enter")
        if text:
            game.decide(role, p["id"], text.startswith("y"))


def prompt_role(game: Game, role: str, ask: Callable[[str], str] = _ask_secret) -> None:
    """Ask one human role for its prediction and levers, then submit the (secret) move."""
    r = game.roles[role]
    obs = game.observe(role)
    print(f"\n--- {r.name} ({role}), round {game.round}, {game.year} ---")
    if game.round == 1:
        print(f"  {r.brief}")
        if r.objectives:
            print("  Objectives: " + "; ".join(r.objectives))
    show_state(game, role)
    if obs.scheduled:
        print("  Scheduled this year: " + "; ".join(obs.scheduled))
    _proposals(game, role, ask)
    if r.headline:
        while True:
            text = ask(f"  Predict {r.headline} at the end of this round (Enter skips) > ").strip()
            if not text:
                break
            try:
                game.predict(role, r.headline, float(text))
                break
            except ValueError:
                print("    ! that is not a number; try again")
    move = _prompt_levers(game, role, ask)
    game.submit(role, move, by="human")
    print("  Move recorded (secret until the round resolves).")


def command(game: Game, text: str, ask: Callable[[str], str] = _ask) -> str | None:
    """Run one facilitator command; returns ``undo``, ``end`` or ``resolve`` for the loop to act
    on (after confirmation where it loses work), None when handled here."""
    cmd, _, arg = text.strip().partition(" ")
    arg = arg.strip()
    try:
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
            if not game.log:
                print("  ! undo: no round to undo")
                return None
            n = game.submitted_count()
            lost = f"; the {n} move(s) entered for this round are discarded" if n else ""
            if _yes(ask, f"  Undo round {game.round - 1}? Its moves go back to the teams{lost}"):
                return "undo"
        elif cmd == "p":
            game.pause()
            print("  Paused. Moves entered so far are kept.")
            ask("  Press Enter to resume > ")
            game.unpause()
            print("  Resumed.")
        elif cmd == "q":
            n = game.submitted_count()
            lost = f" The {n} move(s) entered this round are not saved." if n else ""
            if _yes(ask, f"  Save finished rounds and quit?{lost}"):
                raise Paused()
        elif cmd == "e":
            if _yes(ask, "  End the game now? No more rounds can be played"):
                return "end"
        elif cmd == "":
            return "resolve"
        else:
            print(f"  ! unknown command '{cmd}'. {HELP}")
    except UserError as exc:
        for line in exc.problems:
            print(f"  ! {line}")
    return None


def facilitator(game: Game, ask: Callable[[str], str] = _ask) -> str:
    """The facilitator menu before a round resolves; returns ``resolve``, ``undo`` or ``end``."""
    while True:
        action = command(game, ask("Facilitator (Enter resolves, ? for help) > "), ask)
        if action:
            return action


def handover(game: Game, role: str, ask: Callable[[str], str] = _ask) -> str | None:
    """Wait for ``role``'s team at the keyboard; facilitator commands work here too.
    Returns ``undo`` or ``end`` when the facilitator chose one, else None (the team is ready)."""
    name = game.roles[role].name
    while True:
        text = ask(
            f"Pass the keyboard to {name} ({role}); press Enter when ready (facilitator: ? for commands) > "
        )
        if not text.strip():
            return None
        action = command(game, text, ask)
        if action in ("undo", "end"):
            return action


def show_result(game: Game, res: RoundResult, out: Callable[[str], None] = print) -> None:
    """Print what changed and why: each nation's capability change split into its parts, labs,
    cards with their story and effect, moves revealed."""
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
            f"{n['d_oom_catchup']:+9.2f} {n['lag_months']:7.1f} {dl:>8} {n['compute_share']:8.0%}"
        )
    labs = [r for r in game.lab_results() if r["lag_months"] is not None]
    if labs:
        out(
            "Labs (months behind): "
            + ", ".join(
                f"{r['lab']} {r['lag_months']:.1f}"
                + ("" if r["d_lag"] is None else f" ({r['d_lag']:+.1f})")
                for r in sorted(labs, key=lambda r: r["lag_months"])
            )
        )
    rec = res.record
    fired = [f for f in rec["fired"] if f["how"] != "ends"]
    if fired:
        out("Cards fired: " + "; ".join(f"{f['title']} ({f['year']}, {f['how']})" for f in fired))
        for f in fired:
            if f.get("text"):
                out(f"  {f['title']}: {f['text']}")
            if f.get("set"):
                eff = ", ".join(f"{p} = {fmt_value(v)}" for p, v in f["set"].items())
                held = (
                    f" (held by a team, offered to it: {', '.join(f['held'])})"
                    if f.get("held")
                    else ""
                )
                out(f"    changed: {eff}{held}")
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
    for p in rec.get("proposals", []):
        owner = game.owner_of(p["path"]) or "?"
        out(
            f"Proposed to {owner}, not applied: {p['title']}: {p['path']} "
            f"{fmt_value(p['old'])} -> {fmt_value(p['new'])}"
        )
    for rid, pr in rec["predictions"].items():
        act = rec["actuals"].get(rid)
        shown = "unknown" if act is None else f"{act:.3g}"
        out(f"Prediction {rid}: {pr['metric']} = {pr['value']:g}, actual {shown}")


def play(
    game: Game, ask: Callable[[str], str] = _ask, secret: Callable[[str], str] | None = None
) -> str:
    """Run the interactive loop until the game is over or quit; returns ``over`` or ``paused``.

    ``secret`` reads a team's answers (hidden when a terminal is attached; ``ask`` otherwise).
    """
    humans = game.setup.humans
    many = len(humans) > 1 and sys.stdout.isatty()
    secret = secret or (_ask_secret if ask is _ask else ask)
    try:
        while not game.over:
            yrs = game.round_years
            span = f"{yrs[0]}" if len(yrs) == 1 else f"{yrs[0]}-{yrs[-1]}"
            print(f"\n##### Round {game.round}: {span} #####")
            apply_script_round(game)
            action = None
            for role in humans:
                if many:
                    action = handover(game, role, ask)
                    if action:
                        break
                prompt_role(game, role, secret)
                if many:
                    print(CLEAR, end="", flush=True)
            if action is None:
                action = facilitator(game, ask)
            if action == "undo":
                last = game.undo()
                print(f"Round {last['round']} undone; back to {game.year}.")
                continue
            if action == "end":
                game.end()
                break
            show_result(game, game.resolve())
    except Paused:
        print(
            "\nStopped. "
            + (
                f"Resume with: sputnik play --resume {game.store.path}"
                if game.store
                else "(no --save file: this game is not saved)"
            )
        )
        return "paused"
    return "over"
