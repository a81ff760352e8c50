"""The back-test over the ensemble: bands against every fit target, and 2025 predicted out of sample.

``history-2020`` runs once per ensemble member; each target the model expresses
(:mod:`sim.calibration.simulators`) gets the members' median and 5-95% band, and **passes** when
the median lies inside the target's plausible band ``[low, high]``. The same runs give the
ensemble's predictions for 2025, which no target touches (``targets.csv`` stops at 2024): the
largest US and Chinese training runs, China's share of Nvidia compute shipped since 2022,
Nvidia's revenue share from China and China's lag. The record will judge them.

Errors are on each target's scale: orders of magnitude (``log10(median / data)``) for log targets,
plain differences for linear ones. The RMS of the largest-run rows leaves out the US rows, which
repeat the world rows (the US ran the largest run every year), as the single-run back-test does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.ensembles.result import EnsembleResult

# (quantity, region, year, year_start, label, unit) of the out-of-sample predictions
PREDICTIONS = (
    ("largest_run_flop", "usa", 2025, None, "largest US training run", "FLOP"),
    ("largest_run_flop", "china", 2025, None, "largest Chinese training run", "FLOP"),
    (
        "nvidia_cum_share",
        "china",
        2025,
        None,
        "China's share of Nvidia compute shipped since 2022 (end-2025)",
        "share",
    ),
    ("nvidia_revenue_share", "china", 2025, None, "Nvidia's revenue share from China", "share"),
    ("lag_months", "china", 2025, None, "China's lag behind the frontier", "months"),
)
RUN_REGIONS = ("world", "usa", "china")  # largest runs drawn year by year in the chart


@dataclass
class EnsembleBacktest:
    """Targets against the ensemble's bands, the 2025 predictions, and the ensemble run."""

    table: pd.DataFrame
    predictions: pd.DataFrame
    ensemble: EnsembleResult
    skipped: list[tuple[str, str]]

    def rms_largest_runs(self) -> float:
        """RMS error (OOM) of the ensemble medians over the largest-run rows (US rows left out)."""
        t = self.table
        keep = (t["quantity"] == "largest_run_flop") & (t["region"] != "usa")
        e = t.loc[keep, "error"].dropna()
        return float(math.sqrt((e**2).mean())) if len(e) else math.inf

    @property
    def n_passed(self) -> int:
        """Targets whose median lies inside their band."""
        return int(self.table["passed"].sum())


def _band(values: np.ndarray) -> tuple[float, float, float]:
    v = values[np.isfinite(values)]
    if not len(v):
        return math.nan, math.nan, math.nan
    med, lo, hi = np.percentile(v, [50.0, 5.0, 95.0])
    return float(med), float(lo), float(hi)


def run_ensemble_backtest(
    scenario: str = "history-2020",
    n: int | None = None,
    workers: int = 1,
    seed: int = 0,
    ensemble: Any = None,
    overrides: dict[str, Any] | None = None,
    targets_path: str | Path | None = None,
) -> EnsembleBacktest:
    """Run ``scenario`` over the ensemble and compare every supported target with its band."""
    from sim.calibration.simulators import TargetExtract, spec_of, supported
    from sim.calibration.targets import load_targets
    from sim.config.loader import load_scenario
    from sim.ensembles import run_ensemble

    targets, skipped = supported(load_targets(targets_path), scenario)
    horizon = load_scenario(scenario).horizon
    years = range(horizon.start_year, horizon.end_year + 1)
    specs = [spec_of(t) for t in targets]
    specs += [p[:4] for p in PREDICTIONS]
    specs += [("largest_run_flop", r, y, None) for r in RUN_REGIONS for y in years]
    specs = list(dict.fromkeys(specs))
    ens = run_ensemble(
        scenario,
        n=n,
        workers=workers,
        overrides=overrides,
        seed=seed,
        ensemble=ensemble,
        extract=TargetExtract(tuple(specs)),
    )
    rows = []
    for t in targets:
        med, lo, hi = _band(ens.at(f"{t.quantity}:{t.region}", t.year))
        err = t.error(med) if med > 0 or t.scale == "lin" else math.nan
        rows.append(
            {
                "id": t.id,
                "quantity": t.quantity,
                "region": t.region,
                "year": t.year,
                "unit": t.unit,
                "scale": t.scale,
                "data": t.value,
                "low": t.low,
                "high": t.high,
                "median": med,
                "p5": lo,
                "p95": hi,
                "error": err,
                "passed": bool(math.isfinite(med) and t.within(med)),
            }
        )
    preds = []
    for q, r, y, _ys, label, unit in PREDICTIONS:
        if y not in ens.years or f"{q}:{r}" not in ens.metrics:
            continue
        med, lo, hi = _band(ens.at(f"{q}:{r}", y))
        preds.append(
            {"id": f"{q}:{r}:{y}", "label": label, "unit": unit, "median": med, "p5": lo, "p95": hi}
        )
    return EnsembleBacktest(pd.DataFrame(rows), pd.DataFrame(preds), ens, skipped)


