"""History matching on a toy simulator whose non-implausible region is known exactly."""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.ensemble import EnsembleFile, load_ensemble, write_ensemble
from sim.calibration.history_matching import (
    Param,
    as_params,
    history_match,
    implausibility,
    max_implausibility,
)
from sim.calibration.targets import Target
from sim.errors import UserError

TRUTH = {"x1": 0.3, "x2": 0.6, "x3": 2.0}
PARAMS = [("x1", 0.0, 1.0), ("x2", 0.0, 1.0), ("x3", 0.1, 10.0, "log")]
NOISE = 0.01  # seed noise on outputs a and b


def toy(p: dict[str, float], seed: int) -> dict[str, float]:
    """a = x1 + x2, b = x1 - x2 (both with seed noise), c = x3 (1 + x1): truth gives (0.9, -0.3, 2.6)."""
    rng = np.random.default_rng(seed)
    return {
        "a:toy:2024": p["x1"] + p["x2"] + rng.normal(0, NOISE),
        "b:toy:2024": p["x1"] - p["x2"] + rng.normal(0, NOISE),
        "c:toy:2024": p["x3"] * (1 + p["x1"]),
    }


def target(q: str, v: float, lo: float, hi: float, scale: str = "lin") -> Target:
    return Target(
        id=f"{q}:toy:2024",
        quantity=q,
        region="toy",
        year=2024,
        value=v,
        unit="u",
        low=lo,
        high=hi,
        scale=scale,
        kind="level",
        source="toy function",
        date="2024",
        tag="derived",
    )


TARGETS = [
    target("a", 0.9, 0.8, 1.0),
    target("b", -0.3, -0.4, -0.2),
    target("c", 2.6, 2.6 / 10**0.1, 2.6 * 10**0.1, "log"),
]
SEED_SD = {"a": NOISE, "b": NOISE}  # by quantity
KW = dict(waves=4, n_per_wave=60, seed_sd=SEED_SD, plots=False, chunk_size=16)


def true_max_implausibility(x1, x2, x3) -> np.ndarray:
    """Noise-free implausibility worked out by hand (independent of the engine's code)."""
    a, b, c = x1 + x2, x1 - x2, np.log10(x3 * (1 + x1))
    ia = np.abs(a - 0.9) / np.sqrt(0.05**2 + NOISE**2)
    ib = np.abs(b + 0.3) / np.sqrt(0.05**2 + NOISE**2)
    ic = np.abs(c - math.log10(2.6)) / 0.05
    return np.maximum(np.maximum(ia, ib), ic)


