"""Bots: named, documented strategies that play any role no person takes.

A bot sees only what every player sees (an :class:`sim.game.engine.Observation`: its own levers'
current values, public metrics of the last resolved year) and returns a move, a dict of lever
path -> value. It never sees other roles' pending moves. Bots are pure functions of the
observation, so a bots-only game is fully determined by its seed.

Nation bots: ``scenario``, ``cautious``, ``hawkish``, ``dovish``, ``adaptive``.
Lab bots: ``scenario``, ``cautious``, ``scale-first``, ``efficiency-first``, ``adaptive``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.game.engine import Observation
    from sim.game.levers import Lever

BOT_DOCS: dict[str, dict[str, str]] = {
    "nation": {
        "scenario": "Makes no moves: the nation follows the scenario's own rules (events, reaction rule).",
        "cautious": "Holds its levers; when threatened moves each number 10% of the way to its tight end; never flips a yes/no lever.",
        "hawkish": "Every round moves each number half-way to its tight end and sets yes/no levers to the tight choice.",
        "dovish": "Every round moves each number half-way to its open end and sets yes/no levers to the open choice.",
        "adaptive": "Tightens a quarter of the way when threatened, loosens a quarter of the way when comfortable, else holds.",
    },
    "lab": {
        "scenario": "Makes no moves: the lab keeps the strategy the scenario gives it.",
        "cautious": "Fixes its split where it is, keeps weights closed and prices at cost.",
        "scale-first": "Spends the least it can on efficiency (scale-first strategy) and keeps weights closed.",
        "efficiency-first": "Spends the most it can on efficiency (efficiency-first strategy), opens its weights, prices low.",
        "adaptive": "Lets the model's marginal-return rule set its split; opens weights when 12+ months behind, closes them within 3.",
    },
}
THREAT_MONTHS = 12.0  # a rival this close (controller) or own lag this long (others) is a threat
COMFORT_MONTHS = 24.0


def check_bot(kind: str, name: str) -> str | None:
    """Why ``name`` is not a bot for a role of ``kind`` (None if it is)."""
    if name in BOT_DOCS[kind]:
        return None
    return f"unknown bot '{name}' for a {kind} role (choose {', '.join(BOT_DOCS[kind])})"


def _step(lv: Lever, cur: Any, end: Any, frac: float, flip: bool = True) -> Any:
    """Move a lever ``frac`` of the way from ``cur`` toward ``end`` (booleans jump if ``flip``)."""
    if end is None:
        return cur
    if lv.kind == "float":
        new = cur + frac * (end - cur)
        return float(f"{new:.6g}")
    return end if flip else cur


def _threat(obs: Observation) -> float:
    """+1 threatened, -1 comfortable, 0 neither, from the rival's or own lag in months."""
    if obs.kind == "nation" and obs.is_controller and obs.rival:
        lag = obs.metric(f"lag_months:{obs.rival}")
        if lag is None:
            return 0.0
        return 1.0 if lag < THREAT_MONTHS else (-1.0 if lag > COMFORT_MONTHS else 0.0)
    lag = obs.metric(
        f"lag_months:{obs.actor}" if obs.kind == "nation" else f"lag_months:{obs.actor}-lab"
    )
    if lag is None:
        return 0.0
    return 1.0 if lag > THREAT_MONTHS else (-1.0 if lag < 3.0 else 0.0)


def _nation_move(name: str, obs: Observation) -> dict[str, Any]:
    threat = _threat(obs)
    out: dict[str, Any] = {}
    for lv in obs.levers:
        cur = obs.current[lv.path]
        if name == "hawkish":
            new = _step(lv, cur, lv.hawk, 0.5)
        elif name == "dovish":
            new = _step(lv, cur, lv.dove, 0.5)
        elif name == "cautious":
            new = _step(lv, cur, lv.hawk, 0.1, flip=False) if threat > 0 else cur
        elif name == "adaptive":
            if threat > 0:
                new = _step(lv, cur, lv.hawk, 0.25)
            elif threat < 0:
                new = _step(lv, cur, lv.dove, 0.25)
            else:
                new = cur
        else:
            new = cur
        out[lv.path] = new
    return out


def _lab_move(name: str, obs: Observation) -> dict[str, Any]:
    want: dict[str, Any] = {}
    if name == "cautious":
        want = {"strategy": "fixed", "open_weights": False, "price_markup": 1.0}
    elif name == "scale-first":
        want = {"strategy": "scale-first", "open_weights": False}
    elif name == "efficiency-first":
        want = {"strategy": "efficiency-first", "open_weights": True, "price_markup": 0.8}
    elif name == "adaptive":
        want = {"strategy": "adaptive"}
        lag = obs.metric(f"lag_months:{obs.actor}-lab")
        if lag is not None and lag >= 12.0:
            want["open_weights"] = True
        elif lag is not None and lag <= 3.0:
            want["open_weights"] = False
    out: dict[str, Any] = {}
    for lv in obs.levers:
        if lv.name in want:
            out[lv.path] = want[lv.name]
    return out


def decide(name: str, obs: Observation) -> dict[str, Any]:
    """The move bot ``name`` makes for the observed role: lever path -> value (changes only)."""
    if name == "scenario":
        return {}
    fn: Callable[[str, Observation], dict[str, Any]] = (
        _nation_move if obs.kind == "nation" else _lab_move
    )
    return {p: v for p, v in fn(name, obs).items() if obs.current.get(p) != v}
