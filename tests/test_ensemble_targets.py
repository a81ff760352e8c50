"""What calibration matches: target values read from a run's tables, and the uncertain parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.calibration.params import schema_rows
from sim.calibration.simulators import (
    QUANTITIES,
    BacktestSimulator,
    ModelSimulator,
    TargetExtract,
    offered,
    spec_of,
    supported,
    target_values,
)
from sim.calibration.targets import load_targets
from sim.config.loader import load_scenario
from sim.config.paths import get_path, resolve_field
from sim.ensembles.parameters import _bounds, expand, uncertain_parameters


@pytest.fixture(scope="module")
def hist(request):
    from conftest import run_cached

    return run_cached("history-2020", 0)


def test_model_simulator_agrees_with_the_backtest_adapter():
    targets = load_targets()
    ids = BacktestSimulator.target_ids()
    chosen = [t for t in targets if f"{t.quantity}:{t.region}" in ids]
    sim_ = ModelSimulator.for_targets(chosen)
    for params in ({}, {"world.run_duration_growth": 1.3, "world.supply_response": 0.4}):
        a = sim_(params, 3)
        b = BacktestSimulator()(params, 3)
        assert set(a) == {t.id for t in chosen}
        for k, v in a.items():
            assert v == pytest.approx(b[k], rel=1e-12), k


def test_quantities_by_hand(hist):
    f, n, lb = hist.flows, hist.nations, hist.labs
    specs = [
        ("nvidia_revenue_share", "china", 2023, None),
        ("lag_months", "china", 2024, 2023),
        ("largest_run_growth", "world", 2024, 2020),
        ("nvidia_purchases_h100e", "china", 2024, None),
        ("nvidia_cum_share", "china", 2024, None),
        ("nvidia_cum_h100e", "china", 2024, None),
        ("lab_revenue_usd", "openai", 2024, None),
        ("smuggled_share", "china", 2024, None),
        ("domestic_chip_output", "china", 2024, None),
        ("flagship_share", "world", 2024, None),
    ]
    v = target_values(hist, specs)
    nv = f[f.vendor == "nvidia"]
    legal_cn = nv[(nv.buyer == "china") & nv.channel.isin(["legal", "licensed"])]
    sold = nv[nv.channel.isin(["legal", "licensed", "smuggled"])]
    assert v["nvidia_revenue_share:china:2023"] == pytest.approx(
        legal_cn[legal_cn.year == 2023].revenue_usd.sum()
        / sold[sold.year == 2023].revenue_usd.sum()
    )
    lag = n[n.nation == "china"].set_index("year")["lag_months"]
    assert v["lag_months:china:2024"] == pytest.approx((lag[2023] + lag[2024]) / 2)
    big = n.groupby("year")["largest_run_flop"].max()
    assert v["largest_run_growth:world:2024"] == pytest.approx((big[2024] / big[2020]) ** 0.25)
    cum_cn = legal_cn[(legal_cn.year >= 2022) & (legal_cn.year <= 2024)].h100e.sum()
    cum_all = sold[(sold.year >= 2022) & (sold.year <= 2024)].h100e.sum()
    assert v["nvidia_cum_h100e:china:2024"] == pytest.approx(cum_cn)
    assert v["nvidia_cum_share:china:2024"] == pytest.approx(cum_cn / cum_all)
    assert v["nvidia_purchases_h100e:china:2024"] == pytest.approx(
        legal_cn[legal_cn.year == 2024].h100e.sum()
    )
    stargate = lb[(lb.lab == "stargate") & (lb.year == 2024)]
    assert v["lab_revenue_usd:openai:2024"] == pytest.approx(stargate.revenue_usd.item() / 1e9)
    cn = n[(n.nation == "china") & (n.year == 2024)]
    assert v["smuggled_share:china:2024"] == cn.smuggled_share.item()
    hw = hist.vendors[(hist.vendors.vendor == "huawei") & (hist.vendors.year == 2024)]
    assert v["domestic_chip_output:china:2024"] == hw.sold_chips.item()
    y24 = lb[lb.year == 2024]
    top = y24.loc[y24.training_flop.idxmax()]  # the first of labs tied at the cluster cap
    # the target is a share of R&D compute (the fleet less what serves customers)
    assert 0 < top.training_h100e < top.compute_h100e
    assert v["flagship_share:world:2024"] == pytest.approx(top.cluster_h100e / top.training_h100e)
    # outside the run or unknown: nan, never an exception
    out = target_values(
        hist,
        [
            ("largest_run_flop", "atlantis", 2024, None),
            ("nvidia_cum_h100e", "world", 2031, None),
            ("nope", "x", 2024, None),
        ],
    )
    assert all(math.isnan(x) for x in out.values())


def test_supported_targets_cover_what_the_tables_express(hist):
    targets = load_targets()
    kept, skipped = supported(targets)
    assert len(kept) + len(skipped) == len(targets)
    have = offered(hist)
    assert {
        "largest_run_flop", "nvidia_cum_h100e", "tracked_cum_h100e", "nvidia_purchases_h100e",
        "nvidia_cum_share", "nvidia_revenue_share", "lag_months",
        "domestic_chip_output", "smuggled_share", "algorithmic_efficiency_growth",
        "price_performance_growth", "largest_run_growth", "lab_revenue_usd", "flagship_share",
    } <= {t.quantity for t in kept}  # fmt: skip
    # all-purpose capex and all-data-centre electricity are not what the model records (AI only)
    gone = {t_id.split(":")[0] for t_id, _ in skipped}
    assert {"capex_usd", "dc_electricity_twh"} <= gone
    for t_id, why in skipped:
        q = t_id.split(":")[0]
        assert why and (q not in QUANTITIES or q not in have), t_id
    values = target_values(hist, [spec_of(t) for t in kept])
    assert all(math.isfinite(x) for x in values.values())


def test_target_extract_is_years_by_quantity(hist):
    specs = (
        ("largest_run_flop", "usa", 2021, None),
        ("largest_run_flop", "usa", 2023, None),
        ("lag_months", "china", 2023, None),
    )
    years, names, arr = TargetExtract(specs)(hist)
    assert years == [2021, 2023] and names == ["largest_run_flop:usa", "lag_months:china"]
    v = target_values(hist, specs)
    assert arr[1, 0] == v["largest_run_flop:usa:2023"] and math.isnan(arr[0, 1])


def test_uncertain_parameters_cover_every_ranged_schema_field():
    params, held = uncertain_parameters()
    base, hist = load_scenario("baseline"), load_scenario("history-2020")
    bd, hd = base.model_dump(), hist.model_dump()
    by_path = {p.path: p for p in params}
    held_paths = {h.path: h.reason for h in held}
    assert not set(by_path) & set(held_paths)
    ranged = [r for r in schema_rows() if r.sensitivity is not None]
    assert {r.kind for r in ranged} >= {"source", "assumption"}  # sourced values with a range too
    for row in ranged:
        lo, hi = row.sensitivity
        for path in expand(base, row.name):
            assert path in by_path or path in held_paths, path
            if path in held_paths:
                assert get_path(hd, path, None) != get_path(bd, path, None)
                continue
            p = by_path[path]
            field, _ = resolve_field(base, path)
            vlo, vhi = _bounds(field)
            assert vlo <= p.low < p.high <= vhi
            own, default = get_path(bd, path, None), field.default
            if "<" in row.name and own != default:
                # per-agent value: the schema's range scaled to it (before clipping)
                assert p.low == pytest.approx(max(lo * own / default, vlo))
            else:
                assert (p.low, p.high) == (max(lo, vlo), min(hi, vhi))
            assert p.scale == ("log" if p.low > 0 and p.high / p.low >= 4 else "lin")
    eu = by_path["nations.eu.ai_capex_saturation_gdp_share"]
    assert eu.low < base.nations["eu"].ai_capex_saturation_gdp_share < eu.high
    assert "world.ai_revenue_usd" in held_paths and "world.utilisation" in by_path
    assert np.isfinite([p.low for p in params]).all()


def test_a_refused_parameter_set_is_implausible_not_fatal():
    targets = [t for t in load_targets() if t.quantity == "largest_run_flop"][:2]
    sim_ = ModelSimulator.for_targets(targets)
    assert sim_({"world.utilisation": 5.0}, 0) == {}  # out of the field's bounds: refused
    assert set(sim_({"world.utilisation": 0.45}, 0)) == {t.id for t in targets}
