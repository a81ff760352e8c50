"""Game engine: scripted games on every scenario, secrecy, refusals, determinism, replay, export."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.errors import UserError
from sim.game import bots
from sim.game.cards import build_deck, read_deck
from sim.game.engine import Game, GameSetup, autoplay, replay
from sim.game.roles import read_role_file
from sim.game.script import export_script, read_script
from sim.game.store import export_policy

SCENARIOS = [s.id for s in sim.list_scenarios()]


def make_setup(
    scenario: str = "baseline", seed: int = 0, rounds: int | None = 4, **kw
) -> GameSetup:
    scen = sim.load_scenario(scenario)
    return GameSetup(
        scen.model_dump(mode="json"),
        scenario,
        seed=seed,
        max_rounds=rounds,
        deck=read_deck(),
        role_file=read_role_file(),
        **kw,
    )


def nations(game: Game) -> pd.DataFrame:
    return game.tables()["nations"]


def lab_role(game: Game, lab: str) -> str:
    return next(rid for rid, r in game.roles.items() if r.kind == "lab" and r.actor == lab)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scripted_game_runs_on_every_scenario(scenario):
    """A short scripted game (moves, a prediction, a hand-played card) plays on every shipped scenario."""
    setup = make_setup(scenario, rounds=3)
    probe = Game(setup)
    controller = probe.scenario.controls.controller
    lab = next(iter(probe.scenario.labs))
    lab_rid = lab_role(probe, lab)
    card = next(c.id for c in probe.deck.values() if not c.unavailable and c.trigger == "manual")
    setup.script = {
        "1": {
            controller: {"subsidy_usd": 2e10, "predict": {f"lag_months.{controller}": 1.0}},
            lab_rid: {"price_markup": 1.3},
        },
        "2": {"cards": [card], lab_rid: {"efficiency_share": 0.4}},
    }
    game = Game(setup)
    autoplay(game)
    assert len(game.log) == 3
    assert game.model.get_param(f"labs.{lab}.price_markup") == 1.3
    assert game.model.get_param(f"labs.{lab}.strategy") == "fixed"  # a set split fixes the strategy
    assert any(f["card"] == card for f in game.log[1]["fired"])
    t = nations(game)
    assert t.year.nunique() == 3 and len(t) == 3 * len(game.scenario.nations)
    assert not t.select_dtypes("number").isna().any().any()
    assert game.log[0]["actuals"][controller] is not None


def test_example_moves_file_plays():
    """The shipped example script names its scenario and plays cleanly."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scenarios" / "games" / "example-moves.toml"
    script = read_script(path)
    scenario = script["meta"]["scenario"]
    assert scenario in SCENARIOS, f"the example names an unknown scenario: {scenario}"
    setup = make_setup(
        scenario, rounds=5, script=script["rounds"], bots=script["meta"].get("bots", {})
    )
    game = Game(setup)
    from sim.game.script import normalise_roles

    normalise_roles(game)
    autoplay(game)
    assert "deepseek" in game.script_roles
    assert any(r["overrides"] for r in game.log)
    assert any(f["how"] == "manual" for r in game.log for f in r["fired"])


def test_moves_are_secret_until_resolution(monkeypatch):
    """Bots (and every other role) see neither another role's pending move nor its effect."""
    seen = []
    real = bots.decide

    def spy(name, obs):
        seen.append((obs, obs.metric("controls.enforcement")))  # what the bot sees when deciding
        return real(name, obs)

    monkeypatch.setattr(bots, "decide", spy)
    game = Game(make_setup(humans=["usa"], bots={"china": "hawkish", "deepseek": "adaptive"}))
    before = game.model.get_param("controls.enforcement")
    game.submit("usa", {"enforcement": 0.93})
    assert game.observe("usa").own_pending == {"controls.enforcement": 0.93}
    china = game.observe("china")
    assert china.own_pending is None
    assert "0.93" not in repr({k: v for k, v in vars(china).items() if k != "_model"})
    game.resolve()
    assert {o.role for o, _ in seen} >= {"china", "deepseek"}
    for obs, enforcement in seen:
        assert obs.own_pending is None
        assert enforcement == before
        assert 0.93 not in obs.current.values()
    assert game.log[0]["moves"]["usa"]["set"] == {
        "controls.enforcement": 0.93
    }  # revealed afterwards


