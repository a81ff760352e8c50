"""The game room behind the web pages: one game, its SQLite store, its seats and timer.

Every method runs on one dedicated thread (the app's game executor), so the game and its
SQLite connection are only ever touched by that thread, one call at a time: no locks, and a
slow call never blocks the event loop. Views returned to pages hold only what that page may
see: a team's view has its own pending move and nobody else's; the console and projector see
who has submitted, never what.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import UserError

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones


def new_code(taken: set[str]) -> str:
    """A short join code that is easy to read aloud."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if code not in taken:
            return code


@dataclass
class Timer:
    """A round timer: running (a deadline) or stopped (minutes left)."""

    deadline: float | None = None
    left: float | None = None

    def start(self, minutes: float | None = None) -> None:
        """Start (or restart with ``minutes``) the countdown."""
        secs = 60 * minutes if minutes is not None else (self.left or 0.0)
        self.deadline, self.left = time.time() + secs, None

    def stop(self) -> None:
        """Stop the countdown, keeping the time left."""
        if self.deadline is not None:
            self.left, self.deadline = max(0.0, self.deadline - time.time()), None

    def state(self) -> dict[str, Any]:
        """``deadline`` (epoch seconds) when running, else ``left`` (seconds)."""
        return {"deadline": self.deadline, "left": self.left}


