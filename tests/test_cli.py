"""The ``sputnik`` CLI tested by invocation: exit codes, files written, messages for bad input.

Most tests call :func:`sim.cli.main` in-process (fast); a few run ``python -m sim`` in a
subprocess to check the real entry point and that no traceback ever reaches the user.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import cli
from sim.model import records

REQUIRED = {
    "years.csv": {
        "year",
        "frontier_oom",
        "frontier_lab",
        "frontier_nation",
        "world_compute_h100e",
        "sputnik_moment",
    },
    "nations.csv": {
        "year",
        "nation",
        "oom",
        "lag_months",
        "compute_h100e",
        "compute_share",
        "largest_run_flop",
        "smuggled_share",
        "rented_share",
        "domestic_chip_share",
        "efficiency_spend_share",
        "ai_spend_usd",
    },
    "labs.csv": {
        "year",
        "lab",
        "nation",
        "oom",
        "compute_h100e",
        "efficiency",
        "budget_usd",
        "compute_spend_usd",
        "efficiency_spend_usd",
        "training_flop",
        "headline_training_cost_usd",
        "total_cost_usd",
        "revenue_usd",
        "market_share",
        "open_weights",
    },
    "flows.csv": {"year", "vendor", "buyer", "channel", "h100e", "revenue_usd"},
    "events.csv": {"year", "kind", "title"},
}
RUN_CHARTS = {
    "capability.png",
    "compute.png",
    "compute_origin.png",
    "spending.png",
    "training_cost.png",
}
CHANNELS = {"legal", "licensed", "smuggled", "rented", "domestic"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def sputnik(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m sim ARGS`` as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


TIGHT_TOML = """extends = "baseline"
title = "Test: tighter enforcement"
description = "Baseline with enforcement 0.95, for tests."
[controls]
enforcement = 0.95
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One full ``run`` with charts (shared: charts are the slow part)."""
    out = tmp_path_factory.mktemp("run") / "baseline"
    proc = sputnik("run", "baseline", "--seed", "7", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


# --- help, list, validate ------------------------------------------------------------------------


def test_help_lists_core_commands() -> None:
    proc = sputnik("--help")
    assert proc.returncode == 0
    for command in ("list", "validate", "run", "compare", "demo"):
        assert command in proc.stdout


def test_core_parser_does_not_import_plotting_or_rich() -> None:
    """``sputnik --help`` stays fast: building the core parser must not import matplotlib or rich."""
    code = (
        "import argparse, sys\n"
        "from sim.cli import register_core\n"
        "register_core(argparse.ArgumentParser().add_subparsers())\n"
        "print(sorted(m for m in ('matplotlib.pyplot', 'rich', 'sim.charts') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_list_shows_every_shipped_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    listed = {line.split()[0] for line in lines if line.strip()}
    assert listed == {s.id for s in sim.list_scenarios()}
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines), (
        "every scenario has a description"
    )


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "baseline"]) == 0
    assert capsys.readouterr().out.startswith("ok")


def test_validate_every_shipped_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    ids = [s.id for s in sim.list_scenarios()]
    assert cli.main(["validate", *ids]) == 0
    assert capsys.readouterr().out.count("ok") >= len(ids)


def test_validate_every_shipped_scenario_has_no_whole_year_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # shipped events dated after January set only export controls (the regime is split at the
    # month; anything else would hold for the whole year, as the H20 price once did in 2023)
    assert cli.main(["validate", *[s.id for s in sim.list_scenarios()]]) == 0
    assert "note:" not in capsys.readouterr().out


def test_validate_notes_an_event_whose_parameters_hold_for_its_whole_year(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "mid.toml",
        'format_version = 2\nextends = "baseline"\ntitle = "Mid"\ndescription = "A test."\n'
        "[[events]]\nyear = 2027\nmonth = 7\n"
        'title = "Mid-year price"\n'
        'set = { "world.variant_price_factor" = 3.0, "controls.enforcement" = 0.9 }\n',
    )
    assert cli.main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "note: event 'Mid-year price' (2027-07) sets world.variant_price_factor" in out
    assert "controls.enforcement" not in out.split("note:")[1]  # controls are split at the month


def test_validate_reports_each_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path / "good.toml", TIGHT_TOML)
    bad = write(tmp_path / "bad.toml", 'extends = "baseline"\n[controls]\nenforcment = 0.9\n')
    assert cli.main(["validate", str(good), str(bad)]) == 2
    out, err = capsys.readouterr()
    assert f"ok  {good}" in out
    assert (
        "bad.toml" in err and "controls.enforcment" in err and "did you mean 'enforcement'" in err
    )
    assert "good.toml" not in err


# --- bad input: exit 2, one clear line, never a traceback ----------------------------------------

BAD_FILES = {
    "malformed.toml": (
        'extends = "baseline"\n[controls\nenforcement = 0.9\n',
        ["malformed.toml", "not valid TOML"],
    ),
    "wrongtype.toml": (
        'extends = "baseline"\n[controls]\nenforcement = "high"\n',
        ["wrongtype.toml", "controls.enforcement", "'high'"],
    ),
    "range.toml": (
        'extends = "baseline"\n[controls]\nenforcement = 7\n',
        ["range.toml", "controls.enforcement", "less than or equal"],
    ),
    "misspelt.toml": (
        'extends = "baseline"\n[controls]\ncloud_lophole_open = false\n',
        ["misspelt.toml", "controls.cloud_lophole_open", "did you mean 'cloud_loophole_open'"],
    ),
    "badparent.toml": (
        'extends = "baselin"\n',
        ["badparent.toml", "extends", "did you mean 'baseline'"],
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_scenario_file(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, expected = BAD_FILES[name]
    path = write(tmp_path / name, text)
    assert cli.main(["run", str(path), "--no-charts", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    for fragment in expected:
        assert fragment in err
    assert all(line.startswith("error: ") for line in err.splitlines())
    assert not (tmp_path / "out").exists(), "nothing is written for bad input"


BAD_ARGS = {
    "unknown-scenario": (
        ["run", "baselin"],
        ["baselin", "no such scenario", "did you mean 'baseline'"],
    ),
    "missing-file": (["run", "nowhere/missing.toml"], ["missing.toml", "file not found"]),
    "set-misspelt": (
        ["run", "baseline", "--set", "controls.enforcment=0.9"],
        ["--set", "controls.enforcment", "did you mean 'enforcement'"],
    ),
    "set-range": (
        ["run", "baseline", "--set", "controls.enforcement=3"],
        ["--set", "controls.enforcement", "less than or equal"],
    ),
    "set-type": (
        ["run", "baseline", "--set", "controls.cloud_loophole_open=maybe"],
        ["controls.cloud_loophole_open", "'maybe'"],
    ),
    "set-no-equals": (
        ["run", "baseline", "--set", "controls.enforcement"],
        ["--set controls.enforcement", "KEY=VALUE"],
    ),
    "set-unknown-section": (
        ["run", "baseline", "--set", "contrls.enforcement=0.5"],
        ["contrls", "did you mean 'controls'"],
    ),
    "years-format": (
        ["run", "baseline", "--years", "2025-2040"],
        ["--years 2025-2040", "START:END"],
    ),
    "years-reversed": (
        ["run", "baseline", "--years", "2040:2025"],
        ["--years 2040:2025", "after the end year"],
    ),
    "years-range": (
        ["run", "baseline", "--years", "2025:2300"],
        ["--years", "horizon.end_year", "2300"],
    ),
    "compare-one": (["compare", "baseline"], ["at least two scenarios"]),
    "compare-twice": (["compare", "baseline", "baseline"], ["given twice"]),
    "validate-unknown": (["validate", "no-such-thing"], ["no-such-thing", "no such scenario"]),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGS))
def test_bad_arguments(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args, expected = BAD_ARGS[case]
    assert cli.main([*args, "--out", str(tmp_path / "out")] if args[0] != "validate" else args) == 2
    err = capsys.readouterr().err
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert "Traceback" not in err


def test_binary_file_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "image.toml"
    path.write_bytes(PNG_MAGIC + bytes(range(256)))
    assert cli.main(["validate", str(path)]) == 2
    assert "image.toml" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["run", "{tmp}/broken.toml"], "not valid TOML"),
        (["run", "baseline", "--set", "controls.enforcment=0.9"], "did you mean 'enforcement'"),
        (["validate", "baselin"], "did you mean 'baseline'"),
    ],
)
def test_no_traceback_from_entry_point(args: list[str], fragment: str, tmp_path: Path) -> None:
    write(tmp_path / "broken.toml", "title = \n")
    proc = sputnik(*(a.replace("{tmp}", str(tmp_path)) for a in args), cwd=tmp_path)
    assert proc.returncode == 2
    assert fragment in proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert not (tmp_path / "out").exists()


def test_internal_error_exits_1_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("model exploded")

    monkeypatch.setattr(sim, "run", boom)
    monkeypatch.delenv("SPUTNIK_DEBUG", raising=False)
    assert cli.main(["run", "baseline", "--no-charts"]) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "model exploded" in err and "Traceback" not in err


def test_argparse_errors_exit_2() -> None:
    proc = sputnik("run", "baseline", "--seed", "seven")
    assert proc.returncode == 2
    assert "--seed" in proc.stderr and "Traceback" not in proc.stderr


# --- run ----------------------------------------------------------------------------------------


def test_run_writes_tables_with_required_columns(run_dir: tuple[Path, str]) -> None:
    out, _ = run_dir
    for name, required in REQUIRED.items():
        frame = pd.read_csv(out / name)
        assert required <= set(frame.columns), f"{name} misses {required - set(frame.columns)}"
    nations = pd.read_csv(out / "nations.csv")
    years = pd.read_csv(out / "years.csv")
    assert list(nations.columns) == list(records.NATION_COLUMNS)
    assert len(years) == years["year"].nunique() == 21  # 2025..2045, one row per year
    assert len(nations) == len(years) * nations["nation"].nunique()
    assert {"usa", "china"} <= set(nations["nation"])
    assert set(pd.read_csv(out / "flows.csv")["channel"]) <= CHANNELS


def test_run_writes_manifest(run_dir: tuple[Path, str]) -> None:
    out, _ = run_dir
    manifest = json.loads((out / "manifest.json").read_text())
    scen = sim.load_scenario("baseline")
    assert manifest["scenario"]["id"] == "baseline"
    assert manifest["scenario"]["hash"] == sim.config.scenario_hash(scen)
    assert manifest["seed"] == 7
    assert manifest["package"]["version"] == sim.__version__
    assert manifest["parameters"] == json.loads(json.dumps(scen.model_dump(mode="json")))
    assert manifest["started"] <= manifest["finished"]
    assert manifest["command"].startswith("sputnik run baseline --seed 7")
    assert set(manifest["files"]) == {p.name for p in out.iterdir()}


def test_run_writes_charts(run_dir: tuple[Path, str]) -> None:
    out, _ = run_dir
    for name in RUN_CHARTS:
        data = (out / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 20_000, name


def test_run_prints_summary(run_dir: tuple[Path, str]) -> None:
    _, stdout = run_dir
    for text in ("United States", "China", "OOM 2025", "OOM 2045", "lag", "smuggled", "wrote"):
        assert text in stdout


def test_same_seed_gives_identical_csvs(tmp_path: Path) -> None:
    for d in ("a", "b"):
        assert (
            cli.main(["run", "baseline", "--seed", "3", "--no-charts", "--out", str(tmp_path / d)])
            == 0
        )
    for name in REQUIRED:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert not list((tmp_path / "a").glob("*.png")), "--no-charts writes no charts"


def test_set_and_years_are_applied(tmp_path: Path) -> None:
    out = tmp_path / "o"
    args = [
        "run",
        "baseline",
        "--no-charts",
        "--out",
        str(out),
        "--years",
        "2025:2032",
        "--set",
        "controls.enforcement=0.9",
        "--set",
        "controls.cloud_loophole_open=false",
    ]
    assert cli.main(args) == 0
    years = pd.read_csv(out / "years.csv")["year"]
    assert (years.min(), years.max()) == (2025, 2032)
    manifest = json.loads((out / "manifest.json").read_text())
    controls = manifest["parameters"]["controls"]
    assert controls["enforcement"] == 0.9 and controls["cloud_loophole_open"] is False
    assert manifest["parameters"]["horizon"] == {"start_year": 2025, "end_year": 2032}
    assert manifest["overrides"]["controls.enforcement"] == "0.9"
    assert manifest["scenario"]["hash"] != sim.config.scenario_hash(sim.load_scenario("baseline"))


def test_default_out_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "baseline", "--no-charts", "--years", "2025:2027"]) == 0
    assert (tmp_path / "out" / "baseline" / "manifest.json").exists()


def test_out_path_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = write(tmp_path / "file", "x")
    assert cli.main(["run", "baseline", "--no-charts", "--out", str(blocker)]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_python_m_sim_is_the_same_cli(tmp_path: Path) -> None:
    out = tmp_path / "m"
    proc = sputnik(
        "run",
        str(write(tmp_path / "tight.toml", TIGHT_TOML)),
        "--no-charts",
        "--years",
        "2025:2028",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["id"] == "tight"
    assert manifest["parameters"]["controls"]["enforcement"] == 0.95


# --- compare and demo -----------------------------------------------------------------------------


def test_compare_writes_per_scenario_dirs_and_charts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tight = write(tmp_path / "tight.toml", TIGHT_TOML)
    out = tmp_path / "cmp"
    assert (
        cli.main(
            [
                "compare",
                "baseline",
                str(tight),
                "--seed",
                "5",
                "--years",
                "2025:2035",
                "--no-ensemble",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    stdout = capsys.readouterr().out
    assert "Difference from 'baseline'" in stdout and "2030" in stdout and "2035" in stdout
    for sid in ("baseline", "tight"):
        manifest = json.loads((out / sid / "manifest.json").read_text())
        assert manifest["scenario"]["id"] == sid and manifest["seed"] == 5
        assert {p.name for p in (out / sid).glob("*.png")} >= RUN_CHARTS
    charts = {p.name for p in out.glob("compare_*.png")}
    assert {
        "compare_overview.png",
        "compare_rival_lag_months.png",
        "compare_oom_gap.png",
        "compare_rival_smuggled_share.png",
    } <= charts
    index = json.loads((out / "manifest.json").read_text())
    assert index["scenarios"] == ["baseline", "tight"] and set(index["files"]) == {
        p.name for p in out.iterdir() if p.is_file()
    }
    # The comparison table is computed from the per-scenario tables, not a separate path.
    frame = pd.read_csv(out / "compare.csv")
    nations = pd.read_csv(out / "tight" / "nations.csv")
    china = nations[nations["nation"] == "china"].set_index("year")["smuggled_share"]
    got = frame[
        (frame["scenario"] == "tight") & (frame["metric"] == "rival_smuggled_share")
    ].set_index("year")["value"]
    pd.testing.assert_series_equal(got, china, check_names=False)


def test_compare_same_seed_matches_run(tmp_path: Path) -> None:
    """compare runs each scenario exactly as run does with the same seed."""
    assert (
        cli.main(
            [
                "compare",
                "baseline",
                str(write(tmp_path / "tight.toml", TIGHT_TOML)),
                "--no-charts",
                "--seed",
                "4",
                "--no-ensemble",
                "--out",
                str(tmp_path / "c"),
            ]
        )
        == 0
    )
    assert (
        cli.main(["run", "baseline", "--no-charts", "--seed", "4", "--out", str(tmp_path / "r")])
        == 0
    )
    assert (tmp_path / "c" / "baseline" / "nations.csv").read_bytes() == (
        tmp_path / "r" / "nations.csv"
    ).read_bytes()


def test_demo_runs_the_headline_comparison(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert cli.main(["demo", "--no-charts", "--out", str(out)]) == 0  # over the shipped ensemble
    shipped = {s.id for s in sim.list_scenarios()}
    assert set(cli.DEMO_SCENARIOS) <= shipped  # every headline scenario ships
    for sid in cli.DEMO_SCENARIOS:
        assert (out / sid / "bands.csv").exists()
    assert (out / "compare.csv").exists() and (out / "paired.csv").exists()


def test_years_moves_earlier_events_to_the_start(tmp_path: Path) -> None:
    """--years after a scheduled rule: the rule is in force from the new start year, later events drop."""
    out = tmp_path / "late"
    assert (
        cli.main(["run", "baseline", "--years", "2030:2040", "--out", str(out), "--no-charts"]) == 0
    )
    years = pd.read_csv(out / "years.csv")
    assert years["year"].min() == 2030 and years["year"].max() == 2040
    first = years.loc[years["year"] == 2030, "events"].iloc[0]
    assert "H200 licensed" in first  # the baseline's 2026 rule applies in 2030
    manifest = json.loads((out / "manifest.json").read_text())
    assert all(2030 <= ev["year"] <= 2040 for ev in manifest["parameters"]["events"])


# --- issue 12: CLI manners ----------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import sim

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"sputnik {sim.__version__}"


def test_a_closed_pipe_ends_quietly() -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        f"{sys.executable} -m sim list | head -1", shell=True, capture_output=True, text=True
    )
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 1
    assert proc.stderr == "", proc.stderr


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["run", "baseline", "--seed", "-1"], ["--seed", "out of range"]),
        (["run", "baseline", "--seed", "1e400"], ["--seed", "not a whole number"]),
        (["run", "baseline", "--seed", str(2**64)], ["--seed", "out of range"]),
        (["run"], ["the following arguments are required"]),
        (["sweep", "x.toml", "--out", "o", "--workers", "0"], ["--workers", "must be 1 or more"]),
        (["frobnicate"], ["invalid choice"]),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    argv: list[str], words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("error: sputnik"), err
    for w in words:
        assert w in err, err


def test_validate_recognises_decks_and_role_files(capsys: pytest.CaptureFixture[str]) -> None:
    games = Path(__file__).resolve().parents[1] / "scenarios" / "games"
    assert cli.main(["validate", str(games / "deck.toml"), str(games / "roles.toml")]) == 0
    out = capsys.readouterr().out
    assert "deck: 8 card(s)" in out and "role file:" in out


def test_validate_a_bad_deck_names_the_card(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deck = tmp_path / "deck.toml"
    deck.write_text('[[cards]]\nid = "a b"\ntitle = "t"\nduration_years = -1\nset = {}\n')
    assert cli.main(["validate", str(deck)]) == 2
    err = capsys.readouterr().err
    assert "cards[0].id: 'a b' is not an id" in err and "cards[0].duration_years" in err