def test_bad_levers_are_refused_with_clear_messages():
    game = Game(make_setup(humans=["usa", "china"]))
    with pytest.raises(UserError) as e:
        game.submit("usa", {"enforcment": 0.9})
    assert "usa: unknown lever 'enforcment' (did you mean 'enforcement'?)" in e.value.problems[0]
    with pytest.raises(UserError) as e:
        game.submit("usa", {"enforcement": 1.5})
    assert (
        "enforcement = 1.5 refused" in e.value.problems[0]
        and "out of bounds" in e.value.problems[0]
    )
    with pytest.raises(UserError) as e:
        game.submit("china", {"controls.enforcement": 0.1})  # another role's lever
    assert "china: unknown lever 'controls.enforcement'" in e.value.problems[0]
    with pytest.raises(UserError) as e:
        game.submit("usa", {"cloud_loophole_open": "maybe"})
    assert "not yes/no" in e.value.problems[0]
    with pytest.raises(UserError) as e:
        game.submit("atlantis", {})
    assert "unknown role 'atlantis'" in e.value.problems[0]
    with pytest.raises(UserError, match="waiting for moves from usa, china"):
        game.resolve()
    assert not game.log


def test_role_aliases_and_lab_collisions():
    game = Game(make_setup(humans=["deepseek-like", "rest-lab"]))
    assert game.setup.humans == ["deepseek", "rest-lab"]
    assert game.roles["rest"].kind == "nation" and game.roles["rest-lab"].kind == "lab"


def test_bot_only_game_is_deterministic_by_seed():
    cfg = {
        "bots": {
            "usa": "adaptive",
            "china": "hawkish",
            "deepseek": "efficiency-first",
            "stargate": "scale-first",
        }
    }
    a, b, c = (Game(make_setup(seed=s, rounds=5, **cfg)) for s in (3, 3, 4))
    for g in (a, b, c):
        autoplay(g)
    pd.testing.assert_frame_equal(nations(a), nations(b))
    assert [r["moves"] for r in a.log] == [r["moves"] for r in b.log]
    assert not nations(a).equals(nations(c))


def test_scenario_bots_reproduce_a_plain_run_without_cards():
    """With no cards and 'scenario' bots a game is exactly sim.run: the game adds nothing of its own."""
    setup = make_setup(rounds=4)
    setup.deck = []
    game = Game(setup)
    autoplay(game)
    run = sim.run("baseline", seed=0).nations
    pd.testing.assert_frame_equal(nations(game), run[run.year < 2029].reset_index(drop=True))


def test_replay_reproduces_identical_tables():
    game = Game(make_setup(seed=2, rounds=5, humans=["usa"], bots={"china": "adaptive"}))
    for v in (0.6, 0.7, 0.8, 0.9, 1.0):
        game.submit("usa", {"enforcement": v, "cloud_loophole_open": v < 0.8})
        game.predict("usa", "lag_months.china", 10)
        game.resolve()
    again = replay(game.setup, game.inputs())
    assert again.mismatches == []
    for k in ("years", "nations", "labs", "flows"):
        pd.testing.assert_frame_equal(game.tables()[k], again.tables()[k])
    assert [r["fired"] for r in again.log] == [r["fired"] for r in game.log]


def test_policy_export_reruns_headless(tmp_path):
    """The exported policy (a scenario extending the game's) gives the game's results under sim.run."""
    game = Game(make_setup(rounds=4, humans=["usa", "deepseek"], bots={"china": "hawkish"}))
    for r in range(4):
        game.submit("usa", {"tpp_threshold": 4000 - 500 * r, "licence.enabled": r % 2 == 0})
        game.submit("deepseek", {"efficiency_share": 0.3 + 0.1 * r})
        if r == 1:
            game.play_card("taiwan-crisis")
        game.resolve()
    path = tmp_path / "policy.toml"
    path.write_text(export_policy(game))
    run = sim.run(path, seed=game.setup.seed).nations
    pd.testing.assert_frame_equal(nations(game), run[run.year < 2029].reset_index(drop=True))
    assert "taiwan" in path.read_text().lower()


