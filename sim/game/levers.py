"""Levers: the model parameters a role may set, with bounds and a plain-language explanation.

A lever is a live model parameter path (``controls.enforcement``) plus what a workshop needs to
show it: a short name, bounds tighter than or equal to the schema's, a one-line explanation and
which end is "hawkish" (used by bots). Validation runs twice: against the role's own bounds,
then against the model schema (:func:`sim.config.check_param_path`), so a lever can never reach
a value the model itself would refuse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sim.config.paths import check_param_path, did_you_mean
from sim.config.schema import Scenario

SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "bn": 1e9, "t": 1e12}
TRUE_WORDS = {"y", "yes", "true", "on", "1", "open", "t"}
FALSE_WORDS = {"n", "no", "false", "off", "0", "closed", "f"}


@dataclass(frozen=True)
class Lever:
    """One settable parameter of a role.

    ``kind`` is ``float``, ``bool`` or ``choice``. ``hawk``/``dove`` are the lever's two ends in
    plain policy terms (bots move toward one or the other); ``also`` holds companion settings
    applied with the lever (a human setting a lab's split also fixes its strategy).
    """

    path: str
    name: str
    kind: str
    explain: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    hawk: Any = None
    dove: Any = None
    also: dict[str, Any] = field(default_factory=dict)

    def bounds_text(self) -> str:
        """Bounds as a short human string."""
        if self.kind == "bool":
            return "yes/no"
        if self.kind == "choice":
            return "/".join(self.choices)
        return f"{fmt_value(self.lo, self.unit)} to {fmt_value(self.hi, self.unit)}"

    def check(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable for this lever (None if it is)."""
        if self.kind == "bool":
            return None if isinstance(value, bool) else f"{value!r} is not yes/no"
        if self.kind == "choice":
            return (
                None
                if value in self.choices
                else f"{value!r} is not one of {', '.join(self.choices)}"
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            return f"{value!r} is not a number"
        if self.lo is not None and value < self.lo or self.hi is not None and value > self.hi:
            return f"{fmt_value(value, self.unit)} is out of bounds ({self.bounds_text()})"
        return None

    def parse(self, text: str) -> Any:
        """Parse typed text into a value of this lever's kind; raise ValueError with a reason."""
        t = text.strip().lower()
        if self.kind == "bool":
            if t in TRUE_WORDS:
                return True
            if t in FALSE_WORDS:
                return False
            raise ValueError(f"'{text.strip()}' is not yes/no (type y or n)")
        if self.kind == "choice":
            if t in self.choices:
                return t
            raise ValueError(f"'{text.strip()}' is not one of {', '.join(self.choices)}")
        return parse_number(text)


def parse_number(text: str) -> float:
    """A number from typed text; accepts ``50e9``, ``50B``, ``2.5k``, ``1,000``, ``40%``."""
    t = text.strip().lower().replace(",", "").replace("_", "").lstrip("$")
    scale = 1.0
    if t.endswith("%"):
        t, scale = t[:-1], 0.01
    else:
        for suf in sorted(SUFFIXES, key=len, reverse=True):
            if t.endswith(suf) and t[: -len(suf)].replace(".", "", 1).replace("-", "", 1).isdigit():
                t, scale = t[: -len(suf)], SUFFIXES[suf]
                break
    try:
        value = float(t) * scale
    except ValueError:
        raise ValueError(f"'{text.strip()}' is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"'{text.strip()}' is not a finite number")
    return value


def fmt_value(value: Any, unit: str = "") -> str:
    """Compact display of a lever value (``$50B``, ``0.35``, ``yes``)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if unit == "USD":
        for div, suf in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
            if abs(value) >= div:
                return f"${value / div:g}{suf}"
        return f"${value:g}"
    return f"{value:g}"


# --- the default lever catalogue -------------------------------------------------------------
# Each entry: (relative path, kind, explanation, lo, hi, unit, hawk, dove). Bounds of None are
# filled from the schema; the hawkish end is the "tighter / more protective" choice.

CONTROLLER_LEVERS = (
    (
        "controls.tpp_threshold",
        "float",
        "Chips at or above this performance (TPP) need a licence to ship to targets; lower = tighter.",
        1000,
        30000,
        "TPP",
        1000,
        30000,
    ),
    (
        "controls.enforcement",
        "float",
        "Effort against smuggling, 0 none to 1 maximal; higher = less leakage.",
        0.0,
        1.0,
        "",
        1.0,
        0.2,
    ),
    (
        "controls.cloud_loophole_open",
        "bool",
        "Whether targets may rent controlled chips in foreign clouds.",
        None,
        None,
        "",
        False,
        True,
    ),
    (
        "controls.licence.enabled",
        "bool",
        "Sell controlled chips to targets under licence for a revenue share.",
        None,
        None,
        "",
        False,
        True,
    ),
    (
        "controls.licence.fee_share",
        "float",
        "Share of licensed sales revenue paid to the government.",
        0.0,
        0.5,
        "",
        0.5,
        0.0,
    ),
)
NATION_LEVERS = (
    (
        "subsidy_usd",
        "float",
        "Public AI subsidy to your labs per year.",
        0.0,
        3e11,
        "USD",
        3e11,
        0.0,
    ),
)
TARGET_LEVERS = (
    (
        "domestic_mandate_share",
        "float",
        "Minimum share of chip purchases your labs must buy at home.",
        0.0,
        1.0,
        "",
        0.8,
        0.0,
    ),
    (
        "ban_compliant_imports",
        "bool",
        "Ban purchases of foreign chips cut down to pass the controls (H20-style).",
        None,
        None,
        "",
        True,
        False,
    ),
    (
        "mineral_ban",
        "bool",
        "Ban exports of critical minerals (gallium, germanium) to the controller.",
        None,
        None,
        "",
        True,
        False,
    ),
)
LAB_LEVERS = (
    (
        "efficiency_share",
        "float",
        "Share of your budget spent on efficiency R&D rather than buying compute (fixes your split).",
        0.0,
        0.9,
        "",
        0.6,
        0.05,
    ),
    (
        "strategy",
        "choice",
        "Who sets your split: fixed (you), adaptive (the model's marginal-return rule), scale-first, efficiency-first.",
        None,
        None,
        "",
        None,
        None,
    ),
    (
        "open_weights",
        "bool",
        "Release model weights openly: spreads your methods, gives up some revenue.",
        None,
        None,
        "",
        True,
        False,
    ),
    (
        "price_markup",
        "float",
        "Price relative to cost-based pricing; higher earns more per user, wins fewer users.",
        0.5,
        3.0,
        "x",
        1.5,
        0.7,
    ),
)
RENT_LEVER = (
    "rent_abroad",
    "bool",
    "Rent compute in foreign clouds when denied chips at home.",
    None,
    None,
    "",
    True,
    False,
)
STRATEGIES = ("fixed", "adaptive", "scale-first", "efficiency-first")


def _lever(prefix: str, spec: tuple, name: str | None = None) -> Lever:
    rel, kind, explain, lo, hi, unit, hawk, dove = spec
    path = f"{prefix}{rel}"
    short = name or (rel.removeprefix("controls.") if rel.startswith("controls.") else rel)
    choices = STRATEGIES if kind == "choice" else ()
    also: dict[str, Any] = {}
    if path.startswith("labs.") and rel == "efficiency_share":
        also = {f"{prefix}strategy": "fixed"}
    return Lever(path, short, kind, explain, lo, hi, choices, unit, hawk, dove, also)


def default_levers(scenario: Scenario, kind: str, actor: str) -> list[Lever]:
    """The levers a nation or lab role gets by default in ``scenario``.

    The controller nation owns the export-control levers; a targeted nation gets the counter-moves;
    every nation can subsidise; labs set their split, openness and price, and labs in targeted or
    restricted nations also choose whether to rent abroad.
    """
    out: list[Lever] = []
    if kind == "nation":
        if actor == scenario.controls.controller:
            out += [_lever("", s) for s in CONTROLLER_LEVERS]
        out += [_lever(f"nations.{actor}.", s) for s in NATION_LEVERS]
        if scenario.nations[actor].tier in scenario.controls.target_tiers:
            out += [_lever(f"nations.{actor}.", s) for s in TARGET_LEVERS]
    else:
        out += [_lever(f"labs.{actor}.", s) for s in LAB_LEVERS]
        if scenario.nations[scenario.labs[actor].nation].tier != "ally":
            out.append(_lever(f"labs.{actor}.", RENT_LEVER))
    return [
        lv
        for lv in out
        if check_param_path(scenario, lv.path, lv.dove if lv.dove is not None else "fixed") is None
    ]


def find_lever(levers: list[Lever], key: str, role: str) -> Lever:
    """Look a lever up by short name or full path; raise ValueError with a helpful reason."""
    for lv in levers:
        if key in (lv.name, lv.path):
            return lv
    names = [lv.name for lv in levers]
    hint = did_you_mean(key, names + [lv.path for lv in levers])
    return_msg = f"{role}: unknown lever '{key}'{hint}; {role}'s levers are {', '.join(names)}"
    raise ValueError(return_msg)


def validate_move(
    scenario: Scenario, levers: list[Lever], role: str, move: dict[str, Any]
) -> dict[str, Any]:
    """Check a move (short names or paths -> values); return it keyed by full path.

    Raises ValueError listing every problem, one per line, each naming role, lever and reason.
    """
    problems: list[str] = []
    out: dict[str, Any] = {}
    for key, value in move.items():
        try:
            lv = find_lever(levers, key, role)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if lv.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        err = lv.check(value) or check_param_path(scenario, lv.path, value)
        if err:
            problems.append(f"{role}: {lv.name} = {fmt_value(value, lv.unit)} refused: {err}")
            continue
        out[lv.path] = value
    if problems:
        raise ValueError("\n".join(problems))
    return out
