"""Property tests (hypothesis) over generated valid scenarios: conservation of chips and money,
spend never above budget, no negative or NaN stock or share, and shares that sum to one.

The shared strategy perturbs the baseline within its schema: every world parameter that declares a
sensitivity range, the policy levers, nation and lab levers, and the horizon.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.config.schema import World

BASE = sim.load_scenario("baseline")
REL = 1e-6


def _ranged_world_fields() -> dict[str, tuple[float, float]]:
    out = {}
    for name, field in World.model_fields.items():
        extra = field.json_schema_extra or {}
        if "sensitivity" in extra:
            lo, hi = extra["sensitivity"]
            out[name] = (float(lo), float(hi))
    return out


WORLD_RANGES = _ranged_world_fields()


@st.composite
def scenarios(draw) -> sim.Scenario:
    """A valid scenario: the baseline with a random subset of parameters moved within their bounds."""
    ov: dict[str, object] = {}
    names = draw(st.lists(st.sampled_from(sorted(WORLD_RANGES)), max_size=8, unique=True))
    for name in names:
        lo, hi = WORLD_RANGES[name]
        ov[f"world.{name}"] = draw(st.floats(lo, hi, allow_nan=False))
    ov["world.diffusion"] = draw(st.floats(0.0, 2.0))
    ov["controls.enabled"] = draw(st.booleans())
    ov["controls.enforcement"] = draw(st.floats(0.0, 1.0))
    ov["controls.sme_controls"] = draw(st.floats(0.0, 1.0))
    ov["controls.cloud_loophole_open"] = draw(st.booleans())
    ov["controls.variants_allowed"] = draw(st.booleans())
    ov["controls.hbm_controls"] = draw(st.booleans())
    ov["controls.tpp_threshold"] = draw(st.sampled_from([1000.0, 4800.0, 30000.0]))
    ov["controls.licence.enabled"] = draw(st.booleans())
    ov["controls.licence.volume_cap_share"] = draw(st.floats(0.0, 2.0))
    if draw(st.booleans()):
        ov["controls.target_tiers"] = ["embargoed", "restricted"]
        ov["controls.tier2_cap_h100e"] = draw(st.floats(0.0, 1e6))
    ov["nations.china.domestic_mandate_share"] = draw(st.floats(0.0, 1.0))
    ov["nations.china.ban_compliant_imports"] = draw(st.booleans())
    ov["nations.usa.ai_capex_saturation_gdp_share"] = draw(st.floats(0.001, 0.1))
    if draw(st.booleans()):
        ov["nations.usa.power_gw"] = draw(st.floats(0.5, 100.0))
    if draw(st.booleans()):
        ov["nations.usa.programme"] = {
            "lab": draw(st.sampled_from(sorted(BASE.labs))),
            "total_usd": 5e11,
            "upfront_usd": 1e11,
            "start_year": 2025,
        }
    for lab in draw(st.lists(st.sampled_from(sorted(BASE.labs)), max_size=4, unique=True)):
        ov[f"labs.{lab}.strategy"] = draw(
            st.sampled_from(["adaptive", "scale-first", "efficiency-first", "fixed"])
        )
        ov[f"labs.{lab}.open_weights"] = draw(st.booleans())
    ov["horizon.end_year"] = draw(st.integers(2026, 2040))
    return sim.load_scenario("baseline", ov)


SETTINGS = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def run(scen: sim.Scenario, seed: int) -> sim.Result:
    return sim.run(scen, seed=seed)


@SETTINGS
@given(scen=scenarios(), seed=st.integers(0, 2**16))
def test_invariants_hold_for_any_valid_scenario(scen, seed):
    check_invariants(run(scen, seed))


def check_invariants(res: sim.Result) -> None:
    """Conservation and sanity of one run's tables (also used on every shipped scenario)."""
    labs, nations, flows, vendors = res.labs, res.nations, res.flows, res.vendors

    # Chips sold never exceed chips produced (per vendor per year), and flows add up to sales.
    assert (vendors.sold_chips <= vendors.capacity_chips * (1 + REL) + 1e-6).all()
    sold = flows[flows.channel != "rented"].groupby(["year", "vendor"]).chips.sum()
    v = vendors.set_index(["year", "vendor"]).sold_chips
    np.testing.assert_allclose(sold.reindex(v.index, fill_value=0.0), v, rtol=1e-9, atol=1e-6)

    # Money is accounted for, per lab per year, and nobody spends more than its budget.
    spent = labs.compute_spend_usd + labs.efficiency_spend_usd
    assert (spent <= labs.budget_usd * (1 + 1e-9) + 1.0).all()
    lhs = labs.cash_start_usd + labs.inflow_usd - labs.compute_spend_usd - labs.efficiency_spend_usd
    np.testing.assert_allclose(lhs, labs.cash_usd, rtol=1e-9, atol=1.0)
    np.testing.assert_allclose(labs.cash_start_usd + labs.inflow_usd, labs.budget_usd, rtol=1e-9)
    assert (labs.cash_usd >= 0).all()
    spend = flows.groupby(["year", "buyer"]).spend_usd.sum()
    lab_spend = labs.groupby(["year", "nation"]).compute_spend_usd.sum()
    np.testing.assert_allclose(
        spend.reindex(lab_spend.index, fill_value=0.0), lab_spend, rtol=1e-9, atol=1.0
    )

    # No negative or NaN stock or share.
    stock_cols = ["compute_h100e", *(f"{o}_h100e" for o in sim.config.ORIGINS)]
    for col in [*stock_cols, "efficiency", "training_flop", "oom", "lag_months", "market_share"]:
        values = labs[col].to_numpy(dtype=float)
        assert np.isfinite(values).all(), col
        assert (values >= 0).all(), col
    share_cols = [c for c in nations.columns if c.endswith("_share")]
    for col in share_cols:
        values = nations[col].to_numpy(dtype=float)
        assert np.isfinite(values).all(), col
        assert ((values >= -1e-12) & (values <= 1 + 1e-9)).all(), col
    assert np.isfinite(nations.oom).all() and (nations.lag_months >= 0).all()
    assert (flows.h100e >= 0).all() and (flows.revenue_usd >= 0).all()

    # Origin shares sum to one wherever a nation has compute; compute shares sum to one.
    origin_cols = ["legal_share", "licensed_share", "smuggled_share", "rented_share"]
    origins = nations[[*origin_cols, "domestic_chip_share"]].sum(axis=1)
    has = nations.compute_h100e > 0
    np.testing.assert_allclose(origins[has], 1.0, rtol=1e-9)
    np.testing.assert_allclose(nations.groupby("year").compute_share.sum(), 1.0, rtol=1e-9)


