"""Headline numbers of a run, and the tables ``sputnik run`` and ``sputnik compare`` print.

The numbers are computed from a :class:`sim.Result`'s tables only (never from a live model), so
charts, printed tables and notebooks agree. ``rich`` is imported inside the rendering functions so
that importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim import metrics

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from sim.results import Result


# --- who is racing whom ---------------------------------------------------------------------


def focus_pair(result: Result) -> tuple[str, str]:
    """``(leader, rival)`` nation ids: the export controller and the rival its reaction rule names.

    Falls back to the first embargoed nation, then to any other nation, so user scenarios without
    a reaction rule still get sensible comparison metrics.
    """
    present = list(dict.fromkeys(result.nations["nation"]))
    return focus_pair_of(result.manifest.get("parameters", {}), present)


def focus_pair_of(params: Mapping[str, Any], present: Sequence[str]) -> tuple[str, str]:
    """:func:`focus_pair` from a run's parameters (the manifest's ``parameters``, a scenario's
    ``model_dump(mode="json")``) and the nation ids ``present`` in its tables."""
    nations: dict[str, Any] = params.get("nations", {})
    leader = params.get("controls", {}).get("controller") or (present[0] if present else "")
    if leader not in present and present:
        leader = present[0]
    rules = (nations.get(leader) or {}).get("reactions") or []
    rival = next((r.get("rival") for r in rules if r.get("rival")), None)
    if rival not in present:
        embargoed = [k for k in present if (nations.get(k) or {}).get("tier") == "embargoed"]
        others = [k for k in present if k != leader]
        rival = (embargoed or others or [leader])[0]
    return leader, rival


def nation_name(result: Result, nation: str) -> str:
    """A nation's display name from the manifest (its id when the name is unknown)."""
    n = result.manifest.get("parameters", {}).get("nations", {}).get(nation) or {}
    return str(n.get("name") or nation)


# --- comparison metrics -----------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """A per-year metric compared across scenarios: ``expr`` names a metric of the vocabulary
    (:mod:`sim.metrics`) with ``{leader}`` and ``{rival}`` standing for the run's focus pair;
    ``key`` names its column in ``compare.csv`` and its chart."""

    key: str
    expr: str

    @property
    def definition(self) -> metrics.Definition:
        """The vocabulary's definition of the metric."""
        return metrics.METRICS[self.expr.split(":", 1)[0]]

    @property
    def label(self) -> str:
        """Label with ``{leader}`` / ``{rival}`` placeholders."""
        d = self.definition
        names = [a.strip("{}") for a in self.expr.split(":")[1:]]
        text = d.label.format(*(f"{{{n}}}" for n in names))
        return text[:1].upper() + text[1:]

    @property
    def percent(self) -> bool:
        """Shares are shown in percent."""
        return self.definition.unit == "share"

    @property
    def unit(self) -> str:
        """Unit as printed (``%`` for shares)."""
        return "%" if self.percent else self.definition.unit

    def series(self, result: Result, leader: str, rival: str) -> pd.Series:
        """The metric by year for ``result``'s focus pair."""
        return metrics.series(result, self.expr.format(leader=leader, rival=rival))


COMPARE_METRICS: tuple[Metric, ...] = (
    Metric("rival_lag_months", "lag_months:{rival}"),
    Metric("oom_gap", "oom_gap:{leader}:{rival}"),
    Metric("rival_compute_share", "compute_share:{rival}"),
    Metric("rival_smuggled_share", "smuggled_share:{rival}"),
    Metric("rival_rented_share", "rented_share:{rival}"),
    Metric("rival_domestic_share", "domestic_chip_share:{rival}"),
    Metric("rival_efficiency_share", "efficiency_spend_share:{rival}"),
    Metric("frontier_oom", "frontier_oom"),
)


def metric_label(metric: Metric, result: Result) -> str:
    """The metric's label with the leader's and rival's names filled in."""
    leader, rival = focus_pair(result)
    return metric.label.format(leader=nation_name(result, leader), rival=nation_name(result, rival))


