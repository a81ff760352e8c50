"""``sim.run``: run one scenario to the end and return tidy tables plus a manifest."""

from __future__ import annotations

import datetime as _dt
import platform
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.checks import check_finite, check_records_finite
from sim.config.loader import resolve_scenario, scenario_hash
from sim.config.schema import Scenario
from sim.model import records
from sim.model.model import ComputeRaceModel


@dataclass
class Result:
    """One run's outputs: tidy tables (years, nations, labs, flows, events, vendors) and the
    manifest that identifies the run. Named metrics over it: :mod:`sim.metrics`."""

    years: pd.DataFrame
    nations: pd.DataFrame
    labs: pd.DataFrame
    flows: pd.DataFrame
    manifest: dict[str, Any]
    events: pd.DataFrame = field(default_factory=pd.DataFrame)
    vendors: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def scenario_id(self) -> str:
        """Id of the scenario that produced this result."""
        return self.manifest["scenario"]["id"]

    def nation_series(self, column: str) -> pd.DataFrame:
        """Wide table: years as rows, nations as columns, for ``column``."""
        return self.nations.pivot(index="year", columns="nation", values=column)

    def metric(self, name: str) -> pd.Series:
        """A named metric by year (``"lag_months:china"``, ``"oom_gap:usa:china"``; see
        :mod:`sim.metrics`)."""
        from sim.metrics import series

        return series(self, name)


def package_version() -> str:
    """Installed package version (falls back to the source tree's)."""
    from sim import __version__

    return __version__


def tables(model: ComputeRaceModel) -> dict[str, pd.DataFrame]:
    """Build the output DataFrames from a model's record lists."""
    return {
        "years": pd.DataFrame(model.year_rows, columns=list(records.YEAR_COLUMNS)),
        "nations": pd.DataFrame(model.nation_rows, columns=list(records.NATION_COLUMNS)),
        "labs": pd.DataFrame(model.lab_rows, columns=list(records.LAB_COLUMNS)),
        "flows": pd.DataFrame(model.flow_rows, columns=list(records.FLOW_COLUMNS)),
        "events": pd.DataFrame(model.event_log, columns=list(records.EVENT_COLUMNS)),
        "vendors": pd.DataFrame(model.vendor_rows, columns=list(records.VENDOR_COLUMNS)),
    }


def manifest(
    scenario: Scenario,
    seed: int | None,
    started: str,
    finished: str,
    model: ComputeRaceModel | None = None,
) -> dict[str, Any]:
    """Identify a run: scenario id and content hash, every parameter, seed, versions, times."""
    out = {
        "scenario": {
            "id": scenario.id,
            "title": scenario.title,
            "hash": scenario_hash(scenario),
            "format_version": scenario.format_version,
        },
        "parameters": scenario.model_dump(mode="json"),
        "seed": seed,
        "package": {"name": "sputnik-moment", "version": package_version()},
        "python": platform.python_version(),
        "started": started,
        "finished": finished,
    }
    if model is not None:
        out["sputnik_moment"] = {"year": model.sputnik_year, "lab": model.sputnik_lab}
    return out


def run(
    scenario: str | Scenario = "baseline", seed: int = 0, overrides: dict[str, Any] | None = None
) -> Result:
    """Run a scenario (name, path or Scenario) to its last year with one seed.

    The seed alone decides the run bit for bit. Raises :class:`sim.ScenarioError` for bad input.
    """
    scen = resolve_scenario(scenario, overrides)
    started = _now()
    model = ComputeRaceModel(scen, seed=seed)
    while model.running:
        model.step()
    return result_of(model, started)


def run_model(
    scenario: str | Scenario = "baseline", seed: int = 0, overrides: dict[str, Any] | None = None
) -> ComputeRaceModel:
    """:func:`run` without the tables: the finished model, its records checked finite. For
    callers that read a few numbers of many runs (sweeps, ensembles) through :mod:`sim.metrics`
    (a live model is a view too) and do not need DataFrames."""
    model = ComputeRaceModel(resolve_scenario(scenario, overrides), seed=seed)
    while model.running:
        model.step()
    check_records_finite(model)
    return model


def result_of(model: ComputeRaceModel, started: str | None = None) -> Result:
    """The :class:`Result` of a model that has run (for callers that step a model themselves,
    e.g. to change levers between years)."""
    t = tables(model)
    # a NaN or infinity in any table is a bug, never a result
    check_finite(t, model.scenario.id, model.seed)
    return Result(
        t["years"],
        t["nations"],
        t["labs"],
        t["flows"],
        manifest(model.scenario, model.seed, started or _now(), _now(), model),
        t["events"],
        t["vendors"],
    )


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
