"""The policy protocol: every intervention applies through ``apply(model, year)`` and serialises
as dated events; levers a human team holds are never changed behind its back (proposals)."""

from __future__ import annotations

import sim
from sim.config.schema import Event
from sim.model.policies import (
    Policy,
    Proposal,
    ReactionRule,
    ScheduledEvents,
    StockpileWindow,
    TaiwanShock,
)


def model(scenario="baseline", **overrides):
    return sim.ComputeRaceModel(scenario, seed=0, overrides=overrides or None)


def events_of(m, kind):
    return [e for e in m.event_log if e.kind == kind]


def test_every_intervention_follows_the_one_protocol():
    m = model()
    kinds = {type(p) for p in m.policies}
    assert {StockpileWindow, ScheduledEvents, ReactionRule, TaiwanShock} <= kinds
    assert m.controls in m.policies
    for p in m.policies:
        assert isinstance(p, Policy)
        assert all(isinstance(ev, Event) for ev in p.to_events())


def test_the_export_regime_serialises_as_its_levers():
    m = model(**{"controls.enforcement": 0.7})
    (ev,) = m.controls.to_events()
    assert ev.year == m.start_year
    assert ev.set["controls.enforcement"] == 0.7
    assert ev.set["controls.licence.fee_share"] == m.controls.licence.fee_share


def test_a_scheduled_event_sets_its_levers_in_its_year():
    m = model()
    assert m.get_param("controls.licence.enabled") is False
    m.step()  # 2025
    assert m.get_param("controls.licence.enabled") is False
    m.step()  # 2026: the H200 licence event of the baseline
    assert m.get_param("controls.licence.enabled") is True
    assert "H200 licensed to China for 25% of revenue" in [e.title for e in events_of(m, "event")]


NO_CHINA_RULES = {"nations.china.reactions": []}  # its Sputnik reaction also moves its mandate
US_LAG_RULE = {
    "nations.usa.reactions": [
        {
            "title": "Washington reacts",
            "trigger": "rival_lag_below",
            "rival": "china",
            "threshold": 100.0,
            "add": {"controls.enforcement": 0.2, "nations.usa.subsidy_usd": 5e10},
        }
    ]
}


def test_a_held_lever_becomes_a_proposal():
    m = model(**NO_CHINA_RULES)
    m.held_paths.add("controls.licence.enabled")
    m.step()
    m.step()  # 2026: the scenario would switch licences on
    assert m.get_param("controls.licence.enabled") is False
    (p,) = m.proposals
    assert p == Proposal(
        2026,
        "controls.licence.enabled",
        False,
        True,
        "event",
        "H200 licensed to China for 25% of revenue",
    )
    rows = events_of(m, "proposal")
    assert len(rows) == 1 and rows[0].year == 2026
    assert "controls.licence.enabled" in rows[0].title
    # the event's other levers (none here) and other events still apply
    assert m.get_param("nations.china.domestic_mandate_share") == 0.3


def test_an_unchanged_held_lever_needs_no_proposal():
    m = model(**{"controls.licence.enabled": True})
    m.held_paths.add("controls.licence.enabled")
    for _ in range(2):
        m.step()
    assert m.proposals == [] and events_of(m, "proposal") == []


def test_player_events_apply_held_levers_after_the_scenarios_events():
    m = model(**NO_CHINA_RULES)
    m.held_paths.add("nations.china.domestic_mandate_share")
    m.player_events.append(
        Event(year=2026, title="China moves", set={"nations.china.domestic_mandate_share": 0.5})
    )
    m.step()
    m.step()  # 2026: the scenario proposes 0.3, the player sets 0.5
    assert m.get_param("nations.china.domestic_mandate_share") == 0.5
    assert [p.new for p in m.proposals] == [0.3]
    titles = [e.title for e in events_of(m, "event") if e.year == 2026]
    assert titles.index("China moves") > titles.index("Beijing steers buyers to domestic chips")


