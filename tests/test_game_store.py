"""Game saves: resume after a kill, branching, undo on disk, and the ``sputnik play`` command."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.errors import UserError
from sim.game.cards import read_deck
from sim.game.engine import Game, GameSetup
from sim.game.roles import read_role_file
from sim.game.store import Store, branch

MOVES = [0.9, 0.3, 0.7, 0.2, 0.6]


def make_setup(rounds: int = 5) -> GameSetup:
    scen = sim.load_scenario("baseline")
    return GameSetup(
        scen.model_dump(mode="json"),
        "baseline",
        seed=5,
        max_rounds=rounds,
        humans=["usa"],
        bots={"china": "adaptive", "deepseek": "efficiency-first"},
        deck=read_deck(),
        role_file=read_role_file(),
    )


def play(game: Game, moves: list[float]) -> None:
    for v in moves:
        game.submit("usa", {"enforcement": v})
        game.predict("usa", "lag_months.china", 7.0)
        if game.round == 2:
            game.play_card("taiwan-crisis")
        game.resolve()


def test_kill_and_resume_loses_nothing_and_continues_identically(tmp_path):
    reference = Game(make_setup())
    play(reference, MOVES)

    db = tmp_path / "game.db"
    setup = make_setup()
    first = Game(setup)
    first.store = Store.create(db, setup)
    play(first, MOVES[:2])
    first.submit("usa", {"enforcement": 0.1})  # a move in progress when the process dies
    del first  # abandoned without closing: the process was killed

    st = Store.open(db)
    resumed = Game(st.setup(), st.rounds(), st)
    assert resumed.round == 3 and resumed.mismatches == []
    assert resumed.waiting_for() == ["usa"]  # the in-progress move is gone; usa moves again
    play(resumed, MOVES[2:])
    for k in ("nations", "labs", "years"):
        pd.testing.assert_frame_equal(resumed.tables()[k], reference.tables()[k])
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] == 5
        assert conn.execute("SELECT COUNT(*) FROM moves WHERE role = 'usa'").fetchone()[0] == 5
        assert (
            conn.execute("SELECT card FROM cards WHERE how = 'manual'").fetchone()[0]
            == "taiwan-crisis"
        )
        assert (
            conn.execute("SELECT COUNT(*) FROM predictions WHERE actual IS NOT NULL").fetchone()[0]
            == 5
        )


def test_branch_at_round_n_equals_original_up_to_n(tmp_path):
    src = tmp_path / "game.db"
    setup = make_setup()
    game = Game(setup)
    game.store = Store.create(src, setup)
    play(game, MOVES)
    setup2, kept, store = branch(src, tmp_path / "branch.db", 4)
    fork = Game(setup2, kept, store)
    assert fork.round == 4 and len(Store.open(tmp_path / "branch.db").rounds()) == 3
    orig = game.tables()["nations"]
    pd.testing.assert_frame_equal(
        fork.tables()["nations"], orig[orig.year < 2028].reset_index(drop=True)
    )
    play(fork, [0.0, 0.0])  # play the rest differently
    assert not fork.tables()["nations"].equals(orig)
    assert len(Store.open(src).rounds()) == 5  # the original is untouched
    with pytest.raises(UserError, match="choose 1 to 6"):
        branch(src, tmp_path / "b2.db", 9)


def test_undo_is_saved(tmp_path):
    db = tmp_path / "g.db"
    setup = make_setup()
    game = Game(setup)
    game.store = Store.create(db, setup)
    play(game, MOVES[:3])
    game.undo()
    assert [r["round"] for r in Store.open(db).rounds()] == [1, 2]


def test_store_refuses_to_overwrite_and_rejects_non_games(tmp_path):
    db = tmp_path / "g.db"
    Store.create(db, make_setup())
    with pytest.raises(UserError, match="file exists"):
        Store.create(db, make_setup())
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all, just text" * 10)
    with pytest.raises(UserError, match="not a saved game"):
        Store.open(junk)


def test_play_command_save_resume_branch_and_report(tmp_path, capsys):
    db, out = tmp_path / "g.db", tmp_path / "report"
    assert (
        main(
            [
                "play",
                "baseline",
                "--bots",
                "--bot",
                "usa=hawkish",
                "--rounds",
                "2",
                "--save",
                str(db),
            ]
        )
        == 0
    )
    assert "Round 2 results" in capsys.readouterr().out
    assert main(["play", "--resume", str(db), "--rounds", "3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Resumed after round 2" in text and "Round 3 results" in text
    for name in ("report.md", "report.html", "chart_1.svg", "policy.toml", "moves.toml"):
        assert (out / name).exists(), name
    md = (out / "report.md").read_text()
    for section in (
        "Turning points",
        "Scores",
        "Predictions",
        "Cards fired",
        "Decision log",
        "bots only",
    ):
        assert section in md
    assert (
        main(
            [
                "play",
                "--resume",
                str(db),
                "--from-round",
                "2",
                "--save",
                str(tmp_path / "b.db"),
                "--rounds",
                "2",
            ]
        )
        == 0
    )
    assert len(Store.open(tmp_path / "b.db").rounds()) == 2
    run = sim.run(out / "policy.toml", seed=0).nations
    game = pd.read_csv(out / "nations.csv")
    assert (run[run.year <= 2027].lag_months.to_numpy() - game.lag_months.to_numpy()).max() < 1e-9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["play", "baseline"], "choose who plays"),
        (["play", "baseline", "--roles", "usa,narnia"], "unknown role 'narnia'"),
        (["play", "baseline", "--bots", "--bot", "china=sleepy"], "unknown bot 'sleepy'"),
        (["play", "--resume", "missing.db"], "file not found"),
        (["play", "--resume", "x.db", "--from-round", "2"], "--save NEW.db"),
        (["play", "nosuch", "--bots"], "no such scenario"),
    ],
)
def test_play_command_errors_are_one_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_script_is_refused_with_file_and_reason(tmp_path, capsys):
    script = tmp_path / "moves.toml"
    script.write_text("[round.1.usa]\nenforcement = 2.0\n[round.1.chna]\nsubsidy_usd = 1e9\n")
    assert main(["play", "baseline", "--script", str(script)]) == 2
    err = capsys.readouterr().err
    assert "unknown role 'chna' (did you mean 'china'?)" in err
    script.write_text("[round.1.usa]\nenforcement = 2.0\n")
    assert main(["play", "baseline", "--script", str(script)]) == 2
    assert "usa: enforcement = 2 refused" in capsys.readouterr().err


# --- issue 12: saves that cannot be lost ------------------------------------------------------


@pytest.fixture(scope="module")
def saved_game(tmp_path_factory):
    """A save with three bot rounds (copied per test before damaging it)."""
    db = tmp_path_factory.mktemp("save") / "g.db"
    assert main(["play", "baseline", "--bots", "--rounds", "3", "--save", str(db)]) == 0
    return db


def _copy(src, tmp_path, name="g.db"):
    import shutil

    dst = tmp_path / name
    shutil.copy(src, dst)
    return dst


def test_a_second_process_on_the_same_save_is_refused(saved_game, tmp_path, capsys):
    import subprocess
    import sys

    db = _copy(saved_game, tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from sim.game.store import Store; s = Store.open(sys.argv[1]); "
            "print('locked', flush=True); time.sleep(60)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        code = main(["play", "--resume", str(db), "--bots", "--rounds", "8"])
        err = capsys.readouterr().err
        assert code == 2 and "open in another process" in err and len(err.splitlines()) == 1
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    st = Store.open(db)
    assert [r["round"] for r in st.rounds()] == [1, 2, 3]  # nothing deleted
    st.close()
    assert main(["play", "--resume", str(db), "--bots", "--rounds", "4"]) == 0  # lock released


def test_rounds_are_append_only(saved_game, tmp_path):
    db = _copy(saved_game, tmp_path)
    st = Store.open(db)
    rec = st.rounds()[1]
    with pytest.raises(UserError, match="append-only"):
        st.save_round(rec)  # round 2 again would delete/replace saved rounds
    st.close()


def _sql(db, *statements):
    with sqlite3.connect(db) as conn:
        for s in statements:
            conn.execute(s)
    conn.close()


CORRUPTIONS = {
    "deleted round": (
        lambda db: _sql(db, "DELETE FROM rounds WHERE round = 2"),
        "round 2 is missing",
    ),
    "edited round": (
        lambda db: _sql(
            db,
            "UPDATE rounds SET record = replace(record, '\"year\"', '\"year\" ') WHERE round = 3",
        ),
        "round 3 is damaged (checksum mismatch)",
    ),
    "missing setup row": (
        lambda db: _sql(db, "DELETE FROM meta WHERE key = 'setup'"),
        "setup of the game is missing",
    ),
    "torn setup": (
        lambda db: _sql(db, "UPDATE meta SET value = substr(value, 1, 100) WHERE key = 'setup'"),
        "setup of the game is damaged",
    ),
    "another app's tables": (
        lambda db: (
            db.unlink(),
            _sql(db, "CREATE TABLE notes (t TEXT)", "INSERT INTO notes VALUES ('x')"),
        ),
        "not a saved game",
    ),
    "non-UTF-8 text": (
        lambda db: _sql(db, "UPDATE rounds SET record = CAST(X'7BF1F27D' AS TEXT) WHERE round = 2"),
        "round 2 is damaged",
    ),
    "truncated": (
        lambda db: db.write_bytes(db.read_bytes()[: len(db.read_bytes()) // 3]),
        "",
    ),
    "scenario no longer valid": (
        lambda db: _sql(
            db,
            "UPDATE meta SET value = replace(value, '\"utilisation\": 0.4', '\"utilisation\": 7.5') WHERE key = 'setup'",
        ),
        "saved scenario: world.utilisation",
    ),
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_a_damaged_save_gives_a_clear_refusal(kind, saved_game, tmp_path, capsys):
    damage, message = CORRUPTIONS[kind]
    db = _copy(saved_game, tmp_path)
    damage(db)
    code = main(["play", "--resume", str(db), "--bots", "--rounds", "5"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and "Traceback" not in err and "http" not in err, err
    assert all(line.startswith("error: ") for line in err.splitlines()), err


@pytest.mark.parametrize("seed", range(12))
def test_bit_flips_never_crash_and_never_lose_silently(seed, saved_game, tmp_path, capsys):
    import random

    db = _copy(saved_game, tmp_path)
    data = bytearray(db.read_bytes())
    rng = random.Random(seed)
    for _ in range(8):
        i = rng.randrange(100, len(data))
        data[i] ^= 1 << rng.randrange(8)
    db.write_bytes(bytes(data))
    code = main(["play", "--resume", str(db), "--bots", "--rounds", "4"])
    cap = capsys.readouterr()
    assert code in (0, 2), cap.err
    assert "Traceback" not in cap.err and "internal error" not in cap.err, cap.err
    if code == 0:  # the flips hit unused bytes: the three rounds are still there, intact
        assert "Resumed after round 3" in cap.out


@pytest.mark.parametrize("kind", ["file", "unwritable"])
def test_play_out_is_checked_before_round_one(kind, tmp_path, capsys):
    out = tmp_path / "report.txt" if kind == "file" else Path("/proc/sputnik-no/report")
    if kind == "file":
        out.write_text("x")
    db = tmp_path / "g.db"
    code = main(
        ["play", "baseline", "--bots", "--rounds", "2", "--save", str(db), "--out", str(out)]
    )
    err = capsys.readouterr()
    assert code == 2 and "--out" in err.err and "Round 1" not in err.out
    assert not db.exists()


def test_a_bad_round_three_stops_the_script_before_round_one(tmp_path, capsys):
    script = tmp_path / "moves.toml"
    script.write_text(
        "[round.1.usa]\nenforcement = 0.7\n[round.3.usa]\nenforcement = 7.0\n"
        '[round.4]\ncards = ["no-such-card"]\n[round.2.usa]\npredict = { "lag_months.china" = nan }\n'
    )
    code = main(["play", "baseline", "--script", str(script), "--rounds", "4"])
    out = capsys.readouterr()
    assert code == 2 and "Round 1" not in out.out
    assert "round.2.usa.predict.lag_months.china: nan is invalid" in out.err


def test_script_checked_against_the_game_before_round_one(tmp_path, capsys):
    script = tmp_path / "moves.toml"
    script.write_text(
        '[round.1.usa]\nenforcement = 0.7\n[round.3.usa]\nenforcement = 7.0\n[round.4]\ncards = ["no-such-card"]\n'
    )
    code = main(["play", "baseline", "--script", str(script), "--rounds", "4"])
    out = capsys.readouterr()
    assert code == 2 and "Round 1" not in out.out
    assert "round.3.usa: usa: enforcement = 7 refused" in out.err
    assert "round.4.cards: no card 'no-such-card'" in out.err


@pytest.mark.parametrize(
    "text",
    [
        "round = 3\n",
        "[round.x.usa]\nenforcement = 1\n",
        "[round.1]\nusa = 5\n",
        "[round.1.usa]\nenforcement = [1, 2]\n",
        "[round.1.usa]\npredict = 5\n",
        "[round.1.override.usa]\nenforcement = 0.5\n",
        "seed = -1\n",
        '[round.1]\ncards = "taiwan-crisis"\n',
    ],
)
def test_script_tables_of_the_wrong_shape_are_one_line_each(text, tmp_path, capsys):
    script = tmp_path / "moves.toml"
    script.write_text(text)
    code = main(["play", "baseline", "--script", str(script)])
    err = capsys.readouterr().err
    assert code == 2 and str(script) in err and "Traceback" not in err, err


def test_non_utf8_inputs_are_one_line(tmp_path, capsys):
    bad = tmp_path / "x.toml"
    bad.write_bytes(b"\xff\xfe title = 1")
    for argv in (
        ["play", "baseline", "--script", str(bad)],
        ["play", "baseline", "--bots", "--deck", str(bad)],
        ["play", "baseline", "--bots", "--role-file", str(bad)],
        ["sweep", str(bad), "--out", str(tmp_path / "o")],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "not valid UTF-8" in err and len(err.splitlines()) == 1, err


def test_play_argument_manners(tmp_path, capsys, saved_game):
    assert main(["play", "baseline", "--bots", "--rounds", "-3"]) == 2
    err = capsys.readouterr().err
    assert "--rounds" in err and len(err.splitlines()) == 1
    db = _copy(saved_game, tmp_path)
    assert main(["play", "stargate", "--resume", str(db), "--bots"]) == 2
    assert "keeps its own scenario" in capsys.readouterr().err


def test_unknown_role_message_does_not_blame_roles_flag():
    game = Game(make_setup())
    with pytest.raises(UserError) as info:
        game.role_id("mars")
    assert (
        "--roles" not in info.value.problems[0] and "unknown role 'mars'" in info.value.problems[0]
    )


def test_a_format_1_save_still_resumes(saved_game, tmp_path, capsys):
    """Saves written before checksums (format 1) open, verify by round numbers and play on."""
    db = tmp_path / "old.db"
    src = sqlite3.connect(saved_game)
    dst = sqlite3.connect(db)
    with dst:
        for table in ("meta", "moves", "cards", "predictions"):
            sql = src.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[
                0
            ]
            dst.execute(sql)
            rows = src.execute(f"SELECT * FROM {table}").fetchall()
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                dst.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        dst.execute(
            "CREATE TABLE rounds (round INTEGER PRIMARY KEY, year INTEGER, record TEXT NOT NULL, saved_at TEXT)"
        )
        dst.executemany(
            "INSERT INTO rounds VALUES (?, ?, ?, ?)",
            src.execute("SELECT round, year, record, saved_at FROM rounds").fetchall(),
        )
        dst.execute("UPDATE meta SET value = '1' WHERE key = 'format'")
    src.close()
    dst.close()
    assert main(["play", "--resume", str(db), "--bots", "--rounds", "4"]) == 0
    assert "Resumed after round 3" in capsys.readouterr().out
    st = Store.open(db)
    assert [r["round"] for r in st.rounds()] == [1, 2, 3, 4]
    st.close()


def test_an_integrity_report_that_is_not_utf8_is_a_refusal(saved_game, tmp_path, capsys):
    """Found by ``make fuzz``: bit flips can make SQLite's own integrity message non-UTF-8, which
    Python fails to decode (UnicodeDecodeError, not a DatabaseError)."""
    import random

    pristine = saved_game.read_bytes()
    db = tmp_path / "g.db"
    for seed in range(5000):
        data = bytearray(pristine)
        rng = random.Random(seed)
        for _ in range(rng.randint(1, 20)):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        db.write_bytes(bytes(data))
        conn = sqlite3.connect(db)
        try:
            conn.execute("PRAGMA quick_check").fetchone()
        except UnicodeDecodeError:
            break
        except sqlite3.DatabaseError:
            pass
        finally:
            conn.close()
    else:
        pytest.fail("no flip pattern reproduced the non-UTF-8 integrity message")
    assert main(["play", "--resume", str(db), "--bots", "--rounds", "4"]) == 2
    assert "the file is damaged" in capsys.readouterr().err
