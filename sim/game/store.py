"""Saving games to SQLite, and exporting a game's moves as a policy ``sputnik run`` accepts.

The database holds the setup (scenario content, seed, roles, deck) and one row per resolved
round with its inputs and derived results; ``moves``, ``cards`` and ``predictions`` tables repeat
the log in queryable form. Each round is written in one transaction, so killing the process at
any moment loses at most the round in progress. Model state is not stored: a resume re-runs the
model from the seed through the logged rounds (see :mod:`sim.game.engine`).

Saves cannot be lost or silently mixed:

- one process at a time: a store holds an exclusive lock (``flock``) on its file while open, so a
  second ``sputnik play --resume`` (or the web app) on the same save gets a clear refusal;
- rounds are append-only (only undo removes the last rounds, explicitly) and each record carries
  a SHA-256 checksum; on open, the file's integrity, the setup, the round numbers (1..n, none
  missing) and every checksum are verified, and any problem is one clear line.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ConfigDict, Field, ValidationError

from sim.config.inputs import InputModel, explain
from sim.errors import UserError

if TYPE_CHECKING:
    from sim.game.engine import Game, GameSetup

FORMAT = 2
READABLE_FORMATS = (1, 2)  # format 1: no checksums (rounds are still checked for gaps)
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (round INTEGER PRIMARY KEY, year INTEGER, record TEXT NOT NULL, saved_at TEXT, checksum TEXT);
CREATE TABLE IF NOT EXISTS moves (round INTEGER, role TEXT, player TEXT, kind TEXT, path TEXT, value TEXT, reason TEXT);
CREATE TABLE IF NOT EXISTS cards (round INTEGER, year INTEGER, card TEXT, title TEXT, how TEXT);
CREATE TABLE IF NOT EXISTS predictions (round INTEGER, role TEXT, metric TEXT, predicted REAL, actual REAL);
"""

Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class SavedSetup(InputModel):
    """The ``setup`` row of a save: what :class:`sim.game.engine.GameSetup` is built from."""

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)

    scenario: dict[str, Any]
    source: str
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    years_per_round: Annotated[int, Field(ge=1, le=50)] = 1
    max_rounds: Annotated[int, Field(ge=1)] | None = None
    humans: list[str] = Field(default_factory=list)
    bots: dict[str, str] = Field(default_factory=dict)
    script: dict[str, Any] = Field(default_factory=dict)
    deck: list[dict[str, Any]] = Field(default_factory=list)
    role_file: dict[str, Any] = Field(default_factory=dict)


class SavedPrediction(InputModel):
    """A prediction in a saved round."""

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)

    metric: str
    value: Finite


class SavedRound(InputModel):
    """The shape of a saved round record (the engine may add keys; these must be right)."""

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)

    round: Annotated[int, Field(ge=1)]
    year: int
    moves: dict[str, dict[str, Any]] = Field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    fired: list[dict[str, Any]] = Field(default_factory=list)
    predictions: dict[str, SavedPrediction] = Field(default_factory=dict)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _lenient_text(data: bytes) -> str:
    """SQLite text as str, with undecodable bytes replaced (checksums then catch the damage)."""
    return data.decode("utf-8", "replace")


def checksum(text: str) -> str:
    """SHA-256 of a round record's JSON text."""
    return hashlib.sha256(text.encode()).hexdigest()


# --- one process per save: an exclusive flock, shared by the Store objects of one process ----

_LOCKS: dict[str, list[int]] = {}  # resolved path -> [fd, number of open stores]


