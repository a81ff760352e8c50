"""An ensemble's outputs: every member's metrics by year, with medians, bands and paired effects."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.errors import UserError

if TYPE_CHECKING:
    from sim.results import Result

LOW, HIGH = 5.0, 95.0  # the band shown everywhere: 5th to 95th percentile of the members


def pct_name(q: float) -> str:
    """Column name of a percentile: ``p5``, ``p95``, ``p2.5``."""
    return f"p{q:g}"


@dataclass
class EnsembleResult:
    """One scenario run over the members of an ensemble.

    ``values[i, j, k]`` is metric ``metrics[k]`` in year ``years[j]`` of member ``member_ids[i]``
    (run with ``seeds[i]`` and the parameter values in row ``i`` of ``params``). ``results`` holds
    the members' full :class:`sim.Result` objects only when asked for (``keep_results``).
    """

    scenario_id: str
    member_ids: list[int]
    seeds: list[int]
    years: list[int]
    metrics: list[str]
    values: np.ndarray
    params: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    results: list[Result] | None = None

    @property
    def n(self) -> int:
        """Number of members."""
        return len(self.member_ids)

    def _k(self, metric: str) -> int:
        try:
            return self.metrics.index(metric)
        except ValueError:
            from sim.config.paths import did_you_mean

            raise UserError(
                f"metric '{metric}' is not in this ensemble's outputs"
                + did_you_mean(metric, self.metrics)
            ) from None

    def series(self, metric: str) -> pd.DataFrame:
        """Years as rows, one column per member."""
        return pd.DataFrame(
            self.values[:, :, self._k(metric)].T,
            index=pd.Index(self.years, name="year"),
            columns=pd.Index(self.member_ids, name="member"),
        )

    def at(self, metric: str, year: int) -> np.ndarray:
        """The members' values of ``metric`` in ``year``."""
        if year not in self.years:
            raise UserError(
                f"year {year} is outside this ensemble's years {self.years[0]}-{self.years[-1]}"
            )
        return self.values[:, self.years.index(year), self._k(metric)]

    def band(self, metric: str, low: float = LOW, high: float = HIGH) -> pd.DataFrame:
        """Median and the ``low``-``high`` percentile band of ``metric`` by year."""
        v = self.values[:, :, self._k(metric)]
        q = _percentiles(v, (50.0, low, high))
        return pd.DataFrame(
            {"median": q[0], pct_name(low): q[1], pct_name(high): q[2]},
            index=pd.Index(self.years, name="year"),
        )

    def bands(
        self, metrics: list[str] | None = None, low: float = LOW, high: float = HIGH
    ) -> pd.DataFrame:
        """Tidy table: ``metric, year, median, p5, p95, n`` (n = members with a value)."""
        ks = [self._k(m) for m in metrics] if metrics else list(range(len(self.metrics)))
        v = self.values[:, :, ks]
        q = _percentiles(v, (50.0, low, high))
        count = np.isfinite(v).sum(axis=0)
        names = [self.metrics[k] for k in ks]
        return pd.DataFrame(
            {
                "metric": np.repeat(names, len(self.years)),
                "year": np.tile(self.years, len(ks)),
                "median": q[0].T.ravel(),
                pct_name(low): q[1].T.ravel(),
                pct_name(high): q[2].T.ravel(),
                "n": count.T.ravel(),
            }
        )

    def share_above(self, metric: str, year: int, threshold: float = 0.0) -> float:
        """Share of members whose value exceeds ``threshold`` (nan values count as not above)."""
        v = self.at(metric, year)
        return float(np.mean(np.nan_to_num(v, nan=-np.inf) > threshold))

    def tidy(self) -> pd.DataFrame:
        """Long table: ``member, seed, year, metric, value``."""
        m, y, k = self.values.shape
        return pd.DataFrame(
            {
                "member": np.repeat(self.member_ids, y * k),
                "seed": np.repeat(np.array(self.seeds, dtype=np.uint64), y * k),
                "year": np.tile(np.repeat(self.years, k), m),
                "metric": np.tile(self.metrics, m * y),
                "value": self.values.ravel(),
            }
        )

    def wide(self) -> pd.DataFrame:
        """One row per member and year, one column per metric (``member, year, ...``)."""
        m, y, k = self.values.shape
        out = pd.DataFrame(self.values.reshape(m * y, k), columns=self.metrics)
        out.insert(0, "year", np.tile(self.years, m))
        out.insert(0, "member", np.repeat(self.member_ids, y))
        return out

    def head(self, k: int) -> EnsembleResult:
        """The first ``k`` members (a smaller ensemble with the same seeds)."""
        return replace(
            self,
            member_ids=self.member_ids[:k],
            seeds=self.seeds[:k],
            values=self.values[:k],
            params=self.params.iloc[:k],
            results=self.results[:k] if self.results is not None else None,
        )


def _percentiles(v: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """Percentiles over members (axis 0), ignoring missing values; nan where none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-nan column is simply nan
        return np.nanpercentile(v, qs, axis=0)


def paired_effect(base: EnsembleResult, other: EnsembleResult) -> EnsembleResult:
    """Per member, ``other - base``: the distribution of a lever's effect.

    Both ensembles must have run the same members with the same seeds (the same ``n``, ``seed``
    and ensemble file), so each difference compares one parameter set under both scenarios with
    common random numbers. Years and metrics present in both are kept.
    """
    if base.member_ids != other.member_ids or base.seeds != other.seeds:
        raise UserError(
            f"paired effect of '{other.scenario_id}' vs '{base.scenario_id}': the two runs used "
            "different members or seeds; run both with the same ensemble, n and seed"
        )
    years = [y for y in base.years if y in other.years]
    metrics = [m for m in base.metrics if m in other.metrics]
    yb = [base.years.index(y) for y in years]
    yo = [other.years.index(y) for y in years]
    kb = [base.metrics.index(m) for m in metrics]
    ko = [other.metrics.index(m) for m in metrics]
    diff = other.values[:, yo][:, :, ko] - base.values[:, yb][:, :, kb]
    return EnsembleResult(
        scenario_id=f"{other.scenario_id} - {base.scenario_id}",
        member_ids=list(base.member_ids),
        seeds=list(base.seeds),
        years=years,
        metrics=metrics,
        values=diff,
        params=base.params,
        manifest={"paired": {"base": base.scenario_id, "other": other.scenario_id}},
    )
