"""Players are never silently overwritten: scheduled events, cards and reaction rules that would
change a lever a human team holds become proposals the team accepts or refuses; every change to
a team's lever is logged with who made it. Also the facilitator's resolve-without-waiting and
undo that gives the undone round's moves back."""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.errors import UserError
from sim.game.cards import read_deck
from sim.game.engine import PRESETS, Game, GameSetup, replay
from sim.game.roles import read_role_file
from sim.game.store import export_policy

MANDATE = "nations.china.domestic_mandate_share"
# A US reaction that fires in the second year whatever happens (the lag is always under 1000
# months), and no Chinese rules (China's Sputnik reaction also moves its mandate).
US_RULE = [
    {
        "title": "Washington reacts",
        "trigger": "rival_lag_below",
        "rival": "china",
        "threshold": 1000.0,
        "add": {"controls.enforcement": 0.2, "nations.usa.subsidy_usd": 5e10},
    }
]


def setup(humans=("china",), rounds=4, deck=None, **scenario_edits) -> GameSetup:
    scen = sim.load_scenario("baseline").model_dump(mode="json")
    for path, value in scenario_edits.items():
        node = scen
        *parts, last = path.split("__")
        for p in parts:
            node = node[p]
        node[last] = value
    return GameSetup(
        scen,
        "baseline",
        max_rounds=rounds,
        humans=list(humans),
        deck=read_deck() if deck is None else deck,
        role_file=read_role_file(),
    )


def play_to_2026(game: Game, mandate: float = 0.6) -> None:
    game.submit("china", {"domestic_mandate_share": mandate})
    game.resolve()  # 2025
    assert game.year == 2026


def test_scheduled_event_on_a_held_lever_is_a_proposal_the_team_sees():
    """baseline schedules 'Beijing steers buyers' (mandate 0.3) for 2026; China chose 0.6."""
    game = Game(setup(deck=[]))
    play_to_2026(game)
    (prop,) = [p for p in game.proposals_for("china") if p["path"] == MANDATE]
    assert (prop["old"], prop["new"], prop["source"]) == (0.6, 0.3, "event")
    assert prop["lever"] == "domestic_mandate_share" and prop["decision"] is None
    assert game.current_values("china")[MANDATE] == 0.6  # what the team's page shows as "now"
    game.submit("china", {})
    game.resolve()  # no decision: the model keeps the team's value and records the proposal
    assert game.model.get_param(MANDATE) == 0.6
    assert any(p["path"] == MANDATE for p in game.log[-1]["proposals"])
    events = game.tables()["events"]
    assert ((events.kind == "proposal") & events.title.str.contains(MANDATE)).any()
    assert not [c for c in game.log[-1]["changes"] if c["path"] == MANDATE]


def test_without_a_human_the_same_event_applies():
    game = Game(setup(humans=(), deck=[], nations__china__reactions=[]))
    game.resolve()
    game.resolve()
    assert game.model.get_param(MANDATE) == 0.3
    (change,) = [c for c in game.log[-1]["changes"] if c["path"] == MANDATE]
    assert change["by"] == "scenario event" and change["role"] == "china"
    assert change["what"] == "Beijing steers buyers to domestic chips"


@pytest.mark.parametrize("accept, final", [(True, 0.3), (False, 0.6)])
def test_team_accepts_or_refuses_and_the_log_says_who(accept, final):
    game = Game(setup(deck=[]))
    play_to_2026(game)
    (prop,) = [p for p in game.proposals_for("china") if p["path"] == MANDATE]
    game.decide("china", prop["id"], accept)
    assert game.proposals_for("china")[0]["decision"] is accept
    game.submit("china", {})
    game.resolve()
    assert game.model.get_param(MANDATE) == final
    (d,) = game.log[-1]["decisions"]["china"]
    assert d["accepted"] is accept and d["new"] == 0.3
    changes = [c for c in game.log[-1]["changes"] if c["path"] == MANDATE]
    if accept:
        assert [c["by"] for c in changes] == ["china (human)"]
    else:
        assert changes == []
    with pytest.raises(UserError, match="no open proposal"):
        game.decide("china", "nonsense", True)


def test_reaction_rule_does_not_overwrite_the_us_teams_enforcement():
    """The US reaction (+0.2 enforcement) fires in 2026 when its trigger is wide open; the US
    team chose 0.95, so the model proposes 1.0 instead of setting it."""
    s = setup(humans=("usa",), deck=[], nations__usa__reactions=US_RULE)
    game = Game(s)
    game.submit("usa", {"enforcement": 0.95})
    game.resolve()  # 2025: reactions never fire in the first year
    game.submit("usa", {})
    game.resolve()  # 2026: the reaction fires
    assert game.model.get_param("controls.enforcement") == 0.95
    props = {p["path"]: p for p in game.log[-1]["proposals"]}
    assert props["controls.enforcement"]["source"] == "reaction"
    assert props["controls.enforcement"]["new"] == pytest.approx(1.0)
    assert "nations.usa.subsidy_usd" in props
    shown = {p["path"]: p for p in game.proposals_for("usa")}
    assert shown["controls.enforcement"]["old"] == 0.95  # "will set enforcement from 0.95 to 1"
    game.decide("usa", shown["controls.enforcement"]["id"], True)
    game.submit("usa", {})
    game.resolve()
    assert game.model.get_param("controls.enforcement") == pytest.approx(1.0)
    assert game.model.get_param("nations.usa.subsidy_usd") == 0.0  # not accepted: kept
    # a bot-played US takes the reaction in full
    bot = Game(setup(humans=(), deck=[], nations__usa__reactions=US_RULE))
    start = bot.model.get_param("controls.enforcement")
    bot.resolve()
    bot.resolve()
    assert bot.model.get_param("controls.enforcement") == pytest.approx(min(1.0, start + 0.2))
    assert any(c["by"] == "reaction rule" for c in bot.log[-1]["changes"])


