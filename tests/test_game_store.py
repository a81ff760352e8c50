"""Game saves: resume after a kill, branching, undo on disk, and the ``sputnik play`` command."""

from __future__ import annotations

import sqlite3

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
