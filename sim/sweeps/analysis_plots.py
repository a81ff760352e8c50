"""Charts of a sweep analysis (matplotlib, Agg in scripts): every chart shows its uncertainty.

* fan charts: median with 50% and 90% bands, integer year ticks, a labelled y axis, a distinct
  colour per lever value and a note naming what is pooled;
* Sobol: S1 and ST per parameter with their bootstrap confidence intervals (SALib ``*_conf``);
* Morris: mu* against sigma per parameter (with mu*'s interval and the sigma = mu* line);
* a two-lever heatmap of an outcome's median;
* the PRIM peeling trajectory with the density target.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# Dark2 (ColorBrewer): qualitative, distinct even where bands overlap
PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")
YLABELS = {
    "lag_months": "months behind the world frontier",
    "compute_share": "share of world AI compute",
    "oom": "frontier capability (OOM)",
    "compute_h100e": "compute stock (H100e)",
}


def _label(v: Any) -> str:
    """A lever value as a short label (0.6000000000000001 -> 0.6)."""
    if isinstance(v, float | np.floating) and not isinstance(v, bool):
        return f"{float(v):.4g}"
    return str(v)


def _pyplot():
    from sim.plotting import pyplot

    return pyplot()


def _save(fig: Any, path: Path, plt: Any, tight: bool = True) -> Path:
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_fan(
    fans: dict[str, pd.DataFrame],
    column: str,
    path: Path,
    by: str | None = None,
    pooled: list[str] | None = None,
    ylabel: str | None = None,
) -> Path:
    """One panel per nation: median line with 50% and 90% bands per year (one colour per ``by`` value).

    ``pooled`` names the levers (and uncertainties) whose values are mixed inside each band; it is
    printed under the chart so a reader knows what the spread contains.
    """
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    n = len(fans)
    ncols = min(3, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.4 * ncols, 3.2 * nrows + 0.5), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax, (nation, fan) in zip(axes.flat, fans.items(), strict=False):
        groups = list(fan.groupby(by, sort=True)) if by else [("all runs", fan)]
        # more than three settings: bands only for the lowest and highest, or they turn to mud
        banded = {0, len(groups) - 1} if len(groups) > 3 else set(range(len(groups)))
        for i, (k, g) in enumerate(groups):
            c = PALETTE[i % len(PALETTE)]
            if i in banded and len(groups) > 1:  # 90% as dashed edges keeps overlaps readable
                ax.plot(g["year"], g["p05"], color=c, lw=0.8, ls="--")
                ax.plot(g["year"], g["p95"], color=c, lw=0.8, ls="--")
            elif i in banded:
                ax.fill_between(g["year"], g["p05"], g["p95"], color=c, alpha=0.15, lw=0)
            if i in banded:
                ax.fill_between(g["year"], g["p25"], g["p75"], color=c, alpha=0.3, lw=0)
            ax.plot(
                g["year"], g["p50"], color=c, lw=2, label=f"{by} = {_label(k)}" if by else str(k)
            )
        ax.set_title(nation, fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("year", fontsize=8)
        ax.set_ylabel(ylabel or YLABELS.get(column, column), fontsize=8)
        ax.tick_params(labelsize=8)
    axes.flat[0].legend(fontsize=7)
    bands = "median (line), 50% (shaded) and 90% (" + ("dashed" if by else "light") + ") of runs"
    n_groups = fan[by].nunique() if by else 1
    if n_groups > 3:
        bands += f"; bands for the lowest and highest {by} only"
    fig.suptitle(f"{column}: {bands}", fontsize=10)
    note = "pooled in each band: " + (", ".join(pooled) if pooled else "replications only")
    fig.text(0.01, 0.01, note, fontsize=7, color="0.3")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _first_combo(df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    label = df["levers"].iloc[0]
    return df[df["levers"] == label], label


def plot_sobol(sens: pd.DataFrame, path: Path) -> Path:
    """Per outcome: S1 and ST bars per parameter with their 95% confidence intervals."""
    plt = _pyplot()
    first, label = _first_combo(sens)
    outs = list(dict.fromkeys(first["outcome"]))
    n_par = first["parameter"].nunique()
    fig, axes = plt.subplots(
        len(outs), 1, figsize=(7.5, 1.0 + (0.5 * n_par + 0.6) * len(outs)), squeeze=False
    )
    for ax, o in zip(axes[:, 0], outs, strict=True):
        d = first[first["outcome"] == o].sort_values("ST")
        y = np.arange(len(d))
        for shift, idx, colour, label in (
            (0.2, "ST", PALETTE[0], "ST (total)"),
            (-0.2, "S1", PALETTE[1], "S1 (first order)"),
        ):
            ax.barh(
                y + shift, d[idx], 0.38, xerr=d[f"{idx}_conf"], color=colour, label=label, capsize=2
            )
        ax.set_yticks(y, d["parameter"])
        ax.axvline(0, color="0.5", lw=0.6)
        ax.set_title(o, fontsize=9)
        ax.tick_params(labelsize=8)
    axes[0, 0].legend(fontsize=7, loc="lower right")
    axes[-1, 0].set_xlabel(
        "Sobol index (bars: 95% bootstrap interval; wide bars = too few samples)"
    )
    fig.suptitle(f"Sobol indices per outcome ({label})", fontsize=10)
    return _save(fig, path, plt)


def plot_morris(sens: pd.DataFrame, path: Path) -> Path:
    """Per outcome: sigma against mu* per parameter, mu*'s interval, and the sigma = mu* line."""
    plt = _pyplot()
    first, label = _first_combo(sens)
    outs = list(dict.fromkeys(first["outcome"]))
    ncols = min(2, len(outs))
    nrows = -(-len(outs) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 4.0 * nrows), squeeze=False)
    for ax in axes.flat[len(outs) :]:
        ax.set_visible(False)
    for ax, o in zip(axes.flat, outs, strict=False):
        d = first[first["outcome"] == o]
        ax.errorbar(
            d["mu_star"],
            d["sigma"],
            xerr=d["mu_star_conf"],
            fmt="o",
            color=PALETTE[0],
            ms=4,
            capsize=2,
        )
        top = float(max(d["mu_star"].max() + d["mu_star_conf"].max(), d["sigma"].max(), 1e-12))
        ax.plot([0, top], [0, top], ls="--", color="0.6", lw=0.8, label="sigma = mu*")
        for r in d.itertuples():
            ax.annotate(
                str(r.parameter),
                (r.mu_star, r.sigma),
                fontsize=6,
                xytext=(3, 3),
                textcoords="offset points",
            )
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("mu* (mean |effect| over the full range)", fontsize=8)
        ax.set_ylabel("sigma (non-linearity, interactions)", fontsize=8)
        ax.set_title(o, fontsize=9)
        ax.tick_params(labelsize=8)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(
        f"Morris screening ({label}): far right = influential; above the line = non-linear",
        fontsize=10,
    )
    return _save(fig, path, plt)


