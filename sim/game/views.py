"""What a team, the room and the report show: metric expressions and number formatting.

Every metric the game's pages read is named here, as an expression of :mod:`sim.game.metrics`
(never a row position), so a change of metric spelling in the model is adapted in one place.
Formatting follows the projector rules: integer years, percentages, ``$20B`` money.
"""

from __future__ import annotations

import math
from typing import Any

from sim.config.schema import ORIGINS

# (label, expression template, format) per kind of role; {n} = nation id, {l} = lab metric id.
NATION_STATE: tuple[tuple[str, str, str], ...] = (
    ("Months behind the frontier", "lag_months:{n}", "months"),
    ("Capability (OOM)", "oom:{n}", "oom"),
    ("Share of world AI compute", "compute_share:{n}", "pct"),
    ("Smuggled share of compute", "smuggled_share:{n}", "pct"),
    ("Compute on domestic chips", "domestic_chip_share:{n}", "pct"),
    ("AI spending this year", "ai_spend_usd:{n}", "usd"),
    ("Public subsidy", "subsidy_usd:{n}", "usd"),
)
LAB_STATE: tuple[tuple[str, str, str], ...] = (
    ("Months behind the frontier", "lag_months:{l}", "months"),
    ("Budget this year", "budget_usd:{l}", "usd"),
    ("Share of budget on efficiency R&D", "efficiency_share:{l}", "pct"),
    ("Share of world market", "market_share:{l}", "pct"),
    ("Compute (H100-equivalents)", "compute_h100e:{l}", "count"),
)
LAB_ORIGINS: tuple[tuple[str, str], ...] = tuple((o, f"{o}_h100e:{{l}}") for o in ORIGINS)
# Public results per nation after a round: (key, expression); d_* parts are summed over the round.
NATION_RESULT = (
    ("oom", "oom:{n}"),
    ("lag_months", "lag_months:{n}"),
    ("compute_share", "compute_share:{n}"),
)
NATION_PARTS = ("d_oom", "d_oom_compute", "d_oom_efficiency", "d_oom_catchup")
LAB_RESULT = (("oom", "oom:{l}"), ("lag_months", "lag_months:{l}"))


def lab_metric_id(lab: str, nations: Any) -> str:
    """The metric id of a lab: ``ID``, or ``ID-lab`` when a nation has the same id."""
    return f"{lab}-lab" if lab in nations else lab


def fmt_money(v: float | None) -> str:
    """``$20B``, ``$1.5T``, ``$350M``."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    for div, suf in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"${v / div:.3g}{suf}"
    return f"${v:.3g}"


def fmt_count(v: float | None) -> str:
    """``1.2M``, ``350k``."""
    if v is None:
        return "-"
    for div, suf in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:.3g}{suf}"
    return f"{v:.3g}"


def fmt(v: Any, how: str) -> str:
    """Format a metric value for a page: ``months``, ``pct``, ``usd``, ``count``, ``oom``, ``year``."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if how == "months":
        return f"{v:.1f} months"
    if how == "pct":
        return f"{100 * v:.0f}%"
    if how == "usd":
        return fmt_money(v)
    if how == "count":
        return fmt_count(v)
    if how == "year":
        return str(int(v))
    if how == "oom":
        return f"{v:.2f}"
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def fmt_signed(v: float | None, how: str = "") -> str:
    """A change with its sign (``+2.5 months``, ``-3 pts``)."""
    if v is None:
        return "-"
    if how == "months":
        return f"{v:+.1f} months"
    if how == "pct":
        return f"{100 * v:+.0f} pts"
    return f"{v:+.2f}"