def _fmt(v: float, unit: str) -> str:
    if not math.isfinite(v):
        return "n/a"
    if unit in ("share", "fraction"):
        return f"{100 * v:.1f}%"
    if unit == "months":
        return f"{v:.1f}"
    return f"{v:.3g}"


def format_table(bt: EnsembleBacktest) -> str:
    """Plain text: each target with data, band, ensemble median [p5, p95], error and pass/fail;
    the largest-run RMS, the 2025 predictions and what was left out."""
    from sim.calibration.backtest import ATTRIBUTION

    ens = bt.ensemble
    prov = ens.manifest.get("ensemble", {}).get("provenance", {})
    tag = " PROVISIONAL" if prov.get("settings", {}).get("provisional") else ""
    head = (
        f"{'target':<42} {'data':>9} {'band':>21} {'median':>9} {'5-95% of members':>21} "
        f"{'error':>7}  pass"
    )
    lines = [
        f"Back-test of '{ens.scenario_id}' over {ens.n} ensemble members{tag} "
        f"(seed {ens.manifest.get('ensemble', {}).get('seed')}); error in OOM for log targets",
        head,
        "-" * len(head),
    ]
    for r in bt.table.itertuples(index=False):
        u = "share" if r.unit == "fraction" else r.unit
        band = f"[{_fmt(r.low, u)}, {_fmt(r.high, u)}]"
        spread = f"[{_fmt(r.p5, u)}, {_fmt(r.p95, u)}]"
        err = f"{r.error:+7.2f}" if math.isfinite(r.error) else f"{'n/a':>7}"
        lines.append(
            f"{r.id:<42} {_fmt(r.data, u):>9} {band:>21} {_fmt(r.median, u):>9} {spread:>21} "
            f"{err}  {'pass' if r.passed else 'FAIL'}"
        )
    lines.append("-" * len(head))
    lines.append(
        f"{bt.n_passed} of {len(bt.table)} targets pass (median inside the band); RMS error of the "
        f"largest-run rows (US rows left out): {bt.rms_largest_runs():.2f} OOM"
    )
    if bt.skipped:
        lines.append(
            "Not compared (the model does not express them): " + ", ".join(i for i, _ in bt.skipped)
        )
    lines.append("")
    lines.append("Predictions for 2025 (out of sample: no 2025 data was used), median [5%, 95%]:")
    for p in bt.predictions.itertuples(index=False):
        lines.append(
            f"  {p.label:<62} {_fmt(p.median, p.unit):>9} [{_fmt(p.p5, p.unit)}, {_fmt(p.p95, p.unit)}]"
        )
    lines.append(ATTRIBUTION)
    return "\n".join(lines)


