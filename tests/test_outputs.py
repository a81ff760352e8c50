"""Output writing, reading back, summary numbers and charts, tested on the library functions."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import charts, outputs, summary
from sim.errors import UserError


@pytest.fixture(scope="module")
def short() -> sim.Result:
    """A short baseline run (2025-2032) shared by the tests below."""
    return sim.run("baseline", seed=2, overrides={"horizon.end_year": 2032})


def test_write_tables_only(short: sim.Result, tmp_path: Path) -> None:
    paths = outputs.write_result(short, tmp_path / "o", charts=False)
    names = {p.name for p in paths}
    assert names == {f"{t}.csv" for t in outputs.table_names(short)} | {"manifest.json"}
    assert set(outputs.TABLES) <= set(outputs.table_names(short))
    assert {p.name for p in (tmp_path / "o").iterdir()} == names
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert set(manifest["files"]) == names
    assert manifest["seed"] == 2 and manifest["scenario"]["id"] == "baseline"


def test_round_trip(short: sim.Result, tmp_path: Path) -> None:
    outputs.write_result(short, tmp_path, charts=False, extra={"note": "x"})
    back = outputs.read_result(tmp_path)
    for name in outputs.table_names(short):
        if getattr(short, name).empty:
            continue  # an empty table reads back without its column types; its length is checked below
        pd.testing.assert_frame_equal(
            getattr(back, name),
            getattr(short, name),
            check_dtype=False,
            check_exact=False,
            rtol=1e-12,
        )
    assert back.manifest["scenario"] == short.manifest["scenario"]
    assert back.manifest["note"] == "x" and "files" not in back.manifest
    assert len(back.events) == len(short.events)


def test_read_result_needs_a_manifest(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no manifest.json"):
        outputs.read_result(tmp_path)


def test_prepare_dir_refuses_a_file(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("")
    with pytest.raises(UserError, match="not a directory"):
        outputs.prepare_dir(f)
    assert outputs.prepare_dir(tmp_path / "a" / "b").is_dir()


def test_focus_pair_uses_controller_and_rival(short: sim.Result) -> None:
    assert summary.focus_pair(short) == ("usa", "china")
    assert (
        summary.nation_name(short, "china")
        == short.manifest["parameters"]["nations"]["china"]["name"]
    )


def test_focus_pair_falls_back_to_embargoed_nation(short: sim.Result) -> None:
    manifest = json.loads(json.dumps(short.manifest))
    manifest["parameters"]["nations"]["usa"]["reaction"] = None
    res = sim.Result(short.years, short.nations, short.labs, short.flows, manifest, short.events)
    embargoed = [
        k for k, n in manifest["parameters"]["nations"].items() if n["tier"] == "embargoed"
    ]
    assert summary.focus_pair(res) == ("usa", embargoed[0])


def test_key_and_compare_years() -> None:
    assert summary.key_years(list(range(2025, 2046))) == [2025, 2035, 2045]
    assert summary.key_years([2030]) == [2030]
    assert summary.compare_years(list(range(2025, 2046))) == [2030, 2045]
    assert summary.compare_years(list(range(2040, 2051))) == [
        2045,
        2050,
    ]  # 2030 outside: middle year


def test_compare_frame_matches_tables(short: sim.Result) -> None:
    other = sim.run(
        "baseline", seed=2, overrides={"horizon.end_year": 2032, "controls.enforcement": 0.95}
    )
    frame = summary.compare_frame({"base": short, "tight": other})
    assert set(frame["metric"]) == {m.key for m in summary.COMPARE_METRICS}
    assert len(frame) == 2 * len(summary.COMPARE_METRICS) * short.years["year"].nunique()
    gap = frame[(frame["scenario"] == "base") & (frame["metric"] == "oom_gap")].set_index("year")[
        "value"
    ]
    oom = short.nation_series("oom")
    pd.testing.assert_series_equal(gap, oom["usa"] - oom["china"], check_names=False)
    assert frame["value"].notna().all()


def test_compare_table_shows_differences(short: sim.Result) -> None:
    from rich.console import Console

    other = sim.run(
        "baseline", seed=2, overrides={"horizon.end_year": 2032, "controls.enforcement": 0.95}
    )
    console = Console(width=200, record=True)
    console.print(summary.compare_table({"base": short, "tight": other}))
    text = console.export_text()
    assert "Difference from 'base'" in text and "tight" in text
    lag_base = short.nation_series("lag_months").at[2030, "china"]
    lag_tight = other.nation_series("lag_months").at[2030, "china"]
    assert f"{lag_tight:.1f} ({lag_tight - lag_base:+.1f})".replace("-0.0", "+0.0") in text


def test_run_table_has_every_nation(short: sim.Result) -> None:
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(summary.run_table(short))
    text = console.export_text()
    for n in short.nations["nation"].unique():
        assert summary.nation_name(short, n) in text
    for y in (2025, 2029, 2032):  # first, middle (index 8 // 2) and last year
        assert f"OOM {y}" in text
    assert any("Frontier in 2032" in line for line in summary.run_notes(short))


def test_run_charts_are_pngs(short: sim.Result, tmp_path: Path) -> None:
    paths = charts.run_charts(short, tmp_path)
    assert [p.name for p in paths] == list(charts.RUN_CHARTS)
    for p in paths:
        assert p.read_bytes()[:4] == b"\x89PNG"


def test_charts_from_tables_read_back(short: sim.Result, tmp_path: Path) -> None:
    """Charts need only the tables and manifest: they draw from a reloaded output folder."""
    outputs.write_result(short, tmp_path / "run", charts=False)
    back = outputs.read_result(tmp_path / "run")
    path = charts.capability_chart(back, tmp_path / "cap.png")
    assert path.stat().st_size > 10_000


def test_nation_colours_are_stable() -> None:
    assert charts.nation_colour("china") == charts.NATION_COLOURS["china"]
    assert charts.nation_colour("atlantis", 3).startswith("#")


# --- issue 12: outputs that never mix or escape ----------------------------------------------


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from sim.cli import main

    code = main(argv)
    return code, capsys.readouterr().err


def test_run_refuses_a_directory_of_other_files_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    code, err = _run(
        ["run", "baseline", "--years", "2025:2026", "--no-charts", "--out", str(out)], capsys
    )
    assert code == 2 and "not empty" in err and "--force" in err and len(err.splitlines()) == 1
    assert (out / "thesis.docx").read_text() == "precious"
    code, _ = _run(
        ["run", "baseline", "--years", "2025:2026", "--no-charts", "--out", str(out), "--force"],
        capsys,
    )
    assert code == 0 and not (out / "thesis.docx").exists() and (out / "years.csv").exists()


def test_a_second_run_replaces_the_first_instead_of_mixing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o"
    assert _run(["run", "baseline", "--years", "2025:2026", "--out", str(out)], capsys)[0] == 0
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs
    assert (
        _run(["run", "baseline", "--years", "2025:2026", "--no-charts", "--out", str(out)], capsys)[
            0
        ]
        == 0
    )
    assert not list(out.glob("*.png"))  # old charts do not linger beside new tables
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(p.name for p in out.iterdir()) == manifest["files"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


@pytest.mark.parametrize("kind", ["file", "unwritable", "cwd"])
def test_bad_out_is_refused_before_the_run(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if kind == "file":
        out = tmp_path / "f.txt"
        out.write_text("x")
    elif kind == "unwritable":
        out = Path("/proc/sputnik-cannot-write-here/o")  # refused even for root
    else:
        monkeypatch.chdir(tmp_path)
        (tmp_path / "x").write_text("x")
        out = Path(".")
    import sim.results

    ran = []
    monkeypatch.setattr(sim.results, "run", lambda *a, **k: ran.append(1))
    code, err = _run(["run", "baseline", "--out", str(out)], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "--out" in err, err
    assert not ran


def test_compare_refuses_a_run_directory_and_writes_nothing_outside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "r"
    assert (
        _run(
            ["run", "baseline", "--years", "2025:2026", "--no-charts", "--out", str(run_dir)],
            capsys,
        )[0]
        == 0
    )
    code, err = _run(
        [
            "compare",
            "baseline",
            "no-controls",
            "--years",
            "2025:2026",
            "--no-charts",
            "--out",
            str(run_dir),
        ],
        capsys,
    )
    assert code == 2 and "holds run output, not compare output" in err


def test_scenario_ids_cannot_escape_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, err = _run(["run", "baseline", "--set", 'id="../../../escaped"'], capsys)
    assert code == 2 and "is not an id" in err
    f = tmp_path / "abs.toml"
    f.write_text('extends = "baseline"\ntitle = "t"\nid = "/abs/path"\n')
    code, err = _run(["run", str(f)], capsys)
    assert code == 2 and "is not an id" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["abs.toml"]


def test_post_run_check_names_non_finite_tables() -> None:
    import pandas as pd

    from sim.checks import check_finite
    from sim.errors import InternalError

    check_finite({"years": pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})}, "s", 0)
    with pytest.raises(InternalError, match=r"years\.a \(1 rows\)"):
        check_finite({"years": pd.DataFrame({"a": [1.0, float("nan")]})}, "s", 0)
    with pytest.raises(InternalError, match="labs.x"):
        check_finite({"labs": pd.DataFrame({"x": [float("inf")]})}, "s", 0)


def test_the_record_check_finds_what_the_table_check_finds() -> None:
    """Sweeps and ensembles check a run's records instead of its tables: same verdict, same
    words."""
    from sim.checks import check_finite, check_records_finite
    from sim.errors import InternalError
    from sim.results import run_model, tables

    model = run_model("baseline", seed=1, overrides={"horizon.end_year": 2028})
    check_records_finite(model)  # a sound run passes
    rows = model.lab_rows
    rows[3] = rows[3]._replace(oom=float("nan"))
    rows[7] = rows[7]._replace(oom=float("inf"), training_flop=float("nan"))
    with pytest.raises(InternalError) as by_records:
        check_records_finite(model)
    with pytest.raises(InternalError) as by_tables:
        check_finite(tables(model), model.scenario.id, model.seed)
    assert str(by_records.value) == str(by_tables.value)
    assert "labs.oom (2 rows)" in str(by_records.value)
    assert "labs.training_flop (1 rows)" in str(by_records.value)


def test_flagship_runs_come_out_of_the_compute_left_after_serving() -> None:
    """``labs.training_h100e`` is the fleet less serving; the flagship cluster is at most the lab's
    flagship share of it and never above the year's largest cluster."""
    import sim

    res = sim.run("baseline", seed=2)
    shares = {k: lab.flagship_share for k, lab in sim.load_scenario("baseline").labs.items()}
    labs = res.labs.merge(res.years[["year", "largest_cluster_h100e"]], on="year")
    share = labs["lab"].map(shares)
    assert (labs.training_h100e <= labs.compute_h100e * (1 + 1e-12)).all()
    assert (labs.training_h100e < labs.compute_h100e).any()  # serving takes a real part
    assert (labs.cluster_h100e <= share * labs.training_h100e * (1 + 1e-12)).all()
    assert (labs.cluster_h100e <= labs.largest_cluster_h100e * (1 + 1e-12)).all()
