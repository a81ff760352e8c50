"""Sweep analysis that shows its own uncertainty: charts, rankings, heatmaps, PRIM warnings."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from sim.sweeps import analysis, analysis_plots, run_sweep
from sim.sweeps.prim import prim, prim_package

matplotlib.use("Agg")


@pytest.fixture
def keep_figures(monkeypatch):
    """Let plot functions leave their figure open so the test can inspect what was drawn."""
    import matplotlib.pyplot as plt

    plt.close("all")
    monkeypatch.setattr(plt, "close", lambda *a, **k: None)
    yield lambda: plt.figure(plt.get_fignums()[-1])
    monkeypatch.undo()
    plt.close("all")


# --- pure functions on synthetic tables --------------------------------------------------------


def test_informative_flags_constant_and_empty_outcomes():
    df = pd.DataFrame(
        {
            "status": ["ok", "ok", "ok", "error"],
            "varies": [1.0, 2.0, 3.0, np.nan],
            "year": [2025.0, 2025.0, 2025.0, np.nan],
            "never": [np.nan] * 4,
            "mostly": [2025.0, np.nan, 2025.0, np.nan],
        }
    )
    keep, notes = analysis.informative(df, ["varies", "year", "never", "mostly"])
    assert keep == ["varies"]
    assert notes == [
        "year carries no information: 2025 in all 3 runs; not analysed",
        "never carries no information: no run produced a value; not analysed",
        "mostly carries no information: 2025 in all 2 runs, missing in 1; not analysed",
    ]


SENS = pd.DataFrame(
    {
        "levers": ["all"] * 4,
        "outcome": ["y"] * 4,
        "parameter": ["a", "b", "c", "d"],
        "S1": [0.5, 0.2, 0.15, 0.0],
        "S1_conf": [0.05, 0.05, 0.05, 0.01],
        "ST": [0.6, 0.3, 0.25, 0.01],
        "ST_conf": [0.1, 0.04, 0.05, 0.01],
    }
)


def test_ranking_orders_parameters_and_marks_overlapping_intervals():
    r = analysis.ranking(SENS, "ST", top=3)
    assert r["parameter"].tolist() == ["a", "b", "c"] and r["rank"].tolist() == [1, 2, 3]
    # a: 0.6 - 0.1 = 0.5 > b's 0.34 -> distinct; b: 0.26 < c's 0.30 -> overlap
    assert r["distinct"].tolist() == [True, False, True]
    line = analysis.ranking_text(SENS, top=3)[0]
    assert line == "top parameters for y by ST: a 0.6 +-0.1 > b 0.3 +-0.04 ~ c 0.25 +-0.05"
    morris = SENS.rename(columns={"ST": "mu_star", "ST_conf": "mu_star_conf"})
    assert analysis.ranking(morris, top=1)["parameter"].tolist() == ["a"]  # mu* picked by default


def test_crosstab_gives_each_cell_its_median():
    rng = np.random.default_rng(1)
    rows = []
    for a in (0.2, 0.8):
        for b in (True, False):
            for k in range(9):
                rows.append({"a": a, "b": b, "u": rng.random(), "y": 10 * a + (5 if b else 0) + k})
    df = pd.DataFrame(rows)
    t = analysis.crosstab(df, "y", "a", "b").set_index(["a", "b"])
    assert t.loc[(0.2, True), "median"] == pytest.approx(2 + 5 + 4)
    assert t.loc[(0.8, False), "median"] == pytest.approx(8 + 4)
    assert (t["n"] == 9).all()
    assert analysis.crosstab(df, "y", "a", "b", stat="p95").set_index(["a", "b"]).loc[
        (0.2, False), "p95"
    ] == pytest.approx(2 + 8 * 0.95)
    with pytest.raises(analysis.UserError, match="stat 'mode' is unknown"):
        analysis.crosstab(df, "y", "a", "b", stat="mode")


def planted(n: int = 2000, noise: float = 0.0, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.random(n), "b": rng.random(n), "c": rng.random(n)})
    y = (X["a"] < 0.3).to_numpy() & (X["b"] > 0.6).to_numpy()
    return X, y | (rng.random(n) < noise)


def test_prim_warns_when_the_box_misses_its_density_target():
    X, y = planted()
    assert prim(X, y, threshold=0.95).warning() is None
    rng = np.random.default_rng(5)
    weak = prim(X, rng.random(len(X)) < 0.3, rule="coin", threshold=0.9)  # no structure at all
    assert not weak.meets_threshold and weak.density < 0.9
    assert weak.warning().startswith("warning: PRIM box for coin is weak: density")
    none = prim(X, np.zeros(len(X), bool), rule="never")
    assert none.warning() == "warning: no run satisfies never: PRIM has nothing to describe"
    assert none.sentence() == "never: no run satisfies the rule (0 of 2000)"


@pytest.mark.parametrize("noise", [0.0, 0.05])
def test_own_prim_agrees_with_the_prim_package(noise):
    pytest.importorskip("prim")
    X, y = planted(noise=noise, seed=3)
    ours, theirs = prim(X, y, threshold=0.9), prim_package(X, y, threshold=0.9)
    assert theirs.backend == "prim" and ours.backend == "own"
    a, b = ours.box.set_index("parameter"), theirs.box.set_index("parameter")
    assert {"a", "b"} <= set(a.index) and {"a", "b"} <= set(b.index)
    assert a.loc["a", "high"] == pytest.approx(b.loc["a", "high"], abs=0.03)
    assert a.loc["b", "low"] == pytest.approx(b.loc["b", "low"], abs=0.04)
    assert ours.coverage == pytest.approx(theirs.coverage, abs=0.06)
    assert ours.density == pytest.approx(theirs.density, abs=0.06)
    assert ours.density >= 0.9 and theirs.density >= 0.9


# --- charts ------------------------------------------------------------------------------------


def test_sobol_chart_draws_s1_and_st_with_their_intervals(tmp_path: Path, keep_figures):
    analysis_plots.plot_sobol(SENS, tmp_path / "s.png")
    ax = keep_figures().axes[0]
    bars = {c.get_label(): c for c in ax.containers if hasattr(c, "patches")}
    assert set(bars) == {"ST (total)", "S1 (first order)"}
    widths = sorted(p.get_width() for p in bars["ST (total)"].patches)
    assert widths == pytest.approx(sorted(SENS["ST"]))
    errs = [c for c in ax.containers if c.__class__.__name__ == "ErrorbarContainer"]
    assert len(errs) == 2  # one interval set per index
    seg = errs[0].lines[2][0].get_segments()
    half = sorted((s[1][0] - s[0][0]) / 2 for s in seg)
    assert half == pytest.approx(sorted(SENS["ST_conf"]))


def test_morris_chart_plots_sigma_against_mu_star(tmp_path: Path, keep_figures):
    m = SENS.rename(columns={"ST": "mu_star", "ST_conf": "mu_star_conf", "S1": "sigma"})
    analysis_plots.plot_morris(m, tmp_path / "m.png")
    ax = keep_figures().axes[0]
    x, y = ax.lines[0].get_data()
    assert list(x) == list(m["mu_star"]) and list(y) == list(m["sigma"])
    assert "mu*" in ax.get_xlabel() and "sigma" in ax.get_ylabel()


def test_fan_chart_has_year_ticks_a_y_label_distinct_colours_and_a_pooled_note(
    tmp_path: Path, keep_figures
):
    years = np.arange(2025, 2031)
    fan = pd.concat(
        [
            pd.DataFrame(
                {
                    "lever": v,
                    "year": years,
                    "p05": k,
                    "p25": k + 1,
                    "p50": k + 2,
                    "p75": k + 3,
                    "p95": k + 4,
                }
            )
            for k, v in enumerate([0.2, 0.6000000000000001, 0.9])
        ]
    )
    analysis_plots.plot_fan(
        {"china": fan}, "lag_months", tmp_path / "f.png", by="lever", pooled=["x.y"]
    )
    fig = keep_figures()
    ax = fig.axes[0]
    fig.canvas.draw()
    ticks = [t for t in ax.get_xticks() if years[0] <= t <= years[-1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert ax.get_ylabel() == "months behind the world frontier"
    medians = [ln for ln in ax.lines if ln.get_linewidth() == 2]
    assert len({ln.get_color() for ln in medians}) == 3
    assert [ln.get_label() for ln in medians] == ["lever = 0.2", "lever = 0.6", "lever = 0.9"]
    assert any("pooled in each band: x.y" in t.get_text() for t in fig.texts)


def test_heatmap_annotates_each_cell_with_its_median(tmp_path: Path, keep_figures):
    t = pd.DataFrame(
        {
            "outcome": "y",
            "a": [0.1, 0.1, 0.9, 0.9],
            "b": [True, False, True, False],
            "median": [1.0, 2.0, 3.0, 4.0],
            "n": 5,
        }
    )
    analysis_plots.plot_heatmaps(t, "a", "b", tmp_path / "h.png", pooled=["u"])
    ax = keep_figures().axes[0]
    assert sorted(x.get_text() for x in ax.texts) == ["1", "2", "3", "4"]
    assert ax.get_xlabel() == "b" and ax.get_ylabel() == "a"


# --- end to end on a small sweep ---------------------------------------------------------------

SPEC = """
title = "two-lever analysis test"
base = "baseline"
seed = 4
replications = 1
keep_yearly = true
outcomes = ["lag_months:china:2027", "compute_share:china:2027", "sputnik_year"]