def write_outputs(bt: EnsembleBacktest, out: Path) -> list[Path]:
    """``backtest_ensemble.csv``, ``predictions_2025.csv`` and ``backtest_ensemble.png``."""
    from sim.calibration.backtest import write_attributed

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csv = write_attributed(bt.table, out / "backtest_ensemble.csv", lineterminator="\n")
    pred = out / "predictions_2025.csv"
    bt.predictions.to_csv(pred, index=False, lineterminator="\n")
    png = out / "backtest_ensemble.png"
    plot(bt, png)
    return [csv, pred, png]


def _scaled(t: pd.Series, v: float) -> float:
    """``v`` relative to the target: 0 at the data, -1 and +1 at the band's ends."""
    f = (lambda x: math.log10(x) if x > 0 else math.nan) if t["scale"] == "log" else float
    z, lo, hi = f(t["data"]), f(t["low"]), f(t["high"])
    x = f(v) if math.isfinite(v) else math.nan
    return (x - z) / (hi - z) if x >= z else (x - z) / (z - lo)


def plot(bt: EnsembleBacktest, path: Path, clip: float = 6.0) -> None:
    """Left: every target, its band scaled to [-1, 1] and the ensemble's 5-95% band and median
    on the same scale. Right: largest runs by year, ensemble bands against Epoch's points."""
    from sim.calibration.backtest import ATTRIBUTION, NATION_COLOURS, load_runs
    from sim.charts import draw_band
    from sim.plotting import pyplot

    plt = pyplot()
    t = bt.table
    ens = bt.ensemble
    fig, (ax1, ax2) = plt.subplots(
        1, 2, figsize=(17, max(7.0, 0.26 * len(t) + 2)), gridspec_kw={"width_ratios": [1.1, 1]}
    )
    y = np.arange(len(t))[::-1]
    ax1.barh(y, 2, left=-1, height=0.7, color="0.85", label="data band (plausible range)")
    for yi, (_, r) in zip(y, t.iterrows(), strict=True):
        lo, med, hi = (np.clip(_scaled(r, r[c]), -clip, clip) for c in ("p5", "median", "p95"))
        colour = "tab:blue" if r["passed"] else "tab:red"
        ax1.plot([lo, hi], [yi, yi], color=colour, lw=2.2)
        ax1.plot([med], [yi], "o", color=colour, ms=5)
    ax1.axvline(0, color="k", lw=0.8)
    ax1.set_yticks(y, t["id"], fontsize=7)
    ax1.set_xlim(-clip - 0.3, clip + 0.3)
    ax1.set_xlabel("model relative to data (0 = data, +-1 = ends of the band; clipped at +-6)")
    ax1.set_title("Ensemble median and 5-95% band per target (blue: median inside the band)")
    ax1.legend(loc="lower right", fontsize=8)
    runs = load_runs()
    for region in RUN_REGIONS:
        key = f"largest_run_flop:{region}"
        if key not in ens.metrics:
            continue
        band = ens.band(key).dropna()
        band.index = band.index + 0.5  # a year's largest run is drawn mid-year
        colour = NATION_COLOURS.get(region, "k")
        draw_band(ax2, band, colour, f"model {region} (median, 5-95%)")
    for nation, grp in runs.groupby("nation"):
        if nation in RUN_REGIONS:
            ax2.scatter(
                grp["t"],
                grp["train_flop"],
                color=NATION_COLOURS.get(nation, "k"),
                edgecolor="k",
                zorder=3,
                s=18,
                label=f"Epoch {nation}",
            )
    ax2.axvline(2025, color="0.4", ls=":", lw=1)
    ax2.text(2025.05, ax2.get_ylim()[0], " out of sample", fontsize=8, va="bottom")
    ax2.set_yscale("log")
    ax2.set_xlabel("year")
    ax2.set_ylabel("largest training run (FLOP)")
    ax2.set_title("Largest training runs: ensemble bands, Epoch AI points")
    ax2.legend(fontsize=7, ncol=2, loc="upper left")
    fig.text(
        0.01,
        0.005,
        f"{ATTRIBUTION}. Model: scenario {ens.scenario_id}, {ens.n} ensemble members.",
        fontsize=7,
    )
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)
