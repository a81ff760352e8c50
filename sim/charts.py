"""PNG charts drawn from a run's tables (never from a live model), sized for a projector.

Every chart has a title, axis labels with units, a legend and years on the x axis. The Agg
backend is selected before pyplot is imported so charts work on headless machines and in tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.plotting import pyplot

plt = pyplot()
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator  # noqa: E402

from sim.config.schema import ORIGINS  # noqa: E402
from sim.palette import (  # noqa: E402, F401 - re-exported: charts.NATION_COLOURS is public
    NATION_COLOURS,
    ORIGIN_COLOURS,
    ORIGIN_LABELS,
    SPEND_COLOURS,
    nation_colour,
)
from sim.summary import COMPARE_METRICS, Metric, focus_pair, metric_label, nation_name  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.ensembles.result import EnsembleResult
    from sim.results import Result

SCENARIO_STYLES = ("-", "--", "-.", ":")
DPI = 110

PROJECTOR_RC = {
    "font.size": 14,
    "axes.titlesize": 17,
    "axes.titleweight": "bold",
    "axes.labelsize": 15,
    "legend.fontsize": 12,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "figure.titlesize": 20,
    "figure.titleweight": "bold",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 2.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@contextmanager
def projector_style() -> Iterator[None]:
    """Large fonts and thick lines, applied only inside the block (global rcParams untouched)."""
    with plt.rc_context(PROJECTOR_RC):
        yield


def _years(ax: Axes, years: Sequence[float] | pd.Index | None = None) -> None:
    """Whole years on the x axis (every 5 years on long horizons), limited to the simulated years."""
    ax.set_xlabel("Year")
    if years is None or len(years) < 2:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))
        return
    lo, hi = min(years), max(years)
    span = hi - lo
    ax.xaxis.set_major_locator(MultipleLocator(5 if span >= 15 else 2 if span >= 6 else 1))
    ax.set_xlim(lo, hi)


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return path


def _subtitle(result: Result) -> str:
    return f"scenario: {result.scenario_id}, seed {result.manifest.get('seed')}"


def _nations(result: Result) -> list[str]:
    return list(dict.fromkeys(result.nations["nation"]))


_pct_axis = FuncFormatter(lambda v, _pos: f"{100 * v:.0f}%")


def _count(v: float, _pos: object = None) -> str:
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"{v / scale:,.3g}{suffix}"
    return f"{v:,.3g}"


def _dollars(v: float, _pos: object = None) -> str:
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"${v / scale:,.3g}{suffix}"
    return f"${v:,.3g}"


# --- one run -----------------------------------------------------------------------------------


def _capability_axes(a1: Axes, a2: Axes, years: Sequence[float] | pd.Index) -> None:
    """Titles, units and years of the capability (left) and lag (right) panels."""
    a1.set_title("Capability by nation")
    a1.set_ylabel("OOM score (log10 effective FLOP)")
    a2.set_title("Lag behind the frontier")
    a2.set_ylabel("Months behind")
    a2.set_ylim(bottom=0)
    for ax in (a1, a2):
        _years(ax, years)
    a1.legend(loc="upper left")


def _stock_axis(ax: Axes) -> None:
    """Title, unit and legend of a compute-stock panel (log scale set by the caller)."""
    ax.yaxis.set_major_formatter(FuncFormatter(_count))
    ax.set_title("Compute stock by nation")
    ax.set_ylabel("H100-equivalents (log scale)")
    ax.legend(loc="upper left")


def capability_chart(result: Result, path: Path) -> Path:
    """Capability (OOM score) and lag behind the frontier in months, one line per nation."""
    oom = result.nation_series("oom")
    lag = result.nation_series("lag_months")
    with projector_style():
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(16, 6.5))
        for i, n in enumerate(_nations(result)):
            kw = {"color": nation_colour(n, i), "label": nation_name(result, n)}
            a1.plot(oom.index, oom[n], **kw)
            a2.plot(lag.index, lag[n], **kw)
        _capability_axes(a1, a2, oom.index)
        fig.suptitle(f"Who leads, and by how much ({_subtitle(result)})")
        return _save(fig, path)


def _origin_stock(result: Result) -> pd.DataFrame:
    """Compute stock (H100e) per year, nation and chip origin, from the labs table."""
    cols = [f"{o}_h100e" for o in ORIGINS]
    return (
        result.labs.groupby(["year", "nation"], sort=True)[cols]
        .sum()
        .rename(columns=dict(zip(cols, ORIGINS, strict=True)))
    )


def compute_chart(result: Result, path: Path) -> Path:
    """Compute stock by nation (log scale, since it grows exponentially) and each nation's share."""
    comp = result.nation_series("compute_h100e")
    share = result.nation_series("compute_share")
    nations = _nations(result)
    with projector_style():
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(16, 6.5))
        for i, n in enumerate(nations):
            a1.plot(
                comp.index,
                comp[n].where(comp[n] > 0),
                color=nation_colour(n, i),
                label=nation_name(result, n),
            )
        if (comp.to_numpy() > 0).any():
            a1.set_yscale("log")
        _stock_axis(a1)
        a2.stackplot(
            share.index,
            *(share[n] for n in nations),
            labels=[nation_name(result, n) for n in nations],
            colors=[nation_colour(n, i) for i, n in enumerate(nations)],
            alpha=0.85,
        )
        a2.set_title("Share of world compute")
        a2.set_ylabel("Share of world H100e")
        a2.set_ylim(0, 1)
        a2.yaxis.set_major_formatter(_pct_axis)
        for ax in (a1, a2):
            _years(ax, comp.index)
        fig.suptitle(f"Where the compute is ({_subtitle(result)})")
        return _save(fig, path)


