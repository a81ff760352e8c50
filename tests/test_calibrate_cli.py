"""``sputnik calibrate``: history matching from a seed, resumable after a kill, and the ensemble file.

Tiny configurations (a few targets, two waves of 30 sets) keep each run to a few seconds.
"""

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

from sim import cli
from sim.calibration.ensemble import load_ensemble
from sim.calibration.targets import TARGETS_CSV, TARGETS_VERSION, load_targets
from sim.ensembles import default_ensemble_path
from sim.ensembles.parameters import uncertain_parameters

REPO = Path(__file__).resolve().parents[1]
EASY = (
    "largest_run_flop:world:2023",
    "nvidia_cum_h100e:world:2022",
    "lag_months:china:2024",
    "smuggled_share:china:2024",
    "dc_electricity_twh:usa:2024",  # not expressed by the model (AI power only): skipped with a reason
)
TINY = ["--per-wave", "30", "--replicates", "1", "--workers", "1", "--no-plots"]


def _targets(path: Path, ids: tuple[str, ...]) -> Path:
    lines = TARGETS_CSV.read_text().splitlines()
    keep = [ln for ln in lines if ln.startswith("#") or ln.startswith("id,")]
    keep += [ln for ln in lines if ln.split(",", 1)[0] in ids]
    path.write_text("\n".join(keep) + "\n")
    return path


@pytest.fixture(scope="module")
def easy(tmp_path_factory) -> Path:
    return _targets(tmp_path_factory.mktemp("t") / "easy.csv", EASY)


def _args(out: Path, targets: Path, *extra: str, waves: int = 2) -> list[str]:
    return [
        "calibrate", "--out", str(out), "--targets", str(targets), "--ensemble-size", "5",
        "--waves", str(waves), *TINY, *extra,
    ]  # fmt: skip


def _calibrate(out: Path, targets: Path, *extra: str, waves: int = 2) -> int:
    return cli.main(_args(out, targets, *extra, waves=waves))


