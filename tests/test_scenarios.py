"""Every shipped scenario (``scenarios/*.toml``) validates, runs, and is deterministic: the same
seed gives identical tables, different seeds give different tables where the scenario is random."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest
from conftest import SCENARIO_DIR, run_cached
from test_properties import check_invariants

import sim
from sim.config import FORMAT_VERSION
from sim.model import records
from sim.results import tables as result_tables

SCENARIOS = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
TABLES = ("years", "nations", "labs", "flows", "vendors")
NOISE = ("capital_noise_sd", "rd_noise_sd", "smuggling_noise_sd")
SECTION7 = {
    "baseline",
    "stargate",
    "deepseek",
    "stargate-vs-deepseek",
    "no-controls",
    "tight-controls",
    "leaky-controls",
    "diffusion-rule",
    "licensed-sales",
    "taiwan-shock",
    "huawei-breakthrough",
}


def test_all_section7_scenarios_ship():
    assert set(SCENARIOS) >= SECTION7


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_file_is_documented(name):
    raw = tomllib.loads((SCENARIO_DIR / f"{name}.toml").read_text())
    assert raw.get("format_version") == FORMAT_VERSION, "shipped files state the format version"
    assert raw.get("title")
    desc = " ".join(raw.get("description", "").split())
    assert desc.count(". ") >= 1 and desc[-1] in ".?!", "a workshop needs sentences to read aloud"
    if name != "baseline":
        assert raw.get("extends") == "baseline"


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_validates_and_lists(name):
    scen = sim.load_scenario(name)
    assert scen.id == name
    assert name in {s.id for s in sim.list_scenarios()}


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_runs_and_fills_every_table(name):
    res = run_cached(name, 0)
    scen = sim.load_scenario(name)
    years = scen.horizon.end_year - scen.horizon.start_year + 1
    assert len(res.years) == years
    assert len(res.nations) == years * len(scen.nations)
    assert len(res.labs) == years * len(scen.labs)
    assert list(res.years.columns) == list(records.YEAR_COLUMNS)
    assert list(res.nations.columns) == list(records.NATION_COLUMNS)
    assert list(res.labs.columns) == list(records.LAB_COLUMNS)
    assert list(res.flows.columns) == list(records.FLOW_COLUMNS)
    assert not res.flows.empty
    assert res.manifest["scenario"]["id"] == name
    assert res.manifest["seed"] == 0


@pytest.mark.parametrize("name", SCENARIOS)
def test_invariants_hold_in_shipped_scenario(name):
    check_invariants(run_cached(name, 0))


@pytest.mark.parametrize("name", SCENARIOS)
def test_same_seed_gives_identical_tables(name):
    a = run_cached(name, 3)
    b = sim.run(name, seed=3)
    for t in TABLES:
        pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t))
    assert a.manifest["scenario"]["hash"] == b.manifest["scenario"]["hash"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_different_seeds_differ_where_random(name):
    scen = sim.load_scenario(name)
    random = any(getattr(scen.world, k) > 0 for k in NOISE)
    a, b = run_cached(name, 3), run_cached(name, 4)
    same = all(getattr(a, t).equals(getattr(b, t)) for t in ("nations", "labs"))
    assert same is not random


def test_a_scenario_without_noise_ignores_the_seed():
    off = {f"world.{k}": 0.0 for k in NOISE}
    a = sim.run("baseline", seed=1, overrides=off)
    b = sim.run("baseline", seed=2, overrides=off)
    pd.testing.assert_frame_equal(a.labs, b.labs)


def test_stepping_the_model_matches_run():
    model = sim.ComputeRaceModel("baseline", seed=5)
    while model.running:
        model.step()
    tables = result_tables(model)
    res = run_cached("baseline", 5)
    pd.testing.assert_frame_equal(tables["nations"], res.nations)
    assert model.year == res.years.year.max() + 1
