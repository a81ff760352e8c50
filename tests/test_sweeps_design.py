"""Sweep specs, samplers, outcome metrics, Sobol/Morris on known functions, PRIM (no sweeps run)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.errors import UserError
from sim.sweeps import outcomes as om
from sim.sweeps.analysis import sobol_from
from sim.sweeps.prim import prim
from sim.sweeps.samplers import build_design, run_seed, transform, unit_sample
from sim.sweeps.spec import Param, load_spec, parse_spec

BASE = {
    "base": "baseline",
    "seed": 1,
    "overrides": {"horizon.end_year": 2027},
    "outcomes": ["lag_months:china:2027"],
}


def spec(**kw):
    return parse_spec({**BASE, **kw}, source="t.toml")


UNC = {
    "controls.sme_effect": {"low": 0.3, "high": 0.9},
    "world.revenue_oom_elasticity": {"range": "sensitivity"},
    "controls.enforcement": {"dist": "triangular", "low": 0.1, "mode": 0.5, "high": 0.9},
}


# --- samplers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sampler", "expected"),
    [
        ({"method": "lhs", "n": 17}, 17),
        ({"method": "monte_carlo", "n": 11}, 11),
        ({"method": "sobol", "n": 8}, 8 * (3 + 2)),
        ({"method": "sobol", "n": 8, "second_order": True}, 8 * (2 * 3 + 2)),
        ({"method": "morris", "n": 5}, 5 * (3 + 1)),
        ({"method": "full_factorial", "levels": 2}, 2**3),
    ],
)
def test_sampler_counts_and_bounds(sampler, expected):
    s = spec(sampler=sampler, uncertainties=UNC)
    d = build_design(s)
    assert d.n_samples == expected
    assert d.unit.shape == (expected, 3)
    assert ((d.unit >= 0) & (d.unit <= 1)).all()
    for p, vals in zip(d.uncertainties, d.values, strict=True):
        assert min(vals) >= p.low - 1e-12 and max(vals) <= p.high + 1e-12, p.path
    # the schema's sensitivity range was used for world.revenue_oom_elasticity
    sens = next(p for p in d.uncertainties if p.path == "world.revenue_oom_elasticity")
    assert (sens.low, sens.high) != (None, None) and sens.low < sens.high
    # same seed -> same design; another seed -> another design (except the deterministic grid)
    assert np.array_equal(build_design(s).unit, d.unit)
    if sampler["method"] != "full_factorial":
        other = build_design(
            parse_spec({**BASE, "seed": 2, "sampler": sampler, "uncertainties": UNC}, "t.toml")
        )
        assert not np.array_equal(other.unit, d.unit)


def test_lhs_puts_one_point_in_every_stratum():
    u = unit_sample("lhs", 4, 50, seed=3)
    for col in u.T:
        assert sorted(np.floor(col * 50).astype(int).tolist()) == list(range(50))


def test_levers_cross_the_sample_and_replications_multiply():
    s = spec(
        sampler={"method": "lhs", "n": 4},
        replications=3,
        uncertainties={"controls.sme_effect": {"low": 0.3, "high": 0.9}},
        levers={
            "controls.enforcement": {"low": 0.2, "high": 0.8, "levels": 3},
            "controls.cloud_loophole_open": [True, False],
        },
    )
    d = build_design(s)
    assert len(d.combos) == 6 and d.n_points == 24 and d.n_runs == 72
    assert sorted({c[0] for c in d.combos}) == pytest.approx([0.2, 0.5, 0.8])
    seen = set()
    for run in range(d.n_runs):
        point, sample, combo, rep = d.locate(run)
        assert point * 3 + rep == run
        ov = d.overrides(sample, combo)
        assert set(ov) == {
            "controls.sme_effect",
            "controls.enforcement",
            "controls.cloud_loophole_open",
        }
        seen.add((sample, combo, rep))
    assert len(seen) == 72


def test_run_seeds_depend_only_on_sample_and_replication():
    assert run_seed(7, 3, 1) == run_seed(7, 3, 1)
    seeds = {run_seed(7, s, r) for s in range(200) for r in range(5)}
    assert len(seeds) == 1000
    assert run_seed(8, 3, 1) != run_seed(7, 3, 1)
    assert all(0 <= x < 2**63 for x in seeds)


def test_distributions_transform_inside_bounds():
    u = np.linspace(0, 1, 101)
    norm = Param("x", "uncertainty", dist="normal", mean=0.5, sd=0.3, low=0.2, high=0.7)
    v = transform(norm, u)
    assert min(v) >= 0.2 and max(v) <= 0.7 and v == sorted(v)
    logu = transform(
        Param("x", "uncertainty", dist="loguniform", low=1e6, high=1e9), np.array([0, 0.5, 1])
    )
    assert logu == pytest.approx([1e6, math.sqrt(1e15), 1e9])
    tri = transform(
        Param("x", "uncertainty", dist="triangular", low=0, mode=0.2, high=1), np.array([0.2])
    )
    assert tri == pytest.approx([0.2])  # F(mode) = (mode-low)/(high-low)
    ch = transform(
        Param("x", "lever", dist="choice", values=("a", "b", "c")), np.array([0, 0.34, 0.99, 1.0])
    )
    assert ch == ["a", "b", "c", "c"]
    ints = transform(
        Param("x", "uncertainty", low=1, high=5, integer=True), np.array([0.0, 0.3, 1.0])
    )
    assert all(isinstance(i, int) for i in ints) and ints[0] == 1 and ints[-1] == 5


# --- sensitivity analysis on known functions -----------------------------------------------


def test_sobol_recovers_ishigami_indices():
    names = ["x1", "x2", "x3"]
    u = unit_sample("sobol", 3, 1024, seed=11)
    p = Param("x", "uncertainty", low=-math.pi, high=math.pi)
    x = np.column_stack([transform(p, u[:, i]) for i in range(3)])
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    r = sobol_from(y, names).set_index("parameter")
    assert r.loc[["x1", "x2", "x3"], "S1"].to_numpy() == pytest.approx(
        [0.314, 0.442, 0.0], abs=0.05
    )
    assert r.loc[["x1", "x2", "x3"], "ST"].to_numpy() == pytest.approx(
        [0.558, 0.442, 0.244], abs=0.05
    )


def test_prim_finds_a_planted_box():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "a": rng.random(2000),
            "b": rng.random(2000),
            "c": rng.random(2000),
            "flag": rng.random(2000) < 0.5,
        }
    )
    y = (X["a"] < 0.3).to_numpy() & (X["b"] > 0.6).to_numpy()
    res = prim(X, y, rule="y", threshold=0.95)
    box = res.box.set_index("parameter")
    assert set(box.index) == {"a", "b"}
    assert box.loc["a", "high"] == pytest.approx(0.3, abs=0.05)
    assert box.loc["b", "low"] == pytest.approx(0.6, abs=0.05)
    assert res.density >= 0.95 and res.coverage > 0.8
    loose = prim(X, y, rule="y")  # default threshold 0.8: larger box, lower density
    assert 0.8 <= loose.density < res.density and loose.coverage >= res.coverage
    t = res.trajectory
    assert t["coverage"].iloc[0] == 1.0 and t["mass"].is_monotonic_decreasing
    assert "a <=" in res.sentence() or "<= a <=" in res.sentence()


def test_prim_peels_categories():
    X = pd.DataFrame({"tier": ["x", "y", "z"] * 300, "v": np.linspace(0, 1, 900)})
    y = (X["tier"] == "y").to_numpy()
    res = prim(X, y, rule="y")
    assert res.box.set_index("parameter").loc["tier", "values"] == "y"
    assert res.density == 1.0 and res.coverage == 1.0


# --- outcome metrics -----------------------------------------------------------------------


def test_outcomes_match_the_result_tables():
    scen = sim.load_scenario("baseline", {"horizon.end_year": 2029})
    r = sim.run(scen, seed=5)
    texts = [
        "lag_months:china:2028",
        "oom_gap:usa:china:end",
        "cumulative_spending:china:2028",
        "sputnik_year",
        "sputnik_moment",
        "compute_share:usa:2029",
        "catch_up_year:china:1000",
    ]
    outs = [om.parse_outcome(t, scen) for t in texts]
    vals = dict(zip(texts, om.compute(outs, r), strict=True))
    n = r.nations.set_index(["nation", "year"])
    assert vals["lag_months:china:2028"] == n.loc[("china", 2028), "lag_months"]
    assert vals["oom_gap:usa:china:end"] == pytest.approx(
        n.loc[("usa", 2029), "oom"] - n.loc[("china", 2029), "oom"]
    )
    china = r.nations[r.nations.nation == "china"]
    assert vals["cumulative_spending:china:2028"] == pytest.approx(
        china[china.year <= 2028]["ai_spend_usd"].sum()
    )
    assert vals["sputnik_moment"] == (0.0 if math.isnan(vals["sputnik_year"]) else 1.0)
    assert 0 < vals["compute_share:usa:2029"] < 1
    assert vals["catch_up_year:china:1000"] == 2025  # any lag is under 1000 months in year one
    assert outs[1].column == "oom_gap_usa_china_end"


# --- spec errors: one fixture per kind -----------------------------------------------------

GOOD = """
base = "baseline"
seed = 3
outcomes = ["lag_months:china:2027"]
[overrides]
"horizon.end_year" = 2027
[sampler]
method = "lhs"
n = 4
[uncertainties]
"controls.sme_effect" = { low = 0.3, high = 0.9 }
"""

BAD = {
    "unknown top key": (
        GOOD.replace("seed = 3", "replicatons = 2"),
        "replicatons: unknown key (did you mean 'replications'?)",
    ),
    "unknown parameter": (
        GOOD.replace("controls.sme_effect", "controls.sme_efect"),
        "uncertainties.controls.sme_efect: unknown parameter 'sme_efect' (did you mean 'sme_effect'?)",
    ),
    "unknown section": (
        GOOD.replace("controls.sme_effect", "control.sme_effect"),
        "unknown section 'control' (did you mean 'controls'?)",
    ),
    "undefined nation": (
        GOOD.replace("controls.sme_effect", "nations.chna.ai_budget_share"),
        "nation 'chna' is not defined (did you mean 'china'?)",
    ),
    "out of range": (
        GOOD.replace("high = 0.9", "high = 1.5"),
        "high = 1.5: 1.5 is out of range (must be <= 1",
    ),
    "low above high": (
        GOOD.replace("low = 0.3, high = 0.9", "low = 0.9, high = 0.3"),
        "low (0.9) must be below high (0.3)",
    ),
    "bad sampler": (
        GOOD.replace('method = "lhs"', 'method = "lhc"'),
        "sampler.method: 'lhc' is not a sampler (did you mean 'lhs'?)",
    ),
    "unknown sampler key": (
        GOOD.replace("n = 4", "nn = 4"),
        "sampler.nn: unknown key (did you mean 'n'?)",
    ),
    "sample size missing": (
        GOOD.replace("n = 4\n", ""),
        "sampler.n: required for method 'lhs' (the sample size)",
    ),
    "sample size zero": (
        GOOD.replace("n = 4", "n = 0"),
        "sampler.n: 0 is invalid: must be a positive",
    ),
    "morris odd levels": (
        GOOD.replace('method = "lhs"', 'method = "morris"').replace("n = 4", "n = 4\nlevels = 3"),
        "sampler.levels: 3 is invalid: Morris needs an even number of levels",
    ),
    "no outcomes": (
        GOOD.replace('outcomes = ["lag_months:china:2027"]', ""),
        "outcomes: required: list at least one outcome",
    ),
    "prim not rules": (GOOD + "[analysis]\nprim = 5\n", "analysis.prim: 5 is invalid"),
    "sobol power of two": (
        GOOD.replace('method = "lhs"', 'method = "sobol"').replace("n = 4", "n = 100"),
        "Sobol (Saltelli) needs a power of 2, e.g. 128",
    ),
    "bad distribution": (
        GOOD.replace("{ low = 0.3", '{ dist = "uniformm", low = 0.3'),
        "dist = 'uniformm' is not a distribution (did you mean 'uniform'?)",
    ),
    "unknown metric": (
        GOOD.replace("lag_months:china", "lag_month:china"),
        "outcomes[0]: 'lag_month:china:2027': unknown metric 'lag_month' (did you mean 'lag_months'?)",
    ),
    "year outside horizon": (
        GOOD.replace("china:2027", "china:2040"),
        "year '2040' is outside the simulated years 2025-2027",
    ),
    "missing base": (GOOD.replace('base = "baseline"', ""), "base: required key is missing"),
    "unknown base": (
        GOOD.replace('"baseline"', '"baseline2"'),
        "no such scenario (did you mean 'baseline'?)",
    ),
    "bad override": (
        GOOD.replace('"horizon.end_year" = 2027', '"horizon.end_yr" = 2027'),
        "base/overrides:",
    ),
    "key after a table": (
        GOOD + 'outcomes = ["sputnik_year"]\n',
        "'outcomes' is a top-level key: move it above the first [table]",
    ),
    "bad lever value": (
        GOOD + '[levers]\n"controls.cloud_loophole_open" = [true, "maybe"]\n',
        "levers.controls.cloud_loophole_open: value 'maybe'",
    ),
    "not toml": (GOOD + "[[[", "not valid TOML"),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_specs_give_one_clear_line(kind, tmp_path: Path):
    text, expected = BAD[kind]
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(UserError) as exc:
        load_spec(f)
    lines = exc.value.problems
    assert any(expected in line for line in lines), lines
    assert all(line.startswith(str(f)) for line in lines), lines


def test_shape_and_sampler_problems_are_reported_together(tmp_path: Path):
    """The sampler's rules live in the file model: one pass reports them with the shape errors."""
    f = tmp_path / "bad.toml"
    f.write_text(GOOD.replace("seed = 3", "seed = -1").replace('"lhs"', '"lhc"'))
    with pytest.raises(UserError) as exc:
        load_spec(f)
    assert exc.value.problems == [
        f"{f}: seed: -1 is invalid: Input should be greater than or equal to 0",
        f"{f}: sampler.method: 'lhc' is not a sampler (did you mean 'lhs'?)",
    ]