def origin_chart(result: Result, path: Path) -> Path:
    """Compute by chip origin: shares for every nation that uses more than legal imports, and the
    rival's stock by origin in H100e (log scale).

    Nations that only buy legally are left out: an all-green panel says nothing.
    """
    stock = _origin_stock(result)
    _leader, rival = focus_pair(result)
    nonlegal = stock.drop(columns="legal").sum(axis=1).groupby(level="nation").sum()
    shown = [n for n in _nations(result) if nonlegal.get(n, 0.0) > 0] or [rival]
    ncols = min(3, len(shown) + 1)
    nrows = -(-(len(shown) + 1) // ncols)
    with projector_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(7 * ncols, 5.2 * nrows), squeeze=False)
        flat = list(axes.flat)
        for ax, n in zip(flat, shown, strict=False):
            s = stock.xs(n, level="nation")
            total = s.sum(axis=1).where(lambda t: t > 0)
            share = s.div(total, axis=0).fillna(0.0)
            ax.stackplot(
                share.index,
                *(share[o] for o in ORIGINS),
                colors=[ORIGIN_COLOURS[o] for o in ORIGINS],
                alpha=0.85,
            )
            ax.set_title(f"{nation_name(result, n)}: share by origin")
            ax.set_ylim(0, 1)
            ax.set_ylabel("Share of compute")
            ax.yaxis.set_major_formatter(_pct_axis)
            _years(ax, share.index)
        ax = flat[len(shown)]
        s = stock.xs(rival, level="nation")
        for o in ORIGINS:
            if (s[o] > 0).any():
                ax.plot(s.index, s[o].where(s[o] > 0), color=ORIGIN_COLOURS[o])
        if (s.to_numpy() > 0).any():
            ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(_count))
        ax.set_title(f"{nation_name(result, rival)}: stock by origin")
        ax.set_ylabel("H100-equivalents (log scale)")
        _years(ax, s.index)
        for extra in flat[len(shown) + 1 :]:
            extra.axis("off")
        handles = [plt.Rectangle((0, 0), 1, 1, color=ORIGIN_COLOURS[o]) for o in ORIGINS]
        fig.legend(
            handles,
            [ORIGIN_LABELS[o] for o in ORIGINS],
            loc="lower center",
            ncol=len(ORIGINS),
            frameon=False,
        )
        fig.suptitle(f"Where the chips came from ({_subtitle(result)})")
        fig.tight_layout(rect=(0, 0.07, 1, 1))
        return _save(fig, path)