def tables_equal(a, b) -> None:
    pd.testing.assert_frame_equal(a.runs, b.runs, check_exact=True)
    pd.testing.assert_frame_equal(a.waves, b.waves, check_exact=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return history_match(
        toy, PARAMS, TARGETS, seed=5, out_dir=tmp_path_factory.mktemp("r") / "hm", **KW
    )


def test_implausibility_by_hand():
    mean = np.array([[1.0, -0.3, math.log10(2.6 * 10**0.05)]])
    imp = implausibility(TARGETS, mean, np.array([[0.0, 0.01**2, 0.0]]), discrepancy={"c": 0.05})
    assert imp[0, 0] == pytest.approx(0.1 / 0.05)
    assert imp[0, 1] == 0.0
    assert imp[0, 2] == pytest.approx(0.05 / math.sqrt(0.05**2 + 0.05**2))
    assert max_implausibility(imp, 1)[0] == pytest.approx(2.0)
    assert max_implausibility(imp, 2)[0] == pytest.approx(0.05 / math.sqrt(0.005))
    assert np.isinf(implausibility(TARGETS, np.array([[np.nan, 0, 0]]), np.zeros((1, 3)))[0, 0])


def test_survivors_contain_the_truth_and_the_region_shrinks(reference):
    s = reference.survivors
    assert len(s) >= 40
    # the truth itself is non-implausible, and inside the survivors' range on every axis
    assert true_max_implausibility(**TRUTH) < 1
    for k, v in TRUTH.items():
        assert s[k].min() < v < s[k].max(), k
    # every survivor is truly non-implausible up to seed noise (noise-free check, small slack)
    assert (true_max_implausibility(s["x1"], s["x2"], s["x3"]) <= 3.6).all()
    vol = reference.waves["box_volume"].to_numpy()
    assert vol[0] == 1.0 and (np.diff(vol) <= 0).all() and vol[-1] < 0.1
    rate = reference.waves["pass_rate"].to_numpy()
    assert rate[-1] > 5 * rate[0]  # later waves are spent inside the region
    cuts = reference.cuts[reference.cuts.wave == 1].set_index("target")
    assert cuts["n_cut"].sum() > 0 and (cuts["n_cut"] >= cuts["n_cut_alone"]).all()


def test_outputs_on_disk(reference):
    d = reference.out_dir
    on_disk = pd.read_parquet(d / "non_implausible.parquet")
    pd.testing.assert_frame_equal(on_disk, reference.survivors)
    assert pd.read_csv(d / "waves.csv")["n_pass"].tolist() == reference.waves["n_pass"].tolist()
    cfg = json.loads((d / "config.json").read_text())
    assert cfg["config"]["seed"] == 5 and len(cfg["hash"]) == 64


def test_same_seed_same_waves_serial_or_parallel(reference, tmp_path: Path):
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(2, mp_context=ctx) as ex:
        par = history_match(toy, PARAMS, TARGETS, seed=5, out_dir=tmp_path / "p", executor=ex, **KW)
    tables_equal(reference, par)
    assert (tmp_path / "p" / "non_implausible.csv").read_bytes() == (
        reference.out_dir / "non_implausible.csv"
    ).read_bytes()
    other = history_match(toy, PARAMS, TARGETS, seed=6, out_dir=tmp_path / "o", **KW)
    assert not other.runs["x1"].equals(reference.runs["x1"])


class Flaky:
    """The toy simulator, but it raises on its ``fail_at``-th call (a crash mid-wave)."""

    def __init__(self, fail_at: int):
        self.calls, self.fail_at = 0, fail_at

    def __call__(self, p, seed):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("simulated crash")
        return toy(p, seed)


def test_crash_mid_wave_then_resume_gives_the_same_result(reference, tmp_path: Path):
    out = tmp_path / "hm"
    with pytest.raises(RuntimeError, match="simulated crash"):
        history_match(Flaky(fail_at=100), PARAMS, TARGETS, seed=5, out_dir=out, **KW)
    journal = (out / "journal.jsonl").read_text().splitlines()
    assert len(journal) > 0 and not (out / "runs.parquet").exists()
    assert {json.loads(x)["wave"] for x in journal} == {1, 2}  # died inside wave 2
    with pytest.raises(UserError, match="already holds a history match; pass resume=True"):
        history_match(toy, PARAMS, TARGETS, seed=5, out_dir=out, **KW)
    with pytest.raises(UserError, match="settings changed since this history match started"):
        history_match(
            toy, PARAMS, TARGETS, seed=5, out_dir=out, resume=True, **{**KW, "n_per_wave": 61}
        )
    resumed = history_match(toy, PARAMS, TARGETS, seed=5, out_dir=out, resume=True, **KW)
    tables_equal(reference, resumed)


KILL_SCRIPT = """
import sys, time
sys.path.insert(0, {tests!r})
from test_history_matching import toy, PARAMS, TARGETS, KW
from sim.calibration.history_matching import history_match

def slow(p, seed):
    time.sleep(0.01)
    return toy(p, seed)

history_match(slow, PARAMS, TARGETS, seed=5, out_dir={out!r}, **KW)
"""


def test_sigkill_then_resume_gives_the_same_result(reference, tmp_path: Path):
    out = tmp_path / "killed"
    script = tmp_path / "run.py"
    script.write_text(KILL_SCRIPT.format(tests=str(Path(__file__).parent), out=str(out)))
    proc = subprocess.Popen([sys.executable, str(script)], start_new_session=True)
    journal = out / "journal.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline:  # kill once wave 2 has started committing chunks
        if journal.exists() and '"wave": 2' in journal.read_text():
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert '"wave": 2' in journal.read_text() and not (out / "runs.parquet").exists()
    resumed = history_match(toy, PARAMS, TARGETS, seed=5, out_dir=out, resume=True, **KW)
    tables_equal(reference, resumed)


def test_more_waves_extend_a_finished_match(reference, tmp_path: Path):
    import shutil

    out = tmp_path / "ext"
    shutil.copytree(reference.out_dir, out)
    longer = history_match(
        toy, PARAMS, TARGETS, seed=5, out_dir=out, resume=True, **{**KW, "waves": 5}
    )
    assert len(longer.waves) == 5
    pd.testing.assert_frame_equal(
        longer.runs[longer.runs.wave <= 4].reset_index(drop=True), reference.runs, check_exact=True
    )


def test_replicates_estimate_seed_variance(tmp_path: Path):
    res = history_match(
        toy,
        PARAMS,
        TARGETS,
        waves=1,
        n_per_wave=20,
        replicates=3,
        seed=1,
        out_dir=tmp_path / "r",
        plots=False,
    )
    v = res.runs["v:a:toy:2024"]
    assert v.between(0.1 * NOISE**2, 10 * NOISE**2).mean() > 0.8  # 3 replicates: a rough estimate
    assert (res.runs["v:c:toy:2024"] < 1e-20).all()  # c has no seed noise (rounding only)


def test_unreachable_target_second_max_and_fallback(tmp_path: Path):
    impossible = [*TARGETS, target("d", 5.0, 4.0, 6.0)]  # the toy never reports d

    def with_d(p, seed):
        return {**toy(p, seed), "d:toy:2024": float("nan")}

    strict = history_match(
        with_d, PARAMS, impossible, waves=2, n_per_wave=30, out_dir=tmp_path / "s", plots=False
    )
    assert strict.survivors.empty and strict.waves["fallback"].tolist() == [False, True]
    assert strict.cuts.set_index(["wave", "target"]).loc[(1, "d:toy:2024"), "share_cut"] == 1.0
    with pytest.raises(UserError, match="no non-implausible parameter set"):
        strict.ensemble(5)
    lenient = history_match(
        with_d,
        PARAMS,
        impossible,
        waves=3,
        n_per_wave=40,
        rank=2,
        seed_sd=SEED_SD,
        out_dir=tmp_path / "l",
        plots=False,
    )
    assert len(lenient.survivors) > 0


def test_gp_emulator_screen_spends_runs_inside_the_region(reference, tmp_path: Path):
    pytest.importorskip("sklearn")
    gp = history_match(toy, PARAMS, TARGETS, seed=5, out_dir=tmp_path / "gp", screen="gp", **KW)
    none = history_match(toy, PARAMS, TARGETS, seed=5, out_dir=tmp_path / "no", screen="none", **KW)
    for k, v in TRUTH.items():
        assert gp.survivors[k].min() < v < gp.survivors[k].max(), k
    later = slice(1, None)
    assert gp.waves["n_pass"][later].sum() > 1.5 * none.waves["n_pass"][later].sum()
    assert gp.waves["n_pass"][later].sum() > reference.waves["n_pass"][later].sum()


def test_plots_are_written(tmp_path: Path):
    res = history_match(
        toy,
        PARAMS,
        TARGETS,
        waves=2,
        n_per_wave=30,
        seed=2,
        out_dir=tmp_path / "p",
        seed_sd=SEED_SD,
    )
    names = {p.name for p in res.files}
    assert {"marginals.png", "pairs.png", "waves.png", "non_implausible.csv", "cuts.csv"} <= names
    assert all((tmp_path / "p" / n).stat().st_size > 1000 for n in ("marginals.png", "pairs.png"))


def test_bad_settings_are_one_line_each(tmp_path: Path):
    with pytest.raises(UserError) as e:
        as_params([("a", 1.0, 0.0), ("b", 0.0, 1.0, "log"), ("c", 0, 1), ("c", 0, 2)])
    assert e.value.problems == [
        "params[0] ('a', 1.0, 0.0): low 1 must be below high 0",
        "params[1] ('b', 0.0, 1.0, 'log'): a log-scale parameter needs low > 0",
        "params: 'c' appears twice",
    ]
    with pytest.raises(UserError) as e:
        history_match(
            toy, PARAMS, TARGETS, waves=0, n_per_wave=1, cutoff=-1, out_dir=tmp_path / "x"
        )
    assert [p.split(":")[0] for p in e.value.problems] == ["waves", "n_per_wave", "cutoff"]
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "f").write_text("x")
    with pytest.raises(UserError, match="not empty and holds no history match"):
        history_match(toy, PARAMS, TARGETS, out_dir=tmp_path / "busy")
    assert Param(path="x", low=1, high=100, scale="log").value(np.array([0.5]))[0] == pytest.approx(
        10
    )


