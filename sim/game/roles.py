"""Roles: every nation and every lab of a scenario can be played.

A role has a brief (read aloud), levers (see :mod:`sim.game.levers`), objectives in words, a
scoring rule (weighted goals on headline metrics) and a default bot. Defaults are generated
from the scenario; a role file (``scenarios/games/roles.toml``) adds briefs, objectives, scoring
and lever bounds for the roles a workshop is likely to seat.

Role ids are nation ids and lab ids. A lab whose id is also a nation id (``rest``) becomes
``rest-lab``; any lab can also be named ``<id>-lab`` or ``<id>-like`` (``deepseek-like``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from sim.config.inputs import InputError, InputModel, load
from sim.config.loader import shipped_dir
from sim.config.paths import did_you_mean
from sim.config.schema import Scenario
from sim.errors import UserError
from sim.game.levers import Lever, default_levers

GAMES_DIR = shipped_dir() / "games"
DEFAULT_ROLE_FILE = GAMES_DIR / "roles.toml"


@dataclass(frozen=True)
class Goal:
    """One scoring term: ``metric`` (see :mod:`sim.game.metrics`) compared with ``target``.

    ``op`` is ``>=`` or ``<=``; achievement is 1 when met and falls proportionally otherwise.
    """

    metric: str
    op: str
    target: float
    weight: float = 1.0
    label: str = ""

    def achievement(self, value: float | None) -> float:
        """0-1: how far the goal is met by ``value``."""
        if value is None:
            return 0.0
        if self.op == ">=":
            if value >= self.target:
                return 1.0
            return max(0.0, value / self.target) if self.target > 0 else 0.0
        if value <= self.target:
            return 1.0
        return max(0.0, min(1.0, self.target / value)) if value > 0 else 1.0


@dataclass(frozen=True)
class Role:
    """A playable actor: a nation or a lab, with what a player needs to play it."""

    id: str
    kind: str  # "nation" or "lab"
    actor: str  # the nation or lab id in the scenario
    name: str
    brief: str
    levers: tuple[Lever, ...]
    objectives: tuple[str, ...]
    goals: tuple[Goal, ...]
    bot: str = "scenario"
    headline: str = ""  # metric a player predicts each round
    extra: dict[str, Any] = field(default_factory=dict)


def rival_of(scenario: Scenario, nation: str) -> str | None:
    """The nation a nation watches: its reaction rival, else the controller or a target."""
    n = scenario.nations[nation]
    rival = next((r.rival for r in n.reactions if r.rival), None)
    if rival is not None:
        return rival
    c = scenario.controls
    if nation == c.controller:
        targets = [k for k, v in scenario.nations.items() if v.tier in c.target_tiers]
        return targets[0] if targets else None
    if n.tier in c.target_tiers:
        return c.controller
    return None


def _default_role(scenario: Scenario, kind: str, actor: str, role_id: str) -> Role:
    """A role with generated brief, objectives and goals, for actors the role file omits."""
    c = scenario.controls
    if kind == "nation":
        n = scenario.nations[actor]
        rival = rival_of(scenario, actor)
        rname = scenario.nations[rival].name if rival else "the leader"
        if actor == c.controller and rival:
            brief = f"You are the government of {n.name}. You control chip exports. Keep {rname} behind without choking your own industry."
            goals = (
                Goal(f"lag_months:{rival}", ">=", 12.0, 2.0, f"{rname} at least 12 months behind"),
                Goal(f"compute_share:{actor}", ">=", 0.5, 1.0, "half of the world's AI compute"),
            )
        elif n.tier in c.target_tiers:
            brief = f"You are the government of {n.name}. Your labs face export controls. Close the gap and build your own chip industry."
            goals = (
                Goal(f"lag_months:{actor}", "<=", 6.0, 2.0, "within 6 months of the frontier"),
                Goal(
                    f"domestic_chip_share:{actor}",
                    ">=",
                    0.4,
                    1.0,
                    "40% of compute on domestic chips",
                ),
            )
        else:
            brief = f"You are the government of {n.name}. Keep your labs in the race."
            goals = (
                Goal(f"lag_months:{actor}", "<=", 12.0, 1.0, "within 12 months of the frontier"),
            )
        headline = (
            f"lag_months:{rival}" if actor == c.controller and rival else f"lag_months:{actor}"
        )
        return Role(
            role_id,
            kind,
            actor,
            n.name,
            brief,
            tuple(default_levers(scenario, kind, actor)),
            tuple(g.label for g in goals),
            goals,
            "scenario",
            headline,
        )
    lab = scenario.labs[actor]
    home = scenario.nations[lab.nation].name
    brief = f"You run {lab.name}, based in {home}. Reach the frontier and earn a market."
    goals = (
        Goal(f"lag_months:{role_id}", "<=", 3.0, 2.0, "within 3 months of the frontier"),
        Goal(f"market_share:{role_id}", ">=", 0.1, 1.0, "10% of the world market"),
    )
    return Role(
        role_id,
        kind,
        actor,
        lab.name,
        brief,
        tuple(default_levers(scenario, kind, actor)),
        tuple(g.label for g in goals),
        goals,
        "scenario",
        f"lag_months:{role_id}",
    )


def _goal(raw: dict[str, Any], where: str) -> Goal:
    try:
        metric, goal = raw["metric"], str(raw["goal"]).strip()
        op, num = goal[:2], float(goal[2:])
    except (KeyError, ValueError, TypeError):
        raise UserError(
            f'{where}: a score term needs metric = "..." and goal = ">= N" or "<= N"'
        ) from None
    if op not in (">=", "<="):
        raise UserError(f"{where}: goal '{goal}' must start with >= or <=")
    return Goal(metric, op, num, float(raw.get("weight", 1.0)), str(raw.get("label", "")))


Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Word = Annotated[str, StringConstraints(max_length=200)]


class LeverTable(InputModel):
    """``levers.NAME = { lo, hi, explain }``: narrow a lever's bounds or reword it."""

    lo: Finite | None = None
    hi: Finite | None = None
    explain: Annotated[str, StringConstraints(max_length=500)] | None = None