def spending_chart(result: Result, path: Path) -> Path:
    """Spending split: efficiency R&D share per nation over time, and compute vs efficiency dollars."""
    share = result.nation_series("efficiency_spend_share")
    nat = result.nations
    last = int(nat["year"].max())
    final = nat[nat["year"] == last].set_index("nation")
    nations = _nations(result)
    with projector_style():
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(16, 6.5))
        for i, n in enumerate(nations):
            a1.plot(share.index, share[n], color=nation_colour(n, i), label=nation_name(result, n))
        a1.set_title("Share of AI spending on efficiency R&D")
        a1.set_ylabel("Share of lab spending")
        a1.yaxis.set_major_formatter(_pct_axis)
        a1.set_ylim(bottom=0)
        _years(a1, share.index)
        a1.legend(loc="best")
        names = [nation_name(result, n).replace(" ", "\n", 1) for n in nations]
        comp = final.loc[nations, "compute_spend_usd"].to_numpy(dtype=float)
        eff = final.loc[nations, "efficiency_spend_usd"].to_numpy(dtype=float)
        a2.bar(names, comp, color=SPEND_COLOURS["compute"], label="compute (chips, rental)")
        a2.bar(names, eff, bottom=comp, color=SPEND_COLOURS["efficiency"], label="efficiency R&D")
        a2.set_title(f"Spending in {last}: compute vs efficiency")
        a2.set_ylabel("US dollars per year (2025 $)")
        a2.yaxis.set_major_formatter(FuncFormatter(_dollars))
        a2.grid(axis="x", visible=False)
        a2.legend(loc="upper right")
        fig.suptitle(f"How labs split their money ({_subtitle(result)})")
        return _save(fig, path)


def training_cost_chart(result: Result, path: Path) -> Path:
    """Headline training cost (rental-equivalent, as DeepSeek quoted) vs total cost per lab."""
    labs = result.labs
    years = sorted(int(y) for y in labs["year"].unique())
    shown = list(dict.fromkeys([years[0], years[-1]]))
    with projector_style():
        fig, axes = plt.subplots(1, len(shown), figsize=(8 * len(shown), 6.5), squeeze=False)
        for ax, y in zip(axes[0], shown, strict=True):
            rows = labs[labs["year"] == y]
            x = range(len(rows))
            head = rows["headline_training_cost_usd"].to_numpy(dtype=float)
            total = rows["total_cost_usd"].to_numpy(dtype=float)
            ax.bar(
                [i - 0.2 for i in x],
                head,
                width=0.4,
                color="#3a7bd5",
                label="headline (final run, rental price)",
            )
            ax.bar(
                [i + 0.2 for i in x],
                total,
                width=0.4,
                color="#c8102e",
                label="total (chips, R&D, all runs)",
            )
            ax.set_xticks(
                list(x),
                [f"{lab} ({n})" for lab, n in zip(rows["lab"], rows["nation"], strict=True)],
                rotation=45,
                ha="right",
                rotation_mode="anchor",
                fontsize=12,
            )
            if (head > 0).any() or (total > 0).any():
                ax.set_yscale("log")  # costs span several orders of magnitude across labs
            ax.yaxis.set_major_formatter(FuncFormatter(_dollars))
            ax.set_title(f"Training cost per lab, {y}")
            ax.set_ylabel("US dollars (log scale)")
            ax.grid(axis="x", visible=False)
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.suptitle(f"The headline number vs what it really cost ({_subtitle(result)})")
        fig.legend(
            handles, labels, loc="upper center", ncol=2, frameon=False, bbox_to_anchor=(0.5, 0.94)
        )
        fig.tight_layout(rect=(0, 0, 1, 0.9))
        return _save(fig, path)


RUN_CHARTS = {
    "capability.png": capability_chart,
    "compute.png": compute_chart,
    "compute_origin.png": origin_chart,
    "spending.png": spending_chart,
    "training_cost.png": training_cost_chart,
}


def run_charts(result: Result, out_dir: Path) -> list[Path]:
    """Write every chart of one run into ``out_dir``; return the paths."""
    out_dir = Path(out_dir)
    return [draw(result, out_dir / name) for name, draw in RUN_CHARTS.items()]


# --- several runs side by side -----------------------------------------------------------------


def _unit_label(metric: Metric) -> str:
    """Axis label for a comparison metric's unit."""
    return {"%": "Percent", "OOM": "OOM score", "months": "Months"}.get(metric.unit, metric.unit)


