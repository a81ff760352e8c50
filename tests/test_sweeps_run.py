"""Running sweeps: backends agree byte for byte, kill-and-resume, failing runs, CLI, analysis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.errors import UserError
from sim.sweeps import analysis, run_sweep
from sim.sweeps.spec import load_spec

SPEC = """
title = "test sweep"
base = "baseline"
seed = 11
replications = 2
keep_yearly = true
chunk_size = 3
outcomes = ["lag_months:china:2027", "compute_share:china:end", "oom_gap:usa:china:2027", "sputnik_year"]

[overrides]
"horizon.end_year" = 2027

[sampler]
method = "lhs"
n = 4

[uncertainties]
"controls.sme_effect" = { low = 0.3, high = 0.9 }

[levers]
"controls.enforcement" = [0.2, 0.9]
"controls.cloud_loophole_open" = [true, false]

[analysis]
prim = ["lag_months_china_2027 < 5"]
"""
N_RUNS = 4 * 4 * 2  # samples x lever combinations x replications
N_CHUNKS = -(-N_RUNS // 3)


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    f = tmp_path / "spec.toml"
    f.write_text(SPEC)
    return f


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """An uninterrupted serial run of SPEC: the table every other backend must reproduce."""
    d = tmp_path_factory.mktemp("ref")
    f = d / "spec.toml"
    f.write_text(SPEC)
    run_sweep(f, d / "out", workers=1)
    return d / "out"


def same_bytes(a: Path, b: Path, name: str) -> bool:
    return (a / name).read_bytes() == (b / name).read_bytes()


def test_reference_sweep_tables(reference: Path):
    df = pd.read_parquet(reference / "outcomes.parquet")
    assert len(df) == N_RUNS and df["run"].tolist() == list(range(N_RUNS))
    assert (df["status"] == "ok").all() and df["error"].isna().all()
    # seeds: one per (sample, replication), shared by the lever combinations of a sample
    assert df.groupby(["sample", "replication"])["seed"].nunique().eq(1).all()
    assert df["seed"].nunique() == 4 * 2
    assert df["controls.sme_effect"].between(0.3, 0.9).all()
    assert set(df["controls.enforcement"]) == {0.2, 0.9}
    assert df["lag_months_china_2027"].notna().all()
    yearly = pd.read_parquet(reference / "yearly.parquet")
    assert len(yearly) == N_RUNS * 3 * 5  # runs x years x nations
    # the table agrees with running the same point directly through sim.run
    row = df.iloc[5]
    r = sim.run(
        "baseline",
        seed=int(row["seed"]),
        overrides={
            "horizon.end_year": 2027,
            "controls.sme_effect": row["controls.sme_effect"],
            "controls.enforcement": row["controls.enforcement"],
            "controls.cloud_loophole_open": bool(row["controls.cloud_loophole_open"]),
        },
    )
    china = r.nations[(r.nations.nation == "china") & (r.nations.year == 2027)]
    assert row["lag_months_china_2027"] == china["lag_months"].iloc[0]
    m = json.loads((reference / "manifest.json").read_text())
    assert (
        m["counts"]["runs"] == N_RUNS
        and m["counts"]["errors"] == 0
        and m["counts"]["chunks"] == N_CHUNKS
    )
    assert m["spec_hash"] == load_spec(reference.parent / "spec.toml").spec_hash
    assert m["package"]["version"] == sim.__version__ and m["sampler"]["method"] == "lhs"
    assert len((reference / "manifest.jsonl").read_text().splitlines()) == N_CHUNKS


def test_serial_sweep_releases_finished_models(spec_file: Path, tmp_path: Path):
    """Mesa 3.3 keeps every model in ``Agent._ids``; the runner must release them (flat memory)."""
    from mesa.agent import Agent

    from sim.model.model import ComputeRaceModel

    def finished() -> int:
        return sum(1 for m in list(Agent._ids) if isinstance(m, ComputeRaceModel) and not m.running)

    run_sweep(spec_file, tmp_path / "mem", workers=1)
    assert finished() == 0


def test_two_workers_equal_serial(reference: Path, spec_file: Path, tmp_path: Path):
    run_sweep(spec_file, tmp_path / "par", workers=2)
    assert same_bytes(reference, tmp_path / "par", "outcomes.parquet")
    assert same_bytes(reference, tmp_path / "par", "yearly.parquet")


def test_dask_equals_serial(reference: Path, spec_file: Path, tmp_path: Path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address=":0",
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1")
        res = run_sweep(
            spec_file, tmp_path / "dask", workers=2, scheduler=cluster.scheduler_address
        )
    assert res.manifest["backend"]["kind"].startswith("dask")
    assert same_bytes(reference, tmp_path / "dask", "outcomes.parquet")
    assert same_bytes(reference, tmp_path / "dask", "yearly.parquet")


def test_stopped_sweep_resumes_to_identical_tables(
    reference: Path, spec_file: Path, tmp_path: Path
):
    out = tmp_path / "resumed"
    with pytest.raises(RuntimeError, match="stopped after 2 chunks"):
        run_sweep(spec_file, out, workers=2, stop_after_chunks=2)
    assert not (out / "outcomes.parquet").exists()
    with pytest.raises(UserError, match="--resume"):
        run_sweep(spec_file, out, workers=1)
    res = run_sweep(spec_file, out, workers=1, resume=True)
    assert res.resumed_chunks >= 2
    chunks = [
        json.loads(line)["chunk"] for line in (out / "manifest.jsonl").read_text().splitlines()
    ]
    assert sorted(chunks) == list(range(N_CHUNKS))  # every chunk journalled exactly once
    assert same_bytes(reference, out, "outcomes.parquet")
    assert same_bytes(reference, out, "yearly.parquet")


def test_killed_process_resumes_to_identical_tables(
    reference: Path, spec_file: Path, tmp_path: Path
):
    """SIGKILL a real ``sputnik sweep`` process mid-way, then resume it."""
    out = tmp_path / "killed"
    env = {
        **os.environ,
        "SPUTNIK_SWEEP_TEST_DELAY": "0.25",
    }  # slow commits so the kill lands mid-sweep
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim",
            "sweep",
            str(spec_file),
            "--out",
            str(out),
            "--workers",
            "1",
            "--quiet",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    journal = out / "manifest.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and len(journal.read_text().splitlines()) >= 3:
            break
        time.sleep(0.02)
    assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    done_before = len(journal.read_text().splitlines())
    assert 3 <= done_before < N_CHUNKS and not (out / "outcomes.parquet").exists()
    assert (
        main(["sweep", str(spec_file), "--out", str(out), "--workers", "2", "--resume", "--quiet"])
        == 0
    )
    chunks = [json.loads(line)["chunk"] for line in journal.read_text().splitlines()]
    assert sorted(chunks) == list(range(N_CHUNKS))
    assert same_bytes(reference, out, "outcomes.parquet")
    assert same_bytes(reference, out, "yearly.parquet")


def test_resume_refuses_a_changed_spec(spec_file: Path, tmp_path: Path):
    out = tmp_path / "x"
    with pytest.raises(RuntimeError):
        run_sweep(spec_file, out, workers=1, stop_after_chunks=1)
    spec_file.write_text(SPEC.replace("seed = 11", "seed = 12"))
    with pytest.raises(UserError, match="spec .* changed"):
        run_sweep(spec_file, out, workers=1, resume=True)


def test_a_failing_run_is_recorded_and_the_sweep_finishes(
    spec_file: Path, tmp_path: Path, monkeypatch
):
    import sim.results

    real = sim.results.run_model  # what each sweep run calls

    def flaky(scenario, seed=0, overrides=None):
        if (
            overrides["controls.enforcement"] == 0.9
            and overrides["controls.cloud_loophole_open"] is False
        ):
            raise ValueError("model blew up")
        return real(scenario, seed=seed, overrides=overrides)

    monkeypatch.setattr(sim.results, "run_model", flaky)
    res = run_sweep(spec_file, tmp_path / "f", workers=1)
    df = res.outcomes()
    bad = df[(df["controls.enforcement"] == 0.9) & (~df["controls.cloud_loophole_open"])]
    assert len(df) == N_RUNS and res.errors == len(bad) == N_RUNS // 4
    assert (bad["status"] == "error").all() and bad["error"].str.contains(
        "ValueError: model blew up"
    ).all()
    assert bad["lag_months_china_2027"].isna().all()
    good = df.drop(bad.index)
    assert (good["status"] == "ok").all() and good["lag_months_china_2027"].notna().all()
    assert res.manifest["counts"]["errors"] == len(bad)
    # failed runs have no yearly rows, and analysis still works
    assert set(res.yearly()["run"]) == set(good["run"])
    s = analysis.summarise(tmp_path / "f")
    assert s[(s.lever == "all")]["errors"].iloc[0] == len(bad)


def test_cli_sweep_and_analyze(spec_file: Path, tmp_path: Path, capsys):
    out = tmp_path / "cli"
    assert main(["sweep", str(spec_file), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert f"{N_RUNS} runs (0 failed)" in capsys.readouterr().out
    # a data-driven rule (the model's numbers are being tuned): runs below the median lag
    median = pd.read_parquet(out / "outcomes.parquet")["lag_months_china_2027"].median()
    rule = f"lag_months_china_2027 < {float(median)!r}"
    assert main(["analyze", str(out), "--out", str(tmp_path / "an"), "--prim", rule]) == 0
    text = capsys.readouterr().out
    assert "lag_months_china_2027" in text and f"{rule} arise" in text or "no box restricts" in text
    box = analysis.discover(out, rule)
    assert box.n_cases == N_RUNS // 2 and box.density >= 0.5 and 0 < box.coverage <= 1
    assert (tmp_path / "an" / f"prim-{analysis._slug(rule)}-box.csv").exists()
    files = {p.name for p in (tmp_path / "an").iterdir()}
    assert {"summary.csv", "fan-lag_months.png", "fan-lag_months.csv"} <= files
    assert any(f.startswith("prim-") and f.endswith(".png") for f in files)
    summary = pd.read_csv(tmp_path / "an" / "summary.csv")
    assert set(summary["lever"]) == {"all", "controls.enforcement", "controls.cloud_loophole_open"}
    fan = pd.read_csv(tmp_path / "an" / "fan-lag_months.csv")
    china = fan[fan.nation == "china"]
    assert (china["p05"] <= china["p50"]).all() and (china["p50"] <= china["p95"]).all()


def test_cli_errors_are_one_line_exit_2(spec_file: Path, tmp_path: Path, capsys, monkeypatch):
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.replace("lag_months:china:2027", "lag_months:chine:2027"))
    assert main(["sweep", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: {bad}: outcomes[0]: 'lag_months:chine:2027': nation 'chine' is not defined (did you mean 'china'?)"
    ]
    assert main(["analyze", str(tmp_path / "nothing")]) == 2
    assert "not a finished sweep directory" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed
    assert (
        main(
            [
                "sweep",
                str(spec_file),
                "--out",
                str(tmp_path / "d"),
                "--scheduler",
                "tcp://127.0.0.1:1",
                "--quiet",
            ]
        )
        == 2
    )
    assert "pip install 'sputnik-moment[cluster]'" in capsys.readouterr().err


def test_sobol_and_morris_sweeps_end_to_end(tmp_path: Path):
    base = (
        SPEC.split("[sampler]")[0]
        .replace("keep_yearly = true", "keep_yearly = false")
        .replace("chunk_size = 3\n", "")
    )
    unc = '[uncertainties]\n"controls.sme_effect" = { low = 0.3, high = 0.9 }\n"world.smuggling_max_share" = { range = "sensitivity" }\n'
    f = tmp_path / "sobol.toml"
    f.write_text(
        base.replace("replications = 2", "replications = 1")
        + '[sampler]\nmethod = "sobol"\nn = 8\n'
        + unc
    )
    res = run_sweep(f, tmp_path / "sobol", workers=2)
    assert res.runs == 8 * (2 + 2)
    # Sobol rows share their replication's seed, so model noise is not read as a parameter effect
    assert res.outcomes()["seed"].nunique() == 1 and res.manifest["seeds"]["common_seeds"]
    s = analysis.sobol_indices(tmp_path / "sobol")
    assert set(s["parameter"]) == {"controls.sme_effect", "world.smuggling_max_share"}
    assert (
        "sputnik_year" not in set(s["outcome"])
        or s[s.outcome == "sputnik_year"][["S1", "ST"]].notna().all().all()
    )
    assert s[s.outcome == "lag_months_china_2027"][["S1", "ST"]].notna().all().all()
    with pytest.raises(UserError, match='method = "morris"'):
        analysis.morris_indices(tmp_path / "sobol")
    f = tmp_path / "morris.toml"
    f.write_text(base + '[sampler]\nmethod = "morris"\nn = 3\n' + unc)
    res = run_sweep(f, tmp_path / "morris", workers=1)
    assert res.runs == 3 * (2 + 1) * 2
    m = analysis.morris_indices(tmp_path / "morris")
    assert (m["mu_star"] >= m["mu"].abs() - 1e-12).all()  # mu* = mean |effect| >= |mean effect|
    rep = analysis.analyze(tmp_path / "morris", prim_rules=[])
    assert any(p.name == "morris.png" for p in rep["files"])


# --- issue 12: sweeps that cannot mislead or leak ---------------------------------------------


@pytest.mark.parametrize("address", ["banana", "tcp://127.0.0.1", "tcp://host:99999", "ftp://h:1"])
def test_bad_scheduler_is_refused_at_once_and_leaves_nothing(
    address: str, spec_file: Path, tmp_path: Path, capsys
):
    out = tmp_path / "o"
    t0 = time.perf_counter()
    code = main(["sweep", str(spec_file), "--out", str(out), "--scheduler", address, "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and time.perf_counter() - t0 < 5
    assert len(err.splitlines()) == 1 and "--scheduler" in err and "Traceback" not in err
    assert not out.exists()  # so the retry is not refused as "already holds a sweep"
    assert main(["sweep", str(spec_file), "--out", str(out), "--dry-run"]) == 0


def test_validate_and_dry_run_say_what_a_sweep_will_do(spec_file: Path, tmp_path: Path, capsys):
    assert main(["validate", str(spec_file)]) == 0
    out = capsys.readouterr().out
    assert f"sweep: {N_RUNS} runs, 16 points" in out
    assert "1 uncertainty x 4 sample(s) (lhs)" in out and "2 lever(s) x 4 combination(s)" in out
    assert main(["sweep", str(spec_file), "--out", str(tmp_path / "d"), "--dry-run"]) == 0
    assert "dry run" in capsys.readouterr().out and not (tmp_path / "d").exists()
    script = Path(__file__).resolve().parents[1] / "scenarios" / "games" / "example-moves.toml"
    assert main(["validate", str(script)]) == 0
    assert "move script: 5 round(s)" in capsys.readouterr().out


def test_shipped_sweep_spec_validates_as_a_sweep_not_a_scenario(capsys):
    smoke = Path(__file__).resolve().parents[1] / "scenarios" / "sweeps" / "smoke.toml"
    assert main(["validate", str(smoke)]) == 0
    captured = capsys.readouterr()
    assert "ok" in captured.out and "sweep:" in captured.out and captured.err == ""


def test_spec_toml_is_written_as_documented(spec_file: Path, tmp_path: Path, capsys):
    out = tmp_path / "s"
    assert main(["sweep", str(spec_file), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert (out / "spec.toml").read_text() == spec_file.read_text()


def test_runs_that_raise_make_the_sweep_fail_unless_allowed(
    spec_file: Path, tmp_path: Path, monkeypatch, capsys
):
    import sim.results

    real = sim.results.run_model  # what each sweep run calls

    def flaky(scenario, seed=0, overrides=None):
        if overrides["controls.enforcement"] == 0.9:
            raise ValueError("model blew up")
        return real(scenario, seed=seed, overrides=overrides)

    monkeypatch.setattr(sim.results, "run_model", flaky)
    argv = ["sweep", str(spec_file), "--workers", "1", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 3
    assert "runs raised" in capsys.readouterr().err
    assert main([*argv, "--out", str(tmp_path / "b"), "--allow-failures"]) == 0


def test_factorial_at_a_schema_bound_stays_inside_it():
    """low + 1.0 * (high - low) can round past high; the drawn value must not."""
    import numpy as np

    from sim.sweeps.samplers import transform
    from sim.sweeps.spec import Param

    lows = np.linspace(0.01, 0.5, 200)
    pair = next(
        (lo, hi)
        for lo in lows
        for hi in (0.9, 0.7, 0.3 + lo, 1.0)
        if hi > lo and lo + 1.0 * (hi - lo) > hi
    )
    values = transform(Param("x", "lever", low=pair[0], high=pair[1]), np.linspace(0, 1, 5))
    assert max(values) == pair[1] and min(values) == pair[0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("high = 0.9", "high = inf"), "high: inf is invalid: must be a finite number"),
        (("n = 4", "n = nan"), "sampler.n: nan is invalid"),
        (("n = 4", "n = 1e12"), "sampler.n: 1000000000000.0 is invalid"),
        (("n = 4", "n = 1000000000000"), "sampler.n"),
        (("seed = 11", "seed = -1"), "seed: -1 is invalid"),
        (("seed = 11", "seed = true"), "seed: True is invalid"),
        (
            ('"sputnik_year"]', '"sputnik_year", "sputnik_year"]'),
            "outcomes[4]: 'sputnik_year' is listed twice",
        ),
        (
            (
                '"controls.enforcement" = [0.2, 0.9]',
                '"nations.china.programme.total_usd" = [1e9, 2e9]',
            ),
            "gives an invalid scenario",
        ),
    ],
)
def test_specs_that_used_to_run_badly_are_refused(change, message, tmp_path: Path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text(SPEC.replace(*change))
    assert main(["sweep", str(f), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
    assert not (tmp_path / "o").exists()


def test_run_count_above_the_limit_needs_yes(spec_file: Path, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("SPUTNIK_MAX_RUNS", "10")
    assert main(["sweep", str(spec_file), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{N_RUNS} runs is above the limit of 10" in err and "--yes" in err
    assert not (tmp_path / "o").exists()
    huge = tmp_path / "huge.toml"
    huge.write_text(
        SPEC.replace("n = 4", "n = 9000000").replace("replications = 2", "replications = 50")
    )
    t0 = time.perf_counter()
    assert main(["sweep", str(huge), "--out", str(tmp_path / "h"), "--quiet"]) == 2
    assert "1,800,000,000 runs is above the limit" in capsys.readouterr().err
    assert time.perf_counter() - t0 < 10  # counted, not sampled


@pytest.mark.parametrize("kind", ["file", "unwritable", "foreign"])
def test_sweep_and_analyze_refuse_a_bad_out(
    kind: str, spec_file: Path, tmp_path: Path, capsys, reference: Path
):
    if kind == "file":
        out = tmp_path / "f"
        out.write_text("x")
    elif kind == "unwritable":
        out = Path("/proc/sputnik-nope/o")
    else:
        out = tmp_path / "mine"
        out.mkdir()
        (out / "notes.txt").write_text("keep")
    assert main(["sweep", str(spec_file), "--out", str(out), "--quiet"]) == 2
    assert main(["analyze", str(reference), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 2 and "Traceback" not in err, err


def _damage_chunk(out: Path) -> None:
    (out / "chunks" / "outcomes-000001.parquet").write_bytes(b"PAR1 torn")


def _swap_chunk(out: Path) -> None:
    a = out / "chunks" / "outcomes-000000.parquet"
    (out / "chunks" / "outcomes-000001.parquet").write_bytes(a.read_bytes())


def _bad_journal_line(out: Path) -> None:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    i = next(n for n, line in enumerate(lines) if json.loads(line)["chunk"] == 1)
    lines[i] = lines[i][: len(lines[i]) // 2]  # chunk 1's line torn mid-way
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("damage", [_damage_chunk, _swap_chunk, _bad_journal_line])
def test_resume_verifies_chunks_and_redoes_bad_ones(
    damage, reference: Path, spec_file: Path, tmp_path: Path
):
    out = tmp_path / "r"
    with pytest.raises(RuntimeError, match="stopped after 3 chunks"):
        run_sweep(spec_file, out, workers=1, stop_after_chunks=3)
    damage(out)
    res = run_sweep(spec_file, out, workers=1, resume=True)
    assert res.resumed_chunks == 2  # chunk 1 was redone
    assert same_bytes(reference, out, "outcomes.parquet")
    assert same_bytes(reference, out, "yearly.parquet")


def test_torn_spec_json_is_a_clear_refusal(spec_file: Path, tmp_path: Path, capsys):
    out = tmp_path / "t"
    with pytest.raises(RuntimeError):
        run_sweep(spec_file, out, workers=1, stop_after_chunks=1)
    (out / "spec.json").write_text('{"spec_hash": "ab')
    assert main(["sweep", str(spec_file), "--out", str(out), "--resume", "--quiet"]) == 2
    assert "spec.json is damaged" in capsys.readouterr().err


def _die_in_worker(task):
    os._exit(1)


def test_a_dead_worker_is_reported_with_the_resume_hint(
    spec_file: Path, tmp_path: Path, capsys, monkeypatch
):
    import sim.sweeps.runner as runner

    monkeypatch.setattr(runner, "run_chunk", _die_in_worker)
    out = tmp_path / "w"
    code = main(["sweep", str(spec_file), "--out", str(out), "--workers", "2", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "a worker process died" in err and "internal error" not in err
    assert f"--out {out} --resume" in err


def test_killing_the_sweep_takes_its_workers_down(spec_file: Path, tmp_path: Path):
    import psutil

    out = tmp_path / "k"
    env = {**os.environ, "SPUTNIK_SWEEP_TEST_DELAY": "0.5"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim",
            "sweep",
            str(spec_file),
            "--out",
            str(out),
            "--workers",
            "2",
            "--quiet",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        kids: list = []
        while time.monotonic() < deadline and proc.poll() is None and len(kids) < 2:
            kids = psutil.Process(proc.pid).children(recursive=True)
            time.sleep(0.05)
        assert len(kids) >= 2, "the pool did not start"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        gone, alive = psutil.wait_procs(kids, timeout=15)
        assert not alive, f"workers outlived the sweep: {alive}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
