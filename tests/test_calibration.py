"""Calibration tools: parameter table, back-test, fit, sensitivity, and the generated docs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.calibration import backtest, calibrate, params, sensitivity
from sim.config.schema import Controls, Licence, Scenario, World

ROOT = Path(__file__).resolve().parents[1]

# Numeric defaults that reach a baseline run without a source or assumption label. This list may
# only shrink: give the field a label in sim/config/schema/ and delete its line here.
KNOWN_LABEL_GAPS: set[str] = set()


@pytest.fixture(scope="module")
def rows() -> list[params.ParamRow]:
    return params.schema_rows()


def _leaf_fields(schema: dict, name: str, seen: set[str]) -> set[tuple[str, str]]:
    """(model, field) pairs of non-section fields reachable from ``name`` in the JSON schema.

    An independent walk (JSON schema rather than pydantic's field objects) to check the table.
    """
    out: set[tuple[str, str]] = set()
    if name in seen:
        return out
    seen.add(name)
    defs = schema.get("$defs", {})
    node = schema if name == "Scenario" else defs[name]
    for prop, spec in node.get("properties", {}).items():
        refs = [ref for ref in defs if f"'#/$defs/{ref}'" in repr(spec)]
        if refs:
            for ref in refs:
                out |= _leaf_fields(schema, ref, seen)
        else:
            out.add((name, prop))
    return out


def test_params_table_covers_every_schema_field(rows):
    fields = _leaf_fields(Scenario.model_json_schema(), "Scenario", set())
    for model, prop in fields:
        assert any(r.name.split(".")[-1] == prop or r.name.endswith(f"[].{prop}") for r in rows), (
            f"{model}.{prop} missing"
        )
    assert len({r.name for r in rows}) == len(rows), "duplicate parameter names"
    assert len(rows) == len(fields), "the table and the schema disagree on the number of fields"


def test_world_and_controls_defaults_are_sourced_or_assumptions(rows):
    by_name = {r.name: r for r in rows}
    for prefix, model in (("world", World), ("controls", Controls), ("controls.licence", Licence)):
        for name in model.model_fields:
            row = by_name.get(f"{prefix}.{name}")
            if row is None:  # a nested section such as controls.licence
                continue
            if row.numeric and row.kind not in (params.NEUTRAL, params.SWITCH):
                assert row.kind in (params.SOURCE, params.ASSUMPTION), (
                    f"{row.name}: {row.provenance}"
                )
                text = row.provenance.removeprefix("assumption: ")
                assert len(text) > 10, f"{row.name}: provenance text too short"
            assert row.description, f"{row.name} has no description"


def test_every_default_reaching_a_run_is_labelled(rows):
    unlabelled = {r.name for r in rows if r.kind == params.UNLABELLED}
    new = unlabelled - KNOWN_LABEL_GAPS
    assert not new, (
        f"label these fields in sim/config/schema/ (source or assumption): {sorted(new)}"
    )


def test_sourced_rows_carry_a_source_text_and_ranges_are_ordered(rows):
    for r in rows:
        if r.kind == params.SOURCE:
            assert r.provenance and "UNLABELLED" not in r.provenance
        if r.sensitivity is not None:
            assert r.sensitivity[0] < r.sensitivity[1], r.name


def test_comment_reader_finds_baseline_sources():
    vals, header = params.scenario_rows("baseline")
    by_path = {v.path: v for v in vals}
    assert "6.5" in header or "6.53" in header  # the derivation of the end-2024 split
    # Every path the reader reports exists in the merged scenario file.
    assert by_path["controls.tpp_threshold"].comment
    assert "IMF" in by_path["nations.usa.gdp_usd"].comment
    assert not by_path["labs.stargate.name"].comment  # comments attach to their own line only
    assert sum(bool(v.comment) for v in vals) >= 20


def test_history_values_come_from_history_file():
    vals, _ = params.scenario_rows("history-2020")
    by_path = {v.path: v for v in vals}
    assert by_path["horizon.start_year"].file == "history-2020"
    assert by_path["horizon.start_year"].value == "2020"
    assert by_path["labs.stargate.compute_h100e"].comment  # every history number has a comment
    assert by_path["vendors.amd.capacity_growth"].file == "baseline"
    events = params.scenario_events("history-2020")
    assert [e[0] for e in events] == sorted(e[0] for e in events)
    assert {2022, 2023, 2025} <= {e[0] for e in events}


def test_history_numbers_are_all_commented():
    """Every value the history scenario sets carries a source or derivation comment."""
    comments, _ = params.read_comments(ROOT / "scenarios" / "history-2020.toml")
    vals, _ = params.scenario_rows("history-2020")
    own = [v for v in vals if v.file == "history-2020" and not v.path.startswith("horizon.start")]
    missing = [v.path for v in own if not v.comment and v.path not in {"extends"}]
    assert not missing, f"uncommented values in history-2020.toml: {missing}"


@pytest.fixture(scope="module")
def bt() -> backtest.Backtest:
    return backtest.run_backtest()


def test_backtest_table_has_finite_errors(bt):
    t = bt.table
    assert set(t.columns) >= {"metric", "region", "year", "data", "model", "error_oom", "error_pct"}
    world = t[(t["metric"] == "largest run FLOP") & (t["region"] == "world")]
    assert sorted(world["year"]) == [2020, 2021, 2022, 2023, 2024]
    shipped = t[t["metric"] == "H100e shipped since 2022"]
    assert set(shipped["region"]) == {"nvidia", "china", "us vendors"}
    assert t["error_oom"].map(math.isfinite).all()
    assert t["error_pct"].map(math.isfinite).all()
    # The error is what it claims to be.
    r = t.iloc[0]
    assert r.error_oom == pytest.approx(math.log10(r.model / r.data))
    assert math.isfinite(bt.score()) and bt.score() > 0
    # Data are the shipped Epoch numbers: GPT-3 is the largest 2020 run.
    assert world[world["year"] == 2020]["data"].iloc[0] == pytest.approx(3.14e23)
    assert "GPT-3" in world[world["year"] == 2020]["note"].iloc[0]


def test_backtest_cumulative_series_never_fall(bt):
    t = bt.table[bt.table["metric"] == "H100e shipped since 2022"]
    for _, grp in t.groupby("region"):
        assert grp.sort_values("year")["model"].is_monotonic_increasing


def test_backtest_writes_chart_and_csv(bt, tmp_path):
    written = backtest.write_outputs(bt, tmp_path)
    png = tmp_path / "backtest.png"
    assert png in written and png.stat().st_size > 10_000
    assert (tmp_path / "backtest.csv").read_text().startswith("# Data: Epoch AI (CC BY 4.0)")


def test_country_mapping():
    assert backtest.nation_of("USA,UK,Multinational", "Google DeepMind") == "usa"
    assert backtest.nation_of("UK", "DeepMind") == "usa"  # folded into the model's google lab
    assert backtest.nation_of("China", "Alibaba") == "china"
    assert backtest.nation_of("United Arab Emirates", "TII") == "gulf"
    assert backtest.nation_of("France", "Mistral AI") == "eu"
    assert backtest.nation_of("Japan", "X") == "rest"


def test_calibrate_is_deterministic_and_improves(tmp_path):
    names = ["world.max_bonus_oom", "world.run_duration_growth"]
    a = calibrate.fit("history-2020", names=names, points=2)
    b = calibrate.fit("history-2020", names=names, points=2)
    assert a == b
    assert a.score_after <= a.score_before
    for v, g in zip(a.values, a.grid, strict=True):
        assert v in g
    p1, p2 = tmp_path / "a.toml", tmp_path / "b.toml"
    calibrate.write_overrides(a, p1)
    calibrate.write_overrides(b, p2)
    assert p1.read_text() == p2.read_text()
    got = calibrate.read_overrides(p1)
    assert got == dict(zip(names, a.values, strict=True))
    # The overrides reproduce the fitted score through the back-test command's path.
    assert backtest.run_backtest(overrides=got).score() == pytest.approx(a.score_after)


def test_calibrate_refuses_sourced_parameters():
    from sim.errors import UserError

    with pytest.raises(UserError, match="not an assumption"):
        calibrate.check_params(["world.depreciation"])


def test_sensitivity_short_horizon_and_tornado(tmp_path):
    res = sensitivity.one_at_a_time(
        "baseline",
        nation="china",
        years=[2026, 2027],
        names=[
            "world.max_bonus_oom",
            "world.smuggling_max_share",
            "vendors.<vendor>.capacity_growth_decay",
        ],
    )
    t = res.table
    assert set(t["parameter"]) == {
        "world.max_bonus_oom",
        "world.smuggling_max_share",
        "vendors.<vendor>.capacity_growth_decay",
    }
    assert set(t["year"]) == {2026, 2027} and set(t["metric"]) == {"lag_months", "compute_share"}
    assert t[["base", "at_low", "at_high"]].map(math.isfinite).all().all()
    assert (t["swing"] > 0).any()  # the sweep moves something
    written = sensitivity.write_outputs(res, tmp_path)
    png = tmp_path / "tornado.png"
    assert png in written and png.stat().st_size > 10_000


def test_sensitivity_rejects_bad_year_and_nation():
    from sim.errors import UserError

    with pytest.raises(UserError, match="outside the horizon"):
        sensitivity.one_at_a_time("baseline", years=[2100])
    with pytest.raises(UserError, match="not a nation"):
        sensitivity.one_at_a_time("baseline", nation="atlantis", years=[2026])


def test_cli_commands(tmp_path, capsys):
    from sim.cli import main

    assert main(["params", "--scenario", "history-2020"]) == 0
    assert "history-2020" in capsys.readouterr().out
    assert main(["backtest", "--no-ensemble", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "largest run FLOP" in out and "RMS error" in out
    assert (tmp_path / "backtest.png").exists()
    assert main(["params", "--scenario", "no-such-scenario"]) == 2
    out_toml = tmp_path / "tuned.toml"
    assert (
        main(
            [
                "calibrate",
                "--out",
                str(out_toml),
                "--points",
                "2",
                "--params",
                "world.max_bonus_oom",
            ]
        )
        == 0
    )
    assert "world.max_bonus_oom" in calibrate.read_overrides(out_toml)
    assert main(["calibrate", "--params", "world.depreciation"]) == 2
    assert main(["sensitivity", "baseline", "--out", str(tmp_path / "s"), "--years", "2026"]) == 0
    assert (tmp_path / "s" / "tornado.png").exists()
    assert main(["sensitivity", "baseline", "--out", str(tmp_path / "s"), "--years", "20x"]) == 2
    assert main(["backtest", "--overrides", str(tmp_path / "missing.toml")]) == 2


def test_docs_parameters_md_matches_generator():
    doc = ROOT / "docs" / "parameters.md"
    assert doc.exists(), "run: sputnik params --format md > docs/parameters.md"
    assert doc.read_text() == params.render_markdown("baseline"), (
        "docs/parameters.md is stale: regenerate with `sputnik params --format md > docs/parameters.md`"
    )


def test_comment_reader_small_file(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(
        "# Header line about gross_dies.\n"
        "\n"
        'title = "a # not a comment"  # the title\n'
        'description = """two\n'
        "lines = 3  # inside the string\n"
        '"""\n'
        "[labs.x]\n"
        "efficiency = 2.0   # from a paper, 2024\n"
        "origin_mix = { legal = 0.5, smuggled = 0.5 }  # CNAS\n"
        "# ---- stocks (compute_h100e: end-2024) ----\n"
        "compute_h100e = 5\n"
        "[vendors.v.domestic]\n"
        "gross_dies = 1\n"
        "[[events]]\n"
        "year = 2026  # not recorded\n"
    )
    comments, header = params.read_comments(f)
    assert header == "Header line about gross_dies."
    assert comments["title"] == "the title"
    assert "lines" not in comments and "events.year" not in comments and "year" not in comments
    assert comments["labs.x.efficiency"] == "from a paper, 2024"
    assert comments["labs.x.origin_mix"] == "CNAS"
    assert comments["labs.x.compute_h100e"].startswith("(section note) stocks (compute_h100e")
    assert comments["vendors.v.domestic.gross_dies"] == "(see the derivation in the file header)"
