"""Diagnostic plots of a history match: surviving parameters and the wave history."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.calibration.history_matching import HistoryMatch

MAX_PAIRS = 8  # pairwise panels for at most this many parameters (the most constrained ones)


def _pyplot():
    from sim.plotting import pyplot

    return pyplot()


def _log(ax, axis: str = "x") -> None:
    """Log scale with labelled decades only (minor labels overlap on narrow panels)."""
    from matplotlib.ticker import LogLocator, NullFormatter

    getattr(ax, f"set_{axis}scale")("log")
    a = ax.xaxis if axis == "x" else ax.yaxis
    a.set_major_locator(LogLocator(base=10))
    a.set_minor_formatter(NullFormatter())


def constrained_order(res: HistoryMatch) -> list[int]:
    """Parameter indices, most constrained first (survivors' unit range, smallest first)."""
    s = res.survivors
    if s.empty:
        return list(range(len(res.params)))
    u = s[[f"u{i}" for i in range(len(res.params))]].to_numpy()
    return list(np.argsort(np.ptp(u, axis=0), kind="stable"))


def plot_marginals(res: HistoryMatch, path: Path) -> Path:
    """Histogram of each parameter over its prior range: all runs (grey) and survivors."""
    plt = _pyplot()
    P, runs, s = res.params, res.runs, res.survivors
    ncols = min(4, len(P))
    nrows = -(-len(P) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.4 * nrows), squeeze=False)
    for ax in axes.flat[len(P) :]:
        ax.set_visible(False)
    for ax, p in zip(axes.flat, P, strict=False):
        edges = p.value(np.linspace(0, 1, 21))
        ax.hist(runs[p.path], bins=edges, color="0.8", label="all runs")
        if not s.empty:
            ax.hist(s[p.path], bins=edges, color="C0", label="non-implausible")
        if p.scale == "log":
            _log(ax)
        ax.set_xlim(p.low, p.high)
        ax.set_title(p.path, fontsize=8)
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(
        f"Parameters over the prior range: {len(s)} of {len(runs)} runs non-implausible",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_pairs(res: HistoryMatch, path: Path) -> Path:
    """Pairwise scatter of survivors (coloured by max implausibility) over all runs."""
    plt = _pyplot()
    idx = constrained_order(res)[:MAX_PAIRS]
    P = [res.params[i] for i in idx]
    s, runs = res.survivors, res.runs
    k = len(P)
    fig, axes = plt.subplots(k, k, figsize=(1.9 * k + 1, 1.9 * k + 0.5), squeeze=False)
    sc = None
    for r in range(k):
        for c in range(k):
            ax = axes[r, c]
            if c > r:
                ax.set_visible(False)
                continue
            px, py = P[c], P[r]
            if r == c:
                ax.hist(
                    s[px.path] if not s.empty else [],
                    bins=px.value(np.linspace(0, 1, 16)),
                    color="C0",
                )
            else:
                ax.scatter(runs[px.path], runs[py.path], s=3, color="0.85", lw=0)
                if not s.empty:
                    sc = ax.scatter(
                        s[px.path],
                        s[py.path],
                        s=6,
                        c=s["max_implausibility"],
                        cmap="viridis_r",
                        lw=0,
                        vmin=0,
                        vmax=float(res.config["config"]["cutoff"]),
                    )
                ax.set_ylim(py.low, py.high)
                if py.scale == "log":
                    _log(ax, "y")
            ax.set_xlim(px.low, px.high)
            if px.scale == "log":
                _log(ax)
            ax.tick_params(labelsize=6)
            if r == k - 1:
                ax.set_xlabel(px.path, fontsize=7)
            if c == 0 and r > 0:
                ax.set_ylabel(py.path, fontsize=7)
    if sc is not None:
        fig.colorbar(sc, ax=axes.ravel().tolist(), shrink=0.6, label="max implausibility")
    note = (
        ""
        if len(res.params) <= MAX_PAIRS
        else f" ({MAX_PAIRS} most constrained of {len(res.params)})"
    )
    fig.suptitle(f"Non-implausible parameter sets, pairwise{note}; grey: all runs", fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_waves(res: HistoryMatch, path: Path) -> Path:
    """Runs and survivors per wave, and the sampling box volume (log scale)."""
    plt = _pyplot()
    w = res.waves
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.4))
    a.bar(w["wave"], w["n_runs"], color="0.8", label="runs")
    a.bar(w["wave"], w["n_pass"], color="C0", label="non-implausible")
    a.set_xlabel("wave")
    a.set_ylabel("parameter sets")
    a.set_xticks(w["wave"])
    a.legend(fontsize=8)
    b.plot(w["wave"], w["box_volume"], marker="o")
    b.set_yscale("log")
    b.set_xticks(w["wave"])
    b.set_xlabel("wave")
    b.set_ylabel("sampling box volume (share of prior)")
    fig.suptitle("History-matching waves", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_all(res: HistoryMatch) -> list[Path]:
    """Write marginals.png, pairs.png and waves.png into the history match's directory."""
    d = res.out_dir
    return [
        plot_marginals(res, d / "marginals.png"),
        plot_pairs(res, d / "pairs.png"),
        plot_waves(res, d / "waves.png"),
    ]
