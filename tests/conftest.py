"""Shared fixtures and helpers: cached model runs so behaviour tests can compare many scenarios cheaply."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest

import sim

REPO = Path(__file__).resolve().parents[1]
SCENARIO_DIR = REPO / "scenarios"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@lru_cache(maxsize=256)
def _cached_run(scenario: str, seed: int, overrides_json: str) -> sim.Result:
    overrides = json.loads(overrides_json) or None
    return sim.run(scenario, seed=seed, overrides=overrides)


def run_cached(scenario: str, seed: int = 0, overrides: dict | None = None) -> sim.Result:
    """``sim.run`` with a per-session cache (results are read-only in tests: do not mutate them)."""
    return _cached_run(scenario, seed, json.dumps(overrides or {}, sort_keys=True))


def nation_series(result: sim.Result, nation: str, column: str) -> pd.Series:
    """One nation's column indexed by year."""
    n = result.nations
    return n[n.nation == nation].set_index("year")[column]


def lab_series(result: sim.Result, lab: str, column: str) -> pd.Series:
    """One lab's column indexed by year."""
    df = result.labs
    return df[df.lab == lab].set_index("year")[column]


@pytest.fixture(scope="session")
def run() -> Callable[..., sim.Result]:
    """Cached ``sim.run(scenario, seed, overrides)``."""
    return run_cached


@pytest.fixture(scope="session")
def baseline() -> sim.Result:
    """Baseline, seed 0."""
    return run_cached("baseline", 0)