@pytest.fixture(scope="module")
def reference(easy, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cal") / "ref"
    assert _calibrate(out, easy, "--seed", "4") == 0
    return out


def _tables(d: Path) -> pd.DataFrame:
    return pd.read_parquet(d / "runs.parquet")


def test_writes_the_match_and_an_ensemble_with_provenance(reference, easy):
    for f in (
        "runs.parquet",
        "non_implausible.csv",
        "waves.csv",
        "cuts.csv",
        "config.json",
        "ensemble.json",
    ):
        assert (reference / f).exists(), f
    waves = pd.read_csv(reference / "waves.csv")
    assert list(waves["wave"]) == [1, 2] and (waves["n_runs"] == 30).all()
    ens = load_ensemble(reference / "ensemble.json")
    prov = ens.provenance
    assert prov.method == "history matching" and prov.seed == 4
    assert prov.targets_version == TARGETS_VERSION
    assert prov.targets == list(EASY[:-1])  # the skipped target is listed as skipped, not matched
    assert "dc_electricity_twh:usa:2024" in prov.settings["skipped_targets"]
    assert prov.settings["reference"] == "baseline" and prov.settings["scenario"] == "history-2020"
    assert not prov.settings["provisional"]
    # every uncertain parameter of the schema is matched; the ones history-2020 sets itself are held
    params, held = uncertain_parameters()
    assert [p.path for p in ens.parameters] == [p.path for p in params]
    assert (
        set(prov.settings["held"]) == {h.path for h in held}
        and "world.ai_revenue_usd" in prov.settings["held"]
    )
    # survivors only: each member passed the cut-off
    assert 1 <= len(ens.members) <= 5
    assert all(m.max_implausibility <= 3.0 for m in ens.members)
    runs = _tables(reference)
    surv = runs[runs["non_implausible"]]
    assert prov.n_non_implausible == len(surv) and prov.n_evaluated == 60
    for m in ens.members:
        hit = surv[(surv["world.necessity_offset"] == m.values["world.necessity_offset"])]
        assert len(hit) == 1 and hit["max_implausibility"].item() == m.max_implausibility


def test_same_seed_same_match_other_seed_another(reference, easy, tmp_path):
    assert _calibrate(tmp_path / "a", easy, "--seed", "4") == 0
    pd.testing.assert_frame_equal(_tables(reference), _tables(tmp_path / "a"))
    assert (reference / "ensemble.json").read_text() == (
        tmp_path / "a" / "ensemble.json"
    ).read_text()
    assert _calibrate(tmp_path / "b", easy, "--seed", "5") == 0
    assert not _tables(reference)["world.necessity_offset"].equals(
        _tables(tmp_path / "b")["world.necessity_offset"]
    )


def test_more_waves_by_resume_equal_an_uninterrupted_match(reference, easy, tmp_path):
    out = tmp_path / "r"
    assert _calibrate(out, easy, "--seed", "4", waves=1) == 0
    assert (
        _calibrate(out, easy, "--seed", "4") == 2
    )  # a finished match is only continued on request
    assert _calibrate(out, easy, "--seed", "4", "--resume") == 0
    pd.testing.assert_frame_equal(_tables(reference), _tables(out))


def test_killed_then_resumed_equals_uninterrupted(reference, easy, tmp_path):
    out = tmp_path / "k"
    argv = [sys.executable, "-m", "sim", *_args(out, easy, "--seed", "4")]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (journal.exists() and journal.read_text().strip()):
        time.sleep(0.01)
    running = proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert running, "the calibration ended before it could be killed"
    assert not (out / "runs.parquet").exists()  # killed mid-run
    assert _calibrate(out, easy, "--seed", "4", "--resume") == 0
    pd.testing.assert_frame_equal(_tables(reference), _tables(out))


def test_no_survivor_is_a_failure_unless_a_provisional_ensemble_is_asked_for(tmp_path, capsys):
    hard = _targets(tmp_path / "hard.csv", ("lab_revenue_usd:anthropic:2024",))
    args = ["--waves", "1", "--per-wave", "6", "--replicates", "1", "--workers", "1", "--no-plots"]
    base = ["calibrate", "--targets", str(hard), "--ensemble-size", "3", *args]
    assert cli.main([*base, "--out", str(tmp_path / "a")]) == 1
    err = capsys.readouterr().err
    assert "no parameter set passed the cut-off" in err and "--allow-implausible" in err
    assert not (tmp_path / "a" / "ensemble.json").exists()
    target = tmp_path / "shipped" / "e.json"
    assert (
        cli.main(
            [
                *base,
                "--out",
                str(tmp_path / "b"),
                "--allow-implausible",
                "--ensemble-out",
                str(target),
            ]
        )
        == 0
    )
    ens = load_ensemble(target)
    assert ens.provenance.settings["provisional"] and ens.provenance.notes.startswith("PROVISIONAL")
    runs = _tables(tmp_path / "b")
    best = sorted(runs["max_implausibility"])[:3]
    assert sorted(m.max_implausibility for m in ens.members) == best
    assert ens.provenance.n_non_implausible == 0
    assert "PROVISIONAL" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--per-wave", "1"], "--per-wave"),
        (["--discrepancy", "-1"], "--discrepancy"),
        (["--discrepancy", "nan"], "--discrepancy"),
        (["--cutoff", "0"], "--cutoff"),
        (["--scenario", "no-such"], "no-such"),
        (["--targets", "missing.csv"], "missing.csv"),
        (["--ensemble-out", "."], "--ensemble-out"),
        (["--waves", "0"], "--waves"),
        (["--scheduler", "ftp://x:1"], "--scheduler"),
        (["--points", "3", "--method", "history"], "--method grid"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, extra, message):
    code = cli.main(["calibrate", "--out", str(tmp_path / "o"), *extra])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "o").exists()


def test_shipped_ensemble_validates_and_names_its_origin():
    path = default_ensemble_path()
    ens = load_ensemble(path)
    prov = ens.provenance
    shipped = load_targets()
    assert prov.targets_version == shipped.version and prov.targets_sha256 == shipped.sha256
    assert prov.method == "history matching" and prov.settings["reference"] == "baseline"
    assert set(prov.targets) <= set(shipped.ids) and not any(
        t.endswith(":2025") for t in prov.targets
    )
    assert len(ens.members) >= 100
    params, _held = uncertain_parameters()
    assert [p.path for p in ens.parameters] == [p.path for p in params]
    readme = (path.parent / "README.md").read_text()
    for fact in (f"--seed {prov.seed}", f"version {prov.targets_version}", "history matching"):
        assert fact in readme, fact
    assert ("PROVISIONAL" in readme) == bool(prov.settings.get("provisional"))
    json.loads(path.read_text())  # plain JSON, readable without the package
