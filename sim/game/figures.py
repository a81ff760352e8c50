"""Projector-legible figures of a game as inline SVG: capability and lag (nations and labs),
compute by chip origin, spending. Shared by the after-action report and the web projector.

Drawn from the game's output tables (pandas), never from the live model. Text stays text in
the SVG (``svg.fonttype = none``): smaller files, and tests and screen readers can find titles.
Integer years, percentages and ``$20B`` money on the axes; one colour per nation
(:mod:`sim.palette`), its labs in shades of it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

from sim.config.schema import ORIGINS
from sim.game.views import fmt_money
from sim.palette import ORIGIN_COLOURS, ORIGIN_LABELS, lab_colours, nation_colour

RC = {
    "svg.fonttype": "none",
    "font.size": 15,
    "axes.titlesize": 18,
    "axes.titleweight": "bold",
    "axes.labelsize": 15,
    "legend.fontsize": 12,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 3.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def pyplot() -> Any:
    """pyplot on the file-only backend (figures here are only ever saved)."""
    from sim.plotting import pyplot as _pyplot

    return _pyplot()


@contextmanager
def style() -> Iterator[Any]:
    """Projector style for the figures drawn inside the block."""
    plt = pyplot()
    with plt.rc_context(RC):
        yield plt


def to_svg(fig: Any, tight: bool = True) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog), then closed.

    ``tight=False`` skips the bounding-box pass (about half the drawing time) for figures laid
    out with fixed margins, such as the explorer's, which must redraw within a slider move.
    """
    plt = pyplot()
    buf = io.StringIO()
    # no date or creator line: the same game gives the same file
    fig.savefig(
        buf,
        format="svg",
        bbox_inches="tight" if tight else None,
        metadata={"Date": None, "Creator": None},
    )
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def years_axis(ax: Any) -> None:
    """Whole years, never ``2025.25``."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{int(round(v))}"))


def pct_axis(ax: Any) -> None:
    """Percent ticks on the y axis."""
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{100 * v:.0f}%"))


def money_axis(ax: Any) -> None:
    """``$20B`` ticks on the y axis."""
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt_money(v)))


def _legend(ax: Any, **kw: Any) -> None:
    if ax.get_legend_handles_labels()[0]:  # an empty legend warns (warnings are errors in tests)
        ax.legend(**kw)


def capability_lag(
    nations: pd.DataFrame,
    labs: pd.DataFrame | None = None,
    names: dict[str, str] | None = None,
    counterfactual: pd.DataFrame | None = None,
    width: float = 13,
) -> str:
    """Capability (OOM) and months behind the frontier per nation; labs as thin lines in their
    nation's shade; a dashed counterfactual (bots only) when given."""
    names = names or {}
    order = list(dict.fromkeys(nations["nation"]))
    with style() as plt:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(width, 5))
        if labs is not None and len(labs):
            shades = lab_colours(dict(zip(labs["lab"], labs["nation"], strict=False)), order)
            for lab, g in labs.groupby("lab", sort=False):
                kw = {"color": shades[lab], "lw": 1.2, "alpha": 0.8}
                a1.plot(g["year"], g["oom"], **kw)
                a2.plot(g["year"], g["lag_months"], **kw)
        for i, nid in enumerate(order):
            g = nations[nations["nation"] == nid]
            kw = {"color": nation_colour(nid, i), "label": names.get(nid, nid)}
            a1.plot(g["year"], g["oom"], **kw)
            a2.plot(g["year"], g["lag_months"], **kw)
            if counterfactual is not None:
                c = counterfactual[counterfactual["nation"] == nid]
                a2.plot(c["year"], c["lag_months"], color=kw["color"], lw=1.5, ls="--")
        a1.set_title("Capability")
        a1.set_ylabel("OOM (log10 effective FLOP)")
        a2.set_title("Months behind the frontier")
        a2.set_ylabel("months")
        a2.set_ylim(bottom=0)
        for ax in (a1, a2):
            years_axis(ax)
        _legend(a1, loc="upper left")
        fig.tight_layout()
        return to_svg(fig)


def compute_by_origin(labs: pd.DataFrame, nation: str, name: str = "") -> str:
    """One nation's AI compute by chip origin as stacked shares; the legend labels come with
    their bands (``stackplot(labels=...)``) so a band can never carry another's label."""
    cols = [f"{o}_h100e" for o in ORIGINS]
    g = labs[labs["nation"] == nation].groupby("year")[cols].sum()
    total = g.sum(axis=1).where(lambda t: t > 0)
    share = g.div(total, axis=0).fillna(0.0)
    with style() as plt:
        fig, ax = plt.subplots(figsize=(8, 5))
        shown = [o for o in ORIGINS if (share[f"{o}_h100e"] > 0).any()]
        if shown:
            ax.stackplot(
                share.index,
                *(share[f"{o}_h100e"] for o in shown),
                labels=[ORIGIN_LABELS[o] for o in shown],
                colors=[ORIGIN_COLOURS[o] for o in shown],
                alpha=0.9,
            )
        ax.set_title(f"{name or nation}: compute by origin")
        ax.set_ylabel("share of its AI compute")
        ax.set_ylim(0, 1)
        pct_axis(ax)
        years_axis(ax)
        _legend(ax, loc="upper left", framealpha=0.9)
        fig.tight_layout()
        return to_svg(fig)


def spending(nations: pd.DataFrame, names: dict[str, str] | None = None, width: float = 13) -> str:
    """AI spending per nation per year (compute and efficiency R&D together), in dollars."""
    names = names or {}
    order = list(dict.fromkeys(nations["nation"]))
    with style() as plt:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(width, 5))
        for i, nid in enumerate(order):
            g = nations[nations["nation"] == nid]
            kw = {"color": nation_colour(nid, i), "label": names.get(nid, nid)}
            a1.plot(g["year"], g["ai_spend_usd"], **kw)
            a2.plot(g["year"], g["efficiency_spend_share"], **kw)
        a1.set_title("AI spending per year")
        a1.set_yscale("log")
        money_axis(a1)
        a2.set_title("Share spent on efficiency R&D")
        a2.set_ylim(bottom=0)
        pct_axis(a2)
        for ax in (a1, a2):
            years_axis(ax)
        _legend(a1, loc="upper left")
        fig.tight_layout()
        return to_svg(fig)


def game_figures(
    tables: dict[str, pd.DataFrame],
    names: dict[str, str],
    focus: str,
    counterfactual: pd.DataFrame | None = None,
    width: float = 13,
) -> list[tuple[str, str]]:
    """The game's main figures as (title, svg): capability and lag, compute by origin of the
    ``focus`` nation (the controller's rival), spending. Empty before the first round.
    A smaller ``width`` (inches) draws the same text larger where the figure is shown smaller
    (the projector's chart column)."""
    nat, labs = tables["nations"], tables["labs"]
    if not len(nat):
        return []
    return [
        ("Capability and lag", capability_lag(nat, labs, names, counterfactual, width)),
        (
            f"{names.get(focus, focus)}: compute by origin",
            compute_by_origin(labs, focus, names.get(focus, focus)),
        ),
        ("Spending", spending(nat, names, width)),
    ]
