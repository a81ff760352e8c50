"""PRIM scenario discovery (Friedman and Fisher 1999): peeling, then pasting, with coverage and density.

Written here because the maintained implementation (``ema_workbench.analysis.prim``) is not
installable in this environment (ema-workbench 3 needs Python >= 3.12 and pulls scikit-learn and
statsmodels; see SWEEP-NOTES). This is the textbook algorithm, kept small:

* **Peeling**: starting from the box holding every run, repeatedly remove the ``alpha`` share of
  points at the low or high end of one numeric input (or one category of a categorical/boolean
  input), choosing the peel with the largest density gain per removed run (*density* = share of
  cases of interest inside; the "lenient" objective EMA Workbench also uses by default), until the box would hold less than ``mass_min`` of all runs. Each step is one point on the
  peeling trajectory.
* **Selection**: the box with the largest *coverage* (share of all cases of interest that lie
  inside) among those with density >= ``threshold``; if none reaches it, the densest box.
* **Pasting**: widen the selected box one bound (or category) at a time while density does not
  fall and the box grows.

Differences from EMA Workbench: no quasi-p-values, no interactive box inspection, one box only.

:func:`prim_package` runs the maintained ``prim`` package (PyPI ``prim``, the EMA Workbench
algorithm as a standalone library; optional extra ``prim``, GPL-3) with the same selection rule and
returns the same :class:`PrimResult`, so the two can be cross-checked (``tests/test_sweeps_analysis.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class PrimResult:
    """Peeling trajectory, the selected (pasted) box and its statistics."""

    rule: str
    trajectory: pd.DataFrame  # step, coverage, density, mass, n, restricted
    box: pd.DataFrame  # parameter, low, high, values (categorical), full range
    coverage: float
    density: float
    mass: float
    n_cases: int
    n_total: int
    threshold: float = 0.8  # the density target the box was selected for
    backend: str = "own"

    @property
    def meets_threshold(self) -> bool:
        """True if the selected box reaches its density target."""
        return self.density >= self.threshold

    def warning(self) -> str | None:
        """A one-line warning when the box misses its density target (else None)."""
        if self.meets_threshold:
            return None
        if self.n_cases == 0:
            return f"warning: no run satisfies {self.rule}: PRIM has nothing to describe"
        return (
            f"warning: PRIM box for {self.rule} is weak: density {self.density:.0%} is below the"
            f" target {self.threshold:.0%} (no box on the peeling trajectory reaches it); treat the"
            " rule as a tendency, not a condition"
        )

    def sentence(self) -> str:
        """Plain-language summary, e.g. "lag < 6 arises when a <= 0.4 and b in {x} (coverage ...)"."""
        if self.n_cases == 0:
            return f"{self.rule}: no run satisfies the rule (0 of {self.n_total})"
        if self.box.empty:
            return f"{self.rule}: no box restricts the inputs (the cases are spread everywhere)"
        parts = []
        for r in self.box.itertuples():
            if isinstance(r.values, str) and r.values:
                parts.append(f"{r.parameter} in {{{r.values}}}")
            elif not np.isnan(r.low) and not np.isnan(r.high):
                if r.low == r.high:
                    parts.append(f"{r.parameter} = {r.low:.4g}")
                else:
                    parts.append(f"{r.low:.4g} <= {r.parameter} <= {r.high:.4g}")
            elif not np.isnan(r.low):
                parts.append(f"{r.parameter} >= {r.low:.4g}")
            else:
                parts.append(f"{r.parameter} <= {r.high:.4g}")
        return (
            f"futures where {self.rule} arise when "
            + " and ".join(parts)
            + f" (coverage {self.coverage:.0%}, density {self.density:.0%}, {self.mass:.0%} of runs)"
        )


def _is_categorical(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)


class _Box:
    """Limits per column: (low, high) for numbers, a set of allowed values for categories."""

    def __init__(self, X: pd.DataFrame, cat: dict[str, bool]):
        self.lim: dict[str, Any] = {}
        for c in X.columns:
            self.lim[c] = (
                set(X[c].unique().tolist()) if cat[c] else (float(X[c].min()), float(X[c].max()))
            )

    def copy(self) -> _Box:
        b = object.__new__(_Box)
        b.lim = {k: (set(v) if isinstance(v, set) else v) for k, v in self.lim.items()}
        return b

    def mask(self, X: pd.DataFrame, cols: dict[str, np.ndarray]) -> np.ndarray:
        m = np.ones(len(X), dtype=bool)
        for c, v in self.lim.items():
            if isinstance(v, set):
                m &= np.isin(cols[c], list(v))
            else:
                m &= (cols[c] >= v[0]) & (cols[c] <= v[1])
        return m


def prim(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    rule: str = "y",
    alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    threshold: float = 0.8,
) -> PrimResult:
    """Find one PRIM box for boolean ``y`` (cases of interest) over inputs ``X`` (rows = runs)."""
    y = np.asarray(y, dtype=bool)
    if len(X) != len(y):
        raise ValueError("X and y differ in length")
    X = X.reset_index(drop=True)
    cat = {c: _is_categorical(X[c]) for c in X.columns}
    cols = {c: X[c].to_numpy() if cat[c] else X[c].to_numpy(dtype=float) for c in X.columns}
    n_total, n_cases = len(y), int(y.sum())
    full = _Box(X, cat)
    box = full.copy()
    mask = box.mask(X, cols)
    traj: list[tuple[_Box, np.ndarray]] = [(box.copy(), mask)]
    while True:
        best: tuple[float, int, _Box, np.ndarray] | None = None
        for cand in _peels(box, mask, cols, cat, alpha):
            m = cand.mask(X, cols)
            n = int(m.sum())
            if n < mass_min * n_total or n == int(mask.sum()):
                continue
            # Friedman-Fisher objective: density gained per run removed, so a peel that throws
            # away half the box (one category of a binary input) must earn proportionally more
            n_box = int(mask.sum())
            gain = ((y[m].mean() if n else 0.0) - y[mask].mean()) / (n_box - n)
            if best is None or (gain, n) > (best[0], best[1]):
                best = (gain, n, cand, m)
        if best is None:
            break
        box, mask = best[2], best[3]
        traj.append((box.copy(), mask))
    rows = []
    for i, (b, m) in enumerate(traj):
        n = int(m.sum())
        rows.append(
            {
                "step": i,
                "coverage": y[m].sum() / n_cases if n_cases else 0.0,
                "density": y[m].mean() if n else 0.0,
                "mass": n / n_total,
                "n": n,
                "restricted": _restricted(b, full),
            }
        )
    trajectory = pd.DataFrame(rows)
    pick = _select(trajectory, threshold)
    box, mask = traj[pick][0].copy(), traj[pick][1]
    box, mask = _paste(box, mask, X, cols, cat, y, paste_alpha)
    n = int(mask.sum())
    cov = float(y[mask].sum() / n_cases) if n_cases else 0.0
    dens = float(y[mask].mean()) if n else 0.0
    return PrimResult(
        rule,
        trajectory,
        _box_table(box, full, cat),
        cov,
        dens,
        n / n_total,
        n_cases,
        n_total,
        threshold=threshold,
    )


def _restricted(b: _Box, full: _Box) -> int:
    return sum(1 for k in b.lim if b.lim[k] != full.lim[k])


def _peels(
    box: _Box, mask: np.ndarray, cols: dict[str, np.ndarray], cat: dict[str, bool], alpha: float
):
    """Candidate boxes one peel smaller than ``box``."""
    for c, lim in box.lim.items():
        if cat[c]:
            if len(lim) > 1:
                for v in sorted(lim, key=str):
                    b = box.copy()
                    b.lim[c] = lim - {v}
                    yield b
            continue
        x = np.sort(cols[c][mask])
        if len(x) == 0 or x[0] == x[-1]:
            continue
        k = max(1, int(alpha * len(x)))
        lo = x[k] if x[k] > x[0] else x[x > x[0]][0]  # remove at least the minimum's ties
        b = box.copy()
        b.lim[c] = (float(lo), lim[1])
        yield b
        hi = x[-k - 1] if x[-k - 1] < x[-1] else x[x < x[-1]][-1]
        b = box.copy()
        b.lim[c] = (lim[0], float(hi))
        yield b


def _paste(
    box: _Box,
    mask: np.ndarray,
    X: pd.DataFrame,
    cols: dict[str, np.ndarray],
    cat: dict[str, bool],
    y: np.ndarray,
    alpha: float,
) -> tuple[_Box, np.ndarray]:
    """Widen ``box`` while density does not fall."""
    full = _Box(X, cat)
    while True:
        n = int(mask.sum())
        dens = y[mask].mean() if n else 0.0
        best = None
        for c, lim in box.lim.items():
            cands = []
            if cat[c]:
                for v in full.lim[c] - lim:
                    b = box.copy()
                    b.lim[c] = lim | {v}
                    cands.append(b)
            else:
                others = box.copy()
                others.lim[c] = full.lim[c]
                xs = cols[c][others.mask(X, cols)]
                k = max(1, int(alpha * n))
                below, above = np.sort(xs[xs < lim[0]]), np.sort(xs[xs > lim[1]])
                if len(below):
                    b = box.copy()
                    b.lim[c] = (float(below[max(0, len(below) - k)]), lim[1])
                    cands.append(b)
                if len(above):
                    b = box.copy()
                    b.lim[c] = (lim[0], float(above[min(len(above) - 1, k - 1)]))
                    cands.append(b)
            for b in cands:
                m = b.mask(X, cols)
                nm = int(m.sum())
                d = y[m].mean()
                if nm > n and d >= dens and (best is None or (d, nm) > (best[0], best[1])):
                    best = (d, nm, b, m)
        if best is None:
            return box, mask
        box, mask = best[2], best[3]


def _box_table(box: _Box, full: _Box, cat: dict[str, bool]) -> pd.DataFrame:
    rows = []
    for c, lim in box.lim.items():
        if lim == full.lim[c]:
            continue
        if cat[c]:
            rows.append(
                {
                    "parameter": c,
                    "low": np.nan,
                    "high": np.nan,
                    "values": ", ".join(sorted(map(str, lim))),
                    "full_range": ", ".join(sorted(map(str, full.lim[c]))),
                }
            )
        else:
            lo = lim[0] if lim[0] > full.lim[c][0] else np.nan
            hi = lim[1] if lim[1] < full.lim[c][1] else np.nan
            rows.append(
                {
                    "parameter": c,
                    "low": lo,
                    "high": hi,
                    "values": "",
                    "full_range": f"{full.lim[c][0]:.4g} to {full.lim[c][1]:.4g}",
                }
            )
    return pd.DataFrame(rows, columns=["parameter", "low", "high", "values", "full_range"])


def _select(trajectory: pd.DataFrame, threshold: float) -> int:
    """Largest coverage among boxes with density >= threshold (earliest on ties), else densest."""
    ok = trajectory[trajectory["density"] >= threshold]
    if len(ok):
        return int(ok.sort_values(["coverage", "step"], ascending=[False, True]).iloc[0]["step"])
    return int(trajectory["density"].idxmax())


def prim_package(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    rule: str = "y",
    alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    threshold: float = 0.8,
) -> PrimResult:
    """One PRIM box from the maintained ``prim`` package, with this module's selection rule.

    The package peels and then pastes the last box; the box with the largest coverage at density
    >= ``threshold`` is selected from that peeling-and-pasting trajectory.
    """
    try:
        import prim as prim_pkg
    except ImportError:
        from sim.errors import UserError

        raise UserError(
            "PRIM backend 'prim' needs the prim package: pip install 'sputnik-moment[prim]'"
        ) from None
    y = np.asarray(y, dtype=bool)
    X = X.reset_index(drop=True)
    p = prim_pkg.Prim(X, y, peel_alpha=alpha, paste_alpha=paste_alpha, mass_min=mass_min)
    b = p.find_box()
    t = b.peeling_trajectory.reset_index(drop=True)
    trajectory = pd.DataFrame(
        {
            "step": np.arange(len(t)),
            "coverage": t["coverage"].astype(float),
            "density": t["density"].astype(float),
            "mass": t["mass"].astype(float),
            "n": (t["mass"].astype(float) * len(y)).round().astype(int),
            "restricted": t["res dim"].astype(int),
        }
    )
    pick = _select(trajectory, threshold)
    b.select(pick)
    lims, init = b._box_lims[pick], p._box_init  # recarrays: row 0 = low, row 1 = high
    rows = []
    for c in X.columns:
        lo, hi, lo0, hi0 = lims[c][0], lims[c][1], init[c][0], init[c][1]
        if isinstance(lo, set):
            if lo != lo0:
                rows.append(
                    {
                        "parameter": c,
                        "low": np.nan,
                        "high": np.nan,
                        "values": ", ".join(sorted(map(str, lo))),
                        "full_range": ", ".join(sorted(map(str, lo0))),
                    }
                )
        elif lo != lo0 or hi != hi0:
            rows.append(
                {
                    "parameter": c,
                    "low": float(lo) if lo != lo0 else np.nan,
                    "high": float(hi) if hi != hi0 else np.nan,
                    "values": "",
                    "full_range": f"{float(lo0):.4g} to {float(hi0):.4g}",
                }
            )
    box = pd.DataFrame(rows, columns=["parameter", "low", "high", "values", "full_range"])
    n_cases = int(y.sum())
    return PrimResult(
        rule,
        trajectory,
        box,
        float(b.coverage),
        float(b.density),
        float(b.mass),
        n_cases,
        len(y),
        threshold=threshold,
        backend="prim",
    )
