"""What an ensemble keeps of each member's run: a small table of metrics by year.

The default :func:`standard_metrics` keeps, for every year:

* every number of the years table (``frontier_oom``, ``world_compute_h100e``, ...);
* every number of the nations table per nation, named ``column:nation`` (``lag_months:china``,
  the spelling of the project's metric vocabulary);
* the comparison metrics of ``sputnik compare`` (``rival_lag_months``, ``oom_gap``, ... from
  :data:`sim.summary.COMPARE_METRICS`, computed by their own definitions in :mod:`sim.metrics`).

About 120 numbers a year, some 20 kB a member instead of the ~150 kB of a full result, so a
100-member ensemble stays small and workers send little back. Any ``extract(result) ->
DataFrame`` (years as index, metrics as columns) can replace it.

The same numbers come from a finished :class:`~sim.results.Result` (:func:`metric_arrays`) or
straight from a model that has run (:func:`model_metric_arrays`): the second skips building the
run's DataFrames, which costs about as much as the metrics themselves, and is what ensemble
members use by default. A test checks the two agree bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.errors import InternalError
from sim.metrics import Yearly

if TYPE_CHECKING:
    from sim.model.model import ComputeRaceModel
    from sim.results import Result

SKIP = {"year"}
NUMERIC = (int, float, bool)


class _Arrays:
    """A run's numbers as arrays: the years table (years x columns) and the nations table
    (years x nations x columns); a :class:`sim.metrics.View` over them, reading the labs table
    and the Sputnik year through ``fallback`` (a view of the run itself)."""

    def __init__(
        self,
        years: list[int],
        ycols: list[str],
        ytable: np.ndarray,
        nations: list[str],
        ncols: list[str],
        cube: np.ndarray,
        fallback: Any,
    ):
        self.years, self.ycols, self.ytable = years, ycols, ytable
        self.nations, self.ncols, self.cube = nations, ncols, cube
        self._ycol = {c: k for k, c in enumerate(ycols)}
        self._ncol = {c: k for k, c in enumerate(ncols)}
        self._nation = {n: k for k, n in enumerate(nations)}
        self._fallback = fallback

    def column(self, table: str, column: str, key: str | None) -> Yearly:
        """``column`` of ``table`` for agent ``key``, by year."""
        if table == "years" and column in self._ycol:
            values = self.ytable[:, self._ycol[column]]
        elif table == "nations" and column in self._ncol:
            if key not in self._nation:
                return {}
            values = self.cube[:, self._nation[key], self._ncol[column]]
        else:
            got: Yearly = self._fallback.column(table, column, key)
            return got
        return dict(zip(self.years, values.tolist(), strict=True))

    def is_nation(self, key: str) -> bool:
        """True if the run has a nation ``key``."""
        return key in self._nation

    def sputnik_year(self) -> float | None:
        """The run's first Sputnik moment."""
        got: float | None = self._fallback.sputnik_year()
        return got


def _assemble(
    arrays: _Arrays, labs: Sequence[str], pair: tuple[str, str]
) -> tuple[list[int], list[str], np.ndarray]:
    """(years, metric names, values[year, metric]) of :func:`standard_metrics`."""
    from sim import metrics
    from sim.summary import COMPARE_METRICS

    years = arrays.years
    names = list(arrays.ycols) + [f"{c}:{n}" for n in arrays.nations for c in arrays.ncols]
    blocks = [arrays.ytable, arrays.cube.reshape(len(years), -1)]
    span = (min(years), max(years)) if years else None
    leader, rival = pair
    seen = set(names)
    for m in COMPARE_METRICS:
        if m.key in seen:
            continue
        parsed = metrics.parse(
            m.expr.format(leader=leader, rival=rival), arrays.nations, labs, span
        )
        got = metrics.evaluate(arrays, parsed)
        by_year = got if isinstance(got, dict) else {}
        blocks.append(np.array([by_year.get(y, math.nan) for y in years], dtype=float)[:, None])
        names.append(m.key)
    return years, names, np.hstack(blocks)


def metric_arrays(result: Result) -> tuple[list[int], list[str], np.ndarray]:
    """(years, metric names, values[year, metric]) of :func:`standard_metrics` over a finished
    run, without pandas assembly (the form workers send back)."""
    from sim.metrics import ResultView
    from sim.summary import focus_pair

    nat = result.nations
    years = sorted(set(nat["year"].tolist()))
    nations = list(dict.fromkeys(nat["nation"].tolist()))
    ncols = [c for c in nat.select_dtypes(include=["number", "bool"]).columns if c not in SKIP]
    if len(nat) == len(years) * len(nations):  # one row per year and nation, in that order
        cube = nat[ncols].to_numpy(dtype=float).reshape(len(years), len(nations), len(ncols))
    else:  # pragma: no cover - a table with gaps: pivot the slow way
        wide = nat.set_index(["year", "nation"])[ncols].unstack("nation")
        cube = np.stack([wide[c].reindex(columns=nations).to_numpy(float) for c in ncols], axis=2)
    yt = result.years
    ycols = [c for c in yt.select_dtypes(include=["number", "bool"]).columns if c not in SKIP]
    arrays = _Arrays(
        years, ycols, yt[ycols].to_numpy(dtype=float), nations, ncols, cube, ResultView(result)
    )
    labs = list(dict.fromkeys(result.labs["lab"].tolist()))
    return _assemble(arrays, labs, focus_pair(result))


def model_metric_arrays(model: ComputeRaceModel) -> tuple[list[int], list[str], np.ndarray]:
    """:func:`metric_arrays` straight from a model that has run (its records), without building
    its DataFrames (check its records with :func:`sim.checks.check_records_finite`, as
    :func:`sim.results.run_model` does)."""
    from sim.metrics import ModelView
    from sim.model.records import NationRow, YearRow, fields_of
    from sim.summary import focus_pair_of

    rows = model.nation_rows
    years = sorted({r.year for r in rows})
    nations = list(dict.fromkeys(r.nation for r in rows))
    ncols, nget = fields_of(NationRow, NUMERIC)
    ycols, yget = fields_of(YearRow, NUMERIC)
    if len(rows) != len(years) * len(nations) or len(model.year_rows) != len(years):
        raise InternalError(f"the run of '{model.scenario.id}' has gaps in its records")
    cube = np.array([nget(r) for r in rows], dtype=float).reshape(len(years), len(nations), -1)
    ytable = np.array([yget(r) for r in model.year_rows], dtype=float).reshape(len(years), -1)
    arrays = _Arrays(years, list(ycols), ytable, nations, list(ncols), cube, ModelView(model))
    params = model.scenario.model_dump(mode="json", include={"controls", "nations"})
    return _assemble(arrays, list(model.lab_by_key), focus_pair_of(params, nations))


def standard_metrics(result: Result) -> pd.DataFrame:
    """Years as index; years-table numbers, ``column:nation`` numbers and compare metrics."""
    years, names, values = metric_arrays(result)
    return pd.DataFrame(values, index=pd.Index(years, name="year"), columns=names)
