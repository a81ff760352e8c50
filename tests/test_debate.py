"""Both sides of the "do controls work?" debate are expressible through assumptions (8 seeds).

Under the default assumptions tighter controls widen China's lag; under a Huawei breakthrough or a
leakier world (stronger diffusion) the long-run effect of the controls shrinks by at least half or
reverses. The crux table in docs/model.md names the assumptions that decide it.
"""

from __future__ import annotations

import statistics

from conftest import run_cached

SEEDS = range(8)
CONTROLS_OFF = {
    "controls.enabled": False,
    "controls.sme_controls": 0.0,
    "controls.hbm_controls": False,
}


def _lag(scenario: str, year: int, seed: int, overrides: dict | None = None) -> float:
    r = run_cached(scenario, seed, overrides)
    return float(r.nations.set_index(["year", "nation"]).lag_months.loc[(year, "china")])


def _median_lag(scenario: str, year: int = 2035) -> float:
    return statistics.median(_lag(scenario, year, s) for s in SEEDS)


def test_default_assumptions_order_the_scenarios_by_how_tight_the_controls_are():
    tight, base, free = (_median_lag(s) for s in ("tight-controls", "baseline", "no-controls"))
    assert tight > base > free, (
        f"China's 2035 lag: tight {tight:.1f}, baseline {base:.1f}, no controls {free:.1f} months"
    )


def _effect(scenario: str, assumptions: dict | None = None, year: int = 2040) -> float:
    """Median over seeds of the paired effect of the controls on China's lag (months)."""
    a = assumptions or {}
    return statistics.median(
        _lag(scenario, year, s, a or None) - _lag(scenario, year, s, {**a, **CONTROLS_OFF})
        for s in SEEDS
    )


def test_controls_widen_the_lag_under_default_assumptions():
    assert _effect("baseline") > 1.0


def test_a_huawei_breakthrough_halves_the_long_run_effect_of_controls():
    default, breakthrough = _effect("baseline"), _effect("huawei-breakthrough")
    assert breakthrough <= 0.5 * default, (
        f"effect of controls on China's 2040 lag: {default:.1f} months by default, "
        f"{breakthrough:.1f} after a Huawei breakthrough"
    )


def test_a_leakier_world_halves_the_long_run_effect_of_controls():
    default, leaky = _effect("baseline"), _effect("baseline", {"world.diffusion": 2.0})
    assert leaky <= 0.5 * default, (
        f"effect of controls on China's 2040 lag: {default:.1f} months by default, "
        f"{leaky:.1f} with diffusion doubled"
    )


def test_chip_makers_that_build_only_for_orders_shrink_the_long_run_effect_of_controls():
    # the supply crux: abundant chips once power binds are much of what the controls deny China
    default = _effect("baseline")
    lean = _effect("baseline", {"world.idle_capacity_build": 0.0})
    assert 0.0 < lean <= 0.6 * default, (
        f"effect of controls on China's 2040 lag: {default:.1f} months by default, "
        f"{lean:.1f} when chip makers build only for orders"
    )


def test_chip_makers_that_build_only_for_orders_leave_less_capacity_idle():
    def idle(k: float) -> float:
        shares = []
        for s in SEEDS:
            v = run_cached("baseline", s, {"world.idle_capacity_build": k}).vendors
            n = v[(v.vendor == "nvidia") & (v.year == 2040)].iloc[0]
            shares.append(1 - n.sold_chips / n.capacity_chips)
        return statistics.median(shares)

    assert idle(0.0) < idle(1.0) - 0.2