def test_sampler_defaults_and_morris_trajectories():
    s = spec(sampler={"method": "morris", "trajectories": 3}, uncertainties=UNC)
    assert (s.n, s.levels, s.common_seeds) == (3, 4, True)
    s = spec(uncertainties=UNC, analysis={"prim": "lag_months:china:2027 < 6"})
    assert (s.n, s.levels, s.common_seeds, s.prim) == (0, 3, False, ("lag_months:china:2027 < 6",))


def test_good_spec_loads_and_hash_ignores_title(tmp_path: Path):
    f = tmp_path / "ok.toml"
    f.write_text(GOOD)
    a = load_spec(f)
    f.write_text('title = "renamed"\n' + GOOD)
    b = load_spec(f)
    assert a.spec_hash == b.spec_hash and b.title == "renamed"
    f.write_text(GOOD.replace("seed = 3", "seed = 4"))
    assert load_spec(f).spec_hash != a.spec_hash


def test_shipped_sweep_specs_validate():
    files = sorted((Path(__file__).resolve().parents[1] / "scenarios" / "sweeps").glob("*.toml"))
    assert any(f.name == "smoke.toml" for f in files)
    for f in files:
        s = load_spec(f)
        assert build_design(s).n_runs > 0
    smoke = load_spec(files[[f.name for f in files].index("smoke.toml")])
    assert 30 <= build_design(smoke).n_runs <= 60
