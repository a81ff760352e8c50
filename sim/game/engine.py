"""The game engine: rounds of secret, simultaneous moves resolved by the model.

One :class:`Game` holds a setup (scenario, seed, roles, deck, who plays what) and a log of
resolved rounds. The model state is never saved: it is rebuilt by re-running the model from the
seed with the logged inputs (moves, overrides, hand-played cards), which takes milliseconds.
So resume, replay, undo and branching are the same operation on a shorter or longer log.

Moves, cards and card endings reach the model as scenario :class:`~sim.config.schema.Event`
objects appended to ``model.events``; the model's own phase 1 applies them. Exporting those
events into a scenario file that ``extends`` the game's scenario therefore reproduces the game
exactly with ``sputnik run`` (see :func:`sim.game.store.export_policy`).

Players (humans at a terminal or in a browser, a script, bots) share one interface, as in
PettingZoo: each gets an :class:`Observation` of public state plus its own pending move, and
submits a move. Nobody, bots included, can see another role's pending move before the round
resolves.

Players are never silently overwritten. Moves and overrides reach the model as *player events*
(``model.player_events``), applied after the year's scenario events and cards; the levers human
teams hold are ``model.held_paths``. A scheduled event, a card or a reaction rule that would
change a held lever becomes a *proposal* instead (``model.proposals``): the team sees it ("will
set X from a to b") and may accept (the value joins its move) or refuse. Every change to a
team's lever is logged with who made it (``record["changes"]``).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, field
from operator import attrgetter
from typing import Any

from sim.config.paths import did_you_mean
from sim.config.schema import Event, Scenario
from sim.errors import UserError
from sim.game import bots, metrics, views
from sim.game.cards import Card, build_deck
from sim.game.levers import Lever, fmt_value, validate_move
from sim.game.roles import Role, build_roles, resolve_role_id, rival_of
from sim.model.model import ComputeRaceModel
from sim.model.records import NATION_COLUMNS, NationRow


@dataclass(frozen=True)
class Preset:
    """A workshop length: rounds and minutes per round; years per round follow the horizon."""

    minutes: int
    rounds: int
    round_minutes: int

    def years_per_round(self, scenario: Scenario) -> int:
        """Years per round so the rounds cover (most of) the scenario's horizon."""
        span = scenario.horizon.end_year - scenario.horizon.start_year + 1
        return max(1, span // self.rounds)


# ~10 minutes a round (brief, decide, resolve, discuss) plus the opening and the debrief.
PRESETS = {"60": Preset(60, 4, 10), "90": Preset(90, 6, 10)}
DEFAULT_PRESET = "90"


@dataclass
class GameSetup:
    """Everything needed to rebuild a game from nothing: saved once, never changed by play.

    ``scenario`` is the validated scenario's JSON dump (so a saved game does not depend on
    scenario files staying the same); ``source`` is how it was named (for exported policies).
    """

    scenario: dict[str, Any]
    source: str
    seed: int = 0
    years_per_round: int = 1
    max_rounds: int | None = None
    humans: list[str] = field(default_factory=list)
    bots: dict[str, str] = field(default_factory=dict)
    script: dict[str, Any] = field(default_factory=dict)
    deck: list[dict[str, Any]] = field(default_factory=list)
    role_file: dict[str, Any] = field(default_factory=dict)
    web: dict[str, Any] = field(default_factory=dict)  # seats (team tokens, join codes), timer

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GameSetup:
        """Inverse of :meth:`to_dict` (unknown keys from a newer version are ignored)."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class Observation:
    """What one role may see before submitting: public state plus its own pending move."""

    role: str
    kind: str
    actor: str
    round: int
    year: int
    levers: tuple[Lever, ...]
    current: dict[str, Any]
    is_controller: bool
    rival: str | None
    scheduled: list[str]
    own_pending: dict[str, Any] | None
    _model: Any = field(repr=False, default=None)
    proposals: list[dict[str, Any]] = field(default_factory=list)

    def metric(self, expr: str) -> Any:
        """A public metric of the last resolved year (see :mod:`sim.game.metrics`)."""
        return metrics.value(self._model, expr)


@dataclass
class RoundResult:
    """What everyone sees after a round resolves."""

    round: int
    years: list[int]
    record: dict[str, Any]
    nations: list[dict[str, Any]]


# Columns added to the nations table after games were first saved. They are computed from the
# state the other columns already show, so leaving them out of the fingerprint loses nothing and
# keeps older saves replaying without false "mismatch" warnings.
_ADDED_COLUMNS = frozenset({"construction_spend_usd", "ai_capex_usd"})
# Plain tuples of the fields by name: the same text as saves written before rows became records.
_FINGERPRINTED = attrgetter(*(c for c in NATION_COLUMNS if c not in _ADDED_COLUMNS))


def _fingerprint(rows: list[NationRow]) -> str:
    cells = [_FINGERPRINTED(r) for r in rows]
    return hashlib.sha256(repr(cells).encode()).hexdigest()[:16]


def proposal_id(p: dict[str, Any]) -> str:
    """A stable id for a proposal (scheduled or made by the model): year, source, title, path."""
    return f"{p['year']}|{p['source']}|{p['title']}|{p['path']}"


class Game:
    """A game in progress. Build with a setup and (optionally) a log of rounds to replay.

    Facilitator actions: :meth:`play_card`, :meth:`override`, :meth:`undo`, :meth:`pause`,
    :meth:`end`. Player actions: :meth:`submit`, :meth:`predict`, :meth:`decide`.
    :meth:`resolve` lets bots move for every role nobody else moved, applies everything and
    steps the model.
    """

    def __init__(
        self,
        setup: GameSetup,
        rounds: list[dict[str, Any]] | None = None,
        store: Any = None,
        suppress: set[str] | frozenset[str] = frozenset(),
    ):
        self.setup = setup
        self.suppress = set(suppress)  # cards that never fire (turning-point re-runs)
        try:
            self.scenario = Scenario.model_validate(setup.scenario)
        except Exception as exc:  # noqa: BLE001 - a saved scenario from an incompatible version
            raise UserError(
                f"saved scenario no longer validates with this version: {exc}"
            ) from None
        self.roles: dict[str, Role] = build_roles(self.scenario, setup.role_file)
        self.deck: dict[str, Card] = build_deck(self.scenario, setup.deck)
        self.setup.humans = [resolve_role_id(self.roles, h) for h in setup.humans]
        self.setup.bots = {resolve_role_id(self.roles, r): b for r, b in setup.bots.items()}
        for rid, b in self.setup.bots.items():
            err = bots.check_bot(self.roles[rid].kind, b)
            if err:
                raise UserError(f"--bot {rid}={b}: {err}")
        if setup.years_per_round < 1:
            raise UserError("--years-per-round: must be at least 1")
        self.store = store
        self.paused = False
        self.mismatches: list[int] = []
        self.undone: list[dict[str, Any]] = []  # undos since the last resolve (logged with it)
        self._rebuild(list(rounds or []))

    # ------------------------------------------------------------------ state
    def _rebuild(self, rounds: list[dict[str, Any]]) -> None:
        """Re-run the model from the seed through ``rounds`` (resume, replay, undo, branch)."""
        self.model = ComputeRaceModel(self.scenario, seed=self.setup.seed)
        self.log: list[dict[str, Any]] = []
        self.fired: set[str] = set()
        # (event, order): 0 cards and card endings, 1 export-only "team kept its lever" fixes,
        # 2 players' moves: the order the model applies them within a year.
        self._injected: list[tuple[Event, int]] = []
        # Refused reaction steps by (year, nation): (rule index, path), and where their export is.
        self._masked: dict[tuple[int, str], set[tuple[int, str]]] = {}
        self._mask_at: dict[tuple[int, str], int] = {}
        self._restores: list[tuple[int, str, dict[str, Any]]] = []
        self.ended = False
        self._clear_pending()
        for rec in rounds:
            old = rec.get("fingerprint")
            new = self._apply(rec)
            if old and new["fingerprint"] != old:
                self.mismatches.append(rec["round"])
        if rounds and rounds[-1].get("ended"):
            self.ended = True

    def _clear_pending(self) -> None:
        self._pending: dict[str, dict[str, Any]] = {}
        self._predictions: dict[str, dict[str, Any]] = {}
        self._overrides: dict[str, dict[str, Any]] = {}
        self._manual: list[str] = []
        self._decisions: dict[str, dict[str, bool]] = {}

    @property
    def injected(self) -> list[Event]:
        """Every event the game added, in the order the model applies them within a year
        (cards and card endings before players' moves), for exported policies.

        A change the model refused on a held lever is left out of its card, and a refused
        scenario event or reaction gets companion events (restore the value, or run the
        nation's rules without the refused step that year), so ``sputnik run`` of the exported policy gives the game's results.
        """
        order = sorted(enumerate(self._injected), key=lambda t: (t[1][0].year, t[1][1], t[0]))
        return [ev for _, (ev, _k) in order]

    @property
    def round(self) -> int:
        """Number of the round being played (1-based)."""
        return len(self.log) + 1

    @property
    def year(self) -> int:
        """First year of the round being played."""
        return self.model.year

    @property
    def round_years(self) -> list[int]:
        """The years the round being played will simulate."""
        last = min(self.model.year + self.setup.years_per_round, self.scenario.horizon.end_year + 1)
        return list(range(self.model.year, last))

    @property
    def over(self) -> bool:
        """True once the facilitator ended the game, the horizon ran out or the rounds are used up."""
        mr = self.setup.max_rounds
        return self.ended or not self.model.running or (mr is not None and len(self.log) >= mr)

    def player_of(self, role: str) -> str:
        """``human``, ``script`` or ``bot:<name>`` for a role."""
        if role in self.setup.humans:
            return "human"
        if role in self.script_roles:
            return "script"
        return f"bot:{self.setup.bots.get(role, self.roles[role].bot)}"

    @property
    def script_roles(self) -> set[str]:
        """Roles moved by the setup's script."""
        out: set[str] = set()
        for rnd in self.setup.script.values():
            out.update(k for k in rnd if k not in ("cards", "override"))
        return out

    def held_paths(self) -> set[str]:
        """Lever paths people hold (companion settings included): never silently changed.

        People at a terminal or browser, and scripted roles (people's moves prepared in advance,
        so a game exported as a script replays exactly); bots' levers are not held.
        """
        out: set[str] = set()
        for rid in [*self.setup.humans, *sorted(self.script_roles)]:
            for lv in self.roles[rid].levers:
                out.add(lv.path)
                out.update(lv.also)
        return out

    def owner_of(self, path: str) -> str | None:
        """The role whose lever ``path`` is (None for parameters no role holds)."""
        for rid, r in self.roles.items():
            if any(path == lv.path or path in lv.also for lv in r.levers):
                return rid
        return None

    # ------------------------------------------------------------------ players
    def role_id(self, role: str) -> str:
        """Canonical id of a typed role name (aliases allowed); UserError if unknown."""
        return resolve_role_id(self.roles, role)

    def _check_open(self) -> None:
        if self.over:
            raise UserError("the game is over (use --resume with --from-round to branch it)")

    def current_values(self, role: str) -> dict[str, Any]:
        """Each lever's value when this round's moves apply: this year's scheduled events
        included, except on levers a human team holds (those events are only proposals)."""
        r = self.roles[role]
        held = self.held_paths()
        scheduled: dict[str, Any] = {}
        for ev in self.model.events:
            if ev.year == self.model.year:
                scheduled.update({p: v for p, v in ev.set.items() if p not in held})
        return {lv.path: scheduled.get(lv.path, self.model.get_param(lv.path)) for lv in r.levers}

    def scheduled_changes(self, role: str) -> list[dict[str, Any]]:
        """Changes already known to touch ``role``'s levers during this round: scenario events,
        cards due by year and cards the facilitator queued. Each: path, lever, year, old, new,
        source, title (only real changes: new differs from the value now)."""
        r = self.roles[self.role_id(role)]
        levers = {lv.path: lv for lv in r.levers}
        years = set(self.round_years)
        found: list[tuple[int, str, str, dict[str, Any]]] = [
            (ev.year, "event", ev.title, dict(ev.set))
            for ev in self.model.events[: len(self.scenario.events)]
            if ev.year in years
        ]
        for card in self.deck.values():
            if card.id in self.fired or card.unavailable or card.id in self.suppress:
                continue
            if card.id in self._manual or (card.trigger == "year" and card.year in years):
                y = self.model.year if card.id in self._manual else card.year
                found.append((y, "event", f"Card: {card.title}", self._card_values(card, y)))
        out = []
        for year, source, title, values in sorted(found, key=lambda t: t[0]):
            for path, new in values.items():
                if path not in levers:
                    continue
                old = self.model.get_param(path)
                if old != new:
                    out.append(
                        {
                            "year": year,
                            "path": path,
                            "lever": levers[path].name,
                            "unit": levers[path].unit,
                            "old": old,
                            "new": new,
                            "source": source,
                            "title": title,
                        }
                    )
        return out

    def proposals_for(self, role: str) -> list[dict[str, Any]]:
        """Open proposals for a human role: this round's scheduled changes to its levers and the
        changes the model refused on its levers last round, each with its ``id`` and ``decision``
        (True accepted, False refused, None open). Empty for bots and scripts: they are not held."""
        role = self.role_id(role)
        if role not in self.setup.humans:
            return []
        levers = {lv.path: lv for lv in self.roles[role].levers}
        out = list(self.scheduled_changes(role))
        if self.log:
            for p in self.log[-1].get("proposals", []):
                if p["path"] in levers and self.model.get_param(p["path"]) != p["new"]:
                    lv = levers[p["path"]]
                    out.append(
                        dict(p, lever=lv.name, unit=lv.unit, old=self.model.get_param(p["path"]))
                    )
        mine = self._decisions.get(role, {})
        for p in out:
            p["id"] = proposal_id(p)
            p["decision"] = mine.get(p["id"])
        return out

    def decide(self, role: str, pid: str, accept: bool) -> dict[str, Any]:
        """Accept (the change joins this round's move) or refuse a proposal; returns it."""
        self._check_open()
        role = self.role_id(role)
        hit = next((p for p in self.proposals_for(role) if p["id"] == pid), None)
        if hit is None:
            raise UserError(f"{role}: no open proposal '{pid}'")
        self._decisions.setdefault(role, {})[pid] = bool(accept)
        hit["decision"] = bool(accept)
        return hit

    def observe(self, role: str) -> Observation:
        """The observation of ``role``: public state and its own pending move, nobody else's."""
        role = self.role_id(role)
        r = self.roles[role]
        sched = [
            ev.title
            for ev in self.model.events[: len(self.scenario.events)]
            if ev.year == self.model.year
        ]
        c = self.scenario.controls
        rival = rival_of(self.scenario, r.actor) if r.kind == "nation" else None
        own = self._pending.get(role)
        return Observation(
            role,
            r.kind,
            r.actor,
            self.round,
            self.year,
            r.levers,
            self.current_values(role),
            r.kind == "nation" and r.actor == c.controller,
            rival,
            sched,
            dict(own["set"]) if own else None,
            self.model,
            self.proposals_for(role),
        )

    def metric_id(self, role: str) -> str:
        """The metric id of a role's actor (``china``, ``deepseek``, ``rest-lab``)."""
        r = self.roles[role]
        if r.kind == "nation":
            return r.actor
        return views.lab_metric_id(r.actor, self.scenario.nations)

    def team_state(self, role: str) -> dict[str, Any]:
        """What a team sees of its own actor: rows of (label, value, format), its compute by
        origin (labs) and the change of its lag over the last round."""
        role = self.role_id(role)
        r = self.roles[role]
        mid = self.metric_id(role)
        spec = views.NATION_STATE if r.kind == "nation" else views.LAB_STATE
        rows = [
            (label, metrics.value(self.model, expr.format(n=mid, l=mid)), how)
            for label, expr, how in spec
        ]
        origins = (
            {o: metrics.value(self.model, e.format(l=mid)) for o, e in views.LAB_ORIGINS}
            if r.kind == "lab"
            else {}
        )
        lag = metrics.value(self.model, f"lag_months:{mid}")
        before = self.log[-1].get("lag_before_roles", {}).get(role) if self.log else None
        return {
            "rows": rows,
            "origins": origins,
            "lag": lag,
            "d_lag": None if before is None or lag is None else lag - before,
            "year": self.log[-1]["years"][-1] if self.log and self.log[-1]["years"] else None,
        }

    def _validated(self, role: str, move: dict[str, Any]) -> dict[str, Any]:
        r = self.roles[role]
        try:
            out = validate_move(self.scenario, list(r.levers), role, move)
        except ValueError as exc:
            raise UserError(str(exc).splitlines()) from None
        for lv in r.levers:
            if lv.path in out:
                for p, v in lv.also.items():
                    out.setdefault(p, v)
        return out

    def submit(self, role: str, move: dict[str, Any], by: str | None = None) -> None:
        """Record ``role``'s secret move (lever short names or paths -> values); replaces an earlier one.

        Raises :class:`UserError` naming the role, lever and reason for unknown or out-of-bounds levers.
        """
        self._check_open()
        role = self.role_id(role)
        self._pending[role] = {"set": self._validated(role, move), "by": by or self.player_of(role)}

    def withdraw(self, role: str) -> None:
        """Take back ``role``'s pending move (it may submit again before the round resolves)."""
        self._pending.pop(self.role_id(role), None)

    def predict(self, role: str, metric: str, value: float) -> None:
        """Record ``role``'s prediction of ``metric`` at the end of this round."""
        self._check_open()
        role = self.role_id(role)
        err = metrics.check_metric(metric, set(self.scenario.nations), set(self.scenario.labs))
        if err:
            raise UserError(f"{role}: prediction: {err}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or isinstance(value, bool):
            raise UserError(f"{role}: prediction of {metric}: {value!r} is not a finite number")
        self._predictions[role] = {"metric": metric, "value": number}

    def has_submitted(self, role: str) -> bool:
        """True if ``role`` has a pending move (the move itself stays secret)."""
        return self.role_id(role) in self._pending

    def pending_move(self, role: str) -> dict[str, Any] | None:
        """``role``'s own pending move (path -> value), for that role's page only."""
        mv = self._pending.get(self.role_id(role))
        return dict(mv["set"]) if mv else None

    def prediction_of(self, role: str) -> dict[str, Any] | None:
        """``role``'s own pending prediction."""
        return self._predictions.get(self.role_id(role))

    def waiting_for(self) -> list[str]:
        """Human roles that have not yet submitted this round."""
        return [h for h in self.setup.humans if h not in self._pending]

    # ------------------------------------------------------------------ facilitator
    def play_card(self, card_id: str) -> Card:
        """Queue a card to fire at the start of this round (facilitator)."""
        self._check_open()
        card = self.deck.get(card_id)
        if card is None:
            hint = did_you_mean(card_id, self.deck, fallback="cards")
            raise UserError(f"card '{card_id}': no such card{hint}")
        if card.unavailable:
            raise UserError(f"card '{card_id}': not playable in this scenario: {card.unavailable}")
        if card_id in self.fired or card_id in self._manual:
            raise UserError(f"card '{card_id}': already played")
        self._manual.append(card_id)
        return card

    @property
    def queued_cards(self) -> list[str]:
        """Cards the facilitator queued for this round."""
        return list(self._manual)

    def override(self, role: str, move: dict[str, Any], reason: str) -> None:
        """Replace ``role``'s move this round with ``move``; the reason is logged (facilitator)."""
        self._check_open()
        role = self.role_id(role)
        if not reason.strip():
            raise UserError(f"override of {role}: a reason is required (it goes into the log)")
        self._overrides[role] = {"set": self._validated(role, move), "reason": reason.strip()}

    def pause(self) -> None:
        """Stop resolving rounds until :meth:`unpause`; moves already entered are kept."""
        self.paused = True

    def unpause(self) -> None:
        """Allow rounds to resolve again."""
        self.paused = False

    def undo(self) -> dict[str, Any]:
        """Take back the last resolved round; returns its record.

        The people's moves and predictions of the undone round become pending again (they can
        change them before it resolves anew); moves entered for the next round are discarded,
        so a caller asks for confirmation first (see :meth:`submitted_count`).
        """
        if not self.log:
            raise UserError("undo: no round to undo")
        last = self.log[-1]
        self._rebuild(self.log[:-1])
        for rid, mv in last["moves"].items():
            if rid in self.setup.humans:
                self._pending[rid] = {"set": dict(mv["set"]), "by": mv["by"]}
        for rid, pr in last["predictions"].items():
            if rid in self.setup.humans:
                self._predictions[rid] = dict(pr)
        if self.store is not None:
            self.store.delete_rounds_from(last["round"])
        self.undone.append({"round": last["round"], "years": last["years"]})
        return last

    def submitted_count(self) -> int:
        """How many roles have a pending move (what an undo would discard)."""
        return len(self._pending)

    def end(self) -> None:
        """End the game now (facilitator); saved so a resume shows the game as ended."""
        self.ended = True
        if self.log:
            self.log[-1]["ended"] = True
            if self.store is not None:
                self.store.mark_ended(self.log[-1])

    # ------------------------------------------------------------------ resolution
    def resolve(self, force: bool = False) -> RoundResult:
        """Bots move for the roles nobody moved, then the round resolves in one go and is saved.

        With ``force`` (the facilitator resolves without waiting) a team that has not submitted
        keeps its levers as they are; the record lists it under ``missing``.
        """
        self._check_open()
        if self.paused:
            raise UserError("the game is paused")
        waiting = self.waiting_for()
        if waiting and not force:
            raise UserError(f"waiting for moves from {', '.join(waiting)}")
        moves = {rid: dict(mv, set=dict(mv["set"])) for rid, mv in self._pending.items()}
        for rid, decided in self._decisions.items():
            props = {p["id"]: p for p in self.proposals_for(rid)}
            accepted = {props[i]["path"]: props[i]["new"] for i, ok in decided.items() if ok}
            if accepted:
                mv = moves.setdefault(rid, {"set": {}, "by": self.player_of(rid)})
                for path, v in accepted.items():
                    mv["set"].setdefault(path, v)
        for rid in self.roles:
            if rid in moves or rid in self.setup.humans or rid in self.script_roles:
                continue
            name = self.setup.bots.get(rid, self.roles[rid].bot)
            move = bots.decide(name, self.observe(rid))
            if move:
                moves[rid] = {"set": self._validated(rid, move), "by": f"bot:{name}"}
        decisions: dict[str, list[dict[str, Any]]] = {}
        for rid, decided in self._decisions.items():
            props = {p["id"]: p for p in self.proposals_for(rid)}
            decisions[rid] = [
                {k: props[i][k] for k in ("year", "path", "old", "new", "source", "title")}
                | {"accepted": ok}
                for i, ok in decided.items()
                if i in props
            ]
        rec = {
            "round": self.round,
            "moves": {rid: moves[rid] for rid in self.roles if rid in moves},
            "overrides": dict(self._overrides),
            "manual_cards": list(self._manual),
            "predictions": dict(self._predictions),
            "held": sorted(self.held_paths()),
            "missing": waiting,
            "decisions": decisions,
            "undone": list(self.undone),
        }
        self.undone = []
        rec = self._apply(rec)
        if self.store is not None:
            self.store.save_round(rec)
        return self.result_of(rec)

    def _inject(self, year: int, title: str, text: str, values: dict[str, Any]) -> None:
        ev = Event(year=year, title=title, text=text, set=values)
        self.model.events.append(ev)
        self._injected.append((ev, 0))

    def _inject_move(self, year: int, title: str, text: str, values: dict[str, Any]) -> None:
        ev = Event(year=year, title=title, text=text, set=values)
        self.model.player_events.append(ev)
        self._injected.append((ev, 2))

    def _export_refusals(self, props: list[dict[str, Any]]) -> None:
        """Make the exported policy reproduce changes the model refused on held levers."""
        for p in props:
            y, path, title = p["year"], p["path"], p["title"]
            hit = next(
                (
                    i
                    for i, (ev, k) in enumerate(self._injected)
                    if k == 0 and ev.year == y and ev.title == title and path in ev.set
                ),
                None,
            )
            if hit is not None:  # a card: export it without the refused path
                ev = self._injected[hit][0]
                rest = {q: v for q, v in ev.set.items() if q != path}
                self._injected[hit] = (ev.model_copy(update={"set": rest}), 0)
            elif p["source"] == "event":  # a scenario event: put the team's value back after it
                keep = Event(year=y, title=f"Kept by the team: {path}", set={path: p["old"]})
                self._injected.append((keep, 1))
            else:  # a reaction: the nation's rules run without that step in that year
                self._mask_reaction(y, path, title)

    def _mask_reaction(self, year: int, path: str, title: str) -> None:
        """Export a refused reaction step: in ``year`` the nation's rules run without the
        refused ``set``/``add`` entries (every refusal of that year and nation together), and
        its rules are restored the year after."""
        for key, nation in self.model.nations.items():
            rules = nation.reactions
            hits = [
                k
                for k, r in enumerate(rules)
                if (r.title or f"{nation.name} reacts ({r.trigger})") == title
                and (path in r.set or path in r.add)
            ]
            if not hits:
                continue
            masked = self._masked.setdefault((year, key), set())
            masked.update((k, path) for k in hits)
            rules_then = [
                r.model_copy(
                    update={
                        "set": {p: v for p, v in r.set.items() if (k, p) not in masked},
                        "add": {p: v for p, v in r.add.items() if (k, p) not in masked},
                    }
                )
                for k, r in enumerate(rules)
            ]
            lever = f"nations.{key}.reactions"
            keep = Event(
                year=year,
                title=f"Kept by the team: {title}",
                set={lever: [r.model_dump(mode="json") for r in rules_then]},
            )
            back = Event(
                year=year + 1,
                title=f"Rules restored after: {title}",
                set={lever: [r.model_dump(mode="json") for r in rules]},
            )
            at = self._mask_at.get((year, key))
            if at is None:
                self._mask_at[(year, key)] = len(self._injected)
                self._injected += [(keep, 1), (back, 1)]
            else:
                self._injected[at] = (keep, 1)
            return

    def _card_values(self, card: Card, year: int) -> dict[str, Any]:
        values = dict(card.set)
        for path, floor in card.at_least.items():
            values[path] = max(self._value_in(path, year), floor)
        for path, ceiling in card.at_most.items():
            values[path] = min(self._value_in(path, year), ceiling)
        return values

    def _fire(self, card: Card, year: int, how: str, fired: list[dict[str, Any]]) -> None:
        values = self._card_values(card, year)
        prev = {p: self.model.get_param(p) for p in values}
        self._inject(year, f"Card: {card.title}", card.text, values)
        self.fired.add(card.id)
        fired.append(
            {"year": year, "card": card.id, "title": card.title, "how": how, "text": card.text}
            | {"set": values}
        )
        if card.duration_years > 0:
            self._restores.append((year + card.duration_years, card.id, prev))

    def _value_in(self, path: str, year: int) -> Any:
        """The value ``path`` will have in ``year`` after what is already queued for that year
        (scenario events, earlier cards, then players' moves, in the model's order)."""
        value = self.model.get_param(path)
        held = path in self.model.held_paths
        for ev in self.model.events:
            if ev.year == year and path in ev.set and not held:
                value = ev.set[path]
        for ev in self.model.player_events:
            if ev.year == year and path in ev.set:
                value = ev.set[path]
        return value

    def _lever_values(self) -> dict[str, Any]:
        return {p: self.model.get_param(p) for p in self._lever_paths}

    @property
    def _lever_paths(self) -> list[str]:
        return list(
            dict.fromkeys(
                p for r in self.roles.values() for lv in r.levers for p in (lv.path, *lv.also)
            )
        )

    def _who_changed(self, year: int, path: str, movers: dict[str, str]) -> tuple[str, str]:
        """(who, what) changed ``path`` in ``year``: a player, a card, an event or a reaction."""
        if path in movers:
            return movers[path], "move"
        title = None
        for ev in self.model.events:
            if ev.year == year and path in ev.set:
                title = ev.title
        if title is not None:
            return ("card" if title.startswith(("Card:", "Ends:")) else "scenario event"), title
        reactions = [
            e.title
            for e in self.model.event_log
            if e.year == year and e.kind == "reaction" and path in e.title
        ]
        if reactions:
            return "reaction rule", "; ".join(reactions)
        return "model", "the lab's strategy rule" if path.endswith("efficiency_share") else "model"

    def _apply(self, rec: dict[str, Any]) -> dict[str, Any]:
        """Apply a round's inputs to the model and step it; fill in the derived fields of ``rec``."""
        m = self.model
        first = m.year
        rec = dict(rec)
        rec["year"] = first
        m.held_paths = set(rec.get("held", []))
        effective: dict[str, dict[str, Any]] = {}
        movers: dict[str, str] = {}
        for rid in self.roles:
            ov = rec["overrides"].get(rid)
            mv = ov or rec["moves"].get(rid)
            if not mv:
                continue
            cur = self.current_values(rid)
            changes = {p: v for p, v in mv["set"].items() if cur.get(p, m.get_param(p)) != v}
            if changes:
                effective[rid] = changes
                text = ", ".join(f"{p} = {fmt_value(v)}" for p, v in changes.items())
                who = f"facilitator override of {rid}" if ov else f"{rid} ({mv['by']})"
                movers.update({p: who for p in changes})
                if ov or any(p in m.held_paths for p in changes):
                    self._inject_move(first, f"{self.roles[rid].name} moves", text, changes)
                else:  # a bot's move: applied like a dated event, so a card can still outrank it
                    self._inject(first, f"{self.roles[rid].name} moves", text, changes)
        fired: list[dict[str, Any]] = []
        for cid in rec["manual_cards"]:
            self._fire(self.deck[cid], first, "manual", fired)
        years: list[int] = []
        n_props = len(m.proposals)
        mids = {rid: self.metric_id(rid) for rid in self.roles}
        rec["lag_before"] = {nid: n.lag_months for nid, n in m.nations.items()}
        rec["lag_before_roles"] = {
            rid: metrics.value(m, f"lag_months:{mid}") for rid, mid in mids.items()
        }
        sums = {nid: dict.fromkeys(views.NATION_PARTS, 0.0) for nid in self.scenario.nations}
        changes: list[dict[str, Any]] = []
        lab_rows_at = len(m.nation_rows)
        for _ in range(self.setup.years_per_round):
            if not m.running:
                break
            y = m.year
            for _due, cid, prev in [r for r in self._restores if r[0] == y]:
                self._inject(y, f"Ends: {self.deck[cid].title}", "", prev)
                fired.append({"year": y, "card": cid, "title": self.deck[cid].title, "how": "ends"})
            self._restores = [r for r in self._restores if r[0] != y]
            for card in self.deck.values():
                if card.id in self.fired or card.unavailable or card.id in self.suppress:
                    continue
                if (card.trigger == "year" and card.year == y) or (
                    card.trigger == "when" and metrics.holds(m, list(card.clauses))
                ):
                    self._fire(card, y, "auto", fired)
            before = self._lever_values()
            m.step()
            after = self._lever_values()
            for path, old in before.items():
                if after[path] != old:
                    who, what = self._who_changed(y, path, movers if y == first else {})
                    changes.append(
                        {"year": y, "role": self.owner_of(path), "path": path}
                        | {"old": old, "new": after[path], "by": who, "what": what}
                    )
            for nid in self.scenario.nations:
                for part in views.NATION_PARTS:
                    v = metrics.value(m, f"{part}:{nid}")
                    sums[nid][part] += float(v or 0.0)
            years.append(y)
        new_props = [asdict(p) for p in m.proposals[n_props:]]
        self._export_refusals(new_props)
        for f in fired:
            f["held"] = sorted(p["path"] for p in new_props if p["title"] == f"Card: {f['title']}")
        rec["years"] = years
        rec["effective"] = effective
        rec["fired"] = fired
        rec["proposals"] = new_props
        rec["changes"] = changes
        rec["sums"] = sums
        rec["fingerprint"] = _fingerprint(m.nation_rows[lab_rows_at:])
        rec["actuals"] = {
            rid: metrics.value(m, p["metric"]) for rid, p in rec["predictions"].items()
        }
        self.log.append(rec)
        self._clear_pending()
        return rec

    # ------------------------------------------------------------------ results
    def result_of(self, rec: dict[str, Any]) -> RoundResult:
        """The public result of a resolved round: moves revealed, cards fired, nations' changes.

        Values are read through :mod:`sim.game.metrics` on the current model, so this is meant
        for the round just resolved (the record keeps the summed capability parts).
        """
        before = rec.get("lag_before", {})
        out = []
        for nid in self.scenario.nations:
            row: dict[str, Any] = {"nation": nid}
            for key, expr in views.NATION_RESULT:
                row[key] = metrics.value(self.model, expr.format(n=nid))
            row.update(rec.get("sums", {}).get(nid, {}))
            lag0 = before.get(nid)
            row["d_lag"] = None if lag0 is None else row["lag_months"] - lag0
            out.append(row)
        return RoundResult(rec["round"], rec["years"], rec, out)

    def lab_results(self) -> list[dict[str, Any]]:
        """Every lab's capability and lag now, and its lag change over the last round."""
        before = self.log[-1].get("lag_before_roles", {}) if self.log else {}
        out = []
        for rid, r in self.roles.items():
            if r.kind != "lab":
                continue
            mid = self.metric_id(rid)
            row: dict[str, Any] = {"lab": r.actor, "role": rid, "name": r.name}
            row["nation"] = self.scenario.labs[r.actor].nation
            for key, expr in views.LAB_RESULT:
                row[key] = metrics.value(self.model, expr.format(l=mid))
            b = before.get(rid)
            row["d_lag"] = None if b is None or row["lag_months"] is None else row["lag_months"] - b
            out.append(row)
        return out

    def tables(self) -> dict[str, Any]:
        """The model's output tables so far (pandas DataFrames)."""
        from sim.results import tables

        return tables(self.model)

    def inputs(self) -> list[dict[str, Any]]:
        """The replayable inputs of every resolved round (what the store saves)."""
        return [dict(r) for r in self.log]


def replay(setup: GameSetup, rounds: list[dict[str, Any]]) -> Game:
    """Re-run a saved game from its seed and logged inputs; ``game.mismatches`` lists rounds whose
    results differ from the saved fingerprints (empty when the replay is exact)."""
    return Game(GameSetup.from_dict(setup.to_dict()), rounds)


def autoplay(game: Game) -> list[RoundResult]:
    """Play rounds until the game is over with scripted roles and bots only (no prompts)."""
    from sim.game.script import apply_script_round

    out = []
    while not game.over:
        apply_script_round(game)
        out.append(game.resolve())
    return out