class ScoreTerm(InputModel):
    """One weighted goal: ``{ metric = "lag_months:china", goal = ">= 12", weight = 2 }``."""

    metric: Word
    goal: Annotated[
        str, StringConstraints(pattern=r"^\s*(>=|<=)\s*-?[0-9][0-9_.]*([eE][+-]?[0-9]+)?\s*$")
    ]
    weight: Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=1000)] = 1.0
    label: Word = ""


class RoleTable(InputModel):
    """``[roles.ID]``: brief, objectives, scoring, headline, bot and lever adjustments."""

    brief: Annotated[str, StringConstraints(max_length=20_000)] | None = None
    objectives: list[Word] | None = Field(None, max_length=50)
    score: list[ScoreTerm] | None = Field(None, max_length=50)
    headline: Word | None = None
    bot: Word | None = None
    levers: dict[Word, LeverTable | Literal[False]] = Field(default_factory=dict)


class RoleFile(InputModel):
    """A role file: ``[roles.ID]`` tables keyed by role id."""

    roles: dict[Word, RoleTable] = Field(default_factory=dict)


def read_role_file(path: str | Path | None = None) -> dict[str, Any]:
    """The validated role-file table (``[roles.<id>]`` sections), as plain dicts.

    The default file ships with the package (``sim/_scenarios/games/roles.toml``), so it is
    always read; a missing or malformed file is a one-line :class:`UserError` per problem.
    """
    p = Path(path) if path else DEFAULT_ROLE_FILE
    try:
        parsed = load(RoleFile, p, "--role-file" if path else "")
    except InputError as exc:
        raise UserError(exc.problems) from None
    return {
        rid: t.model_dump(exclude_none=True, exclude_unset=True) for rid, t in parsed.roles.items()
    }


def build_roles(scenario: Scenario, role_file: dict[str, Any] | None = None) -> dict[str, Role]:
    """All roles of ``scenario`` (nations first, then labs), refined by the role-file table."""
    from sim.game.bots import check_bot

    role_file = role_file or {}
    roles: dict[str, Role] = {}
    for nid in scenario.nations:
        roles[nid] = _default_role(scenario, "nation", nid, nid)
    for lid in scenario.labs:
        rid = f"{lid}-lab" if lid in scenario.nations else lid
        roles[rid] = _default_role(scenario, "lab", lid, rid)
    for rid, raw in role_file.items():
        if rid not in roles:
            continue  # the role file covers actors this scenario may not have
        where = f"roles.{rid}"
        r = roles[rid]
        levers = list(r.levers)
        for name, spec in raw.get("levers", {}).items():
            hit = [i for i, lv in enumerate(levers) if name in (lv.name, lv.path)]
            if not hit:
                raise UserError(
                    f"{where}.levers.{name}: not a lever of {rid} (levers: {', '.join(lv.name for lv in levers)})"
                )
            i = hit[0]
            if spec is False:
                levers.pop(i)
                continue
            levers[i] = replace(
                levers[i], **{k: v for k, v in spec.items() if k in ("lo", "hi", "explain")}
            )
        goals = (
            tuple(_goal(g, f"{where}.score[{i}]") for i, g in enumerate(raw.get("score", [])))
            or r.goals
        )
        bot = raw.get("bot", r.bot)
        err = check_bot(r.kind, bot)
        if err:
            raise UserError(f"{where}.bot: {err}")
        roles[rid] = replace(
            r,
            brief=" ".join(str(raw.get("brief", r.brief)).split()),
            levers=tuple(levers),
            objectives=tuple(raw.get("objectives", r.objectives)),
            goals=goals,
            bot=bot,
            headline=raw.get("headline", r.headline),
        )
    return roles


def resolve_role_id(roles: dict[str, Role], name: str) -> str:
    """Canonical role id for a typed name (``deepseek-like`` -> ``deepseek``); UserError if unknown."""
    key = name.strip().lower()
    if key in roles:
        return key
    for suffix in ("-like", "-lab"):
        base = key.removesuffix(suffix)
        if base != key:
            for rid, r in roles.items():
                if r.kind == "lab" and r.actor == base:
                    return rid
    hint = did_you_mean(key, roles)
    # no flag named: the same message serves --roles, --bot, a script and the game prompt
    raise UserError(f"unknown role '{name[:60]}'{hint}; roles are {', '.join(roles)}")
