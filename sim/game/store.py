"""Saving games to SQLite, and exporting a game's moves as a policy ``sputnik run`` accepts.

The database holds the setup (scenario content, seed, roles, deck) and one row per resolved
round with its inputs and derived results; ``moves``, ``cards`` and ``predictions`` tables repeat
the log in queryable form. Each round is written in one transaction, so killing the process at
any moment loses at most the round in progress. Model state is not stored: a resume re-runs the
model from the seed through the logged rounds (see :mod:`sim.game.engine`).
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import UserError

if TYPE_CHECKING:
    from sim.game.engine import Game, GameSetup

FORMAT = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (round INTEGER PRIMARY KEY, year INTEGER, record TEXT NOT NULL, saved_at TEXT);
CREATE TABLE IF NOT EXISTS moves (round INTEGER, role TEXT, player TEXT, kind TEXT, path TEXT, value TEXT, reason TEXT);
CREATE TABLE IF NOT EXISTS cards (round INTEGER, year INTEGER, card TEXT, title TEXT, how TEXT);
CREATE TABLE IF NOT EXISTS predictions (round INTEGER, role TEXT, metric TEXT, predicted REAL, actual REAL);
"""


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


class Store:
    """One game's SQLite file. Use :meth:`create` for a new game, :meth:`open` to resume."""

    def __init__(self, path: str | Path, conn: sqlite3.Connection):
        self.path = Path(path)
        self.conn = conn

    @classmethod
    def create(cls, path: str | Path, setup: GameSetup, rounds: list[dict[str, Any]] = ()) -> Store:
        """A new save file for ``setup`` (with ``rounds`` already played, when branching).

        Refuses to overwrite an existing game so a typo cannot destroy a workshop's save.
        """
        p = Path(path)
        if p.exists() and p.stat().st_size > 0:
            raise UserError(
                f"--save {p}: file exists (resume it with --resume {p}, or choose another name)"
            )
        try:
            conn = sqlite3.connect(p)
        except sqlite3.Error as exc:
            raise UserError(f"--save {p}: cannot create the file: {exc}") from None
        st = cls(p, conn)
        with conn:
            conn.executescript(SCHEMA)
            conn.execute("INSERT INTO meta VALUES ('format', ?)", (str(FORMAT),))
            conn.execute("INSERT INTO meta VALUES ('setup', ?)", (json.dumps(setup.to_dict()),))
            conn.execute("INSERT INTO meta VALUES ('created', ?)", (_now(),))
        for rec in rounds:
            st.save_round(rec)
        return st

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open a saved game; UserError if it is missing or not a game file."""
        p = Path(path)
        if not p.exists():
            raise UserError(f"--resume {p}: file not found")
        try:
            conn = sqlite3.connect(p)
            row = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        except sqlite3.DatabaseError:
            raise UserError(
                f"--resume {p}: not a saved game (not an SQLite file from sputnik play)"
            ) from None
        if row is None or int(row[0]) != FORMAT:
            raise UserError(
                f"--resume {p}: saved game format {row[0] if row else '?'} is not supported (this version reads {FORMAT})"
            )
        return cls(p, conn)

    def setup(self) -> GameSetup:
        """The saved setup."""
        from sim.game.engine import GameSetup

        (raw,) = self.conn.execute("SELECT value FROM meta WHERE key = 'setup'").fetchone()
        return GameSetup.from_dict(json.loads(raw))

    def update_setup(self, setup: GameSetup) -> None:
        """Replace the saved setup (e.g. different people at the table on resume)."""
        with self.conn:
            self.conn.execute(
                "UPDATE meta SET value = ? WHERE key = 'setup'", (json.dumps(setup.to_dict()),)
            )

    def rounds(self) -> list[dict[str, Any]]:
        """Every saved round record, in order."""
        return [
            json.loads(r) for (r,) in self.conn.execute("SELECT record FROM rounds ORDER BY round")
        ]

    def save_round(self, rec: dict[str, Any]) -> None:
        """Write one resolved round and its log rows in a single transaction."""
        n = rec["round"]
        with self.conn:
            c = self.conn
            c.execute("DELETE FROM rounds WHERE round >= ?", (n,))
            for table in ("moves", "cards", "predictions"):
                c.execute(f"DELETE FROM {table} WHERE round >= ?", (n,))
            c.execute(
                "INSERT INTO rounds VALUES (?, ?, ?, ?)", (n, rec["year"], json.dumps(rec), _now())
            )
            for rid, mv in rec["moves"].items():
                for p, v in mv["set"].items():
                    c.execute(
                        "INSERT INTO moves VALUES (?, ?, ?, 'move', ?, ?, NULL)",
                        (n, rid, mv["by"], p, json.dumps(v)),
                    )
            for rid, ov in rec["overrides"].items():
                for p, v in ov["set"].items():
                    c.execute(
                        "INSERT INTO moves VALUES (?, ?, 'facilitator', 'override', ?, ?, ?)",
                        (n, rid, p, json.dumps(v), ov["reason"]),
                    )
            for f in rec["fired"]:
                c.execute(
                    "INSERT INTO cards VALUES (?, ?, ?, ?, ?)",
                    (n, f["year"], f["card"], f["title"], f["how"]),
                )
            for rid, pr in rec["predictions"].items():
                c.execute(
                    "INSERT INTO predictions VALUES (?, ?, ?, ?, ?)",
                    (n, rid, pr["metric"], pr["value"], rec["actuals"].get(rid)),
                )

    def delete_rounds_from(self, n: int) -> None:
        """Remove round ``n`` and later (undo)."""
        with self.conn:
            for table in ("rounds", "moves", "cards", "predictions"):
                self.conn.execute(f"DELETE FROM {table} WHERE round >= ?", (n,))

    def mark_ended(self, rec: dict[str, Any]) -> None:
        """Flag the game as ended (stored on its last round)."""
        with self.conn:
            self.conn.execute(
                "UPDATE rounds SET record = ? WHERE round = ?", (json.dumps(rec), rec["round"])
            )

    def close(self) -> None:
        """Close the database."""
        self.conn.close()


def branch(
    source: str | Path, target: str | Path, from_round: int
) -> tuple[GameSetup, list[dict[str, Any]], Store]:
    """Fork a saved game: keep rounds before ``from_round`` and continue in a new file ``target``."""
    src = Store.open(source)
    setup, rounds = src.setup(), src.rounds()
    src.close()
    if not 1 <= from_round <= len(rounds) + 1:
        raise UserError(
            f"--from-round {from_round}: the saved game has {len(rounds)} round(s); choose 1 to {len(rounds) + 1}"
        )
    kept = [dict(r) for r in rounds[: from_round - 1]]
    if kept:
        kept[-1].pop("ended", None)
    if Path(target).resolve() == Path(source).resolve():
        raise UserError("--from-round: --save must name a new file so the original game is kept")
    return setup, kept, Store.create(target, setup, kept)


def export_policy(game: Game) -> str:
    """The game's moves and cards as a scenario file that ``extends`` the game's scenario.

    Every move, card and card ending becomes an ``[[events]]`` entry with a ``set`` table, in the
    order the game applied them, so ``sputnik run policy.toml --seed N`` re-runs the game headless.
    """
    from sim.config.loader import list_scenarios
    from sim.game.script import _toml_value, toml_key

    known = {s.id for s in list_scenarios()}
    parent = (
        game.setup.source if game.setup.source in known else str(Path(game.setup.source).resolve())
    )
    if game.setup.source not in known and not Path(game.setup.source).exists():
        parent = game.scenario.id
    rounds = len(game.log)
    lines = [
        f"# Policy exported from a game of {game.scenario.id}: {rounds} round(s), seed {game.setup.seed}.",
        f"# Re-run headless: sputnik run <this file> --seed {game.setup.seed}",
        f"extends = {_toml_value(parent)}",
        f"title = {_toml_value('Game policy: ' + game.scenario.title)}",
        f"description = {_toml_value(f'Moves and cards of a {rounds}-round game, as dated events.')}",
        "",
    ]
    for ev in game.injected:
        if not ev.set:
            continue
        lines += ["[[events]]", f"year = {ev.year}", f"title = {_toml_value(ev.title)}"]
        if ev.text:
            lines.append(f"text = {_toml_value(ev.text)}")
        sets = ", ".join(f"{toml_key(p)} = {_toml_value(v)}" for p, v in ev.set.items())
        lines += [f"set = {{ {sets} }}", ""]
    return "\n".join(lines)
