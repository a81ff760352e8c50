"""History-matching benchmark: candidate screens on a test function with a known answer, GP cost.

    .venv/bin/python benchmarks/bench_history_matching.py          # ~1-2 min on 2 cores

Measures:
  1. On a 4-parameter test function (curved non-implausible region, ~0.3% of the prior) with seed
     noise, 5 waves x 100 runs, for the screens ``none``, ``nn`` (default) and ``gp``: survivors,
     simulator runs needed to reach 150 non-implausible sets, recall (share of the true region, by
     dense Monte Carlo, inside the survivors' bounding box), precision (survivors truly
     non-implausible without noise) and wall time.
  2. The GP screen's own cost: one anisotropic GP fit per emulated target (12 inputs, 150 runs).
  3. Engine overhead per run (journalled chunks) with a trivial simulator.
"""

from __future__ import annotations

import math
import tempfile
import time
import warnings

import numpy as np

from sim.calibration.history_matching import (
    history_match,
    implausibility,
    max_implausibility,
    transformed,
)
from sim.calibration.targets import Target

PARAMS = [("x1", 0.0, 1.0), ("x2", 0.0, 1.0), ("x3", 0.1, 10.0, "log"), ("x4", -1.0, 1.0)]
NOISE = 0.01


def outputs(x1, x2, x3, x4):
    """Four outputs; the region they allow is curved (x4 enters squared, x3 times x1)."""
    return (x1 + x2 + 0.3 * x4**2, x1 - x2, x3 * (1 + x1), np.sin(3 * x4) + x2)


def simulate(p, seed):
    rng = np.random.default_rng(seed)
    a, b, c, d = outputs(p["x1"], p["x2"], p["x3"], p["x4"])
    return {
        "a:t:2024": a + rng.normal(0, NOISE),
        "b:t:2024": b + rng.normal(0, NOISE),
        "c:t:2024": c,
        "d:t:2024": d + rng.normal(0, NOISE),
    }


def target(q, value, half, scale="lin"):
    lo, hi = (
        (value / 10**half, value * 10**half) if scale == "log" else (value - half, value + half)
    )
    return Target(
        id=f"{q}:t:2024", quantity=q, region="t", year=2024, value=value, unit="u", low=lo,
        high=hi, scale=scale, kind="level", source="test function", date="2024", tag="derived",
    )  # fmt: skip


TRUTH = (0.3, 0.6, 2.0, 0.4)
_a, _b, _c, _d = outputs(*TRUTH)
TARGETS = [
    target("a", _a, 0.1),
    target("b", _b, 0.1),
    target("c", _c, 0.1, "log"),
    target("d", _d, 0.1),
]
SEED_SD = {"a": NOISE, "b": NOISE, "d": NOISE}


def true_region(n=1_000_000, seed=0):
    from sim.calibration.history_matching import as_params

    P = as_params(PARAMS)
    u = np.random.default_rng(seed).random((n, len(P)))
    x = [p.value(u[:, i]) for i, p in enumerate(P)]
    m = transformed(TARGETS, np.column_stack(outputs(*x)))
    sv = np.array([NOISE**2, NOISE**2, 0.0, NOISE**2])
    return u, max_implausibility(implausibility(TARGETS, m, sv)) <= 3


def screens():
    u, true = true_region()
    print(f"1. true non-implausible share of the prior: {true.mean():.4f} (MC, {len(u):,} points)")
    print(
        f"{'screen':>6} {'seed':>4} {'runs':>5} {'surv':>5} {'to150':>6} {'recall':>6} {'prec':>5} {'s':>6}"
    )
    sv = np.array([NOISE**2, NOISE**2, 0.0, NOISE**2])
    for screen in ("none", "nn", "gp"):
        for seed in (1, 2, 3):
            with tempfile.TemporaryDirectory() as d:
                t = time.perf_counter()
                r = history_match(
                    simulate, PARAMS, TARGETS, waves=5, n_per_wave=100, seed=seed, out_dir=d,
                    seed_sd=SEED_SD, screen=screen, plots=False,
                )  # fmt: skip
                wall = time.perf_counter() - t
            s = r.survivors
            su = s[[f"u{i}" for i in range(4)]].to_numpy()
            inbox = (
                ((u >= su.min(0)) & (u <= su.max(0))).all(1) if len(s) else np.zeros(len(u), bool)
            )
            recall = (inbox & true).sum() / true.sum()
            m = transformed(TARGETS, np.column_stack(outputs(s.x1, s.x2, s.x3, s.x4)))
            prec = (
                (max_implausibility(implausibility(TARGETS, m, sv)) <= 3).mean()
                if len(s)
                else math.nan
            )
            cum = r.runs["non_implausible"].cumsum().to_numpy()
            to150 = str(int(np.argmax(cum >= 150)) + 1) if cum[-1] >= 150 else "never"
            print(
                f"{screen:>6} {seed:>4} {len(r.runs):>5} {len(s):>5} {to150:>6} {recall:>6.3f} {prec:>5.3f} {wall:>6.2f}"
            )


def gp_cost():
    from sim.calibration.emulator import _gp

    rng = np.random.default_rng(0)
    X = rng.random((150, 12))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2 + 0.01 * rng.normal(size=150)
    times = []
    for k in range(3):
        gp = _gp(12, k)
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gp.fit(X, y)
        times.append(time.perf_counter() - t)
    per = float(np.median(times))
    print(
        f"2. GP fit, 12 inputs, 150 runs: {per:.2f} s per emulated target"
        f" -> {5 * per:.1f} s / {20 * per:.1f} s / {47 * per:.1f} s per wave for 5 / 20 / 47 cutting targets"
    )


def overhead():
    def trivial(p, seed):
        return {t.id: t.value for t in TARGETS}

    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        r = history_match(
            trivial, PARAMS, TARGETS, waves=2, n_per_wave=500, out_dir=d, plots=False, screen="nn"
        )
        wall = time.perf_counter() - t
    print(
        f"3. engine overhead: {len(r.runs)} runs in {wall:.2f} s = {1000 * wall / len(r.runs):.2f} ms per run"
    )


if __name__ == "__main__":
    screens()
    gp_cost()
    overhead()
