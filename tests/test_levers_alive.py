"""Every lever is alive: moving it across its range moves the outcome it is documented to affect by
more than twice the seed-to-seed spread, in the direction its mechanism says (8 seeds, medians).

A lever is applied the way a game team holds it: set before the first year and held, so dated
scenario events or reactions cannot move it back (they become proposals).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest

import sim
from sim.model.model import ComputeRaceModel
from sim.results import result_of

SEEDS = range(8)
WINDOW = (2025, 2030)


@dataclass(frozen=True)
class LeverCase:
    """A lever path, its low and high settings, the outcome it moves and the expected sign."""

    path: str
    low: Any
    high: Any
    outcome: str
    sign: int
    scenario: str = "baseline"


def _flows(
    r: sim.Result, buyer: str, channels: tuple[str, ...], window: tuple[int, int] = WINDOW
) -> float:
    f = r.flows
    sel = f[(f.buyer == buyer) & f.channel.isin(channels) & f.year.between(*window)]
    return float(sel.h100e.sum())


def _own_gain(r: sim.Result, lab: str) -> float:
    """OOM of efficiency a lab gained from its own research (not spillover), 2025-2030."""
    df = r.labs
    return float(df[(df.lab == lab) & df.year.between(*WINDOW)].d_oom_efficiency.sum())


def _unit_cost(r: sim.Result, buyer: str, vendor: str, year: int) -> float:
    f = r.flows
    sel = f[(f.buyer == buyer) & (f.vendor == vendor) & (f.year == year) & (f.channel == "legal")]
    return float(sel.spend_usd.sum() / sel.h100e.sum())


def _nation(r: sim.Result, nation: str, column: str, year: int) -> float:
    return float(r.nations.set_index(["year", "nation"])[column].loc[(year, nation)])


def _lab(r: sim.Result, lab: str, column: str, year: int) -> float:
    return float(r.labs.set_index(["year", "lab"])[column].loc[(year, lab)])


def _vendor(r: sim.Result, vendor: str, column: str, year: int) -> float:
    return float(r.vendors.set_index(["year", "vendor"])[column].loc[(year, vendor)])


OUTCOMES: dict[str, Callable[[sim.Result], float]] = {
    "china smuggled H100e 2025-30": lambda r: _flows(r, "china", ("smuggled",)),
    "china rented H100e 2025-30": lambda r: _flows(r, "china", ("rented",)),
    "china legal H100e 2025-30": lambda r: _flows(r, "china", ("legal",)),
    "china licensed H100e 2025-30": lambda r: _flows(r, "china", ("licensed",)),
    "china Nvidia H100e 2025": lambda r: _flows(r, "china", ("legal", "licensed"), (2025, 2025)),
    "china licensed H100e 2025": lambda r: _flows(r, "china", ("licensed",), (2025, 2025)),
    # money moves spending while money binds: within a few years power and chips do
    "usa AI spend 2025-27": lambda r: sum(
        _nation(r, "usa", "ai_spend_usd", y) for y in (2025, 2026, 2027)
    ),
    "china AI spend 2025-27": lambda r: sum(
        _nation(r, "china", "ai_spend_usd", y) for y in (2025, 2026, 2027)
    ),
    "china domestic share 2030": lambda r: _nation(r, "china", "domestic_chip_share", 2030),
    "usa cost per Nvidia H100e 2026": lambda r: _unit_cost(r, "usa", "nvidia", 2026),
    "huawei capacity 2030": lambda r: _vendor(r, "huawei", "capacity_chips", 2030),
    "deepseek own efficiency gain 2025-30": lambda r: _own_gain(r, "deepseek"),
    "meta revenue 2030": lambda r: _lab(r, "meta", "revenue_usd", 2030),
    "alibaba market share 2030": lambda r: _lab(r, "alibaba", "market_share", 2030),
    "bytedance rented H100e 2030": lambda r: _lab(r, "bytedance", "rented_h100e", 2030),
    "china lag 2030": lambda r: _nation(r, "china", "lag_months", 2030),
    "china OOM gap 2035": lambda r: _nation(r, "china", "frontier_gap_oom", 2035),
    "usa power 2030": lambda r: _nation(r, "usa", "power_capacity_gw", 2030),
    "gulf compute 2027": lambda r: _nation(r, "gulf", "compute_h100e", 2027),
    "usa compute 2028": lambda r: _nation(r, "usa", "compute_h100e", 2028),
}

CASES = [
    # the controller's game levers
    LeverCase("controls.enforcement", 0.1, 0.9, "china smuggled H100e 2025-30", -1),
    LeverCase("controls.cloud_loophole_open", False, True, "china rented H100e 2025-30", +1),
    LeverCase("controls.tpp_threshold", 1000.0, 30000.0, "china Nvidia H100e 2025", +1),
    LeverCase("controls.licence.enabled", False, True, "china licensed H100e 2025", +1),
    LeverCase(
        "controls.licence.fee_share", 0.0, 0.5, "china licensed H100e 2025", -1, "licensed-sales"
    ),
    # every nation's subsidy
    LeverCase("nations.usa.subsidy_usd", 0.0, 3e11, "usa AI spend 2025-27", +1),
    LeverCase("nations.china.subsidy_usd", 0.0, 3e11, "china AI spend 2025-27", +1),
    # the target's counter-moves
    LeverCase(
        "nations.china.domestic_mandate_share",
        0.0,
        0.8,
        "china domestic share 2030",
        +1,
        "no-controls",
    ),
    LeverCase("nations.china.ban_compliant_imports", False, True, "china legal H100e 2025-30", -1),
    LeverCase("nations.china.mineral_ban", False, True, "usa cost per Nvidia H100e 2026", +1),
    # a lab's levers
    LeverCase(
        "labs.deepseek.efficiency_share", 0.05, 0.6, "deepseek own efficiency gain 2025-30", +1
    ),
    LeverCase(
        "labs.deepseek.strategy",
        "scale-first",
        "efficiency-first",
        "deepseek own efficiency gain 2025-30",
        +1,
    ),
    LeverCase("labs.meta.open_weights", False, True, "meta revenue 2030", -1),
    LeverCase("labs.alibaba.price_markup", 0.7, 3.0, "alibaba market share 2030", -1),
    LeverCase("labs.bytedance.rent_abroad", False, True, "bytedance rented H100e 2030", +1),
    # scenario levers
    LeverCase("controls.api_block", 0.0, 1.0, "china OOM gap 2035", +1),
    # (later years depend on when Beijing bans compliant imports, which makes legal flows noisy)
    LeverCase("controls.variants_allowed", False, True, "china Nvidia H100e 2025", +1),
    LeverCase("controls.sme_controls", 0.0, 1.0, "huawei capacity 2030", -1),
    LeverCase("controls.hbm_controls", False, True, "huawei capacity 2030", -1),
    LeverCase(
        "controls.licence.volume_cap_share",
        0.05,
        1.0,
        "china licensed H100e 2025",
        +1,
        "licensed-sales",
    ),
    LeverCase("nations.usa.power_build_rate", 0.1, 1.0, "usa power 2030", +1),
    LeverCase("nations.rest.rental_permit", 0.0, 1.0, "china rented H100e 2025-30", +1),
    LeverCase("world.diffusion", 0.0, 2.0, "china lag 2030", -1),
    LeverCase("controls.tier2_cap_h100e", 1e4, 1e7, "gulf compute 2027", +1, "diffusion-rule"),
    LeverCase("nations.usa.programme.delivery_share", 0.0, 1.0, "usa compute 2028", +1, "stargate"),
]


@cache
def _held_run(scenario: str, seed: int, path: str, value: Any) -> sim.Result:
    """A run with ``path`` set to ``value`` before the first year and held against scenario events."""
    model = ComputeRaceModel(scenario, seed=seed)
    model.held_paths = {path}
    model.set_param(path, value)
    if path.endswith(".efficiency_share"):
        lab = path.split(".")[1]
        model.held_paths.add(f"labs.{lab}.strategy")
        model.set_param(f"labs.{lab}.strategy", "fixed")
    while model.running:
        model.step()
    return result_of(model)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.path}")
def test_every_lever_moves_its_outcome(case: LeverCase) -> None:
    f = OUTCOMES[case.outcome]
    lows = [f(_held_run(case.scenario, s, case.path, case.low)) for s in SEEDS]
    highs = [f(_held_run(case.scenario, s, case.path, case.high)) for s in SEEDS]
    effect = statistics.median(h - lo for h, lo in zip(highs, lows, strict=True))
    spread = max(statistics.pstdev(lows), statistics.pstdev(highs))
    assert effect * case.sign > 0, (
        f"{case.path} {case.low}->{case.high} moved {case.outcome} the wrong way: {effect:+.4g}"
    )
    assert abs(effect) > 2 * spread, (
        f"{case.path} {case.low}->{case.high} moved {case.outcome} by {effect:+.4g}, "
        f"under twice the seed spread {spread:.4g}"
    )


def test_the_case_table_covers_every_game_lever() -> None:
    """A new game lever must get a case here (its documented outcome and direction)."""
    from sim.game.levers import (
        CONTROLLER_LEVERS,
        LAB_LEVERS,
        NATION_LEVERS,
        RENT_LEVER,
        TARGET_LEVERS,
    )

    covered = {
        c.path.split(".", 2)[-1] if c.path.startswith(("labs.", "nations.")) else c.path
        for c in CASES
    }
    names = [
        s[0] for s in (*CONTROLLER_LEVERS, *NATION_LEVERS, *TARGET_LEVERS, *LAB_LEVERS, RENT_LEVER)
    ]
    missing = [n for n in names if n not in covered]
    assert not missing, f"game levers without a liveness case: {missing}"