def compare_frame(results: Mapping[str, Result]) -> pd.DataFrame:
    """Tidy table of every comparison metric: columns ``scenario, year, metric, value``.

    Percent metrics stay fractions here (as in the output CSVs).
    """
    import pandas as pd

    parts = []
    for sid, res in results.items():
        leader, rival = focus_pair(res)
        for m in COMPARE_METRICS:
            s = m.series(res, leader, rival)
            parts.append(
                pd.DataFrame(
                    {
                        "scenario": sid,
                        "year": s.index.astype(int),
                        "metric": m.key,
                        "value": s.to_numpy(dtype=float),
                    }
                )
            )
    cols = ["scenario", "year", "metric", "value"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


# --- years shown in summaries -----------------------------------------------------------------


def key_years(years: list[int]) -> list[int]:
    """First, middle and last year (deduplicated, in order)."""
    if not years:
        return []
    ys = sorted(years)
    return list(dict.fromkeys([ys[0], ys[len(ys) // 2], ys[-1]]))


def compare_years(years: list[int]) -> list[int]:
    """2030 (or the middle year when 2030 is outside the horizon) and the last year."""
    if not years:
        return []
    ys = sorted(years)
    first = 2030 if 2030 in ys else ys[len(ys) // 2]
    return list(dict.fromkeys([first, ys[-1]]))


# --- rendering ---------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x >= 0.005 or x == 0 else "<1%"


def run_table(result: Result) -> Table:
    """Per nation: OOM and lag in the first, middle and last year; compute, smuggled and efficiency shares."""
    from rich.table import Table

    nat = result.nations
    years = key_years([int(y) for y in nat["year"].unique()])
    last = years[-1] if years else None
    title = f"{result.manifest['scenario'].get('title') or result.scenario_id} (seed {result.manifest.get('seed')})"
    table = Table(title=title, title_justify="left")
    table.add_column("nation")
    for y in years:
        table.add_column(f"OOM {y}", justify="right")
    for y in years:
        table.add_column(f"lag {y}\n(months)", justify="right")
    table.add_column(f"compute\nshare {last}", justify="right")
    table.add_column(f"smuggled\n{last}", justify="right")
    table.add_column(f"spend {last}\ncomp/effic", justify="right")
    oom = result.nation_series("oom")
    lag = result.nation_series("lag_months")
    final = nat[nat["year"] == last].set_index("nation")
    for n in dict.fromkeys(nat["nation"]):
        row = final.loc[n]
        eff = float(row["efficiency_spend_share"])
        table.add_row(
            nation_name(result, n),
            *(f"{oom.at[y, n]:.2f}" for y in years),
            *(f"{lag.at[y, n]:.1f}" for y in years),
            _pct(float(row["compute_share"])),
            _pct(float(row["smuggled_share"])),
            f"{_pct(1 - eff)}/{_pct(eff)}",
        )
    return table


def run_notes(result: Result) -> list[str]:
    """One-line facts under the run table: frontier at the end, and the Sputnik moment if any."""
    yrs = result.years
    notes = []
    if len(yrs):
        end = yrs.iloc[-1]
        notes.append(
            f"Frontier in {int(end['year'])}: {end['frontier_lab']} ({end['frontier_nation']}), {end['frontier_oom']:.2f} OOM"
        )
    sm = result.manifest.get("sputnik_moment") or {}
    if sm.get("year") is not None:
        notes.append(f"Sputnik moment: {sm.get('lab')} in {sm['year']}")
    else:
        notes.append("No Sputnik moment in this run")
    return notes


def _fmt(metric: Metric, value: float) -> str:
    return (
        f"{100 * value:.1f}"
        if metric.percent
        else f"{value:.2f}"
        if metric.unit == "OOM"
        else f"{value:.1f}"
    )


def _fmt_delta(metric: Metric, delta: float) -> str:
    # Round first and add 0.0 so a tiny negative difference prints as +0.0, not -0.0.
    if metric.percent:
        return f"{round(100 * delta, 1) + 0.0:+.1f}"
    digits = 2 if metric.unit == "OOM" else 1
    return f"{round(delta, digits) + 0.0:+.{digits}f}"


def compare_table(results: Mapping[str, Result]) -> Table:
    """Each metric in 2030 and the last year, per scenario, with the difference from the first scenario.

    Differences of percentages are in percentage points.
    """
    from rich.table import Table

    ids = list(results)
    base = results[ids[0]]
    table = Table(title=f"Difference from '{ids[0]}' (same seed)", title_justify="left")
    table.add_column("metric")
    table.add_column("unit")
    table.add_column("year", justify="right")
    for i, sid in enumerate(ids):
        table.add_column(sid if i == 0 else f"{sid}\n(diff)", justify="right")
    pairs = {sid: focus_pair(r) for sid, r in results.items()}
    for m in COMPARE_METRICS:
        series = {sid: m.series(r, *pairs[sid]) for sid, r in results.items()}
        years = compare_years([int(y) for y in series[ids[0]].index])
        unit = m.unit
        for k, y in enumerate(years):
            cells = []
            b = series[ids[0]].get(y)
            for i, sid in enumerate(ids):
                v = series[sid].get(y)
                if v is None:
                    cells.append("-")
                elif i == 0 or b is None:
                    cells.append(_fmt(m, float(v)))
                else:
                    cells.append(f"{_fmt(m, float(v))} ({_fmt_delta(m, float(v) - float(b))})")
            # The label only on a metric's first row keeps the table scannable.
            table.add_row(
                metric_label(m, base) if k == 0 else "",
                unit if k == 0 else "",
                str(y),
                *cells,
                end_section=k == len(years) - 1,
            )
    return table


def console() -> Console:
    """A rich console; wide enough for the tables when output is not a terminal (pipes, tests)."""
    from rich.console import Console

    c = Console()
    return c if c.is_terminal else Console(width=140)
