"""What an ensemble keeps of each member's run: a small table of metrics by year.

The default :func:`standard_metrics` keeps, for every year:

* every number of the years table (``frontier_oom``, ``world_compute_h100e``, ...);
* every number of the nations table per nation, named ``column:nation`` (``lag_months:china``,
  the spelling of the project's metric vocabulary);
* the comparison metrics of ``sputnik compare`` (``rival_lag_months``, ``oom_gap``, ... from
  :data:`sim.summary.COMPARE_METRICS`, computed by their own definitions).

About 120 numbers a year, some 20 kB a member instead of the ~150 kB of a full result, so a
100-member ensemble stays small and workers send little back. Any ``extract(result) ->
DataFrame`` (years as index, metrics as columns) can replace it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.results import Result

SKIP = {"year"}


def _nation_cube(result: Result) -> tuple[list[int], list[str], list[str], np.ndarray]:
    """(years, nations, columns, values[year, nation, column]) of the nations table."""
    nat = result.nations
    years = sorted(set(nat["year"].tolist()))
    nations = list(dict.fromkeys(nat["nation"].tolist()))
    cols = [c for c in nat.select_dtypes(include=["number", "bool"]).columns if c not in SKIP]
    if len(nat) == len(years) * len(nations):  # one row per year and nation, in that order
        cube = nat[cols].to_numpy(dtype=float).reshape(len(years), len(nations), len(cols))
    else:  # pragma: no cover - a table with gaps: pivot the slow way
        wide = nat.set_index(["year", "nation"])[cols].unstack("nation")
        cube = np.stack([wide[c].reindex(columns=nations).to_numpy(float) for c in cols], axis=2)
    return years, nations, cols, cube


def metric_arrays(result: Result) -> tuple[list[int], list[str], np.ndarray]:
    """(years, metric names, values[year, metric]) of :func:`standard_metrics`, without pandas
    assembly (the form workers send back)."""
    from sim.summary import COMPARE_METRICS, focus_pair

    years, nations, cols, cube = _nation_cube(result)
    yt = result.years
    ycols = [c for c in yt.select_dtypes(include=["number", "bool"]).columns if c not in SKIP]
    names = list(ycols)
    blocks = [yt[ycols].to_numpy(dtype=float)]
    names += [f"{c}:{n}" for n in nations for c in cols]
    blocks.append(cube.reshape(len(years), -1))
    view = _FastView(result, years, nations, cols, cube)
    leader, rival = focus_pair(result)
    seen = set(names)
    for m in COMPARE_METRICS:
        if m.key in seen:
            continue
        s = m.series(view, leader, rival)
        blocks.append(s.reindex(years).to_numpy(dtype=float)[:, None])
        names.append(m.key)
    return years, names, np.hstack(blocks)


def standard_metrics(result: Result) -> pd.DataFrame:
    """Years as index; years-table numbers, ``column:nation`` numbers and compare metrics."""
    years, names, values = metric_arrays(result)
    return pd.DataFrame(values, index=pd.Index(years, name="year"), columns=names)


class _FastView:
    """A result whose ``nation_series`` comes from the prepared cube (the rest is delegated):
    compare metrics read a handful of nation series, and a pivot per call costs ~1 ms."""

    def __init__(self, result: Result, years: list[int], nations: list[str], cols, cube):
        self._result = result
        self._index = pd.Index(years, name="year")
        self._nations = pd.Index(nations, name="nation")
        self._col = {c: k for k, c in enumerate(cols)}
        self._cube = cube

    def nation_series(self, column: str) -> pd.DataFrame:
        """Wide table of ``column``: years by nations."""
        k = self._col.get(column)
        if k is None:
            return self._result.nation_series(column)
        return pd.DataFrame(self._cube[:, :, k], index=self._index, columns=self._nations)

    def __getattr__(self, name: str):  # tables, manifest, scenario_id ...
        return getattr(self._result, name)