def plot_ranking(df: pd.DataFrame, value: str, path: Path, title: str) -> Path:
    """Horizontal bars ranking parameters per outcome by ``value``, first lever combination."""
    plt = _pyplot()
    first, _ = _first_combo(df)
    outs = list(dict.fromkeys(first["outcome"]))
    fig, axes = plt.subplots(len(outs), 1, figsize=(7, 1.2 + 0.35 * len(first)), squeeze=False)
    for ax, o in zip(axes[:, 0], outs, strict=True):
        d = first[first["outcome"] == o].sort_values(value)
        ax.barh(d["parameter"], d[value], color=PALETTE[0])
        ax.set_title(o, fontsize=9)
        ax.tick_params(labelsize=8)
    axes[-1, 0].set_xlabel(value)
    fig.suptitle(title, fontsize=10)
    return _save(fig, path, plt)


def plot_heatmaps(table: pd.DataFrame, rows: str, cols: str, path: Path, pooled: list[str]) -> Path:
    """One annotated heatmap per outcome: median over runs of each (rows, cols) lever cell.

    ``table`` is tidy: outcome, <rows>, <cols>, median, n (see ``analysis.crosstab``).
    """
    plt = _pyplot()
    outs = list(dict.fromkeys(table["outcome"]))
    ncols = min(3, len(outs))
    nrows = -(-len(outs) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.4 * nrows + 0.4), squeeze=False)
    for ax in axes.flat[len(outs) :]:
        ax.set_visible(False)
    for ax, o in zip(axes.flat, outs, strict=False):
        g = table[table["outcome"] == o].pivot(index=rows, columns=cols, values="median")
        im = ax.imshow(g.to_numpy(dtype=float), cmap="viridis", aspect="auto", origin="lower")
        ax.set_xticks(range(g.shape[1]), [_label(c) for c in g.columns], fontsize=7)
        ax.set_yticks(range(g.shape[0]), [_label(r) for r in g.index], fontsize=7)
        ax.set_xlabel(cols, fontsize=8)
        ax.set_ylabel(rows, fontsize=8)
        vals = g.to_numpy(dtype=float)
        mid = np.nanmean(vals) if np.isfinite(vals).any() else 0.0
        for (i, j), v in np.ndenumerate(vals):
            if np.isfinite(v):
                ax.text(
                    j,
                    i,
                    f"{v:.3g}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if v < mid else "black",
                )
        ax.set_title(f"{o} (median)", fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8).ax.tick_params(labelsize=7)
    fig.text(
        0.01,
        0.01,
        "pooled in each cell: " + (", ".join(pooled) or "replications only"),
        fontsize=7,
        color="0.3",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_prim(res: Any, path: Path) -> Path:
    """Peeling trajectory (coverage vs density), coloured by restricted parameters; target line."""
    plt = _pyplot()
    t = res.trajectory
    fig, ax = plt.subplots(figsize=(6, 4))
    sc = ax.scatter(t["coverage"], t["density"], c=t["restricted"], cmap="viridis", s=18)
    ax.scatter(
        [res.coverage], [res.density], marker="*", s=160, color="C3", label="selected box (pasted)"
    )
    ax.axhline(
        res.threshold, ls="--", color="0.5", lw=0.8, label=f"density target {res.threshold:g}"
    )
    fig.colorbar(sc, ax=ax, label="restricted parameters")
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_title(f"PRIM: {res.rule}" + ("" if res.meets_threshold else " (weak box)"), fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path, plt)
