"""Printed tables of ensemble runs: every number as ``median [p5, p95]``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.ensembles.result import HIGH, LOW, EnsembleResult

if TYPE_CHECKING:
    from rich.table import Table


@dataclass
class LabelView:
    """Enough of a :class:`sim.Result` for the summary's labels (focus pair, nation names)."""

    manifest: dict[str, Any]
    nations: pd.DataFrame

    @property
    def scenario_id(self) -> str:
        """The scenario's id."""
        return str(self.manifest.get("scenario", {}).get("id", ""))


def label_view(ens: EnsembleResult) -> LabelView:
    """A label view of an ensemble run (its scenario's parameters and nations)."""
    params = ens.manifest.get("parameters", {})
    nations = list(params.get("nations", {}))
    return LabelView(
        {"parameters": params, "scenario": ens.manifest.get("scenario", {})},
        pd.DataFrame({"nation": nations}),
    )


def fmt_number(v: float, unit: str = "", percent: bool = False, signed: bool = False) -> str:
    """One number as the summary tables print it (percent as 0-100, OOM 2 decimals)."""
    if not math.isfinite(v):
        return "-"
    sign = "+" if signed else ""
    if percent:
        return f"{round(100 * v, 1) + 0.0:{sign}.1f}"
    if unit == "OOM":
        return f"{round(v, 2) + 0.0:{sign}.2f}"
    if unit == "months" or abs(v) < 1000:
        return f"{round(v, 1) + 0.0:{sign}.1f}"
    return f"{v:{sign}.3g}"


def fmt_band(
    values: np.ndarray, unit: str = "", percent: bool = False, signed: bool = False
) -> str:
    """``median [p5, p95]`` of the members' values."""
    v = values[np.isfinite(values)]
    if not len(v):
        return "-"
    med, lo, hi = np.percentile(v, [50.0, LOW, HIGH])
    f = fmt_number
    return f"{f(med, unit, percent, signed)} [{f(lo, unit, percent, signed)}, {f(hi, unit, percent, signed)}]"


def _caption(ens: EnsembleResult) -> str:
    e = ens.manifest.get("ensemble", {})
    prov = e.get("provenance", {})
    tag = " PROVISIONAL" if prov.get("settings", {}).get("provisional") else ""
    return (
        f"ensemble of {ens.n} members{tag} (seed {e.get('seed')}), median [{LOW:g}%, {HIGH:g}%]; "
        f"{prov.get('method', '?')}, targets v{prov.get('targets_version', '?')}"
    )


def run_table(ens: EnsembleResult) -> Table:
    """Per nation: OOM in the last year, lag in the middle and last years, compute and smuggled
    shares in the last year, each as median [p5, p95] over the members."""
    from rich.table import Table

    from sim.summary import key_years, nation_name

    view = label_view(ens)
    years = key_years(ens.years)
    mid, last = years[len(years) // 2], years[-1]
    title = f"{ens.manifest.get('scenario', {}).get('title') or ens.scenario_id}: {_caption(ens)}"
    table = Table(title=title, title_justify="left")
    table.add_column("nation")
    cols = [
        (f"OOM {last}", "oom", last, "OOM", False),
        (f"lag {mid}\n(months)", "lag_months", mid, "months", False),
        (f"lag {last}\n(months)", "lag_months", last, "months", False),
        (f"compute\nshare {last} (%)", "compute_share", last, "", True),
        (f"smuggled\n{last} (%)", "smuggled_share", last, "", True),
    ]
    for head, *_ in cols:
        table.add_column(head, justify="right")
    for n in view.nations["nation"]:
        cells = []
        for _h, col, year, unit, pct in cols:
            key = f"{col}:{n}"
            cells.append(fmt_band(ens.at(key, year), unit, pct) if key in ens.metrics else "-")
        table.add_row(nation_name(view, n), *cells)  # type: ignore[arg-type]
    return table


def compare_table(
    results: Mapping[str, EnsembleResult], effects: Mapping[str, EnsembleResult]
) -> Table:
    """Each comparison metric in 2030 and the last year: the first scenario's band, and for each
    other scenario its band and the paired difference from the first (``diff`` line)."""
    from rich.table import Table

    from sim.summary import COMPARE_METRICS, compare_years, metric_label

    ids = list(results)
    base = results[ids[0]]
    view = label_view(base)
    table = Table(
        title=f"Scenarios over the {_caption(base)}; diff = paired difference from '{ids[0]}'",
        title_justify="left",
    )
    table.add_column("metric")
    table.add_column("unit")
    table.add_column("year", justify="right")
    for i, sid in enumerate(ids):
        table.add_column(sid if i == 0 else f"{sid}\n(diff)", justify="right")
    for m in COMPARE_METRICS:
        if m.key not in base.metrics:
            continue
        years = compare_years(base.years)
        for k, y in enumerate(years):
            cells = []
            for i, sid in enumerate(ids):
                res = results[sid]
                if m.key not in res.metrics or y not in res.years:
                    cells.append("-")
                    continue
                text = fmt_band(res.at(m.key, y), m.unit, m.percent)
                eff = effects.get(sid)
                if i > 0 and eff is not None and m.key in eff.metrics and y in eff.years:
                    text += "\ndiff " + fmt_band(eff.at(m.key, y), m.unit, m.percent, signed=True)
                cells.append(text)
            table.add_row(
                metric_label(m, view) if k == 0 else "",  # type: ignore[arg-type]
                m.unit if k == 0 else "",
                str(y),
                *cells,
                end_section=k == len(years) - 1,
            )
    return table