[overrides]
"horizon.end_year" = 2027

[sampler]
method = "lhs"
n = 3

[uncertainties]
"controls.sme_effect" = { low = 0.3, high = 0.9 }

[levers]
"controls.enforcement" = [0.1, 0.5, 0.9]
"controls.cloud_loophole_open" = [true, false]
"""


@pytest.fixture(scope="module")
def two_lever(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("two")
    (d / "spec.toml").write_text(SPEC)
    run_sweep(d / "spec.toml", d / "out", workers=1)
    return d / "out"


def test_analyze_two_lever_study(two_lever: Path, tmp_path: Path):
    rep = analysis.analyze(two_lever, tmp_path / "an", prim_rules=["lag_months_china_2027 > 1000"])
    names = {p.name for p in rep["files"]}
    assert {"heatmap.csv", "heatmap.png", "fan-lag_months.png", "summary.csv"} <= names
    heat = pd.read_csv(tmp_path / "an" / "heatmap.csv")
    df = analysis.load_outcomes(two_lever, ok_only=True)
    cell = df[(df["controls.enforcement"] == 0.9) & (~df["controls.cloud_loophole_open"])]
    row = heat[
        (heat.outcome == "lag_months_china_2027")
        & (heat["controls.enforcement"] == 0.9)
        & (~heat["controls.cloud_loophole_open"])
    ]
    assert row["median"].iloc[0] == pytest.approx(cell["lag_months_china_2027"].median())
    assert row["n"].iloc[0] == 3
    assert set(heat["outcome"]) >= {"lag_months_china_2027", "compute_share_china_2027"}
    assert any(
        n.startswith("warning: no run satisfies lag_months_china_2027 > 1000") for n in rep["notes"]
    )


def test_a_constant_outcome_is_flagged_not_drawn(two_lever: Path, tmp_path: Path):
    import shutil

    d = tmp_path / "copy"
    shutil.copytree(two_lever, d)
    df = pd.read_parquet(d / "outcomes.parquet")
    df["compute_share_china_2027"] = 0.125  # as if the outcome carried no information
    df.to_parquet(d / "outcomes.parquet")
    rep = analysis.analyze(d, tmp_path / "an", prim_rules=[])
    assert (
        "compute_share_china_2027 carries no information: 0.125 in all 18 runs; not analysed"
        in rep["notes"]
    )
    heat = pd.read_csv(tmp_path / "an" / "heatmap.csv")
    assert "compute_share_china_2027" not in set(heat["outcome"])
    assert "lag_months_china_2027" in set(heat["outcome"])


def test_analyze_sobol_sweep_prints_a_ranking(tmp_path: Path):
    f = tmp_path / "sobol.toml"
    f.write_text(
        SPEC.split("[sampler]")[0].replace("keep_yearly = true", "keep_yearly = false")
        + '[sampler]\nmethod = "sobol"\nn = 8\n'
        + '[uncertainties]\n"controls.sme_effect" = { low = 0.3, high = 0.9 }\n'
        + '"world.smuggling_max_share" = { range = "sensitivity" }\n'
    )
    run_sweep(f, tmp_path / "s", workers=1)
    rep = analysis.analyze(tmp_path / "s", prim_rules=[])
    assert rep["ranking"] and all(line.startswith("top parameters for ") for line in rep["ranking"])
    assert set(rep["ranking"]) <= set(rep["notes"])
    r = pd.read_csv(tmp_path / "s" / "analysis" / "ranking.csv")
    assert set(r["parameter"]) <= {"controls.sme_effect", "world.smuggling_max_share"}
    assert {"sobol.png", "ranking.csv"} <= {p.name for p in rep["files"]}


def test_discover_with_the_prim_package_backend(two_lever: Path):
    pytest.importorskip("prim")
    median = analysis.load_outcomes(two_lever)["lag_months_china_2027"].median()
    rule = f"lag_months_china_2027 < {float(median)!r}"
    own = analysis.discover(two_lever, rule)
    pkg = analysis.discover(two_lever, rule, backend="prim")
    assert pkg.backend == "prim" and pkg.n_cases == own.n_cases
    with pytest.raises(analysis.UserError, match="backend 'ema' is unknown"):
        analysis.discover(two_lever, rule, backend="ema")


def test_prim_rules_name_metrics_and_the_column_spelling_is_deprecated(two_lever: Path, caplog):
    """A rule names its outcome as the metric vocabulary does; the column name of earlier versions
    gives the same box and logs the deprecation message of sim.metrics.canonical."""
    import logging

    from sim import metrics

    median = float(analysis.load_outcomes(two_lever)["lag_months_china_2027"].median())
    metrics._WARNED.discard("lag_months_china_2027")
    with caplog.at_level(logging.WARNING, logger="sim.metrics"):
        new = analysis.discover(two_lever, f"lag_months:china:2027 < {median!r}")
        assert "old spelling" not in caplog.text
        old = analysis.discover(two_lever, f"lag_months_china_2027 < {median!r}")
    assert (
        "metric 'lag_months_china_2027' is an old spelling: write 'lag_months:china:2027' "
        "(it will stop working)" in caplog.text
    )
    pd.testing.assert_frame_equal(new.box, old.box)
    pd.testing.assert_frame_equal(new.trajectory, old.trajectory)
    assert (new.n_cases, new.coverage, new.density) == (old.n_cases, old.coverage, old.density)
    assert 0 < new.n_cases < new.n_total


def test_a_prim_rule_on_no_outcome_suggests_the_metric():
    columns = ["lag_months_china_2027", "sputnik_year"]
    outcomes = ["lag_months:china:2027", "sputnik_year"]
    with pytest.raises(
        analysis.UserError,
        match=r"no outcome 'lag_months:chna:2027' \(did you mean 'lag_months:china:2027'\?\)",
    ):
        analysis.parse_rule("lag_months:chna:2027 < 6", columns, outcomes)
    with pytest.raises(
        analysis.UserError,
        match=r"no outcome 'nope' \(outcomes: lag_months:china:2027, sputnik_year\)",
    ):
        analysis.parse_rule("nope < 6", columns, outcomes)
    assert analysis.parse_rule("sputnik_year <= 2026", columns, outcomes) == (
        "sputnik_year",
        "<=",
        2026.0,
    )
