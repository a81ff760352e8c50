"""Unit tests of the v2 mechanism modules alone: chip supply (prices, capacity), power grids,
serving, diffusion channels, investors and demand, the necessity edge. Expected numbers are
worked out here from the formulas in the docstrings, not copied from runs."""

from __future__ import annotations

import math

import pytest

import sim
from sim.model.algorithms import necessity_target
from sim.model.diffusion import Teacher, channel_gain, distillation_bonus, lagged_level
from sim.model.finance import ai_demand, capability_weights, investor_growth, investor_mood
from sim.model.power import PowerGrid
from sim.model.serving import assign_serving, serving_units_needed
from sim.model.supply import expansion_order, scarcity, smooth_price, target_price

# ---------------------------------------------------------------- supply


def test_target_price_is_cost_times_markup_moved_by_utilisation_never_below_cost():
    assert target_price(100.0, 1.5, 1.0, 0.5) == pytest.approx(150.0)
    assert target_price(100.0, 1.5, 4.0, 0.5) == pytest.approx(300.0)  # 4^0.5 = 2
    assert target_price(100.0, 4.0, 0.25, 0.5) == pytest.approx(200.0)  # idle capacity: a cut
    assert target_price(100.0, 1.5, 0.01, 0.5) == pytest.approx(100.0)  # never below cost


def test_capacity_follows_use_an_idle_vendor_stops_growing():
    """A vendor whose chips nobody orders does not keep building capacity on its trend."""
    from sim.model.trade import advance_vendors

    m = sim.ComputeRaceModel("baseline", seed=0)
    amd = m.vendor_by_key["amd"]
    amd.utilisation, amd.demand_chips = 0.0, 0.0
    before = amd.potential
    advance_vendors([amd], m.nations, m.controls, m.world)
    assert amd.potential == pytest.approx(before)


def test_prices_move_toward_the_target_by_at_most_the_yearly_step():
    assert smooth_price(100.0, 200.0, 0.25) == pytest.approx(125.0)
    assert smooth_price(100.0, 10.0, 0.25) == pytest.approx(75.0)
    assert smooth_price(100.0, 110.0, 0.25) == pytest.approx(110.0)  # within the step: reached
    assert smooth_price(0.0, 110.0, 0.25) == 110.0  # no price yet: the target


def test_scarcity_is_orders_over_capacity_between_one_and_its_cap():
    assert scarcity(50.0, 100.0) == 1.0
    assert scarcity(250.0, 100.0) == pytest.approx(2.5)
    assert scarcity(1e9, 100.0) == 3.0
    assert scarcity(5.0, 0.0) == 3.0 and scarcity(0.0, 0.0) == 1.0


def test_expansions_follow_excess_orders_and_are_capped():
    assert expansion_order(1.0, 0.5, 1.0) == 0.0  # no excess orders: only the trend
    assert expansion_order(2.25, 0.5, 1.0) == pytest.approx(0.5)  # 2.25^0.5 - 1
    assert expansion_order(100.0, 0.5, 1.0) == 1.0  # capped


def test_vendors_costs_fall_at_their_own_rates():
    """Vendors' unit costs follow their own curves: the chip market no longer moves at one
    world rate. A foreign vendor's cost falls by exactly its ``cost_decline`` a year; a vendor
    given a slower decline ends dearer."""
    m = sim.ComputeRaceModel("baseline", seed=0, overrides={"vendors.amd.cost_decline": 1.1})
    nvidia, amd = m.vendor_by_key["nvidia"], m.vendor_by_key["amd"]
    c0 = (nvidia.cost_per_h100e, amd.cost_per_h100e)
    for _ in range(5):
        m.step()
    assert nvidia.cost_per_h100e / c0[0] == pytest.approx(nvidia.cost_decline**-5)
    assert amd.cost_per_h100e / c0[1] == pytest.approx(1.1**-5)
    assert amd.cost_per_h100e / c0[1] > nvidia.cost_per_h100e / c0[0]


# ---------------------------------------------------------------- power


def grid(**kw):
    args = dict(capacity_gw=10.0, lead_years=2, build_rate=0.3, build_decay=0.5, build_floor=0.1)
    return PowerGrid(**(args | kw))