def test_exported_script_replays_the_game(tmp_path):
    game = Game(make_setup(rounds=3, humans=["usa"], bots={"china": "hawkish"}))
    for v in (0.2, 0.9, 0.4):
        game.submit("usa", {"enforcement": v})
        game.resolve()
    path = tmp_path / "moves.toml"
    path.write_text(export_script(game))
    script = read_script(path)
    again = Game(make_setup(rounds=3, script=script["rounds"]))
    autoplay(again)
    pd.testing.assert_frame_equal(nations(game), nations(again))


def test_undo_takes_back_exactly_one_round():
    one = Game(make_setup(rounds=2, humans=["usa"]))
    one.submit("usa", {"enforcement": 0.9})
    one.resolve()
    snapshot = nations(one).copy()
    one.submit("usa", {"enforcement": 0.1})
    one.resolve()
    last = one.undo()
    assert last["round"] == 2 and one.round == 2
    pd.testing.assert_frame_equal(nations(one), snapshot)
    with pytest.raises(UserError, match="no round to undo"):
        Game(make_setup()).undo()


def test_facilitator_override_needs_reason_and_wins():
    game = Game(make_setup(rounds=1, humans=["usa"]))
    game.submit("usa", {"enforcement": 0.1})
    with pytest.raises(UserError, match="reason is required"):
        game.override("usa", {"enforcement": 0.95}, " ")
    game.override("usa", {"enforcement": 0.95}, "team misread the card")
    game.resolve()
    rec = game.log[0]
    assert rec["effective"]["usa"] == {"controls.enforcement": 0.95}
    assert rec["overrides"]["usa"]["reason"] == "team misread the card"
    assert game.model.controls.enforcement >= 0.95


def test_pause_and_end():
    game = Game(make_setup(rounds=5, bots={}))
    game.pause()
    with pytest.raises(UserError, match="paused"):
        game.resolve()
    game.unpause()
    game.resolve()
    game.end()
    assert game.over
    with pytest.raises(UserError, match="game is over"):
        game.resolve()


def test_cards_fire_by_year_condition_and_hand_and_restore():
    scen = sim.load_scenario("baseline")
    raw = [
        {
            "id": "yr",
            "title": "Year card",
            "trigger": 2026,
            "duration_years": 1,
            "set": {"vendors.nvidia.perf_growth": 1.9},
        },
        {
            "id": "cond",
            "title": "Cond card",
            "trigger": "controls.enforcement >= 0.8 and year >= 2026",
            "set": {"world.mineral_cost_increase": 0.2},
        },
        {"id": "hand", "title": "Hand card", "set": {"world.taiwan_shock": 0.3}},
        {
            "id": "prog",
            "title": "Needs programme",
            "trigger": 2025,
            "set": {"nations.usa.programme.delivery_share": 0.5},
        },
    ]
    setup = make_setup(rounds=4, humans=["usa"])
    setup.deck = raw
    game = Game(setup)
    assert game.deck["prog"].unavailable and game.deck["hand"].trigger == "manual"
    with pytest.raises(UserError, match="not playable in this scenario"):
        game.play_card("prog")
    with pytest.raises(UserError, match="did you mean 'hand'"):
        game.play_card("hnad")
    growth = game.model.get_param("vendors.nvidia.perf_growth")
    game.submit("usa", {"enforcement": 0.85})
    game.play_card("hand")
    game.resolve()  # 2025: hand card; the condition needs year >= 2026
    assert [f["card"] for f in game.log[0]["fired"]] == ["hand"]
    game.submit("usa", {})
    game.resolve()  # 2026: year card and condition card
    assert {f["card"] for f in game.log[1]["fired"]} == {"yr", "cond"}
    assert game.model.get_param("vendors.nvidia.perf_growth") == 1.9
    game.submit("usa", {})
    game.resolve()  # 2027: the year card's effect ends
    assert [{k: f[k] for k in ("year", "card", "title", "how")} for f in game.log[2]["fired"]] == [
        {"year": 2027, "card": "yr", "title": "Year card", "how": "ends"}
    ]
    hand = game.log[0]["fired"][0]
    assert hand["set"] == {"world.taiwan_shock": 0.3} and hand["held"] == []
    assert game.model.get_param("vendors.nvidia.perf_growth") == growth
    with pytest.raises(UserError, match="already played"):
        game.play_card("hand")
    with pytest.raises(UserError) as e:
        build_deck(scen, [{"id": "x", "title": "X", "trigger": "lag_months.narnia < 3", "set": {}}])
    assert "'narnia' is neither a nation nor a lab" in e.value.problems[0]