def test_a_card_in_model_events_cannot_change_a_held_lever():
    m = model()
    m.held_paths.add("controls.enforcement")
    m.events.append(Event(year=2025, title="Card: scandal", set={"controls.enforcement": 0.9}))
    m.step()
    assert m.get_param("controls.enforcement") == 0.5
    assert m.proposals[0].title == "Card: scandal" and m.proposals[0].new == 0.9


def test_a_reaction_fires_once_and_proposes_changes_to_held_levers():
    m = model(**US_LAG_RULE, **NO_CHINA_RULES)
    m.held_paths.add("controls.enforcement")
    before = m.get_param("nations.usa.subsidy_usd")
    for _ in range(4):
        m.step()
    reactions = events_of(m, "reaction")
    assert len(reactions) == 1 and reactions[0].year == 2026  # from the second year, once
    assert "Washington reacts" in reactions[0].title and "subsidy_usd" in reactions[0].title
    # the subsidy is not held: it rises; enforcement is held: it becomes a proposal
    assert m.get_param("nations.usa.subsidy_usd") == before + 5e10
    assert m.get_param("controls.enforcement") == 0.5
    assert [(p.path, p.source) for p in m.proposals] == [("controls.enforcement", "reaction")]
    (rule,) = [p for p in m.policies if isinstance(p, ReactionRule) and p.nation == "usa"]
    (fired,) = rule.to_events()
    # it serialises what it changed: the held lever stayed, so replaying does not set it
    assert fired.year == 2026 and fired.set == {"nations.usa.subsidy_usd": before + 5e10}


def test_the_taiwan_shock_hits_once_and_serialises_as_an_event():
    m = model("taiwan-shock")
    shock = next(p for p in m.policies if isinstance(p, TaiwanShock))
    while m.running:
        m.step()
    (ev,) = shock.to_events()
    assert ev.set == {"world.taiwan_shock": 0.8}
    assert m.get_param("world.taiwan_shock") == 0.0  # a one-shot trigger


def test_replaying_the_policy_events_reproduces_the_run():
    """The serialised forms are complete: a scenario made of the run's policy events (the
    reaction and shock included) gives the same result with the reaction rule switched off."""
    first = model("taiwan-shock", **US_LAG_RULE, **NO_CHINA_RULES)
    while first.running:
        first.step()
    scen = sim.load_scenario("taiwan-shock", {**US_LAG_RULE, **NO_CHINA_RULES})
    replay_events = tuple(
        e
        for p in first.policies
        if isinstance(p, (ReactionRule, ScheduledEvents))
        for e in p.to_events()
    )
    scen = scen.model_copy(
        update={
            "events": replay_events,
            "nations": {
                **scen.nations,
                "usa": scen.nations["usa"].model_copy(update={"reactions": ()}),
            },
        }
    )
    again = sim.ComputeRaceModel(scen, seed=0)
    while again.running:
        again.step()
    assert [tuple(r) for r in again.nation_rows] == [tuple(r) for r in first.nation_rows]


def test_stockpile_window_raises_budgets_between_announcement_and_compliance():
    def quiet(announce, comply):
        # no subsidy: its split follows capability, which the rules in force change
        scen = sim.load_scenario(
            "baseline",
            {
                "controls.announce_year": announce,
                "controls.comply_year": comply,
                "nations.china.subsidy_usd": 0.0,
            },
        )
        m = sim.ComputeRaceModel(scen.model_copy(update={"events": ()}), seed=0)
        m.step()
        return m

    calm, window = quiet(2025, 2025), quiet(2025, 2027)
    assert window.stockpile_window and not calm.stockpile_window
    assert window.lab_by_key["deepseek"].inflow > calm.lab_by_key["deepseek"].inflow
    assert window.lab_by_key["google"].inflow == calm.lab_by_key["google"].inflow  # an ally


def test_an_announced_rule_opens_the_window_a_year_ahead():
    m = model()  # the 2026 licence rule is announced in 2025
    m.step()
    assert m.stockpile_window
