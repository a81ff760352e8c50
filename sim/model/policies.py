"""Policies: everything that changes the levers of a running model, behind one protocol.

A policy is built once, ``apply(model, year)`` runs in the first phase of every year, and
``to_events()`` gives its serialised form: dated events whose ``set`` tables replay what it did
(or, for the export-control regime, its levers). The policies of a year run in this order:

1. :class:`StockpileWindow`: between the announcement and the compliance date of controls (or
   when an event announces a rule), targeted labs raise their budgets to buy ahead.
2. :class:`ScheduledEvents` over ``model.events``: the scenario's dated events and the game's
   cards, in list order.
3. :class:`ScheduledEvents` over ``model.player_events``: players' moves and facilitator
   overrides, applied as they are.
4. :class:`ReactionRule`, one per nation with reactions: each rule fires when its trigger holds on
   last year's observed state (a Sputnik moment, a lag, a rival's lever), once or every year.
5. :class:`~sim.model.controls.ExportControl`: the rules in force this year.
6. :class:`TaiwanShock`: a shock set this year (``world.taiwan_shock``) disrupts production.

**Held levers.** The game puts the lever paths a human team holds into ``model.held_paths``.
When anything but a player event would set a held lever to a different value, the model leaves
it alone, appends a :class:`Proposal` to ``model.proposals`` and logs an events-table row of kind
``proposal`` (see :func:`set_lever`). The team sees the proposal
and may accept it with a move of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sim.config.schema import Event, Reaction

if TYPE_CHECKING:
    from sim.model.model import ComputeRaceModel

# Sources of a lever change (``Proposal.source``); only PLAYER changes bypass held levers.
PLAYER = "player"
EVENT = "event"
REACTION = "reaction"
SHOCK = "shock"


@runtime_checkable
class Policy(Protocol):
    """The one shape of every intervention."""

    def apply(self, model: ComputeRaceModel, year: int) -> None:
        """Act on the model at the start of ``year`` (through its levers)."""

    def to_events(self) -> list[Event]:
        """Dated events whose ``set`` tables reproduce what this policy did (its serialised form)."""


@dataclass(frozen=True)
class Proposal:
    """A change to a lever a human team holds, left for the team to decide.

    ``source`` is who proposed it (``event``, ``reaction``, ``shock``) and ``title`` the event
    or rule that did.
    """

    year: int
    path: str
    old: Any
    new: Any
    source: str
    title: str


def set_lever(model: ComputeRaceModel, path: str, value: Any, source: str, title: str) -> bool:
    """Set ``path`` to ``value`` on behalf of ``source`` (``title`` names the event or rule);
    True if it was set.

    A lever in ``model.held_paths`` that anything but a player (source :data:`PLAYER`) would
    change is left alone: the change becomes a :class:`Proposal` in ``model.proposals`` and an
    events-table row of kind ``proposal``.
    """
    if source != PLAYER and path in model.held_paths:
        old = model.get_param(path)
        new = tuple(value) if isinstance(value, list) else value
        if old != new:
            model.proposals.append(Proposal(model.year, path, old, value, source, title))
            model.log_event("proposal", f"{title}: would set {path} from {old!r} to {value!r}")
            return False
    model.set_param(path, value)
    return True


class StockpileWindow:
    """Between the announcement and the compliance date of controls, targets stockpile.

    The window opens for ``controls.announce_year <= year < controls.comply_year``; an event that
    announces a controls change for a later year opens it too (see :class:`ScheduledEvents`).
    """

    def apply(self, model: ComputeRaceModel, year: int) -> None:
        """Open or close this year's window."""
        model.stockpile_window = model.controls.in_window(year)

    def to_events(self) -> list[Event]:
        """Nothing of its own: the window follows from the controls and the events."""
        return []


class ScheduledEvents:
    """Dated events (scenario events, game cards, player moves) applied in their year.

    ``source`` is :data:`EVENT` for the scenario's events and cards, :data:`PLAYER` for players'
    moves (which set held levers directly). ``events`` is the model's own list, so events the
    game appends later are applied too.
    """

    def __init__(self, events: list[Event], source: str):
        self.events = events
        self.source = source

    def apply(self, model: ComputeRaceModel, year: int) -> None:
        """Set the parameters of this year's events; note announced controls changes and the
        month a new rule binds from (earlier purchases of the year are under the old rules)."""
        for ev in self.events:
            if ev.year == year:
                for path, value in ev.set.items():
                    model.set_lever(path, value, self.source, ev.title)
                if ev.month > 1 and any(p.startswith("controls.") for p in ev.set):
                    model.rule_month = max(model.rule_month, ev.month)
                model.log_event("event", ev.title)
            elif (
                ev.announce_year == year
                and model.controls.enabled
                and any(p.startswith("controls.") for p in ev.set)
            ):
                model.stockpile_window = True  # an announced rule: targets buy ahead of it

    def to_events(self) -> list[Event]:
        """The events themselves."""
        return list(self.events)


