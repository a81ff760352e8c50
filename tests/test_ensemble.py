"""Runs over an ensemble: seeds, what each member sets, bands, paired effects, serial = parallel."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from ensemble_support import YEARS, tiny_ensemble

import sim
from sim.config.loader import apply_overrides, load_scenario
from sim.ensembles import (
    compare_ensembles,
    ensemble_pool,
    paired_effect,
    run_ensemble,
    run_ensembles,
)
from sim.ensembles.members import ensemble_ranges, member_seed, plan
from sim.errors import UserError

SHORT = {"horizon.years": YEARS}


@pytest.fixture(scope="module")
def ens():
    return tiny_ensemble(6)


@pytest.fixture(scope="module")
def base(ens):
    return run_ensemble("baseline", overrides=SHORT, seed=11, ensemble=ens, keep_results=True)


def test_member_seeds_are_seedsequence_children():
    # the k-th child of SeedSequence(seed), folded into 63 bits: independent of order and n
    for seed in (0, 7, 2**62):
        kids = np.random.SeedSequence(seed).spawn(5)
        want = [int(k.generate_state(1, np.uint64)[0]) & (2**63 - 1) for k in kids]
        assert [member_seed(seed, k) for k in range(5)] == want
    assert member_seed(1, 3) != member_seed(2, 3) and member_seed(1, 3) != member_seed(1, 4)


def test_each_member_is_sim_run_with_its_values_and_seed(ens, base):
    scen = load_scenario("baseline", SHORT)
    assert base.member_ids == list(range(6)) and base.n == 6
    for i, m in enumerate(ens.members):
        assert base.seeds[i] == member_seed(11, m.id)
        direct = sim.run(apply_overrides(scen, m.values), seed=base.seeds[i])
        lag = direct.nation_series("lag_months")["china"]
        np.testing.assert_array_equal(base.series("lag_months:china")[m.id].to_numpy(), lag)
        frontier = direct.years.set_index("year")["frontier_oom"]
        np.testing.assert_array_equal(base.series("frontier_oom")[m.id].to_numpy(), frontier)
        assert base.results[i].manifest["seed"] == base.seeds[i]
        assert base.params.loc[m.id].to_dict() == m.values
    # the members differ: the ensemble carries real spread
    assert base.series("frontier_oom").loc[2028].nunique() == 6


def test_serial_equals_parallel_and_a_prefix_is_a_smaller_ensemble(ens, base):
    par = run_ensemble("baseline", overrides=SHORT, seed=11, ensemble=ens, workers=2)
    np.testing.assert_array_equal(par.values, base.values)
    assert par.metrics == base.metrics and par.seeds == base.seeds
    small = run_ensemble("baseline", n=3, overrides=SHORT, seed=11, ensemble=ens)
    np.testing.assert_array_equal(small.values, base.values[:3])
    assert small.member_ids == [0, 1, 2]
    other = run_ensemble("baseline", n=3, overrides=SHORT, seed=12, ensemble=ens)
    assert other.seeds != small.seeds


def test_bands_are_percentiles_over_members(base):
    s = base.series("compute_share:china")
    band = base.band("compute_share:china")
    for y in base.years:
        v = s.loc[y].to_numpy()
        assert band.loc[y, "median"] == pytest.approx(np.median(v))
        assert band.loc[y, "p5"] == pytest.approx(np.percentile(v, 5))
        assert band.loc[y, "p95"] == pytest.approx(np.percentile(v, 95))
        assert band.loc[y, "p5"] <= band.loc[y, "median"] <= band.loc[y, "p95"]
    tidy = base.bands(["compute_share:china", "lag_months:china"])
    assert set(tidy["metric"]) == {"compute_share:china", "lag_months:china"}
    row = tidy[(tidy.metric == "compute_share:china") & (tidy.year == 2027)].iloc[0]
    assert row["median"] == pytest.approx(band.loc[2027, "median"]) and row["n"] == 6
    long = base.tidy()
    assert len(long) == base.n * len(base.years) * len(base.metrics)
    wide = base.wide()
    assert (
        wide.loc[(wide.member == 2) & (wide.year == 2026), "lag_months:china"].item()
        == (base.series("lag_months:china").loc[2026, 2])
    )


def test_bands_ignore_missing_values_without_warnings(base):
    b = base.head(2)
    b.values = b.values.copy()
    b.values[:, 0, 0] = np.nan
    band = b.band(b.metrics[0])
    assert math.isnan(band.iloc[0]["median"]) and not band.iloc[1:].isna().any().any()
    assert b.bands([b.metrics[0]])["n"].iloc[0] == 0


def test_compare_metrics_match_the_single_run_definitions(base):
    from sim.summary import compare_frame

    frame = compare_frame({"b": base.results[0]})
    for key, grp in frame.groupby("metric"):
        np.testing.assert_allclose(
            base.series(key)[0].to_numpy(), grp.set_index("year")["value"].to_numpy()
        )


def test_scenario_levers_and_user_overrides_win_over_the_ensemble(ens):
    scen = load_scenario("baseline", {**SHORT, "world.necessity_offset": 0.4})
    p = plan(ens, scen, seed=0, user_overrides={"world.necessity_offset": 0.4})
    assert "world.necessity_offset" in p.held and "world.necessity_offset" not in p.applied
    # a scenario file that sets a value of its own (history-2020 sets variant_price_factor) keeps it
    hist = load_scenario("history-2020")
    assert hist.world.variant_price_factor != load_scenario("baseline").world.variant_price_factor
    from sim.calibration.ensemble import EnsembleFile

    data = ens.model_dump()
    data["parameters"].append({"path": "world.variant_price_factor", "low": 1.5, "high": 4.0})
    data["parameters"].append({"path": "labs.nosuchlab.budget_growth", "low": 1.0, "high": 2.0})
    for m in data["members"]:
        m["values"]["world.variant_price_factor"] = 3.0
        m["values"]["labs.nosuchlab.budget_growth"] = 1.5
    ens2 = EnsembleFile.model_validate(data)
    p = plan(ens2, hist)
    assert "sets its own value" in p.held["world.variant_price_factor"]
    assert "not in scenario" in p.held["labs.nosuchlab.budget_growth"]
    res = run_ensemble(
        "baseline",
        n=2,
        overrides={**SHORT, "world.necessity_offset": 0.4},
        ensemble=ens,
        keep_results=True,
    )
    assert all(r.manifest["parameters"]["world"]["necessity_offset"] == 0.4 for r in res.results)
    assert res.manifest["ensemble"]["held"] == {
        "world.necessity_offset": "set by the caller's overrides"
    }
    # without a reference in the provenance, only the caller's overrides are held
    p = plan(tiny_ensemble(3, reference=None), hist)
    assert p.held == {}


def test_paired_effect_is_the_member_by_member_difference(ens, base):
    other = run_ensemble("no-controls", overrides=SHORT, seed=11, ensemble=ens)
    eff = paired_effect(base, other)
    key = "rival_smuggled_share"
    np.testing.assert_array_equal(
        eff.series(key).to_numpy(), other.series(key).to_numpy() - base.series(key).to_numpy()
    )
    # directional: without controls nothing is smuggled, so no member's smuggled share rises
    assert (eff.series(key).to_numpy() <= 1e-12).all()
    assert (eff.series(key).loc[2026] < 0).any()
    assert eff.share_above(key, 2026, 0.0) == 0.0
    assert compare_ensembles({"baseline": base, "no-controls": other})[
        "no-controls"
    ].values.shape == (eff.values.shape)
    unpaired = run_ensemble("no-controls", overrides=SHORT, seed=12, ensemble=ens)
    with pytest.raises(UserError, match="different members or seeds"):
        paired_effect(base, unpaired)


def test_progress_streams_partial_results(ens, base):
    seen = []

    def progress(p):
        part = p.result()
        seen.append((p.done, p.total, part.n))
        rows = [base.member_ids.index(m) for m in part.member_ids]
        assert part.member_ids == sorted(part.member_ids)  # member order, whatever finished first
        np.testing.assert_array_equal(part.values, base.values[rows])

    res = run_ensemble("baseline", overrides=SHORT, seed=11, ensemble=ens, progress=progress)
    dones = [d for d, _t, _n in seen]
    assert dones == sorted(dones) and dones[-1] == 6 and len(seen) > 1 and seen[0][2] < 6
    assert all(t == 6 and d == n for d, t, n in seen)
    np.testing.assert_array_equal(res.values, base.values)


def test_run_ensembles_share_one_pool_and_pair(ens, base):
    with ensemble_pool(1):
        pass
    out = run_ensembles(["baseline", "no-controls"], overrides=SHORT, seed=11, ensemble=ens)
    assert list(out) == ["baseline", "no-controls"]
    np.testing.assert_array_equal(out["baseline"].values, base.values)
    with pytest.raises(UserError, match="given twice"):
        run_ensembles(["baseline", "baseline"], n=1, overrides=SHORT, ensemble=ens)


def test_custom_extract_and_memory_light_default(ens):
    res = run_ensemble("baseline", n=2, overrides=SHORT, ensemble=ens, extract=_china_oom)
    assert res.metrics == ["china_oom"] and res.years == [2025, 2026, 2027, 2028]
    assert res.results is None  # full results only on request


def _china_oom(result):
    return pd.DataFrame({"china_oom": result.nation_series("oom")["china"]})


@pytest.mark.parametrize("scenario", ["baseline", "history-2020", "taiwan-shock", "licensed-sales"])
def test_member_metrics_from_records_equal_those_from_the_tables(scenario):
    # members skip the DataFrames: the numbers read from the model's records must be the ones
    # the finished run's tables give, name for name and bit for bit
    from sim.ensembles.extract import metric_arrays, model_metric_arrays
    from sim.model.model import ComputeRaceModel
    from sim.results import result_of

    model = ComputeRaceModel(load_scenario(scenario), seed=4)
    while model.running:
        model.step()
    years, names, values = model_metric_arrays(model)
    t_years, t_names, t_values = metric_arrays(result_of(model))
    assert years == t_years and names == t_names
    assert "rival_lag_months" in names and "lag_months:china" in names
    np.testing.assert_array_equal(values, t_values)
    assert np.isfinite(values[:, names.index("oom_gap")]).all()


def test_bad_input_is_one_clear_line(ens, tmp_path):
    with pytest.raises(UserError, match="has 6 members"):
        run_ensemble("baseline", n=7, ensemble=ens)
    with pytest.raises(UserError, match="has 6 members"):
        run_ensemble("baseline", n=0, ensemble=ens)
    with pytest.raises(UserError, match="cannot read ensemble file"):
        run_ensemble("baseline", ensemble=tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(UserError) as exc:
        run_ensemble("baseline", ensemble=bad)
    assert all(line.startswith(str(bad)) for line in exc.value.problems)
    with pytest.raises(UserError, match="workers"):
        run_ensemble("baseline", n=1, ensemble=ens, workers=0)
    res = run_ensemble("baseline", n=1, overrides=SHORT, ensemble=ens)
    with pytest.raises(UserError, match="did you mean 'lag_months:china'"):
        res.band("lag_month:china")
    with pytest.raises(UserError, match="outside"):
        res.at("lag_months:china", 2040)


def test_ensemble_ranges_are_the_members_extremes(ens):
    scen = load_scenario("baseline")
    r = ensemble_ranges(ens, scen)
    for path, (lo, hi) in r.items():
        vals = [m.values[path] for m in ens.members]
        assert (lo, hi) == (min(vals), max(vals))
    assert set(r) == {p.path for p in ens.parameters}
    assert ensemble_ranges(ens, scen, n=1) == {}  # one member has no spread