def test_shipped_deck_covers_the_seed_story():
    titles = " ".join(c["title"].lower() for c in read_deck())
    for word in (
        "deepseek",
        "smuggling",
        "taiwan",
        "licence",
        "huawei",
        "chip generation",
        "mineral",
        "stargate",
    ):
        assert word in titles
    deck = build_deck(sim.load_scenario("stargate-vs-deepseek"), read_deck())
    assert not deck["stargate-delay"].unavailable


@pytest.mark.parametrize("kind", ["nation", "lab"])
def test_every_bot_stays_within_bounds(kind):
    """Every bot, for every role of its kind, only makes moves the role's levers accept."""
    for name in bots.BOT_DOCS[kind]:
        setup = make_setup(rounds=3)
        probe = Game(setup)
        setup.bots = {rid: name for rid, r in probe.roles.items() if r.kind == kind}
        game = Game(setup)
        autoplay(game)  # resolve() re-validates every bot move; a bad one raises
        t = nations(game)
        assert not t.select_dtypes("number").isna().any().any()
        if name != "scenario":
            assert any(r["moves"] for r in game.log) or name == "cautious"


def test_hawkish_controller_widens_the_gap_against_dovish():
    """Relationship, not numbers: tighter controls leave the target further behind than looser ones."""
    lags = {}
    for name in ("hawkish", "dovish"):
        game = Game(make_setup(rounds=6, bots={"usa": name}))
        game.setup.deck = []
        game = Game(game.setup)
        autoplay(game)
        t = nations(game)
        lags[name] = t[(t.nation == "china")].lag_months.iloc[-1]
    assert lags["hawkish"] > lags["dovish"]


def test_predictions_and_scores():
    from sim.game.report import prediction_scores, scores

    game = Game(make_setup(rounds=2, humans=["usa"]))
    with pytest.raises(UserError, match="unknown metric"):
        game.predict("usa", "happiness", 1)
    for bad in (math.nan, math.inf, "soon", None, True):
        with pytest.raises(UserError, match="not a finite number"):
            game.predict("usa", "lag_months:china", bad)
    assert game.prediction_of("usa") is None  # nothing half-recorded
    for _ in range(2):
        game.submit("usa", {})
        game.predict("usa", "lag_months.china", 6.0)
        game.resolve()
    ps = prediction_scores(game)
    assert len(ps) == 2
    for p in ps:
        assert math.isclose(p["error"], 6.0 - p["actual"]) and 0 <= p["accuracy"] <= 100
    (row,) = scores(game)
    assert row["role"] == "usa" and 0 <= row["score"] <= 100


def test_multi_year_rounds_apply_moves_once_and_fire_cards_inside_the_round():
    setup = make_setup(rounds=2, humans=["usa"], years_per_round=2)
    setup.deck = [
        {
            "id": "y",
            "title": "Second-year card",
            "trigger": 2026,
            "set": {"world.mineral_cost_increase": 0.3},
        }
    ]
    game = Game(setup)
    game.submit("usa", {"enforcement": 0.95})
    res = game.resolve()
    assert res.years == [2025, 2026] and game.year == 2027
    assert [{k: f[k] for k in ("year", "card", "title", "how")} for f in res.record["fired"]] == [
        {"year": 2026, "card": "y", "title": "Second-year card", "how": "auto"}
    ]
    assert res.record["fired"][0]["set"] == {"world.mineral_cost_increase": 0.3}
    assert sum(1 for ev in game.injected if ev.title.endswith("moves")) == 1
    assert {n["nation"] for n in res.nations} == set(game.scenario.nations)
    assert all(n["d_lag"] is not None for n in res.nations)