def test_auto_card_does_not_undo_chinas_mineral_ban_choice():
    """The mineral-ban card fires when enforcement >= 0.8; China's team lifted the ban."""
    card = next(c for c in read_deck() if c["id"] == "mineral-ban")
    game = Game(setup(humans=("china", "usa"), deck=[card]))
    game.submit("china", {"mineral_ban": False})
    game.submit("usa", {"enforcement": 0.9})
    game.resolve()  # 2025: enforcement is set this year, the card checks the state after it
    game.submit("china", {})
    game.submit("usa", {})
    game.resolve()  # 2026: the card fires
    fired = [f for r in game.log for f in r["fired"] if f["card"] == "mineral-ban"]
    assert fired and fired[0]["held"] == ["nations.china.mineral_ban"]
    assert game.model.get_param("nations.china.mineral_ban") is False
    assert game.model.get_param("world.mineral_cost_increase") == 0.15  # nobody holds it
    assert any(p["path"] == "nations.china.mineral_ban" for p in game.proposals_for("china"))


def test_replay_reproduces_refused_changes_and_decisions():
    s = setup(humans=("china", "usa"), nations__usa__reactions=US_RULE)
    game = Game(s)
    for r in range(4):
        game.submit("china", {"domestic_mandate_share": 0.6, "mineral_ban": r % 2 == 1})
        game.submit("usa", {"enforcement": 0.85 + 0.05 * (r % 2)})
        for p in game.proposals_for("usa")[:1]:
            game.decide("usa", p["id"], True)
        game.resolve()
    assert any(r["proposals"] for r in game.log)
    again = replay(game.setup, game.inputs())
    assert again.mismatches == []
    assert [r["decisions"] for r in again.log] == [r["decisions"] for r in game.log]
    assert "Kept by the team" in export_policy(game)  # a refused reaction, written for sputnik run


def test_exported_policy_of_a_held_game_runs_headless_identically(tmp_path):
    """Refused scenario events, cards and reactions are written so sputnik run reproduces the game."""
    game = Game(setup(humans=("china", "usa", "deepseek")))
    for r in range(4):
        game.submit("china", {"domestic_mandate_share": 0.6, "subsidy_usd": 2e11})
        game.submit("usa", {"enforcement": 0.5 + 0.1 * r, "licence.enabled": r % 2 == 0})
        game.submit("deepseek", {"open_weights": False, "efficiency_share": 0.5})
        if r == 1:
            game.play_card("smuggling-scandal")
        game.resolve()
    assert any(r["proposals"] for r in game.log), "the test needs refused changes"
    path = tmp_path / "policy.toml"
    path.write_text(export_policy(game))
    run = sim.run(path, seed=0).nations
    pd.testing.assert_frame_equal(
        game.tables()["nations"], run[run.year < 2029].reset_index(drop=True)
    )


def test_resolve_without_waiting_keeps_missing_teams_levers():
    game = Game(setup(humans=("china", "usa"), deck=[]))
    game.submit("usa", {"enforcement": 0.9})
    with pytest.raises(UserError, match="waiting for moves from china"):
        game.resolve()
    game.resolve(force=True)
    assert game.log[0]["missing"] == ["china"]
    assert "china" not in game.log[0]["moves"]


def test_undo_gives_back_the_undone_rounds_moves_and_pause_keeps_moves():
    game = Game(setup(humans=("china", "usa"), deck=[]))
    game.submit("china", {"subsidy_usd": 1e11})
    game.submit("usa", {"enforcement": 0.9})
    game.pause()
    with pytest.raises(UserError, match="paused"):
        game.resolve()
    game.unpause()
    assert game.waiting_for() == []  # pause kept both moves
    game.resolve()
    game.submit("usa", {"enforcement": 0.2})
    assert game.submitted_count() == 1  # what an undo would discard (the UI asks first)
    game.undo()
    assert game.round == 1
    assert game.pending_move("usa") == {"controls.enforcement": 0.9}
    assert game.pending_move("china") == {"nations.china.subsidy_usd": 1e11}


def test_presets_cover_the_horizon_in_workshop_time():
    scen = sim.load_scenario("baseline")
    span = scen.horizon.end_year - scen.horizon.start_year + 1
    for p in PRESETS.values():
        assert p.rounds * p.round_minutes <= p.minutes - 15  # time to open and debrief
        assert span - p.rounds * p.years_per_round(scen) <= p.years_per_round(scen)


def test_turning_points_rerun_the_game_faithfully_and_respect_time():
    """The report's re-runs keep the teams' held levers: a re-run without nothing is the game
    itself, and no move or card changes a year before it happened."""
    from sim.game.report import _without, turning_points

    game = Game(setup(humans=("china", "usa"), rounds=3))
    for _ in range(3):
        game.submit("china", {"domestic_mandate_share": 0.6})
        game.submit("usa", {"enforcement": 0.9})
        game.resolve()
    same = _without(game, "card", 99, "no-such-card").tables()["nations"]
    pd.testing.assert_frame_equal(same, game.tables()["nations"])
    points = turning_points(game)
    assert points
    assert all(t.at_year >= t.year for t in points)
