"""Inject cards: events as data (title, text shown to players, effect, trigger).

A deck is a TOML file of ``[[cards]]``::

    [[cards]]
    id = "taiwan-crisis"
    title = "Taiwan Strait crisis"
    text = "A blockade drill halts shipments from Taiwan's fabs."
    trigger = "manual"                      # or a year (2028) or a condition (see sim.game.metrics)
    set = { "world.taiwan_shock" = 0.4 }    # model parameter paths and values
    duration_years = 1                      # optional: restore the previous values afterwards

``at_least`` / ``at_most`` tables (instead of, or beside, ``set``) move a number only in one
direction: ``at_least = { "controls.enforcement" = 0.8 }`` raises enforcement to 0.8 but never
lowers a tougher value a team has just chosen.

Every card can also be played by hand by the facilitator. A card fires at most once per game.
A card whose parameters do not exist in a scenario (``nations.usa.programme`` without a Stargate
programme) is kept in the deck but marked not applicable, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from sim.config.inputs import InputError, InputModel, load
from sim.config.loader import shipped_dir
from sim.config.paths import check_param_path, unset_table
from sim.config.schema import Name, Scenario, Slug, Text
from sim.errors import UserError
from sim.game.metrics import parse_condition

DEFAULT_DECK = shipped_dir() / "games" / "deck.toml"


@dataclass(frozen=True)
class Card:
    """One inject card. ``trigger`` is ``manual``, ``year`` or ``when`` (a condition)."""

    id: str
    title: str
    text: str
    set: dict[str, Any]
    trigger: str = "manual"
    year: int | None = None
    condition: str = ""
    clauses: tuple = ()
    duration_years: int = 0
    unavailable: str = ""  # why this card cannot fire in the current scenario
    raw: dict[str, Any] = field(default_factory=dict)
    at_least: dict[str, float] = field(default_factory=dict)
    at_most: dict[str, float] = field(default_factory=dict)

    @property
    def paths(self) -> list[str]:
        """Every parameter the card touches."""
        return [*self.set, *self.at_least, *self.at_most]

    def describe_trigger(self) -> str:
        """The trigger in words."""
        if self.trigger == "year":
            return f"in {self.year}"
        if self.trigger == "when":
            return f"when {self.condition}"
        return "facilitator plays it"


Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class CardTable(InputModel):
    """One ``[[cards]]`` entry of a deck file (parameter paths are checked per scenario later)."""

    id: Slug = Field(description="Card id (used to play it by hand).")
    title: Name = Field(min_length=1, description="Title shown to players.")
    text: Text = Field("", description="Text shown to players.")
    story: Text = Field("", description="Longer story text for briefings and the report.")
    trigger: (
        Annotated[int, Field(ge=1900, le=2200)]
        | Annotated[str, StringConstraints(min_length=1, max_length=500)]
    ) = Field("manual", description="'manual', a year, or a condition on the model state.")
    set: dict[str, Any] = Field(default_factory=dict, description="Parameter paths and values.")
    at_least: dict[str, Finite] = Field(
        default_factory=dict, description="Raise these numbers to at least the value."
    )
    at_most: dict[str, Finite] = Field(
        default_factory=dict, description="Lower these numbers to at most the value."
    )
    duration_years: int = Field(
        0, ge=0, le=50, description="Restore the previous values after this many years."
    )


class DeckFile(InputModel):
    """A deck file: ``[[cards]]`` tables."""

    cards: list[CardTable] = Field(default_factory=list, max_length=500)


def read_deck(path: str | Path | None = None) -> list[dict[str, Any]]:
    """The validated card tables of a deck file (the default deck if ``path`` is None).

    Shapes, types, ids and finite numbers are checked here, every problem on one line; the
    parameter paths are checked against the scenario by :func:`build_deck`.
    """
    p = Path(path) if path else DEFAULT_DECK
    try:
        deck = load(DeckFile, p, "--deck" if path else "")
    except InputError as exc:
        raise UserError(exc.problems) from None
    ids = [c.id for c in deck.cards]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        raise UserError(f"{p}: duplicate card id(s): {', '.join(dups)}")
    return [c.model_dump(exclude_unset=True) for c in deck.cards]


def _reachable(scenario: Scenario, path: str) -> str | None:
    """Why a valid parameter path has no live target in this scenario (an unset optional section)."""
    part = unset_table(scenario.model_dump(), path)
    if part is None:
        return None
    return f"{path}: '{part}' is not set in scenario '{scenario.id}'"


def build_deck(
    scenario: Scenario, raw_cards: list[dict[str, Any]], where: str = "deck"
) -> dict[str, Card]:
    """Validate raw card tables against ``scenario``; UserError lists malformed cards.

    Cards are malformed when a field is missing or a trigger cannot be parsed; a card whose
    parameters this scenario lacks is kept with ``unavailable`` set instead.
    """
    problems: list[str] = []
    deck: dict[str, Card] = {}
    nations, labs = set(scenario.nations), set(scenario.labs)
    for i, c in enumerate(raw_cards):
        at = f"{where}: cards[{i}]"
        cid = c.get("id")
        tables = {k: c.get(k, {}) for k in ("set", "at_least", "at_most")}
        if (
            not cid
            or not c.get("title")
            or not all(isinstance(t, dict) for t in tables.values())
            or not any(k in c for k in tables)  # an empty table is a news-only card
        ):
            problems.append(
                f"{at}: a card needs id, title and a 'set', 'at_least' or 'at_most' table"
            )
            continue
        if cid in deck:
            problems.append(f"{at}: duplicate card id '{cid}'")
            continue
        trig = c.get("trigger", "manual")
        kind, year, cond, clauses = "manual", None, "", ()
        if isinstance(trig, int) and not isinstance(trig, bool):
            kind, year = "year", trig
        elif isinstance(trig, str) and trig.strip() != "manual":
            try:
                clauses = tuple(parse_condition(trig, nations, labs))
                kind, cond = "when", trig.strip()
            except ValueError as exc:
                problems.append(f"{at} ({cid}): trigger: {exc}")
                continue
        unavailable = ""
        for table, values in tables.items():
            for path, val in values.items():
                if table != "set" and (isinstance(val, bool) or not isinstance(val, (int, float))):
                    problems.append(f"{at} ({cid}): {table}.{path}: needs a number, got {val!r}")
                    continue
                err = check_param_path(scenario, path, val)
                if err and ("is not defined" in err or "unknown" in err):
                    unavailable = unavailable or f"{path}: {err}"
                    continue
                if err:
                    problems.append(f"{at} ({cid}): {table}.{path}: {err}")
                unavailable = unavailable or (_reachable(scenario, path) or "")
        deck[cid] = Card(
            cid,
            str(c["title"]),
            " ".join(str(c.get("text", "")).split()),
            dict(tables["set"]),
            kind,
            year,
            cond,
            clauses,
            int(c.get("duration_years", 0)),
            unavailable,
            dict(c),
            dict(tables["at_least"]),
            dict(tables["at_most"]),
        )
    if problems:
        raise UserError(problems)
    return deck