def test_role_file_narrows_and_removes_levers():
    setup = make_setup(humans=["usa"])
    setup.role_file = {
        "usa": {
            "brief": "Short.",
            "bot": "hawkish",
            "levers": {"enforcement": {"lo": 0.4, "hi": 0.6}, "tpp_threshold": False},
        }
    }
    game = Game(setup)
    names = [lv.name for lv in game.roles["usa"].levers]
    assert "tpp_threshold" not in names and game.roles["usa"].bot == "hawkish"
    with pytest.raises(UserError, match="out of bounds"):
        game.submit("usa", {"enforcement": 0.8})
    game.submit("usa", {"enforcement": 0.5})
    setup.role_file = {"usa": {"levers": {"warp_drive": {"lo": 0}}}}
    with pytest.raises(UserError, match="not a lever of usa"):
        Game(setup)


@pytest.mark.parametrize("chosen, expected", [(0.95, 0.95), (0.3, 0.8)])
def test_an_at_least_card_never_loosens_a_tougher_move(chosen, expected):
    """The smuggling-scandal card raises enforcement to 0.8 but keeps a tougher value set this
    round. usa is not held by people here: on a human team's lever the card is only a proposal
    (tests/test_game_players.py)."""
    game = Game(make_setup(rounds=2))
    game.submit("usa", {"enforcement": chosen}, by="bot:test")
    game.play_card("smuggling-scandal")
    game.resolve()
    assert game.model.get_param("controls.enforcement") == pytest.approx(expected)
    assert any(f["card"] == "smuggling-scandal" for f in game.log[0]["fired"])


def test_a_card_bound_must_be_a_number():
    scen = sim.load_scenario("baseline")
    bad = [{"id": "x", "title": "X", "at_least": {"controls.enforcement": "high"}}]
    with pytest.raises(UserError, match=r"at_least.controls.enforcement: needs a number"):
        build_deck(scen, bad)


def test_report_html_is_one_self_contained_file_with_lab_lines_and_the_decision_log(tmp_path):
    from sim.game.report import write_briefings, write_report

    game = Game(make_setup(rounds=2, humans=["china"], bots={"usa": "hawkish"}))
    game.submit("china", {"domestic_mandate_share": 0.6, "subsidy_usd": 1.5e11})
    game.resolve()
    game.submit("china", {})
    game.resolve()  # 2026: the scenario's mandate event is refused (China holds the lever)
    write_report(game, tmp_path)
    page = (tmp_path / "report.html").read_text()
    import re

    assert "<img" not in page and "src=" not in page  # nothing to fetch: one file
    assert not re.findall(r'href="(?!#)', page)  # only the SVGs' internal references
    assert page.count("<svg") == 3 and "compute by origin" in page
    assert "Thin lines are labs" in page
    assert "proposed, not applied" in page and "domestic_mandate_share" in page
    assert "$150B" in page or "1.5e+11" not in page  # money is formatted, not 1.5e+11
    assert "2025.25" not in page
    assert (tmp_path / "chart_1.svg").read_text().startswith("<svg")
    paths = write_briefings(game, tmp_path / "briefing")
    assert len(paths) == len(game.roles)
    china = (tmp_path / "briefing" / "briefing-china.html").read_text()
    assert game.roles["china"].brief[:40] in china and "domestic_mandate_share" in china


def test_a_saved_game_replays_without_mismatches():
    # written by tests/update_golden.py; the fingerprint leaves out nations columns added after
    # games were first saved, so adding a column never makes old saves report false mismatches
    saved = json.loads((Path(__file__).parent / "fixtures/saves/game.json").read_text())
    again = Game(GameSetup.from_dict(saved["setup"]), saved["rounds"])
    assert again.round == 6 and again.mismatches == []
    tampered = [dict(r, fingerprint="0" * 16) for r in saved["rounds"]]
    assert Game(GameSetup.from_dict(saved["setup"]), tampered).mismatches == [1, 2, 3, 4, 5]
