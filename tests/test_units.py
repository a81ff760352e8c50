"""Unit tests of the model's pure parts: leakage, scarcity, depreciation, R&D and catch-up,
training, lags, programme payments, control eligibility and live parameters. Market clearing
has its own file (``test_clearing.py``)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

import sim
from sim.model.agents import H100_TPP
from sim.model.algorithms import (
    best_efficiency_share,
    bisect,
    catchup_gain,
    own_rd_gain,
    training_flop,
)
from sim.model.capability import FrontierHistory
from sim.model.clearing import DOMESTIC, LEGAL, LICENSED, MEM, RENTED, SMUGGLED
from sim.model.controls import Terms
from sim.model.finance import programme_payment
from sim.model.market import depreciate, safe_log10, smuggling_share

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


def test_training_flop_matches_a_hand_calculation():
    # 100,000 H100e at 40% utilisation for a quarter of a year: 1e5 x 0.4 x 0.25 x 3.156e7 s
    # x 9.89e14 FLOP/s = 1e4 x 3.156e7 x 9.89e14 = 3.121284e26 FLOP (by hand: 3.156 x 9.89 =
    # 31.21284), halved by a quality of 0.5.
    assert training_flop(1e5, 0.4, 0.25, 3.156e7, 9.89e14, 1.0) == pytest.approx(3.121284e26)
    assert training_flop(1e5, 0.4, 0.25, 3.156e7, 9.89e14, 0.5) == pytest.approx(1.560642e26)
    assert training_flop(0.0, 0.4, 0.25, 3.156e7, 9.89e14, 1.0) == 0.0


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


FACILITY = 10.0  # data-centre capex per kW in these tests
KW = 1.5  # kW per H100e of a full chip


def channels(model, nation, vendor_key, rental_open=True):
    """What the control regime offers buyers of ``nation`` from ``vendor_key`` (chip price 1)."""
    w = model.world
    terms = Terms(
        year=model.year,
        rental_price=1000.0,
        smuggling_premium=w.smuggling_premium,
        rental_abroad_premium=w.rental_abroad_premium,
        variant_price_factor=2.0,
        kw_per_h100e=KW,
        facility_usd_per_kw=FACILITY,
        kw_factor_variant=2.0,
        kw_factor_domestic=3.0,
        rental_open=rental_open,
        best_controller_perf=model.vendor_by_key["nvidia"].perf,
    )
    return model.controls.offers(model.nations[nation], model.vendor_by_key[vendor_key], 1.0, terms)


def test_targets_and_controlled(model):
    c = model.controls
    assert c.targets(model.nations["china"])
    assert not c.targets(model.nations["usa"])
    assert not c.targets(model.nations["gulf"])  # restricted is not a target tier in the baseline
    assert c.controlled(model.vendor_by_key["nvidia"])
    assert not c.controlled(model.vendor_by_key["huawei"])  # not the controller's vendor
    model.set_param("controls.tpp_threshold", 1e7)  # the schema's ceiling, far above any chip
    assert not c.controlled(model.vendor_by_key["nvidia"])
    model.set_param("controls.enabled", False)
    c.update(model.year)
    assert not c.targets(model.nations["china"])


def test_ally_buys_legally_and_pays_for_the_data_centre_too(model):
    (o,) = channels(model, "usa", "nvidia")
    assert (o.channel, o.denied, o.chip_price) == (LEGAL, False, 1.0)
    assert o.price == pytest.approx(1.0 + FACILITY * KW)  # chip plus the capex of its power
    assert o.kw == KW


def test_target_gets_variant_denied_flagship_and_leaks(model):
    got = channels(model, "china", "nvidia")
    kinds = {(o.channel, o.pclass == MEM, o.denied) for o in got}
    assert (LEGAL, True, False) in kinds  # compliant variant
    assert (LEGAL, False, True) in kinds  # the denied flagship
    assert (SMUGGLED, False, False) in kinds
    assert (RENTED, False, False) in kinds  # cloud loophole open in 2025
    variant = next(o for o in got if o.pclass == MEM)
    assert variant.chip_perf * H100_TPP < model.controls.tpp_threshold
    assert variant.chip_price == pytest.approx(2.0)  # the variant price factor of the terms
    # an H20-class chip draws more power per H100e and keeps the flagship's memory
    assert variant.price == pytest.approx(2.0 + FACILITY * KW * 2.0)
    assert variant.serve > 1.0
    smuggled = next(o for o in got if o.channel == SMUGGLED)
    premium = model.world.smuggling_premium
    assert smuggled.price == pytest.approx(1.0 + premium + FACILITY * KW)
    assert smuggled.chip_price == 1.0  # the vendor sees its price; smugglers keep the premium
    rented = next(o for o in got if o.channel == RENTED)
    assert rented.kw == 0.0 and rented.serve == 0.0  # trains abroad, draws no home power


def test_no_rental_when_hosts_offer_nothing(model):
    got = channels(model, "china", "nvidia", rental_open=False)
    assert RENTED not in {o.channel for o in got}


def test_closing_the_loophole_removes_rental(model):
    model.set_param("controls.cloud_loophole_open", False)
    assert RENTED not in {o.channel for o in channels(model, "china", "nvidia")}


def test_no_variants_when_disallowed(model):
    model.set_param("controls.variants_allowed", False)
    assert not [o for o in channels(model, "china", "nvidia") if o.pclass == MEM]


def test_licence_offers_capped_product_below_ceiling(model):
    model.set_param("controls.licence.enabled", True)
    lic = [o for o in channels(model, "china", "nvidia") if o.channel == LICENSED]
    assert len(lic) == 1
    assert lic[0].chip_perf * H100_TPP < model.controls.licence.max_tpp
    # the flagship above the ceiling stays denied and can still be smuggled
    assert any(o.channel == SMUGGLED for o in channels(model, "china", "nvidia"))


def test_purchase_ban_blocks_variants_and_licences(model):
    model.set_param("controls.licence.enabled", True)
    model.set_param("nations.china.ban_compliant_imports", True)
    got = {o.channel for o in channels(model, "china", "nvidia") if not o.denied}
    assert got <= {SMUGGLED, RENTED}


def test_domestic_vendor_sells_only_at_home(model):
    assert channels(model, "usa", "huawei") == []
    assert [o.channel for o in channels(model, "china", "huawei")] == [DOMESTIC]


def test_captive_chips_go_only_to_their_buyer(model):
    model.step()
    book = model.book.layout
    tpu = list(model.vendor_by_key).index("tpu")
    buyers = {model.labs[i].key for i in book.lab[book.vendor == tpu].tolist()}
    assert buyers == {"google"}


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
    before, cost = v.price_per_h100e, v.cost_per_h100e
    model.set_param("vendors.huawei.perf_h100e", 2 * v.perf)
    assert v.price_per_h100e == pytest.approx(before / 2)  # same chip price, twice the H100e
    assert v.cost_per_h100e == pytest.approx(cost / 2)
    assert model.get_param("vendors.huawei.perf_h100e") == v.perf


def test_set_param_replaces_frozen_sections_with_updated_copies(model):
    world = model.world
    model.set_param("world.diffusion", 0.5)
    assert model.world.diffusion == 0.5 and world.diffusion != 0.5  # the old copy is untouched
    model.set_param("controls.licence.fee_share", 0.4)
    assert model.get_param("controls.licence.fee_share") == 0.4
    rules = [r.model_dump() for r in model.nations["usa"].reactions]
    rules[0]["add"] = {"nations.usa.subsidy_usd": 1e9}
    model.set_param("nations.usa.reactions", rules)
    (rule,) = model.nations["usa"].reactions
    assert rule.add == {"nations.usa.subsidy_usd": 1e9} and rule.trigger == "sputnik_by_rival"


def test_domestic_yield_is_live_state(model):
    v = model.vendor_by_key["huawei"]
    model.set_param("vendors.huawei.domestic.yield_rate", 0.65)
    assert v.yield_rate == 0.65 == model.get_param("vendors.huawei.domestic.yield_rate")
    model.step()  # the yield learns during the year: reads show the live value
    assert model.get_param("vendors.huawei.domestic.yield_rate") == v.yield_rate > 0.65


def test_agents_declare_every_scenario_parameter():
    """Every schema field of a nation, lab and vendor (and every control lever) is a declared,
    typed attribute of its agent or policy class, so paths like ``labs.X.price_markup`` land on
    declared state."""
    from sim.config import schema
    from sim.model.agents import ChipVendor, Lab, Nation
    from sim.model.controls import ExportControl

    for cfg, cls in (
        (schema.Nation, Nation),
        (schema.Lab, Lab),
        (schema.Vendor, ChipVendor),
        (schema.Controls, ExportControl),
    ):
        assert set(cfg.model_fields) <= set(cls.__annotations__), cls.__name__
