"""Unit tests of the model's pure parts: market clearing, channel choice, control eligibility,
leakage, depreciation, R&D and catch-up, lags, programme payments."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

import sim
from sim.model.algorithms import (
    best_efficiency_share,
    bisect,
    catchup_gain,
    own_rd_gain,
    training_flop,
)
from sim.model.capability import FrontierHistory
from sim.model.controls import H100_TPP
from sim.model.market import (
    Offer,
    depreciate,
    logit_shares,
    ration,
    safe_log10,
    scarcity_multiplier,
    smuggling_share,
    split_budget,
)
from sim.model.model import programme_payment

# ---------------------------------------------------------------- market clearing and rationing


def test_ration_fills_everything_when_capacity_suffices():
    assert ration([1.0, 2.0], 3.0) == 1.0
    assert ration([], 5.0) == 1.0


def test_ration_is_pro_rata_and_never_oversells():
    orders = [30.0, 10.0]
    fill = ration(orders, 20.0)
    assert fill == pytest.approx(0.5)
    assert sum(o * fill for o in orders) <= 20.0 + 1e-9


def test_ration_with_no_capacity_fills_nothing():
    assert ration([5.0], 0.0) == 0.0
    assert ration([5.0], -1.0) == 0.0


def test_scarcity_multiplier_rises_with_excess_demand_and_is_capped():
    assert scarcity_multiplier(50, 100, 0.5) == 1.0
    assert scarcity_multiplier(400, 100, 0.5) == pytest.approx(2.0)
    assert scarcity_multiplier(1e9, 100, 0.5) == 3.0
    assert scarcity_multiplier(10, 0, 0.5) == 1.0


# ---------------------------------------------------------------- channel choice


def offer(vendor="v", channel="legal", price=1.0, quality=1.0, denied=False, perf=1.0):
    return Offer(vendor, channel, price, perf, quality, denied=denied)


def test_logit_shares_favour_the_cheaper_offer():
    shares = logit_shares([1.0, 2.0], 4.0)
    assert sum(shares) == pytest.approx(1.0)
    assert shares[0] / shares[1] == pytest.approx(16.0)


def test_split_budget_spends_everything_on_allowed_offers():
    shares = split_budget([offer(price=1.0), offer("w", price=1.5)], 4.0, 0.1, 0.1)
    assert sum(shares) == pytest.approx(1.0)
    assert shares[0] > shares[1]


def test_split_budget_routes_denied_money_to_leaks_and_allowed():
    offers = [
        offer("dom", "domestic", price=2.0),
        offer("nv", "legal", price=1.0, denied=True),
        offer("nv", "smuggled", price=1.5),
        offer("nv", "rented", price=1.2),
    ]
    shares = split_budget(offers, 4.0, smuggle_share=0.2, rent_share=0.1)
    primary = logit_shares([2.0, 1.0], 4.0)
    denied = primary[1]
    assert shares[1] == 0.0  # nothing is bought through the denied offer itself
    assert shares[2] == pytest.approx(denied * 0.2)
    assert shares[3] == pytest.approx(denied * 0.1)
    assert sum(shares) == pytest.approx(1.0)


def test_split_budget_leaves_money_unspent_when_nothing_is_allowed():
    offers = [offer("nv", "legal", denied=True), offer("nv", "smuggled", price=1.5)]
    shares = split_budget(offers, 4.0, smuggle_share=0.3, rent_share=0.0)
    assert shares == pytest.approx([0.0, 0.3])


def test_split_budget_domestic_mandate_sets_a_floor():
    offers = [offer("dom", "domestic", price=5.0), offer("nv", "legal", price=1.0)]
    free = split_budget(offers, 4.0, 0.0, 0.0)
    mandated = split_budget(offers, 4.0, 0.0, 0.0, domestic_min_share=0.3)
    assert free[0] < 0.3
    assert mandated[0] == pytest.approx(0.3)
    assert sum(mandated) == pytest.approx(1.0)


def test_split_budget_without_offers():
    assert split_budget([], 4.0, 0.1, 0.1) == []


# ---------------------------------------------------------------- leakage


def test_smuggling_share_falls_with_enforcement():
    shares = [smuggling_share(e / 10, 0.45, 2.0) for e in range(11)]
    assert shares[0] == pytest.approx(0.45)
    assert shares[-1] == 0.0
    assert all(a > b for a, b in zip(shares, shares[1:], strict=False))


def test_smuggling_share_clamps_enforcement():
    assert smuggling_share(-1.0, 0.4, 2.0) == pytest.approx(0.4)
    assert smuggling_share(2.0, 0.4, 2.0) == 0.0


# ---------------------------------------------------------------- stocks


def test_depreciation_and_lease_end():
    stock = [100.0, 50.0, 10.0]
    depreciate(stock, 0.2, keep_index=1)
    assert stock == pytest.approx([80.0, 0.0, 8.0])


def test_safe_log10_floors_empty_stocks():
    assert safe_log10(0.0) == 0.0
    assert safe_log10(1e26) == pytest.approx(26.0)


# ---------------------------------------------------------------- algorithms


def test_own_rd_gain_reference_and_saturation():
    assert own_rd_gain(0.0, 1e10, 2.7, 0.35) == 0.0
    assert own_rd_gain(1e10, 1e10, 2.7, 0.35) == pytest.approx(math.log(2.7))
    assert own_rd_gain(1e15, 1e10, 2.7, 0.35) < 2 * math.log(2.7)
    assert own_rd_gain(2e10, 1e10, 2.7, 0.35) > own_rd_gain(1e10, 1e10, 2.7, 0.35)


def test_catchup_closes_part_of_the_gap_and_never_overshoots():
    gain = catchup_gain(
        0.0, best_open=1.0, best_all=2.0, rate_open=0.6, rate_closed=0.25, diffusion=1.0
    )
    assert gain == pytest.approx(0.6 * 1.0 + 0.25 * 1.0)
    assert catchup_gain(0.0, 1.0, 2.0, 1.0, 1.0, 2.0) == pytest.approx(2.0)  # capped at the leader


def test_catchup_is_zero_without_diffusion_or_gap():
    assert catchup_gain(0.0, 1.0, 2.0, 0.6, 0.25, 0.0) == 0.0
    assert catchup_gain(3.0, 1.0, 2.0, 0.6, 0.25, 1.0) == 0.0


def test_open_weights_diffuse_faster_than_closed_methods():
    via_open = catchup_gain(
        0.0, best_open=1.0, best_all=1.0, rate_open=0.6, rate_closed=0.25, diffusion=1.0
    )
    via_closed = catchup_gain(
        0.0, best_open=-math.inf, best_all=1.0, rate_open=0.6, rate_closed=0.25, diffusion=1.0
    )
    assert via_open > via_closed


def test_training_flop_is_a_product():
    assert training_flop(1e5, 0.4, 0.25, 3.156e7, 9.89e14, 1.0) == pytest.approx(
        1e5 * 0.4 * 0.25 * 3.156e7 * 9.89e14
    )


def test_bisect_finds_root_and_clamps():
    assert bisect(lambda x: 0.3 - x, 0.0, 1.0) == pytest.approx(0.3, abs=1e-6)
    assert bisect(lambda x: -1.0, 0.0, 1.0) == 0.0
    assert bisect(lambda x: 1.0, 0.0, 1.0) == 1.0


def test_dearer_compute_shifts_the_adaptive_split_toward_efficiency():
    args = dict(
        budget=2e10,
        stock_h100e=5e5,
        depreciation=0.2,
        rd_rate=2.7,
        rd_reference=1.5e10,
        rd_elasticity=0.35,
        compute_value=1.0,
        lo=0.05,
        hi=0.6,
    )
    cheap = best_efficiency_share(effective_price=1e4, **args)
    dear = best_efficiency_share(effective_price=1e5, **args)
    assert 0.05 <= cheap < dear <= 0.6


# ---------------------------------------------------------------- lags


def test_frontier_history_lag_months():
    h = FrontierHistory(prehistory_slope=1.0)
    h.record(2024, 26.0)
    h.record(2025, 27.0)
    h.record(2026, 28.0)
    assert h.lag_months(28.0, 2026) == 0.0
    assert h.lag_months(27.5, 2026) == pytest.approx(6.0)
    assert h.lag_months(25.0, 2026) == pytest.approx(36.0)  # before the record: extrapolated


def test_frontier_history_is_monotone():
    h = FrontierHistory(1.0)
    h.record(2025, 27.0)
    h.record(2026, 26.0)  # a worse year does not move the frontier back
    assert h.levels[-1] == 27.0
    with pytest.raises(ValueError):
        FrontierHistory(1.0).first_reached(1.0)


# ---------------------------------------------------------------- programme payments


def test_programme_pays_upfront_then_evenly_after_the_lag():
    p = SimpleNamespace(
        total_usd=500.0, upfront_usd=100.0, years=4, start_year=2025, buildout_lag_years=1
    )
    pays = {y: programme_payment(p, y) for y in range(2024, 2032)}
    assert pays[2025] == 0.0
    assert pays[2026] == 100.0
    assert pays[2027] == pays[2028] == pays[2029] == pytest.approx(400.0 / 3)
    assert pays[2030] == 0.0
    assert sum(pays.values()) == pytest.approx(500.0)


def test_one_year_programme_pays_everything_at_once():
    p = SimpleNamespace(
        total_usd=50.0, upfront_usd=10.0, years=1, start_year=2025, buildout_lag_years=0
    )
    assert programme_payment(p, 2025) == 50.0


# ---------------------------------------------------------------- control eligibility


@pytest.fixture()
def model():
    return sim.ComputeRaceModel("baseline", seed=0)


def channels(model, lab_key, vendor_key):
    lab = model.lab_by_key[lab_key]
    return model.controls.offers(
        lab, model.nations[lab.nation], model.vendor_by_key[vendor_key], model
    )


def test_targets_and_controlled(model):
    c = model.controls
    assert c.targets(model.nations["china"])
    assert not c.targets(model.nations["usa"])
    assert not c.targets(model.nations["gulf"])  # restricted is not a target tier in the baseline
    assert c.controlled(model.vendor_by_key["nvidia"])
    assert not c.controlled(model.vendor_by_key["huawei"])  # not the controller's vendor
    c.tpp_threshold = 1e9
    assert not c.controlled(model.vendor_by_key["nvidia"])
    c.enabled = False
    c.update(model.year)
    assert not c.targets(model.nations["china"])


def test_ally_buys_legally_at_full_quality(model):
    (o,) = channels(model, "google", "nvidia")
    assert (o.channel, o.quality, o.denied) == ("legal", 1.0, False)


def test_target_gets_variant_denied_flagship_and_leaks(model):
    got = {(o.channel, o.denied) for o in channels(model, "deepseek", "nvidia")}
    assert ("legal", False) in got  # compliant variant
    assert ("legal", True) in got  # the denied flagship
    assert ("smuggled", False) in got
    assert ("rented", False) in got  # cloud loophole open in 2025
    variant = next(
        o for o in channels(model, "deepseek", "nvidia") if o.channel == "legal" and not o.denied
    )
    assert variant.chip_perf * H100_TPP < model.controls.tpp_threshold
    assert variant.quality < 1.0


def test_closing_the_loophole_removes_rental(model):
    model.controls.cloud_loophole_open = False
    assert "rented" not in {o.channel for o in channels(model, "deepseek", "nvidia")}


def test_no_variants_when_disallowed(model):
    model.controls.variants_allowed = False
    legal = [
        o for o in channels(model, "deepseek", "nvidia") if o.channel == "legal" and not o.denied
    ]
    assert legal == []


def test_licence_offers_capped_product_below_ceiling(model):
    model.controls.licence.enabled = True
    lic = [o for o in channels(model, "deepseek", "nvidia") if o.channel == "licensed"]
    assert len(lic) == 1
    assert lic[0].chip_perf * H100_TPP < model.controls.licence.max_tpp
    # the flagship above the ceiling stays denied and can still be smuggled
    assert any(o.channel == "smuggled" for o in channels(model, "deepseek", "nvidia"))


def test_purchase_ban_blocks_variants_and_licences(model):
    model.controls.licence.enabled = True
    model.nations["china"].ban_compliant_imports = True
    got = {o.channel for o in channels(model, "deepseek", "nvidia") if not o.denied}
    assert got <= {"smuggled", "rented"}


def test_domestic_vendor_sells_only_at_home_and_captive_chips_only_to_their_buyer(model):
    assert channels(model, "google", "huawei") == []
    assert [o.channel for o in channels(model, "deepseek", "huawei")] == ["domestic"]
    assert channels(model, "meta", "tpu") == []
    assert len(channels(model, "google", "tpu")) == 1


def test_variant_availability_after_a_new_threshold(model):
    c = model.controls
    assert c.variant_availability(model.year) == 1.0
    c.threshold_changed_year = 2025
    c.variant_lag_years = 0.5
    assert c.variant_availability(2025) == pytest.approx(0.5)
    assert c.variant_availability(2026) == 1.0
    c.variants_allowed = False
    assert c.variant_availability(2030) == 0.0


def test_set_param_threshold_change_starts_variant_lag(model):
    model.set_param("controls.tpp_threshold", 2000.0)
    assert model.controls.threshold_changed_year == model.year
    with pytest.raises(ValueError, match="out of range"):
        model.set_param("controls.enforcement", 1.5)


def test_set_param_updates_live_vendor_state(model):
    v = model.vendor_by_key["huawei"]
    before = v.price_per_h100e
    model.set_param("vendors.huawei.perf_h100e", 1.6)
    assert v.perf == 1.6
    assert v.price_per_h100e == pytest.approx(before / 2)
    assert model.get_param("vendors.huawei.perf_h100e") == 1.6
