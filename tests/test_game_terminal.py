"""Terminal play driven through a pseudo-terminal: typed input, bad input, a SIGKILL, a resume."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.game.cards import read_deck
from sim.game.engine import Game, GameSetup
from sim.game.roles import read_role_file
from sim.game.store import Store

pexpect = pytest.importorskip("pexpect")
ROOT = Path(__file__).resolve().parents[1]
KEEP = "(Enter keeps) > "


def spawn(*args: str):
    child = pexpect.spawn(
        sys.executable, ["-m", "sim", "play", *args], cwd=str(ROOT), encoding="utf-8", timeout=30
    )
    child.setwinsize(50, 200)
    return child


def answer(child, text: str, expect: str = KEEP) -> None:
    child.expect_exact(expect)
    child.sendline(text)


def predict(child, text: str) -> int:
    """Answer the prediction prompt, leaving any open proposals for later; returns how many."""
    seen = 0
    while child.expect_exact(["(y/n, Enter decides later) > ", "(Enter skips) > "]) == 0:
        child.sendline("")
        seen += 1
    child.sendline(text)
    return seen


def test_terminal_round_bad_input_kill_and_resume(tmp_path):
    db = tmp_path / "game.db"
    child = spawn("baseline", "--roles", "usa", "--rounds", "2", "--save", str(db))
    child.expect_exact("United States (usa), round 1, 2025")
    child.expect_exact("Your position: Months behind the frontier 0.0 months")
    answer(child, "abc", "(Enter skips) > ")
    child.expect_exact("that is not a number; try again")
    answer(child, "8", "(Enter skips) > ")
    answer(child, "")  # tpp_threshold kept
    answer(child, "lots")  # enforcement
    child.expect_exact("'lots' is not a number; try again")
    answer(child, "1.5")
    child.expect_exact("1.5 is out of bounds (0 to 1); try again")
    answer(child, "0.9")
    child.expect_exact(KEEP)  # the next lever's prompt: 0.9 was typed but never shown
    assert "0.9" not in child.before
    child.sendline("maybe")  # cloud_loophole_open
    child.expect_exact("'maybe' is not yes/no (type y or n); try again")
    answer(child, "n")
    answer(child, "")  # licence.enabled
    answer(child, "")  # licence.fee_share
    answer(child, "50B")  # subsidy_usd
    child.expect_exact("Move recorded (secret until the round resolves).")
    assert "50B" not in child.before and "0.9" not in child.before
    answer(child, "c nosuch", "Facilitator (Enter resolves, ? for help) > ")
    child.expect_exact("card 'nosuch': no such card")
    answer(child, "c taiwan-crisis", "Facilitator (Enter resolves, ? for help) > ")
    child.expect_exact("Card queued for this round: Taiwan Strait crisis")
    answer(child, "", "Facilitator (Enter resolves, ? for help) > ")
    child.expect_exact("=== Round 1 results (2025) ===")
    child.expect_exact("Labs (months behind):")
    child.expect_exact("Cards fired: Taiwan Strait crisis (2025, manual)")
    child.expect_exact("Military exercises around Taiwan")  # the card's story, not only its title
    child.expect_exact("changed: world.taiwan_shock = 0.4")
    child.expect_exact(
        "Move usa (human): enforcement = 0.9, cloud_loophole_open = no, subsidy_usd = $50B"
    )
    child.expect_exact("United States (usa), round 2, 2026")
    assert predict(child, "") >= 1  # 2026's licence event touches a lever usa holds
    answer(child, "")
    answer(child, "0.1")  # typed, then the process dies before the round resolves
    child.kill(signal.SIGKILL)
    child.close()

    saved = Store.open(db).rounds()
    assert len(saved) == 1
    assert saved[0]["effective"]["usa"] == {
        "controls.enforcement": 0.9,
        "controls.cloud_loophole_open": False,
        "nations.usa.subsidy_usd": 5e10,
    }

    child = spawn("--resume", str(db))
    child.expect_exact("Resumed after round 1 (2025)")
    child.expect_exact("United States (usa), round 2, 2026")
    predict(child, "")
    answer(child, "")
    answer(child, "0.4")
    for _ in range(4):
        answer(child, "")
    answer(child, "", "Facilitator (Enter resolves, ? for help) > ")
    child.expect_exact("=== Round 2 results (2026) ===")
    child.expect_exact("Score usa:")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    # The same moves through the API give the same game.
    scen = sim.load_scenario("baseline")
    setup = GameSetup(
        scen.model_dump(mode="json"),
        "baseline",
        max_rounds=2,
        humans=["usa"],
        deck=read_deck(),
        role_file=read_role_file(),
    )
    ref = Game(setup)
    ref.submit("usa", {"enforcement": 0.9, "cloud_loophole_open": False, "subsidy_usd": 5e10})
    ref.predict("usa", "lag_months.china", 8)
    ref.play_card("taiwan-crisis")
    ref.resolve()
    ref.submit("usa", {"enforcement": 0.4})
    ref.resolve()
    st = Store.open(db)
    resumed = Game(st.setup(), st.rounds())
    assert resumed.mismatches == []
    pd.testing.assert_frame_equal(resumed.tables()["nations"], ref.tables()["nations"])


HANDOVER = "press Enter when ready (facilitator: ? for commands) > "
FAC = "Facilitator (Enter resolves, ? for help) > "


def test_terminal_two_humans_undo_and_end(tmp_path):
    child = spawn("baseline", "--roles", "usa,deepseek-like", "--rounds", "3")
    child.expect_exact("warning: no --save file: this game will not be saved")
    answer(child, "", HANDOVER)
    child.expect_exact("(usa), round 1, 2025")
    predict(child, "")
    for _ in range(6):
        answer(child, "")
    child.expect_exact("Move recorded")
    child.expect_exact("\x1b[2J\x1b[3J\x1b[H")  # screen and scrollback cleared for the next team
    answer(child, "c taiwan-crisis", HANDOVER)  # the facilitator acts at a hand-over
    child.expect_exact("Card queued for this round: Taiwan Strait crisis")
    answer(child, "", HANDOVER)
    child.expect_exact("(deepseek), round 1, 2025")
    child.expect_exact("Your position: Months behind the frontier")  # its own lab
    predict(child, "")
    for _ in range(5):
        answer(child, "")
    answer(child, "p", FAC)
    child.expect_exact("Paused. Moves entered so far are kept.")
    answer(child, "", "Press Enter to resume > ")
    answer(child, "", FAC)  # resolves with both moves: the pause kept them
    child.expect_exact("=== Round 1 results (2025) ===")
    child.expect_exact("Cards fired: Taiwan Strait crisis (2025, manual)")
    answer(child, "", HANDOVER)
    child.expect_exact("(usa), round 2, 2026")
    predict(child, "")
    for _ in range(6):
        answer(child, "")
    answer(child, "", HANDOVER)
    child.expect_exact("Your compute by origin (H100e): legal")  # after a year: its lab's chips
    predict(child, "")
    answer(child, "")  # efficiency_share kept
    answer(child, "sideways")  # strategy
    child.expect_exact("'sideways' is not one of fixed, adaptive, scale-first, efficiency-first")
    answer(child, "adaptive")
    for _ in range(3):
        answer(child, "")
    answer(child, "u", FAC)
    answer(child, "n", "move(s) entered for this round are discarded (y/N) > ")  # changed mind
    answer(child, "u", FAC)
    answer(child, "y", "(y/N) > ")
    child.expect_exact("Round 1 undone; back to 2025.")
    child.expect_exact("##### Round 1: 2025 #####")
    answer(child, "", HANDOVER)
    predict(child, "")
    for _ in range(6):
        answer(child, "")
    answer(child, "", HANDOVER)
    predict(child, "")
    for _ in range(5):
        answer(child, "")
    answer(child, "e", FAC)
    answer(child, "y", "End the game now? No more rounds can be played (y/N) > ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_terminal_default_is_a_90_minute_workshop():
    child = spawn("baseline", "--roles", "usa")
    child.expect_exact("6 rounds, 3 year(s) per round")
    child.expect_exact("warning: no --save file")
    child.expect_exact("round 1, 2025")
    child.kill(signal.SIGKILL)
    child.close()


def test_play_sets_the_worlds_assumptions_for_a_new_game_only(tmp_path, capsys):
    from sim.cli import main

    db = tmp_path / "lean.db"
    argv = ["play", "baseline", "--bots", "--rounds", "2", "--save", str(db)]
    assert main([*argv, "--set", "world.idle_capacity_build=0", "--set", "world.diffusion=2"]) == 0
    store = Store.open(db)
    world = store.setup().scenario["world"]
    lean_rounds = [r["fingerprint"] for r in store.rounds()]
    store.close()
    assert world["idle_capacity_build"] == 0 and world["diffusion"] == 2
    # the assumptions reach the model: the rounds differ from the same game in the default world
    plain = tmp_path / "plain.db"
    assert main(["play", "baseline", "--bots", "--rounds", "2", "--save", str(plain)]) == 0
    store = Store.open(plain)
    plain_rounds = [r["fingerprint"] for r in store.rounds()]
    store.close()
    assert len(lean_rounds) == len(plain_rounds) == 2 and lean_rounds != plain_rounds
    capsys.readouterr()
    # bad keys and resumed games get one line, exit 2
    assert main([*argv[:-1], str(tmp_path / "x.db"), "--set", "world.diffusoin=2"]) == 2
    assert "did you mean 'diffusion'" in capsys.readouterr().err
    assert main(["play", "--resume", str(db), "--bots", "--set", "world.diffusion=1"]) == 2
    assert "new game only" in capsys.readouterr().err