def test_ensemble_file_round_trip_and_validation(reference, tmp_path: Path):
    ens = reference.ensemble(25, created="2026-01-02")
    assert len(ens.members) == 25 and ens.provenance.method == "history matching"
    assert ens.provenance.seed == 5 and ens.provenance.settings["cutoff"] == 3.0
    assert ens.provenance.targets_version == "custom"  # toy targets are not rows of targets.csv
    assert ens.provenance.targets == ["a:toy:2024", "b:toy:2024", "c:toy:2024"]
    assert ens.provenance.n_non_implausible == len(reference.survivors)
    assert ens == reference.ensemble(25, created="2026-01-02")  # same seed, same members
    assert ens != reference.ensemble(25, seed=9, created="2026-01-02")
    f = write_ensemble(ens, tmp_path / "ens.json")
    back = load_ensemble(f)
    assert back == ens and back.overrides()[0].keys() == {"x1", "x2", "x3"}
    survivors = {tuple(r) for r in reference.survivors[["x1", "x2", "x3"]].to_numpy()}
    assert all(tuple(m.values[k] for k in ("x1", "x2", "x3")) in survivors for m in back.members)
    data = json.loads(f.read_text())
    bad_cases = {
        "outside its range": lambda d: d["members"][0]["values"].update(x1=1.5),
        "missing ['x3']": lambda d: d["members"][1]["values"].pop("x3"),
        "ids must be unique": lambda d: d["members"][2].update(id=d["members"][3]["id"]),
        "format: Input should be 'sputnik-ensemble'": lambda d: d.update(format="other"),
        "provenance.targets_version: Field required": lambda d: d["provenance"].pop(
            "targets_version"
        ),
    }
    for message, edit in bad_cases.items():
        d = json.loads(json.dumps(data))
        edit(d)
        g = tmp_path / "bad.json"
        g.write_text(json.dumps(d))
        with pytest.raises(UserError) as e:
            load_ensemble(g)
        assert len(e.value.problems) == 1 and message in e.value.problems[0], e.value.problems
        assert e.value.problems[0].startswith(f"{g}: ")
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(UserError, match="not a JSON ensemble file"):
        load_ensemble(tmp_path / "junk.json")
    assert EnsembleFile.model_json_schema()["title"] == "EnsembleFile"


def test_backtest_simulator_produces_shipped_target_ids():
    """The interim model adapter: one history run gives a finite value for each mapped target."""
    from sim.calibration.simulators import BacktestSimulator
    from sim.calibration.targets import load_targets

    targets = load_targets()
    out = BacktestSimulator()({"world.run_duration_growth": 1.1}, 0)
    mapped = [t.id for t in targets if f"{t.quantity}:{t.region}" in BacktestSimulator.target_ids()]
    assert set(out) == set(mapped) and len(mapped) == 19
    assert all(math.isfinite(v) and v > 0 for v in out.values())
    from sim.calibration.history_matching import _targets_provenance

    picked = [targets[i] for i in mapped]
    assert _targets_provenance(picked, picked, None) == {
        "targets_version": targets.version,
        "targets_sha256": targets.sha256,
    }
    base = BacktestSimulator()({}, 0)
    assert (
        out["largest_run_flop:usa:2024"] < base["largest_run_flop:usa:2024"]
    )  # smaller flagship share