@dataclass
class Room:
    """One game served to a room. ``db`` is the game's SQLite file (the terminal game's format)."""

    db: Path
    game: Any = None
    timer: Timer = field(default_factory=Timer)
    joined: set[str] = field(default_factory=set)
    notice: str = ""

    def __post_init__(self) -> None:
        self.db = Path(self.db)
        if self.db.exists() and self.db.stat().st_size > 0:
            self.open()

    # ------------------------------------------------------------------ life cycle
    def open(self) -> None:
        """Resume the game saved in ``db`` (after a restart or a crash: finished rounds come back)."""
        from sim.game.engine import Game
        from sim.game.store import Store

        store = Store.open(self.db)
        game = Game(store.setup(), store.rounds())
        game.store = store
        self.game = game

    def new_game(
        self,
        scenario: str,
        humans: list[str],
        bots: dict[str, str] | None = None,
        preset: str = "90",
        rounds: int | None = None,
        years_per_round: int | None = None,
        seed: int = 0,
    ) -> None:
        """Create a game, seat each human team (a secret token and a join code) and save it."""
        from sim.config.loader import load_scenario
        from sim.game.cards import read_deck
        from sim.game.engine import PRESETS, Game, GameSetup
        from sim.game.roles import read_role_file
        from sim.game.store import Store

        if self.game is not None:
            raise UserError(
                f"{self.db}: this server already holds a game; start another server with "
                "--db NEW.db for a new one"
            )
        if not humans:
            raise UserError("new game: choose at least one team played by people")
        scen = load_scenario(scenario)
        p = PRESETS.get(preset)
        setup = GameSetup(
            scen.model_dump(mode="json"),
            scenario,
            seed=seed,
            years_per_round=years_per_round or (p.years_per_round(scen) if p else 1),
            max_rounds=rounds or (p.rounds if p else None),
            humans=list(humans),
            bots=dict(bots or {}),
            deck=read_deck(),
            role_file=read_role_file(),
        )
        game = Game(setup)  # validates roles and bots before anything is written
        codes: set[str] = set()
        seats = {}
        for rid in game.setup.humans:
            code = new_code(codes)
            codes.add(code)
            seats[rid] = {"token": secrets.token_urlsafe(16), "code": code}
        game.setup.web = {
            "seats": seats,
            "preset": preset,
            "round_minutes": p.round_minutes if p else 10,
        }
        game.store = Store.create(self.db, game.setup)
        self.game = game
        self.timer = Timer()

    def close(self) -> None:
        """Close the store (server shutdown)."""
        if self.game is not None and self.game.store is not None:
            self.game.store.close()

    # ------------------------------------------------------------------ seats
    @property
    def seats(self) -> dict[str, dict[str, str]]:
        """role -> {token, code} of the human teams."""
        return self.game.setup.web.get("seats", {}) if self.game else {}

    def role_for_token(self, token: str | None) -> str | None:
        """The role a team token seats, or None."""
        for rid, seat in self.seats.items():
            if token and secrets.compare_digest(seat["token"], token):
                return rid
        return None

    def token_for_code(self, code: str) -> str | None:
        """The team token of a join code (case and spaces ignored), or None."""
        code = code.strip().upper().replace(" ", "").replace("-", "")
        return next((s["token"] for s in self.seats.values() if s["code"] == code), None)

    # ------------------------------------------------------------------ team actions
    def _need_game(self) -> Any:
        if self.game is None:
            raise UserError("no game yet: the facilitator creates one on the console")
        return self.game

    def submit(self, role: str, form: dict[str, str]) -> str:
        """A team's move from its form (lever name -> typed text; ``predict`` optional)."""
        g = self._need_game()
        r = g.roles[role]
        cur = g.current_values(role)
        move: dict[str, Any] = {}
        problems = []
        for lv in r.levers:
            text = str(form.get(lv.name, "")).strip()
            if not text:
                continue
            try:
                v = lv.parse(text)
            except ValueError as exc:
                problems.append(f"{lv.name}: {exc}")
                continue
            if v != cur[lv.path]:
                move[lv.name] = v
        pred = str(form.get("predict", "")).strip()
        if problems:
            raise UserError(problems)
        g.submit(role, move, by="human")
        if pred and r.headline:
            try:
                g.predict(role, r.headline, float(pred))
            except ValueError:
                raise UserError(f"prediction: '{pred}' is not a number") from None
        return "Move recorded. Nobody else can see it; you can change it until the round resolves."

    def withdraw(self, role: str) -> str:
        """A team takes its move back to edit it."""
        self._need_game().withdraw(role)
        return "Move withdrawn: change it and submit again."

    def decide(self, role: str, pid: str, accept: bool) -> str:
        """A team accepts or refuses a proposal on its levers."""
        p = self._need_game().decide(role, pid, accept)
        return f"{'Accepted' if accept else 'Refused'}: {p['title']}"

    # ------------------------------------------------------------------ facilitator actions
    def resolve(self, force: bool = False) -> str:
        """Resolve the round (with ``force``, teams that have not moved keep their levers)."""
        g = self._need_game()
        res = g.resolve(force=force)
        self.timer = Timer()
        yrs = res.years
        span = f"{yrs[0]}" if len(yrs) == 1 else f"{yrs[0]}-{yrs[-1]}"
        return f"Round {res.round} resolved ({span})."

    def play_card(self, card: str) -> str:
        """Queue a card for this round."""
        c = self._need_game().play_card(card)
        return f"Card queued for this round: {c.title}"

    def override(self, role: str, text: str, reason: str) -> str:
        """Replace a team's move (``lever = value, ...``) with a logged reason."""
        g = self._need_game()
        r = g.roles[g.role_id(role)]
        move: dict[str, Any] = {}
        for part in text.split(","):
            if not part.strip():
                continue
            name, sep, raw = part.partition("=")
            if not sep:
                raise UserError(f"override: '{part.strip()}' is not lever = value")
            name = name.strip()
            lv = next((lv for lv in r.levers if name in (lv.name, lv.path)), None)
            if lv is None:
                names = ", ".join(lv.name for lv in r.levers)
                raise UserError(f"override of {r.id}: unknown lever '{name}'; levers are {names}")
            try:
                move[lv.name] = lv.parse(raw)
            except ValueError as exc:
                raise UserError(f"override of {r.id}: {lv.name}: {exc}") from None
        g.override(r.id, move, reason)
        return f"Override of {r.id} recorded (reason logged)."

    def undo(self) -> str:
        """Take back the last round (the page asked for confirmation first)."""
        last = self._need_game().undo()
        return f"Round {last['round']} undone; its moves are back with the teams to change."

    def pause(self) -> str:
        """Pause: no resolving; entered moves and the timer's time left are kept."""
        self._need_game().pause()
        self.timer.stop()
        return "Paused. Moves entered so far are kept."

    def resume(self) -> str:
        """Resume after a pause (the timer goes on from where it stopped)."""
        self._need_game().unpause()
        if self.timer.left:
            self.timer.start()
        return "Resumed."

    def end(self) -> str:
        """End the game (the page asked for confirmation first)."""
        self._need_game().end()
        self.timer = Timer()
        return "Game ended. Download the report."

    def start_timer(self, minutes: float) -> str:
        """Start the round timer."""
        if not 0 < minutes <= 120:
            raise UserError("timer: minutes must be between 0 and 120")
        self.timer.start(minutes)
        return f"Timer started: {minutes:g} minutes."

    def stop_timer(self) -> str:
        """Stop the round timer."""
        self.timer.stop()
        return "Timer stopped."

    # ------------------------------------------------------------------ views
    def status(self) -> dict[str, Any]:
        """What every page may show: round, years, who joined and who submitted (never what)."""
        g = self.game
        if g is None:
            return {"game": False, "round": 0, "timer": self.timer.state()}
        teams = [
            {
                "role": rid,
                "name": g.roles[rid].name,
                "joined": rid in self.joined,
                "submitted": g.has_submitted(rid),
            }
            for rid in g.setup.humans
        ]
        return {
            "game": True,
            "round": g.round,
            "rounds": g.setup.max_rounds,
            "year": g.year,
            "years": g.round_years,
            "paused": g.paused,
            "over": g.over,
            "teams": teams,
            "timer": self.timer.state(),
            "scenario": g.scenario.title,
        }
