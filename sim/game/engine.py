"""The game engine: rounds of secret, simultaneous moves resolved by the model.

One :class:`Game` holds a setup (scenario, seed, roles, deck, who plays what) and a log of
resolved rounds. The model state is never saved: it is rebuilt by re-running the model from the
seed with the logged inputs (moves, overrides, hand-played cards), which takes milliseconds.
So resume, replay, undo and branching are the same operation on a shorter or longer log.

Moves, cards and card endings reach the model as scenario :class:`~sim.config.schema.Event`
objects appended to ``model.events``; the model's own phase 1 applies them. Exporting those
events into a scenario file that ``extends`` the game's scenario therefore reproduces the game
exactly with ``sputnik run`` (see :func:`sim.game.store.export_policy`).

Players (humans at a terminal, a script, bots) share one interface, as in PettingZoo: each
gets an :class:`Observation` of public state plus its own pending move, and submits a move.
Nobody, bots included, can see another role's pending move before the round resolves.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from sim.config.schema import Event, Scenario
from sim.errors import UserError
from sim.game import bots, metrics
from sim.game.cards import Card, build_deck
from sim.game.levers import Lever, fmt_value, validate_move
from sim.game.roles import Role, build_roles, resolve_role_id, rival_of
from sim.model.model import ComputeRaceModel
from sim.model.records import NationRow


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

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GameSetup:
        """Inverse of :meth:`to_dict`."""
        return cls(**d)


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


def _fingerprint(rows: list[NationRow]) -> str:
    # Plain tuples: the same text as saves written before rows became named records.
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()[:16]


class Game:
    """A game in progress. Build with a setup and (optionally) a log of rounds to replay.

    Facilitator actions: :meth:`play_card`, :meth:`override`, :meth:`undo`, :meth:`pause`,
    :meth:`end`. Player actions: :meth:`submit`, :meth:`predict`. :meth:`resolve` lets bots
    move for every role nobody else moved, applies everything and steps the model.
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
        self._rebuild(list(rounds or []))

    # ------------------------------------------------------------------ state
    def _rebuild(self, rounds: list[dict[str, Any]]) -> None:
        """Re-run the model from the seed through ``rounds`` (resume, replay, undo, branch)."""
        self.model = ComputeRaceModel(self.scenario, seed=self.setup.seed)
        self.log: list[dict[str, Any]] = []
        self.fired: set[str] = set()
        self.injected: list[Event] = []
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

    @property
    def round(self) -> int:
        """Number of the round being played (1-based)."""
        return len(self.log) + 1

    @property
    def year(self) -> int:
        """First year of the round being played."""
        return self.model.year

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

    # ------------------------------------------------------------------ players
    def role_id(self, role: str) -> str:
        """Canonical id of a typed role name (aliases allowed); UserError if unknown."""
        return resolve_role_id(self.roles, role)

    def _check_open(self) -> None:
        if self.over:
            raise UserError("the game is over (use --resume with --from-round to branch it)")

    def current_values(self, role: str) -> dict[str, Any]:
        """Each lever's value when this round's moves apply (this year's scheduled events included)."""
        r = self.roles[role]
        scheduled: dict[str, Any] = {}
        for ev in self.model.events:
            if ev.year == self.model.year:
                scheduled.update(ev.set)
        return {lv.path: scheduled.get(lv.path, self.model.get_param(lv.path)) for lv in r.levers}

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
        )

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

    def predict(self, role: str, metric: str, value: float) -> None:
        """Record ``role``'s prediction of ``metric`` at the end of this round."""
        self._check_open()
        role = self.role_id(role)
        err = metrics.check_metric(metric, set(self.scenario.nations), set(self.scenario.labs))
        if err:
            raise UserError(f"{role}: prediction: {err}")
        self._predictions[role] = {"metric": metric, "value": float(value)}

    def has_submitted(self, role: str) -> bool:
        """True if ``role`` has a pending move (the move itself stays secret)."""
        return self.role_id(role) in self._pending

    def waiting_for(self) -> list[str]:
        """Human roles that have not yet submitted this round."""
        return [h for h in self.setup.humans if h not in self._pending]

    # ------------------------------------------------------------------ facilitator
    def play_card(self, card_id: str) -> Card:
        """Queue a card to fire at the start of this round (facilitator)."""
        self._check_open()
        card = self.deck.get(card_id)
        if card is None:
            import difflib

            m = difflib.get_close_matches(card_id, list(self.deck), n=1)
            raise UserError(
                f"card '{card_id}': no such card"
                + (f" (did you mean '{m[0]}'?)" if m else f"; cards: {', '.join(self.deck)}")
            )
        if card.unavailable:
            raise UserError(f"card '{card_id}': not playable in this scenario: {card.unavailable}")
        if card_id in self.fired or card_id in self._manual:
            raise UserError(f"card '{card_id}': already played")
        self._manual.append(card_id)
        return card

    def override(self, role: str, move: dict[str, Any], reason: str) -> None:
        """Replace ``role``'s move this round with ``move``; the reason is logged (facilitator)."""
        self._check_open()
        role = self.role_id(role)
        if not reason.strip():
            raise UserError(f"override of {role}: a reason is required (it goes into the log)")
        self._overrides[role] = {"set": self._validated(role, move), "reason": reason.strip()}

    def pause(self) -> None:
        """Stop resolving rounds until :meth:`unpause` (the saved game stays resumable)."""
        self.paused = True

    def unpause(self) -> None:
        """Allow rounds to resolve again."""
        self.paused = False

    def undo(self) -> dict[str, Any]:
        """Take back the last resolved round; returns its record."""
        if not self.log:
            raise UserError("undo: no round to undo")
        last = self.log[-1]
        self._rebuild(self.log[:-1])
        if self.store is not None:
            self.store.delete_rounds_from(last["round"])
        return last

    def end(self) -> None:
        """End the game now (facilitator); saved so a resume shows the game as ended."""
        self.ended = True
        if self.log:
            self.log[-1]["ended"] = True
            if self.store is not None:
                self.store.mark_ended(self.log[-1])

    # ------------------------------------------------------------------ resolution
    def resolve(self) -> RoundResult:
        """Bots move for the roles nobody moved, then the round resolves in one go and is saved."""
        self._check_open()
        if self.paused:
            raise UserError("the game is paused")
        waiting = self.waiting_for()
        if waiting:
            raise UserError(f"waiting for moves from {', '.join(waiting)}")
        moves = dict(self._pending)
        for rid in self.roles:
            if rid in moves or rid in self.setup.humans or rid in self.script_roles:
                continue
            name = self.setup.bots.get(rid, self.roles[rid].bot)
            move = bots.decide(name, self.observe(rid))
            if move:
                moves[rid] = {"set": self._validated(rid, move), "by": f"bot:{name}"}
        rec = {
            "round": self.round,
            "moves": {rid: moves[rid] for rid in self.roles if rid in moves},
            "overrides": dict(self._overrides),
            "manual_cards": list(self._manual),
            "predictions": dict(self._predictions),
        }
        rec = self._apply(rec)
        if self.store is not None:
            self.store.save_round(rec)
        return self.result_of(rec)

    def _inject(self, year: int, title: str, text: str, values: dict[str, Any]) -> None:
        ev = Event(year=year, title=title, text=text, set=values)
        self.model.events.append(ev)
        self.injected.append(ev)

    def _fire(self, card: Card, year: int, how: str, fired: list[dict[str, Any]]) -> None:
        values = dict(card.set)
        for path, floor in card.at_least.items():
            values[path] = max(self._value_in(path, year), floor)
        for path, ceiling in card.at_most.items():
            values[path] = min(self._value_in(path, year), ceiling)
        prev = {p: self.model.get_param(p) for p in values}
        self._inject(year, f"Card: {card.title}", card.text, values)
        self.fired.add(card.id)
        fired.append({"year": year, "card": card.id, "title": card.title, "how": how})
        if card.duration_years > 0:
            self._restores.append((year + card.duration_years, card.id, prev))

    def _value_in(self, path: str, year: int) -> Any:
        """The value ``path`` will have in ``year`` after the events already queued for that year
        (moves, earlier cards, scenario events), which apply in list order before the step."""
        value = self.model.get_param(path)
        for ev in self.model.events:
            if ev.year == year and path in ev.set:
                value = ev.set[path]
        return value

    def _apply(self, rec: dict[str, Any]) -> dict[str, Any]:
        """Apply a round's inputs to the model and step it; fill in the derived fields of ``rec``."""
        m = self.model
        first = m.year
        rec = dict(rec)
        rec["year"] = first
        effective: dict[str, dict[str, Any]] = {}
        for rid in self.roles:
            mv = rec["overrides"].get(rid) or rec["moves"].get(rid)
            if not mv:
                continue
            cur = self.current_values(rid)
            changes = {p: v for p, v in mv["set"].items() if cur.get(p, m.get_param(p)) != v}
            if changes:
                effective[rid] = changes
                text = ", ".join(f"{p} = {fmt_value(v)}" for p, v in changes.items())
                self._inject(first, f"{self.roles[rid].name} moves", text, changes)
        fired: list[dict[str, Any]] = []
        for cid in rec["manual_cards"]:
            self._fire(self.deck[cid], first, "manual", fired)
        years: list[int] = []
        start_rows = len(m.nation_rows)
        rec["lag_before"] = {nid: n.lag_months for nid, n in m.nations.items()}
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
            m.step()
            years.append(y)
        rec["years"] = years
        rec["effective"] = effective
        rec["fired"] = fired
        rec["fingerprint"] = _fingerprint(m.nation_rows[start_rows:])
        rec["actuals"] = {
            rid: metrics.value(m, p["metric"]) for rid, p in rec["predictions"].items()
        }
        self.log.append(rec)
        self._clear_pending()
        return rec

    # ------------------------------------------------------------------ results
    def result_of(self, rec: dict[str, Any]) -> RoundResult:
        """The public result of a resolved round: moves revealed, cards fired, nations' changes."""
        years = rec["years"]
        rows = [r for r in self.model.nation_rows if r.year in years]
        before = rec.get("lag_before", {})
        out = []
        for nid in self.scenario.nations:
            mine = [r for r in rows if r.nation == nid]
            if not mine:
                continue
            end = mine[-1]
            lag0 = before.get(nid, None)
            out.append(
                {
                    "nation": nid,
                    "oom": end.oom,
                    "d_oom": sum(r.d_oom for r in mine),
                    "d_oom_compute": sum(r.d_oom_compute for r in mine),
                    "d_oom_efficiency": sum(r.d_oom_efficiency for r in mine),
                    "d_oom_catchup": sum(r.d_oom_catchup for r in mine),
                    "lag_months": end.lag_months,
                    "d_lag": None if lag0 is None else end.lag_months - lag0,
                    "compute_share": end.compute_share,
                }
            )
        return RoundResult(rec["round"], years, rec, out)

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