def test_free_power_is_capacity_less_what_is_drawn():
    g = grid(used_gw=7.0)
    assert g.free_gw == pytest.approx(3.0)
    g.used_gw = 12.0
    assert g.free_gw == 0.0


def test_build_rate_decays_to_its_floor():
    g = grid()
    assert g.rate(0) == pytest.approx(0.3)
    assert g.rate(1) == pytest.approx(0.1 + 0.2 * 0.5)
    assert g.rate(50) == pytest.approx(0.1)


def test_builds_arrive_after_the_lead_time_and_are_capped_by_the_build_rate():
    g = grid(used_gw=9.0)
    g.demand_gw = 20.0  # far more than can be built
    g.order(0, 1.0)  # the end of the year, as the model runs it: order, then arrivals
    g.arrive()
    assert g.capacity_gw == 10.0  # ordered now, usable in two years
    assert g.pipeline == [pytest.approx(3.0)]  # at most 30% of capacity
    g.order(1, 1.0)
    g.arrive()
    assert g.capacity_gw == pytest.approx(13.0)


def test_no_builds_without_demand():
    g = grid(used_gw=1.0)
    for t in range(4):
        g.order(t, 1.0)
        g.arrive()
    assert g.capacity_gw == 10.0


# ---------------------------------------------------------------- serving


def test_serving_units_needed_scale_with_revenue_and_cost_share():
    assert serving_units_needed(1e9, 0.4, 1e4) == pytest.approx(4e4)
    assert serving_units_needed(0.0, 0.4, 1e4) == 0.0


def test_serving_takes_the_best_bandwidth_classes_first_and_trains_on_the_rest():
    flop = [100.0, 0.0, 50.0, 0.0]
    bw = [1.0, 0.0, 4.0, 0.0]
    left, covered = assign_serving(flop, bw, 120.0, order=(2, 3, 1, 0))
    # class 2 covers 50 x 4 = 200 units: only 30 H100e of it are needed
    assert covered == pytest.approx(120.0)
    assert left == pytest.approx([100.0, 0.0, 20.0, 0.0])


def test_serving_is_capped_by_the_share_of_the_fleet_allowed_to_serve():
    left, covered = assign_serving([100.0], [1.0], 1e9, order=(0,), max_flop=80.0)
    assert covered == pytest.approx(80.0) and left == pytest.approx([20.0])


# ---------------------------------------------------------------- diffusion


def test_channel_gain_closes_a_share_of_the_gap_up_to_a_cap():
    assert channel_gain(1.0, 0.5, 2.0) == pytest.approx(0.5)
    assert channel_gain(10.0, 0.5, 2.0) == pytest.approx(2.0)
    assert channel_gain(-1.0, 0.5, 2.0) == 0.0


def test_lagged_level_interpolates_last_and_this_years_level():
    assert lagged_level(10.0, 8.0, 0.25) == pytest.approx(9.5)
    assert lagged_level(10.0, 8.0, 5.0) == pytest.approx(8.0)  # at most a year back


def bonus(access=1.0, scale=1.0, open_weights=(True, False)):
    teachers = [
        Teacher("open", "a", 10.0, 10.0, open_weights[0]),
        Teacher("closed", "a", 12.0, 12.0, open_weights[1]),
    ]
    return distillation_bonus(
        8.0,
        "student",
        "b",
        teachers,
        {("a", "b"): access},
        open_share=0.5,
        api_share=0.3,
        max_bonus=3.0,
        open_lag=0.0,
        api_lag=0.0,
        scale=scale,
    )


def test_a_student_learns_from_the_best_open_and_the_best_reachable_closed_model():
    # the bigger gain first: API 0.3 x 4 = 1.2 OOM (open weights would give 0.5 x 2 = 1.0), then
    # open weights on what is left of the gap to 10: 0.5 x (10 - 9.2) = 0.4
    gain, who = bonus()
    assert gain == pytest.approx(1.6) and who == "closed"