def _lock(path: Path, flag: str) -> str:
    """Take (or share, within this process) the exclusive lock on ``path``; UserError if held."""
    key = str(path.resolve())
    held = _LOCKS.get(key)
    if held is not None:
        held[1] += 1
        return key
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no cross-process lock
        _LOCKS[key] = [-1, 1]
        return key
    fd = os.open(key, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise UserError(
            f"{flag} {path}: the game is open in another process (a terminal or the web app); "
            "close it there first, or branch a copy with --resume "
            f"{path} --from-round N --save NEW.db"
        ) from None
    _LOCKS[key] = [fd, 1]
    return key


def _unlock(key: str | None) -> None:
    held = _LOCKS.get(key or "")
    if held is None:
        return
    held[1] -= 1
    if held[1] <= 0:
        del _LOCKS[key or ""]
        if held[0] >= 0:
            os.close(held[0])  # closing the descriptor releases the flock


class Store:
    """One game's SQLite file. Use :meth:`create` for a new game, :meth:`open` to resume."""

    def __init__(self, path: str | Path, conn: sqlite3.Connection, lock_key: str | None = None):
        self.path = Path(path)
        self.conn = conn
        self._lock_key = lock_key
        self.format = FORMAT

    @classmethod
    def create(cls, path: str | Path, setup: GameSetup, rounds: list[dict[str, Any]] = ()) -> Store:
        """A new save file for ``setup`` (with ``rounds`` already played, when branching).

        Refuses to overwrite an existing game so a typo cannot destroy a workshop's save.
        """
        p = Path(path)
        if p.exists() and (not p.is_file() or p.stat().st_size > 0):
            raise UserError(
                f"--save {p}: file exists (resume it with --resume {p}, or choose another name)"
            )
        try:
            p.touch()
            key = _lock(p, "--save")
            conn = sqlite3.connect(p)
        except UserError:
            raise
        except (OSError, sqlite3.Error) as exc:
            raise UserError(f"--save {p}: cannot create the file: {exc}") from None
        st = cls(p, conn, key)
        with conn:
            conn.executescript(SCHEMA)
            conn.execute("INSERT INTO meta VALUES ('format', ?)", (str(FORMAT),))
            conn.execute("INSERT INTO meta VALUES ('setup', ?)", (json.dumps(setup.to_dict()),))
            conn.execute("INSERT INTO meta VALUES ('created', ?)", (_now(),))
        for rec in rounds:
            st.save_round(rec)
        return st

    @classmethod
    def open(cls, path: str | Path, lock: bool = True, flag: str = "--resume") -> Store:
        """Open a saved game and verify it; UserError if it is missing, locked, not a game file
        or damaged. ``lock=False`` opens it for reading only (branching a copy)."""
        p = Path(path)
        if not p.exists():
            raise UserError(f"{flag} {p}: file not found")
        if not p.is_file():
            raise UserError(f"{flag} {p}: not a file")
        key = _lock(p, flag) if lock else None
        try:
            uri = f"{p.resolve().as_uri()}?mode={'rw' if lock else 'ro'}"
            conn = sqlite3.connect(uri, uri=True)
            # damaged text (a flipped bit) must read as damaged, not raise while decoding
            conn.text_factory = _lenient_text
            st = cls(p, conn, key)
            st._verify(flag)
        except (sqlite3.DatabaseError, UnicodeDecodeError):  # a flipped bit in text is not UTF-8
            _unlock(key)
            raise UserError(
                f"{flag} {p}: not a saved game, or the file is damaged (SQLite cannot read it)"
            ) from None
        except BaseException:
            _unlock(key)
            raise
        return st

    def _verify(self, flag: str) -> None:
        """Check integrity, tables, format, setup and rounds; UserError naming the problem."""
        where = f"{flag} {self.path}"
        ok = self.conn.execute("PRAGMA quick_check").fetchone()
        if not ok or ok[0] != "ok":
            raise UserError(f"{where}: the file is damaged (SQLite integrity check failed)")
        tables = {
            r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if not {"meta", "rounds"} <= tables:
            raise UserError(
                f"{where}: not a saved game (no game tables: written by another program?)"
            )
        meta = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        fmt = meta.get("format")
        if fmt is None or not str(fmt).isdigit() or int(fmt) not in READABLE_FORMATS:
            raise UserError(
                f"{where}: saved game format {fmt or '?'} is not supported (this version reads "
                f"{', '.join(map(str, READABLE_FORMATS))})"
            )
        self.format = int(fmt)
        cols = [r[1] for r in self.conn.execute("PRAGMA table_info(rounds)")]
        if "checksum" not in cols and self._lock_key is not None:
            with self.conn:  # a format-1 save: old rounds keep no checksum, new ones get one
                self.conn.execute("ALTER TABLE rounds ADD COLUMN checksum TEXT")
        if "setup" not in meta:
            raise UserError(f"{where}: the setup of the game is missing (the file is damaged)")
        self._setup_raw(where)
        self._verified_rounds(where)

    def _setup_raw(self, where: str) -> dict[str, Any]:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'setup'").fetchone()
        if row is None:
            raise UserError(f"{where}: the setup of the game is missing (the file is damaged)")
        try:
            raw = json.loads(row[0])
        except (ValueError, TypeError):
            raise UserError(f"{where}: the setup of the game is damaged (not valid JSON)") from None
        try:
            SavedSetup.model_validate(raw)
        except ValidationError as exc:
            first = explain(exc, f"{where}: setup")[0]
            raise UserError(f"{first} (the file is damaged)") from None
        return dict(raw)

    def _verified_rounds(self, where: str) -> list[dict[str, Any]]:
        """Every round record, checked: numbers 1..n with none missing, checksums, shape."""
        cols = [r[1] for r in self.conn.execute("PRAGMA table_info(rounds)")]
        has_sum = "checksum" in cols
        query = f"SELECT round, record{', checksum' if has_sum else ''} FROM rounds ORDER BY round"
        out = []
        for n, row in enumerate(self.conn.execute(query).fetchall(), start=1):
            number, text = row[0], row[1]
            if number != n:
                raise UserError(
                    f"{where}: round {n} is missing (rounds saved: "
                    f"{', '.join(str(r[0]) for r in self.conn.execute('SELECT round FROM rounds ORDER BY round'))}); "
                    f"the file was edited or damaged: branch the rounds before it with --from-round {n}"
                )
            if has_sum and row[2] is not None and row[2] != checksum(str(text)):
                raise UserError(
                    f"{where}: round {n} is damaged (checksum mismatch); "
                    f"branch the rounds before it with --from-round {n}"
                )
            if self.format >= 2 and has_sum and row[2] is None:
                raise UserError(f"{where}: round {n} has no checksum (the file was edited)")
            try:
                rec = json.loads(text)
                SavedRound.model_validate(rec)
            except (ValueError, TypeError, ValidationError):
                raise UserError(
                    f"{where}: round {n} is damaged (its record cannot be read); "
                    f"branch the rounds before it with --from-round {n}"
                ) from None
            if rec["round"] != n:
                raise UserError(f"{where}: round {n} holds the record of round {rec['round']}")
            out.append(rec)
        return out

    def setup(self) -> GameSetup:
        """The saved setup; its scenario is re-validated (one line per problem if this version
        no longer accepts it)."""
        from sim.config.inputs import explain as explain_lines
        from sim.config.schema import Scenario
        from sim.game.engine import GameSetup

        where = f"--resume {self.path}"
        raw = self._setup_raw(where)
        try:
            Scenario.model_validate(raw["scenario"])
        except ValidationError as exc:
            lines = explain_lines(exc, f"{where}: saved scenario", Scenario)
            raise UserError(
                [*lines, f"{where}: the saved scenario no longer validates with this version"]
            ) from None
        return GameSetup.from_dict(raw)

    def update_setup(self, setup: GameSetup) -> None:
        """Replace the saved setup (e.g. different people at the table on resume)."""
        with self.conn:
            self.conn.execute(
                "UPDATE meta SET value = ? WHERE key = 'setup'", (json.dumps(setup.to_dict()),)
            )

    def rounds(self) -> list[dict[str, Any]]:
        """Every saved round record, in order (verified: none missing, checksums match)."""
        return self._verified_rounds(f"--resume {self.path}")

    def save_round(self, rec: dict[str, Any]) -> None:
        """Append one resolved round and its log rows in a single transaction.

        Rounds are append-only: saving a round number that is already saved (or leaving a gap)
        is refused; :meth:`delete_rounds_from` (undo) is the only way to take rounds back.
        """
        n = rec["round"]
        text = json.dumps(rec)
        with self.conn:
            c = self.conn
            (last,) = c.execute("SELECT COALESCE(MAX(round), 0) FROM rounds").fetchone()
            if n != last + 1:
                raise UserError(
                    f"--save {self.path}: cannot save round {n} after round {last} "
                    "(rounds are append-only; another process may have changed the file)"
                )
            c.execute(
                "INSERT INTO rounds VALUES (?, ?, ?, ?, ?)",
                (n, rec["year"], text, _now(), checksum(text)),
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
        """Flag the game as ended (stored on its last round, with a fresh checksum)."""
        text = json.dumps(rec)
        with self.conn:
            self.conn.execute(
                "UPDATE rounds SET record = ?, checksum = ? WHERE round = ?",
                (text, checksum(text), rec["round"]),
            )

    def close(self) -> None:
        """Close the database and release the lock."""
        self.conn.close()
        _unlock(self._lock_key)
        self._lock_key = None

    def __del__(self) -> None:  # a store dropped without close() still releases its lock
        try:
            if self._lock_key is not None:
                self.conn.close()
                _unlock(self._lock_key)
        except Exception:  # noqa: BLE001, S110 - interpreter shutdown
            pass


def branch(
    source: str | Path, target: str | Path, from_round: int
) -> tuple[GameSetup, list[dict[str, Any]], Store]:
    """Fork a saved game: keep rounds before ``from_round`` and continue in a new file ``target``."""
    src = Store.open(source, lock=False)
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
