"""The ensemble in every command: run --ensemble, compare/demo/backtest/sensitivity by default,
and ``--seed N --no-ensemble`` reproducing the single-run behaviour bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ensemble_support import YEARS, write_tiny

from sim import cli
from sim.calibration import backtest, sensitivity
from sim.ensembles import default_ensemble_path, run_ensemble


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return write_tiny(tmp_path_factory.mktemp("ens") / "tiny.json", 6)


def _main(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_run_with_ensemble_writes_bands_members_and_charts(tiny, tmp_path, capsys):
    out = tmp_path / "r"
    argv = ["run", "baseline", "--ensemble", "4", "--ensemble-file", str(tiny), "--years", YEARS]
    code, stdout, _ = _main([*argv, "--seed", "3", "--workers", "1", "--out", str(out)], capsys)
    assert code == 0
    assert "ensemble of 4 members" in stdout and "[" in stdout  # median [p5, p95] cells
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["output_kind"] == "ensemble" and manifest["ensemble"]["members"] == 4
    assert manifest["ensemble"]["seed"] == 3 and manifest["scenario"]["id"] == "baseline"
    assert set(manifest["files"]) == {p.name for p in out.iterdir()}
    for png in ("capability.png", "compute.png"):
        assert (out / png).stat().st_size > 20_000
    members = pd.read_csv(out / "members.csv")
    assert list(members["member"]) == [0, 1, 2, 3] and "world.necessity_offset" in members
    # bands.csv is computed from the members' values in metrics.parquet
    wide = pd.read_parquet(out / "metrics.parquet")
    bands = pd.read_csv(out / "bands.csv")
    v = wide[wide.year == 2027]["lag_months:china"].to_numpy()
    row = bands[(bands.metric == "lag_months:china") & (bands.year == 2027)].iloc[0]
    assert row["median"] == pytest.approx(np.median(v)) and row["p95"] == pytest.approx(
        np.percentile(v, 95)
    )
    # same seed, two workers: byte-identical tables
    out2 = tmp_path / "r2"
    assert (
        _main([*argv, "--seed", "3", "--workers", "2", "--no-charts", "--out", str(out2)], capsys)[
            0
        ]
        == 0
    )
    assert (out / "bands.csv").read_bytes() == (out2 / "bands.csv").read_bytes()


def test_compare_uses_the_ensemble_by_default_with_paired_differences(tiny, tmp_path, capsys):
    out = tmp_path / "c"
    code, stdout, _ = _main(
        [
            "compare",
            "baseline",
            "no-controls",
            "--ensemble-file",
            str(tiny),
            "--years",
            YEARS,
            "--workers",
            "1",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    assert "ensemble of 6 members" in stdout and "diff" in stdout
    index = json.loads((out / "manifest.json").read_text())
    assert index["output_kind"] == "compare" and index["scenarios"] == ["baseline", "no-controls"]
    assert {"compare.csv", "paired.csv", "compare_overview.png", "compare_effects.png"} <= set(
        index["files"]
    )
    a = pd.read_parquet(out / "baseline" / "metrics.parquet")
    b = pd.read_parquet(out / "no-controls" / "metrics.parquet")
    diff = (b["rival_compute_share"] - a["rival_compute_share"]).to_numpy()
    paired = pd.read_csv(out / "paired.csv")
    row = paired[(paired.metric == "rival_compute_share") & (paired.year == 2028)].iloc[0]
    assert row["median"] == pytest.approx(np.median(diff[a.year.to_numpy() == 2028]))
    assert row["reference"] == "baseline" and row["scenario"] == "no-controls"


def test_no_ensemble_reproduces_the_single_run_compare(tiny, tmp_path, capsys):
    argv = ["compare", "baseline", "no-controls", "--seed", "9", "--no-charts", "--years", YEARS]
    assert _main([*argv, "--no-ensemble", "--out", str(tmp_path / "c")], capsys)[0] == 0
    assert (
        _main(
            [
                "run",
                "no-controls",
                "--seed",
                "9",
                "--no-charts",
                "--years",
                YEARS,
                "--out",
                str(tmp_path / "r"),
            ],
            capsys,
        )[0]
        == 0
    )
    assert (tmp_path / "c" / "no-controls" / "nations.csv").read_bytes() == (
        tmp_path / "r" / "nations.csv"
    ).read_bytes()
    code, _o, err = _main(
        [*argv, "--no-ensemble", "--ensemble", "--out", str(tmp_path / "x")], capsys
    )
    assert code == 2 and "choose one" in err
    code, _o, err = _main(
        [*argv, "--no-ensemble", "--ensemble-file", str(tiny), "--out", str(tmp_path / "x")], capsys
    )
    assert code == 2 and "--ensemble-file" in err


def test_demo_over_a_given_ensemble(tiny, tmp_path, capsys):
    out = tmp_path / "d"
    code, stdout, _ = _main(
        [
            "demo",
            "--ensemble",
            "2",
            "--ensemble-file",
            str(tiny),
            "--no-charts",
            "--workers",
            "1",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0 and "ensemble of 2 members" in stdout
    assert set(json.loads((out / "manifest.json").read_text())["scenarios"]) == set(
        cli.DEMO_SCENARIOS
    )


def test_backtest_no_ensemble_is_the_single_run_backtest_bit_for_bit(tmp_path, capsys):
    code, stdout, _ = _main(
        ["backtest", "--seed", "5", "--no-ensemble", "--out", str(tmp_path)], capsys
    )
    assert code == 0
    bt = backtest.run_backtest(seed=5)
    assert stdout.startswith(backtest.format_table(bt) + "\n")
    ref = tmp_path / "ref"
    backtest.write_outputs(bt, ref)
    assert (tmp_path / "backtest.csv").read_bytes() == (ref / "backtest.csv").read_bytes()


def test_backtest_over_the_ensemble_judges_every_target_and_predicts_2025(tiny, tmp_path, capsys):
    from sim.calibration import ensemble_backtest
    from sim.calibration.simulators import supported
    from sim.calibration.targets import load_targets

    code, stdout, _ = _main(
        [
            "backtest",
            "--ensemble",
            "3",
            "--ensemble-file",
            str(tiny),
            "--workers",
            "1",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 0
    table = pd.read_csv(tmp_path / "backtest_ensemble.csv", comment="#")
    kept, skipped = supported(load_targets())
    assert list(table["id"]) == [t.id for t in kept]
    assert table["passed"].dtype == bool and "pass" in stdout and "FAIL" in stdout
    # pass means the median lies inside the target's band
    assert (
        table["passed"] == ((table["median"] >= table["low"]) & (table["median"] <= table["high"]))
    ).all()
    preds = pd.read_csv(tmp_path / "predictions_2025.csv")
    assert len(preds) == 5 and preds["id"].str.endswith(":2025").all()
    assert "Predictions for 2025" in stdout and "no 2025 data was used" in stdout
    assert (tmp_path / "backtest_ensemble.png").stat().st_size > 30_000
    for t_id, _why in skipped:
        assert t_id in stdout
    # the medians are the members' medians of the same runs
    ebt = ensemble_backtest.run_ensemble_backtest(n=3, ensemble=tiny, seed=0)
    med = np.median(ebt.ensemble.at("largest_run_flop:china", 2023))
    got = table.set_index("id").loc["largest_run_flop:china:2023", "median"]
    assert got == pytest.approx(med)
    assert ebt.rms_largest_runs() == pytest.approx(
        float(
            np.sqrt(
                (
                    table[(table.quantity == "largest_run_flop") & (table.region != "usa")]["error"]
                    ** 2
                ).mean()
            )
        )
    )


def test_sensitivity_over_the_ensemble_ranges_and_ranks(tiny, tmp_path, capsys):
    code, stdout, _ = _main(
        [
            "sensitivity",
            "baseline",
            "--ensemble-file",
            str(tiny),
            "--years",
            "2026",
            "--out",
            str(tmp_path / "s"),
        ],
        capsys,
    )
    assert code == 0 and "Ranking" in stdout
    table = pd.read_csv(tmp_path / "s" / "sensitivity.csv")
    from sim.calibration.ensemble import load_ensemble

    members = load_ensemble(tiny).members
    for p, grp in table.groupby("parameter"):
        vals = [m.values[p] for m in members]
        assert grp["low"].iloc[0] == min(vals) and grp["high"].iloc[0] == max(vals)
    assert set(table["parameter"]) == set(members[0].values)
    rank = pd.read_csv(tmp_path / "s" / "ranking.csv")
    assert list(rank["rank"]) == list(range(1, len(rank) + 1))
    assert rank["score"].is_monotonic_decreasing and rank["score"].max() > 0
    code, _o, err = _main(
        [
            "sensitivity",
            "baseline",
            "--include-sourced",
            "--ensemble-file",
            str(tiny),
            "--out",
            str(tmp_path / "t"),
        ],
        capsys,
    )
    assert code == 2 and "--no-ensemble" in err


def test_sensitivity_no_ensemble_is_the_schema_tornado(tmp_path, capsys):
    argv = ["sensitivity", "baseline", "--no-ensemble", "--years", "2026", "--seed", "2"]
    assert _main([*argv, "--out", str(tmp_path / "s")], capsys)[0] == 0
    ref = sensitivity.one_at_a_time("baseline", years=[2026], seed=2)
    sensitivity.write_outputs(ref, tmp_path / "ref")
    assert (tmp_path / "s" / "sensitivity.csv").read_bytes() == (
        tmp_path / "ref" / "sensitivity.csv"
    ).read_bytes()


def test_shipped_ensemble_runs_the_api(tmp_path):
    res = run_ensemble("baseline", n=2, overrides={"horizon.years": YEARS}, seed=1)
    assert res.manifest["ensemble"]["of"] == len(
        json.loads(default_ensemble_path().read_text())["members"]
    )
    assert np.isfinite(res.band("lag_months:china").to_numpy()).all()