@dataclass
class ReactionRule:
    """A nation's reaction rules (the ``nations.X.reactions`` lever, read each year).

    From the second year on, each rule's trigger is checked on last year's observed state: a
    Sputnik moment caused by a lab of the rival (``sputnik_by_rival``) or of the nation itself
    (``sputnik_by_own``), the rival's lag below or the nation's own lag above ``threshold`` months,
    or the live value of the ``watch`` lever above or below ``threshold`` (a counter-move). Its
    actions set or add to levers (held levers become proposals), grant money to the lab that caused
    the trigger (else the nation's most capable lab) and boost that lab's investors. A rule fires
    once unless ``once = false``; it is logged only when it changed something, with what.
    """

    nation: str
    fired: list[Event] = field(default_factory=list)

    def apply(self, model: ComputeRaceModel, year: int) -> None:
        """Check every rule of the nation and apply the actions of those whose trigger holds."""
        me = model.nations[self.nation]
        if model.t == 0:
            return
        for k, rule in enumerate(me.reactions):
            if rule.once and k in me.fired:
                continue
            trigger = _trigger(model, me.key, rule)
            if trigger is None:
                continue
            me.fired.add(k)
            title = rule.title or f"{me.name} reacts ({rule.trigger})"
            done: dict[str, Any] = {}
            for path, value in rule.set.items():
                if model.get_param(path) != value and model.set_lever(path, value, REACTION, title):
                    done[path] = value
            for path, inc in rule.add.items():
                new = bounded(model, path, model.get_param(path) + inc)
                if new != model.get_param(path) and model.set_lever(path, new, REACTION, title):
                    done[path] = new
            lab = model.lab_by_key.get(trigger) if trigger else None
            if lab is None and me.labs:
                lab = max(me.labs, key=lambda x: x.oom)
            notes = []
            if lab is not None and rule.grant_usd > 0:
                lab.grants.append([rule.grant_usd, float(rule.grant_years)])
                notes.append(f"grant to {lab.key}")
            if lab is not None and rule.investor_boost > 0:
                lab.boost += rule.investor_boost
                notes.append(f"investors of {lab.key}")
            if done or notes:
                what = ", ".join([*(f"{p} = {v}" for p, v in done.items()), *notes])
                model.log_event("reaction", f"{title} ({what})")
                if done:
                    self.fired.append(Event(year=year, title=title, set=done))

    def to_events(self) -> list[Event]:
        """The lever changes it made, as dated events (grants and boosts are not levers)."""
        return list(self.fired)


def _trigger(model: ComputeRaceModel, nation: str, rule: Reaction) -> str | None:
    """The lab that set ``rule`` off (``""`` if no single lab did), or None if it does not hold."""
    last = model.sputnik_last
    if rule.trigger == "sputnik_by_rival":
        return last[0] if last and last[1] == rule.rival else None
    if rule.trigger == "sputnik_by_own":
        return last[0] if last and last[1] == nation else None
    if rule.trigger == "rival_lag_below":
        assert rule.rival is not None
        return "" if model.nations[rule.rival].lag_months < rule.threshold else None
    if rule.trigger == "own_lag_above":
        return "" if model.nations[nation].lag_months > rule.threshold else None
    assert rule.watch is not None
    value = float(model.get_param(rule.watch))
    if rule.trigger == "rival_lever_above":
        return "" if value > rule.threshold else None
    return "" if value < rule.threshold else None


def bounded(model: ComputeRaceModel, path: str, value: float) -> float:
    """``value`` kept inside the bounds the schema gives ``path``."""
    from sim.config.paths import resolve_field

    fld, _ = resolve_field(model.scenario, path)
    if fld is None:
        return value
    for meta in fld.metadata:
        lo, hi = getattr(meta, "ge", None), getattr(meta, "le", None)
        if lo is not None:
            value = max(value, lo)
        if hi is not None:
            value = min(value, hi)
    return value


@dataclass
class TaiwanShock:
    """A foundry disruption: when ``world.taiwan_shock`` is set (by an event or a card), each
    vendor loses that share of capacity times its Taiwan dependence, recovering over the years
    after. The lever is a one-shot trigger: it returns to 0 once the shock has hit."""

    fired: list[Event] = field(default_factory=list)

    def apply(self, model: ComputeRaceModel, year: int) -> None:
        """Disrupt this year's production if a shock was set."""
        shock = model.world.taiwan_shock
        if shock <= 0:
            return
        hbm_limited = model.controls.active and model.controls.hbm_controls
        for v in model.vendors:
            v.disruption = max(v.disruption, shock * v.taiwan_dependence)
            if v.domestic is not None:
                v.capacity = v.domestic_capacity(hbm_limited)
            else:  # the shock hits this year's output, not the undisrupted potential
                v.capacity = v.potential * (1.0 - v.disruption)
        model.world = model.world.model_copy(update={"taiwan_shock": 0.0})
        self.fired.append(Event(year=year, title="Taiwan shock", set={"world.taiwan_shock": shock}))

    def to_events(self) -> list[Event]:
        """The shocks that hit, as dated events."""
        return list(self.fired)
