"""One palette for every picture the project draws: CLI charts, notebooks, reports and the web app.

A nation has one fixed colour everywhere (a workshop learns "China is red" once); its labs are
lighter or darker shades of the same hue, so a lab line is recognisably its nation's. Chip
origins have their own colours and plain-language labels. Pure data and tiny helpers: no
matplotlib import, so the web app and the CLI can use it without loading pyplot.
"""

from __future__ import annotations

import colorsys

NATION_COLOURS: dict[str, str] = {
    "usa": "#1f4e9c",
    "china": "#c8102e",
    "eu": "#d4a017",
    "gulf": "#2e8b57",
    "rest": "#7f7f7f",
}
# For nations a scenario adds: matplotlib's tab10, minus the hues the fixed nations use.
FALLBACK = ("#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#ff7f0e")
ORIGIN_COLOURS: dict[str, str] = {
    "legal": "#4c9a2a",
    "licensed": "#3a7bd5",
    "smuggled": "#c8102e",
    "rented": "#f28e2b",
    "domestic": "#8e44ad",
}
ORIGIN_LABELS: dict[str, str] = {
    "legal": "bought legally",
    "licensed": "bought under licence",
    "smuggled": "smuggled",
    "rented": "rented abroad",
    "domestic": "domestic chips",
}
SPEND_COLOURS = {"compute": "#3a7bd5", "efficiency": "#f28e2b"}
BASELINE_COLOUR = "#555555"


def nation_colour(nation: str, index: int = 0) -> str:
    """A nation's fixed colour; nations outside the default scenario get a stable fallback."""
    return NATION_COLOURS.get(nation) or FALLBACK[index % len(FALLBACK)]


def shade(colour: str, k: int, n: int) -> str:
    """The ``k``-th of ``n`` shades of ``colour`` (same hue, lightness spread around it)."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    h, lum, s = colorsys.rgb_to_hls(r, g, b)
    if n > 1:
        lum = min(0.8, max(0.2, lum - 0.18 + 0.36 * k / (n - 1)))
    r, g, b = colorsys.hls_to_rgb(h, lum, s)
    return "#{:02x}{:02x}{:02x}".format(*(round(255 * c) for c in (r, g, b)))


def lab_colours(lab_nations: dict[str, str], nations: list[str] | None = None) -> dict[str, str]:
    """A colour per lab: a shade of its nation's colour (``lab id -> nation id`` in, ordered)."""
    order = nations or list(dict.fromkeys(lab_nations.values()))
    out: dict[str, str] = {}
    for i, nid in enumerate(order):
        labs = [lab for lab, n in lab_nations.items() if n == nid]
        for k, lab in enumerate(labs):
            out[lab] = shade(nation_colour(nid, i), k, len(labs))
    return out
