"""Calibration targets as data: the shipped table is complete, in-sample only, and consistent."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from sim.calibration.backtest import load_runs, load_stock
from sim.calibration.targets import (
    CONFIDENCE_OOM,
    LAST_FIT_YEAR,
    TARGETS_CSV,
    TARGETS_VERSION,
    load_targets,
)
from sim.errors import UserError

TARGETS = load_targets()
RAW = pd.read_csv(TARGETS_CSV, comment="#")  # read independently of the loader


def test_every_row_has_source_date_and_in_sample_year():
    assert len(RAW) == len(TARGETS) >= 40
    assert RAW["source"].str.strip().str.len().gt(3).all()
    assert RAW["date"].astype(str).str.match(r"^\d{4}(-\d{2}){0,2}$").all()
    assert (RAW["year"] <= 2024).all() and LAST_FIT_YEAR == 2024
    assert RAW["year_start"].dropna().lt(RAW.loc[RAW["year_start"].notna(), "year"]).all()


def test_tolerances_positive_and_ids_unique():
    assert RAW["id"].is_unique
    assert (RAW["low"] < RAW["value"]).all() and (RAW["value"] < RAW["high"]).all()
    for t in TARGETS:
        assert t.sd() > 0 and t.sd(t.low) > 0 and t.sd(t.high) > 0, t.id
        assert t.id == f"{t.quantity}:{t.region}:{t.year}"


def test_version_matches_the_file_and_hash_is_of_its_bytes():
    import hashlib

    first = TARGETS_CSV.read_text().splitlines()[0]
    assert f"version {TARGETS_VERSION} " in first and TARGETS.version == TARGETS_VERSION
    assert TARGETS.sha256 == hashlib.sha256(TARGETS_CSV.read_bytes()).hexdigest()


def test_required_quantities_are_covered():
    have = {(t.quantity, t.region) for t in TARGETS}
    for need in [
        ("largest_run_flop", "usa"),
        ("largest_run_flop", "china"),
        ("largest_run_flop", "world"),
        ("nvidia_cum_h100e", "world"),
        ("nvidia_cum_h100e", "china"),
        ("nvidia_purchases_h100e", "china"),
        ("nvidia_revenue_share", "china"),
        ("lag_months", "china"),
        ("capex_usd", "usa"),
        ("domestic_chip_output", "china"),
        ("smuggled_share", "china"),
        ("algorithmic_efficiency_growth", "world"),
        ("price_performance_growth", "world"),
        ("largest_run_growth", "world"),
        ("lab_revenue_usd", "openai"),
        ("dc_electricity_twh", "usa"),
        ("lab_it_power_gw", "openai"),
    ]:
        assert need in have, need
    years = {t.year for t in TARGETS if t.quantity == "largest_run_flop" and t.region == "usa"}
    assert years == {2020, 2021, 2022, 2023, 2024}
    shares = {t.year: t.value for t in TARGETS if t.quantity == "nvidia_revenue_share"}
    assert shares == {2021: 0.26, 2023: 0.16, 2024: 0.13}  # FY2022, FY2024, FY2025


def test_largest_run_rows_are_the_largest_run_of_each_year_with_confidence_bands():
    """Independent recomputation from the runs CSV: value = max of that year, band from its tag."""
    runs = load_runs()
    rows = [t for t in TARGETS if t.quantity == "largest_run_flop"]
    for t in rows:
        d = runs if t.region == "world" else runs[runs["nation"] == t.region]
        d = d[d["year"] == t.year]
        top = d.loc[d["train_flop"].idxmax()]
        assert math.isclose(t.value, top["train_flop"], rel_tol=1e-3), t.id
        w = CONFIDENCE_OOM[top["confidence"]]
        assert math.isclose(math.log10(t.high / t.value), w, abs_tol=1e-3), t.id
        assert math.isclose(math.log10(t.value / t.low), w, abs_tol=1e-3), t.id
    # every year with a US or Chinese run in the data has a target, and no other year does
    for region in ("usa", "china"):
        data_years = set(runs.loc[runs["nation"] == region, "year"])
        assert {t.year for t in rows if t.region == region} == data_years


def test_chip_count_rows_equal_the_stock_csv():
    stock = load_stock().set_index("year")
    for t in TARGETS:
        if t.quantity == "nvidia_cum_h100e":
            col = "nvidia_cum_h100e" if t.region == "world" else "china_nvidia_cum"
            assert t.value == stock.loc[t.year, col], t.id
        if t.quantity == "nvidia_purchases_h100e":
            diff = stock.loc[t.year, "china_nvidia_cum"] - stock.loc[t.year - 1, "china_nvidia_cum"]
            assert t.value == diff, t.id
        if t.quantity == "nvidia_cum_share":
            ratio = stock.loc[t.year, "china_nvidia_cum"] / stock.loc[t.year, "nvidia_cum_h100e"]
            assert math.isclose(t.value, ratio, abs_tol=1e-4), t.id


def test_two_piece_sd_follows_the_side_of_the_model_value():
    t = TARGETS["smuggled_share:china:2024"]  # 10%, band 1-40%: wider below than above
    below, above = t.sd(0.05), t.sd(0.2)
    assert math.isclose(below, 1.0 / 2) and math.isclose(above, math.log10(4) / 2)
    assert t.error(1.0) == pytest.approx(1.0) and t.within(0.3) and not t.within(0.5)
    with pytest.raises(KeyError, match="did you mean 'smuggled_share:china:2024'"):
        TARGETS["smuggled_share:chian:2024"]


def _write(tmp_path: Path, body: str) -> Path:
    header = ",".join(RAW.columns)
    f = tmp_path / "t.csv"
    f.write_text("# test targets, version 9\n" + header + "\n" + body)
    return f


GOOD = "x_y:usa:2023,x_y,usa,,2023,5,units,4,6,lin,level,some source,2024-01,P,\n"


@pytest.mark.parametrize(
    "row, message",
    [
        (
            GOOD.replace(",2023,5,", ",2025,5,").replace(":2023", ":2025"),
            "year: Input should be less than or equal to 2024",
        ),
        (GOOD.replace(",4,6,", ",6,7,"), "value 5 lies outside [low, high]"),
        (GOOD.replace(",4,6,", ",6,4,"), "low 6 must be below high 4"),
        (GOOD.replace("x_y:usa:2023", "x_y:usa:2022"), "id must be 'x_y:usa:2023'"),
        (GOOD.replace("some source", ""), "source: String should have at least 3 characters"),
        (GOOD.replace("2024-01", "Jan 2024"), "date: String should match pattern"),
        (GOOD.replace(",lin,", ",logg,"), "scale: Input should be 'log' or 'lin'"),
        (GOOD.replace(",5,", ",nan,"), "value: Input should be a finite number"),
        (GOOD.replace(",4,6,lin", ",0,6,log"), "a log-scale target needs low > 0"),
    ],
)
def test_bad_rows_give_one_line_each(tmp_path: Path, row: str, message: str):
    f = _write(tmp_path, row)
    with pytest.raises(UserError) as e:
        load_targets(f)
    assert len(e.value.problems) == 1
    line = e.value.problems[0]
    assert line.startswith(f"{f}: line 3 (") and message in line, line


def test_duplicate_ids_and_unknown_columns(tmp_path: Path):
    with pytest.raises(UserError, match="duplicate id 'x_y:usa:2023' \\(first on line 3\\)"):
        load_targets(_write(tmp_path, GOOD + GOOD))
    f = tmp_path / "c.csv"
    f.write_text(TARGETS_CSV.read_text().replace(",notes\n", ",nots\n", 1))
    with pytest.raises(UserError, match="unknown column 'nots' \\(did you mean 'notes'\\?\\)"):
        load_targets(f)
    assert load_targets(_write(tmp_path, GOOD)).version == "9"
    with pytest.raises(UserError, match="cannot read targets file"):
        load_targets(tmp_path / "missing.csv")