def _scenario_line(ax: Axes, s: pd.Series, i: int, label: str, percent: bool) -> None:
    ax.plot(
        s.index,
        s * 100 if percent else s,
        linestyle=SCENARIO_STYLES[(i // 10) % 4],
        color=plt.get_cmap("tab10")(i % 10),
        label=label,
    )


def compare_charts(results: Mapping[str, Result], out_dir: Path) -> list[Path]:
    """One chart per comparison metric (each scenario a line) plus an overview of all of them."""
    out_dir = Path(out_dir)
    first = next(iter(results.values()))
    years = sorted({int(y) for r in results.values() for y in r.years["year"]})
    series = {
        m.key: {sid: m.series(r, *focus_pair(r)) for sid, r in results.items()}
        for m in COMPARE_METRICS
    }
    paths = []
    with projector_style():
        for m in COMPARE_METRICS:
            fig, ax = plt.subplots(figsize=(12, 6.5))
            for i, (sid, s) in enumerate(series[m.key].items()):
                _scenario_line(ax, s, i, sid, m.percent)
            ax.set_title(f"{metric_label(m, first)} (seed {first.manifest.get('seed')})")
            ax.set_ylabel(_unit_label(m))
            _years(ax, years)
            ax.legend(title="scenario", loc="best")
            paths.append(_save(fig, out_dir / f"compare_{m.key}.png"))
        ncols = 4
        nrows = -(-len(COMPARE_METRICS) // ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(6 * ncols, 4.8 * nrows), squeeze=False)
        for ax, m in zip(axes.flat, COMPARE_METRICS, strict=False):
            for i, (sid, s) in enumerate(series[m.key].items()):
                _scenario_line(ax, s, i, sid, m.percent)
            ax.set_title(metric_label(m, first), fontsize=14)
            ax.set_ylabel(_unit_label(m))
            _years(ax, years)
        for ax in list(axes.flat)[len(COMPARE_METRICS) :]:
            ax.axis("off")
        _scenario_legend(fig, axes.flat[0], "scenario")
        fig.suptitle(f"Scenarios compared (seed {first.manifest.get('seed')})")
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        paths.append(_save(fig, out_dir / "compare_overview.png"))
    return paths


# --- ensembles: medians with 5-95% bands ------------------------------------------------------

BAND_ALPHA = 0.18


def draw_band(
    ax: Axes,
    band: pd.DataFrame,
    colour: str,
    label: str,
    percent: bool = False,
    linestyle: str = "-",
) -> None:
    """Shade a band (``median`` plus low and high percentile columns) and draw its median line."""
    k = 100.0 if percent else 1.0
    lo, hi = band.columns[1], band.columns[2]
    ax.fill_between(
        band.index, band[lo] * k, band[hi] * k, color=colour, alpha=BAND_ALPHA, linewidth=0
    )
    ax.plot(band.index, band["median"] * k, color=colour, linestyle=linestyle, label=label)


def _ensemble_subtitle(ens: EnsembleResult) -> str:
    prov = ens.manifest.get("ensemble", {}).get("provenance", {})
    tag = ", PROVISIONAL ensemble" if prov.get("settings", {}).get("provisional") else ""
    return f"scenario: {ens.scenario_id}, {ens.n} members{tag}; lines: median, shading: 5-95%"


def _band_nations(ens: EnsembleResult) -> list[tuple[str, str, str]]:
    """(nation id, colour, display name) of every nation of an ensemble run."""
    from sim.ensembles.report import label_view

    view = label_view(ens)
    return [
        (n, nation_colour(n, i), nation_name(view, n))  # type: ignore[arg-type]
        for i, n in enumerate(view.nations["nation"])
    ]


def ensemble_capability_chart(ens: EnsembleResult, path: Path) -> Path:
    """Capability and lag per nation over the ensemble: median lines with 5-95% bands."""
    with projector_style():
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(16, 6.5))
        for n, c, name in _band_nations(ens):
            draw_band(a1, ens.band(f"oom:{n}"), c, name)
            draw_band(a2, ens.band(f"lag_months:{n}"), c, name)
        _capability_axes(a1, a2, ens.years)
        fig.suptitle(f"Who leads, and by how much ({_ensemble_subtitle(ens)})", fontsize=15)
        return _save(fig, path)


def ensemble_compute_chart(ens: EnsembleResult, path: Path) -> Path:
    """Compute stock (log scale) and share of world compute per nation, with 5-95% bands."""
    with projector_style():
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(16, 6.5))
        for n, c, name in _band_nations(ens):
            stock = ens.band(f"compute_h100e:{n}")
            draw_band(a1, stock.where(stock > 0), c, name)
            draw_band(a2, ens.band(f"compute_share:{n}"), c, name, percent=True)
        a1.set_yscale("log")
        _stock_axis(a1)
        a2.set_title("Share of world compute")
        a2.set_ylabel("Percent of world H100e")
        a2.set_ylim(bottom=0)
        for ax in (a1, a2):
            _years(ax, ens.years)
        fig.suptitle(f"Where the compute is ({_ensemble_subtitle(ens)})", fontsize=15)
        return _save(fig, path)


ENSEMBLE_CHARTS = {
    "capability.png": ensemble_capability_chart,
    "compute.png": ensemble_compute_chart,
}


def ensemble_run_charts(ens: EnsembleResult, out_dir: Path) -> list[Path]:
    """Every band chart of one ensemble run into ``out_dir``; return the paths."""
    out_dir = Path(out_dir)
    return [draw(ens, out_dir / name) for name, draw in ENSEMBLE_CHARTS.items()]


def compare_band_charts(
    results: Mapping[str, EnsembleResult],
    effects: Mapping[str, EnsembleResult],
    out_dir: Path,
) -> list[Path]:
    """Per comparison metric: each scenario's median and 5-95% band; an overview of all metrics;
    and ``compare_effects.png``, the paired effect of each scenario against the first."""
    from sim.ensembles.report import label_view

    out_dir = Path(out_dir)
    first = next(iter(results.values()))
    view = label_view(first)
    metrics = [m for m in COMPARE_METRICS if m.key in first.metrics]
    years = sorted({y for r in results.values() for y in r.years})
    colours = [plt.get_cmap("tab10")(i % 10) for i in range(len(results))]
    note = f"{first.n} ensemble members per scenario; lines: median, shading: 5-95%"
    paths = []

    def panel(ax: Axes, m: Metric, runs: Mapping[str, EnsembleResult], offset: int = 0) -> None:
        for i, (sid, r) in enumerate(runs.items()):
            style = SCENARIO_STYLES[((i + offset) // 10) % 4]
            draw_band(ax, r.band(m.key), colours[i + offset], sid, m.percent, style)
        if offset:  # differences: percentage points, or the metric's own unit
            ax.set_ylabel("Percentage points" if m.percent else f"Difference ({_unit_label(m)})")
        else:
            ax.set_ylabel(_unit_label(m))
        _years(ax, years)

    with projector_style():
        for m in metrics:
            fig, ax = plt.subplots(figsize=(12, 6.5))
            panel(ax, m, results)
            ax.set_title(f"{metric_label(m, view)}\n({note})", fontsize=14)  # type: ignore[arg-type]
            ax.legend(title="scenario", loc="best")
            paths.append(_save(fig, out_dir / f"compare_{m.key}.png"))
        for name, runs, offset, title in (
            ("compare_overview.png", results, 0, f"Scenarios compared ({note})"),
            (
                "compare_effects.png",
                effects,
                1,
                f"Effect of each scenario against '{next(iter(results))}', member by member ({note})",
            ),
        ):
            if not runs:
                continue
            ncols = 4
            nrows = -(-len(metrics) // ncols)
            fig, axes = plt.subplots(nrows, ncols, figsize=(6 * ncols, 4.8 * nrows), squeeze=False)
            for ax, m in zip(axes.flat, metrics, strict=False):
                panel(ax, m, runs, offset)
                if offset:
                    ax.axhline(0, color="k", lw=0.8)
                ax.set_title(metric_label(m, view), fontsize=14)  # type: ignore[arg-type]
            for ax in list(axes.flat)[len(metrics) :]:
                ax.axis("off")
            _scenario_legend(
                fig, axes.flat[0], "scenario" if not offset else "scenario minus reference"
            )
            fig.suptitle(title, fontsize=16)
            fig.tight_layout(rect=(0, 0.03, 1, 1))
            paths.append(_save(fig, out_dir / name))
    return paths


def _scenario_legend(fig: Any, ax: Any, title: str) -> None:
    """One legend for a grid of panels, below them (the scenarios of the first panel)."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="lower center",
        ncol=min(len(labels), 6),
        frameon=False,
        title=title,
        bbox_to_anchor=(0.5, -0.06),
    )