@SETTINGS
@given(scen=scenarios())
def test_frontier_never_moves_backwards_and_the_leader_has_no_lag(scen):
    res = run(scen, 0)
    years = res.years
    assert (np.diff(years.frontier_oom.cummax()) >= 0).all()
    leaders = res.labs.merge(years[["year", "frontier_lab"]], on="year")
    lead = leaders[leaders.lab == leaders.frontier_lab]
    assert (lead.lag_months == 0).all()
    assert math.isclose(years.frontier_oom.max(), res.labs.oom.max())


@st.composite
def leaky_scenarios(draw) -> sim.Scenario:
    """Scenarios where denied demand leaks hard: smuggling and renting shares up to their bounds
    (together they can exceed 1), loose enforcement, every target renting abroad."""
    ov: dict[str, object] = {
        "world.rental_max_share": draw(st.floats(0.5, 1.0)),
        "world.smuggling_max_share": draw(st.floats(0.3, 1.0)),
        "world.smuggling_noise_sd": draw(st.floats(0.0, 1.0)),
        "controls.enforcement": draw(st.floats(0.0, 0.3)),
        "controls.cloud_loophole_open": True,
        "controls.variants_allowed": draw(st.booleans()),
        "nations.china.domestic_mandate_share": draw(st.floats(0.0, 0.5)),
        "horizon.end_year": draw(st.integers(2026, 2032)),
    }
    return sim.load_scenario("baseline", ov)


@SETTINGS
@given(scen=leaky_scenarios(), seed=st.integers(0, 2**16))
def test_spend_never_exceeds_budget_however_much_leaks(scen, seed):
    res = run(scen, seed)
    labs = res.labs
    assert (
        labs.compute_spend_usd <= (labs.budget_usd - labs.efficiency_spend_usd) * (1 + 1e-9) + 1
    ).all()
    check_invariants(res)


def test_extreme_valid_inputs_give_finite_tables():
    """Divisions stay safe at the edges of the schema: no capacity, no labs' money, no diffusion,
    almost no revenue, the weakest price responses (finite inputs never give NaN or infinity)."""
    ov = {
        "world.channel_price_elasticity": 0.5,
        "world.scarcity_price_elasticity": 0.0,
        "world.diffusion": 0.0,
        "world.ai_revenue_usd": 1.0,
        "world.rental_max_share": 1.0,
        "world.smuggling_max_share": 1.0,
        "controls.enforcement": 0.0,
        "vendors.nvidia.capacity_chips": 1.0,
        "labs.deepseek.external_usd": 0.0,
        "labs.deepseek.revenue_usd": 0.0,
        "horizon.end_year": 2030,
    }
    res = run(sim.load_scenario("baseline", ov), 0)
    for table in (res.years, res.nations, res.labs, res.flows, res.vendors):
        numbers = table.select_dtypes("number").to_numpy(dtype=float)
        assert np.isfinite(numbers).all()
    check_invariants(res)