def test_blocking_api_access_shrinks_the_bonus_and_closing_diffusion_removes_it():
    assert bonus(access=0.0)[0] == pytest.approx(1.0)  # open weights only: 0.5 x 2
    assert bonus(access=0.5)[0] < bonus()[0]
    assert bonus(scale=0.0) == (0.0, "")


def test_the_bonus_never_exceeds_its_cap_nor_lifts_a_student_past_its_teacher():
    gain, _ = bonus(scale=4.0)  # shares x4 and cap x4
    assert 8.0 + gain <= 12.0


# ---------------------------------------------------------------- money and necessity


def test_investor_growth_slows_as_spending_nears_the_saturation_share():
    assert investor_growth(1.5, 0.0, 0.03) == pytest.approx(1.5)
    assert investor_growth(1.5, 0.015, 0.03) == pytest.approx(1.25)
    assert investor_growth(1.5, 0.06, 0.03) == 1.0  # saturated: no growth, no cap on the level
    assert investor_growth(0.9, 0.0, 0.03) == 0.9  # leaving investors are not slowed


def test_investor_mood_compares_progress_with_the_frontiers_pace():
    assert investor_mood(0.5, 0.5, 0.5) == 1.0
    assert investor_mood(0.5, 1.0, 0.5) == pytest.approx(1.25)
    assert investor_mood(0.5, -10.0, 0.5) == 0.6  # clipped


def test_capability_weights_favour_the_most_capable():
    w = capability_weights([10.0, 9.0])
    assert sum(w) == pytest.approx(1.0) and w[0] == pytest.approx(10 / 11)


def test_ai_demand_starts_at_todays_revenue_and_saturates_at_its_gdp_share():
    world = sim.load_scenario("baseline").world
    gdp = 1e14
    start = ai_demand(world, 0.0, gdp, gdp)
    assert start == pytest.approx(world.ai_revenue_usd)
    assert ai_demand(world, 1.0, gdp, gdp) > start
    assert ai_demand(world, 100.0, gdp, gdp) == pytest.approx(gdp * world.ai_demand_max_gdp_share)


def test_necessity_edge_target_is_the_offset_times_the_log_price_disadvantage():
    assert necessity_target(0.0, 0.6) == 0.0
    assert necessity_target(0.5, 0.6) == pytest.approx(0.6 * math.log(2.0))
    assert math.isfinite(necessity_target(1.0, 0.6))  # a total embargo still has a finite edge


def test_utilisation_ramps_from_its_start_share_to_the_full_value():
    """``utilisation_start_factor`` x ``utilisation`` in the start year, linear to the full value
    after ``utilisation_ramp_years``, never beyond; a start factor of 1 is exactly the old rule."""
    from sim.config.loader import load_scenario
    from sim.model.trends import Trends

    w = load_scenario("baseline").world
    ramp = w.model_copy(update={"utilisation_start_factor": 0.5, "utilisation_ramp_years": 3.0})
    full = w.utilisation
    assert Trends.at(ramp, 0).utilisation == pytest.approx(0.5 * full)
    assert Trends.at(ramp, 1).utilisation == pytest.approx(full * (0.5 + 0.5 / 3))
    assert Trends.at(ramp, 3).utilisation == pytest.approx(full)
    assert Trends.at(ramp, 10).utilisation == pytest.approx(full)
    assert Trends.at(ramp, -1).utilisation == pytest.approx(0.5 * full)  # scoring the start fleets
    assert all(Trends.at(w, t).utilisation == full for t in (-1, 0, 5, 40))


def test_lower_start_utilisation_shrinks_the_first_flagship_runs():
    """History-2020 at full utilisation from 2020 against its GPT-3 ramp: the 2020 largest run
    doubles (0.5 -> 1 of utilisation) and the 2021 run is still larger."""
    ramped = sim.run("history-2020", seed=0).nations
    flat = sim.run(
        "history-2020", seed=0, overrides={"world.utilisation_start_factor": 1.0}
    ).nations

    def run(t, year):
        return float(t[(t.nation == "usa") & (t.year == year)].largest_run_flop.iloc[0])

    assert run(flat, 2020) / run(ramped, 2020) == pytest.approx(2.0, rel=0.05)
    assert run(flat, 2021) > run(ramped, 2021)
