"""The crux table: which assumptions decide whether export controls work.

The long-run effect of the controls is the median over seeds of the paired difference in China's
lag (months) between a scenario and the same scenario with controls switched off. Each crux moves
one assumption to the two ends of its range and measures that effect again; ``docs/model.md``
shows the table (``python -m sim.calibration.crux --write docs/model.md`` regenerates it) and a test
checks that the directions printed there still hold.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTROLS_OFF: dict[str, Any] = {
    "controls.enabled": False,
    "controls.sme_controls": 0.0,
    "controls.hbm_controls": False,
}
MARK_START, MARK_END = "<!-- crux:start -->", "<!-- crux:end -->"


@dataclass(frozen=True)
class Crux:
    """One assumption, its two ends and what it stands for in the debate."""

    path: str
    low: Any
    high: Any
    meaning: str


CRUXES: tuple[Crux, ...] = (
    Crux("world.diffusion", 0.5, 2.0, "how leaky knowledge is (all diffusion channels)"),
    Crux("controls.api_block", 0.0, 0.8, "whether US model APIs are closed to target firms"),
    Crux(
        "labs.meta.open_weights", False, True, "whether the leading US open lab publishes weights"
    ),
    Crux("world.max_bonus_oom", 0.7, 1.6, "how much a follower can learn from one better model"),
    Crux("world.open_share", 0.6, 1.0, "how much of the gap to an open model a follower closes"),
    Crux(
        "world.necessity_offset", 0.2, 1.2, "how much of its price disadvantage necessity wins back"
    ),
    Crux("controls.sme_effect", 0.3, 0.9, "how hard equipment controls slow China's chip industry"),
    Crux("world.smuggling_max_share", 0.2, 0.7, "how much denied demand leaks into smuggling"),
    Crux(
        "world.idle_capacity_build",
        0.0,
        1.0,
        "whether chip makers keep building while capacity sits idle (chips abundant once power binds)",
    ),
    Crux(
        "nations.china.ai_capex_saturation_gdp_share",
        0.015,
        0.06,
        "how much of its GDP China's investors put into AI",
    ),
)


def control_effect(
    scenario: str = "baseline",
    assumptions: dict[str, Any] | None = None,
    year: int = 2040,
    seeds: Sequence[int] = range(8),
) -> float:
    """Median over ``seeds`` of China's lag with the controls minus without them (months)."""
    import sim

    a = dict(assumptions or {})
    diffs = []
    for seed in seeds:
        on = sim.run(scenario, seed=seed, overrides=a or None)
        off = sim.run(scenario, seed=seed, overrides={**a, **CONTROLS_OFF})
        lag_on = on.nations.set_index(["year", "nation"]).lag_months.loc[(year, "china")]
        lag_off = off.nations.set_index(["year", "nation"]).lag_months.loc[(year, "china")]
        diffs.append(float(lag_on - lag_off))
    return statistics.median(diffs)


def crux_table(
    seeds: Sequence[int] = range(8), year: int = 2040
) -> tuple[float, list[tuple[Crux, float, float]]]:
    """The default effect and, per crux, the effect at its low and high end."""
    default = control_effect(year=year, seeds=seeds)
    rows = [
        (
            c,
            control_effect(assumptions={c.path: c.low}, year=year, seeds=seeds),
            control_effect(assumptions={c.path: c.high}, year=year, seeds=seeds),
        )
        for c in CRUXES
    ]
    return default, rows


def markdown(default: float, rows: list[tuple[Crux, float, float]]) -> str:
    """The table as Markdown, between the markers ``docs/model.md`` uses."""
    lines = [
        MARK_START,
        f"Effect of the controls on China's 2040 lag with default assumptions: **{default:+.1f} months**.",
        "",
        "| Assumption | What it stands for | Low end | Effect (months) | High end | Effect (months) |",
        "|---|---|---|---|---|---|",
    ]
    for c, lo, hi in rows:
        lines.append(f"| `{c.path}` | {c.meaning} | {c.low} | {lo:+.1f} | {c.high} | {hi:+.1f} |")
    lines.append(MARK_END)
    return "\n".join(lines)


def write(path: Path, seeds: Sequence[int] = range(8)) -> None:
    """Recompute the table and replace it in ``path`` (between the markers)."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(MARK_START), text.index(MARK_END) + len(MARK_END)
    default, rows = crux_table(seeds)
    path.write_text(text[:start] + markdown(default, rows) + text[end:], encoding="utf-8")


def parse_table(text: str) -> tuple[float, dict[str, tuple[float, float]]]:
    """The default effect and each crux's (low, high) effects as printed in ``text``."""
    block = text[text.index(MARK_START) : text.index(MARK_END)]
    default = float(block.split("**")[1].split()[0])
    out: dict[str, tuple[float, float]] = {}
    for line in block.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            out[cells[0].strip("`")] = (float(cells[3]), float(cells[5]))
    return default, out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.calibration.crux [--write docs/model.md]``."""
    parser = argparse.ArgumentParser(prog="python -m sim.calibration.crux")
    parser.add_argument("--write", type=Path, help="replace the table in this Markdown file")
    parser.add_argument("--seeds", type=int, default=8)
    args = parser.parse_args(argv)
    if args.write:
        write(args.write, range(args.seeds))
    else:
        default, rows = crux_table(range(args.seeds))
        print(markdown(default, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
