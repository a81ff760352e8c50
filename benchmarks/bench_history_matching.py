"""History-matching benchmark: candidate screens on a test function with a known answer, GP cost.

    .venv/bin/python benchmarks/bench_history_matching.py          # ~2-4 min on 2 cores

Measures:
  1. On two test functions with seed noise whose non-implausible region is known exactly (the
     3-parameter function of ``tests/test_history_matching.py``, ~0.7% of the prior, and a harder
     4-parameter one with a curved region, ~0.15%), 5 waves x 100 runs, for the screens ``none``,
     ``nn`` (default) and ``gp``: survivors,
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

NOISE = 0.01


def target(q, value, half, scale="lin"):
    lo, hi = (
        (value / 10**half, value * 10**half) if scale == "log" else (value - half, value + half)
    )
    return Target(
        id=f"{q}:t:2024", quantity=q, region="t", year=2024, value=value, unit="u", low=lo,
        high=hi, scale=scale, kind="level", source="test function", date="2024", tag="derived",
    )  # fmt: skip


class Problem:
    """A test function: parameters, noise-free outputs, which outputs are noisy, targets at a truth."""

    def __init__(self, name, params, outputs, noisy, truth, scales):
        self.name, self.params, self.outputs, self.noisy = name, params, outputs, noisy
        values = outputs(*truth)
        self.targets = [
            target(q, v, 0.1, sc) for q, v, sc in zip("abcd", values, scales, strict=False)
        ]
        self.seed_sd = {t.quantity: NOISE for t, n in zip(self.targets, noisy, strict=True) if n}

    def __call__(self, p, seed):
        rng = np.random.default_rng(seed)
        out = self.outputs(*(p[name] for name, *_ in self.params))
        return {
            t.id: v + (rng.normal(0, NOISE) if n else 0.0)
            for t, v, n in zip(self.targets, out, self.noisy, strict=True)
        }

    def true_region(self, n=1_000_000, seed=0):
        from sim.calibration.history_matching import as_params

        P = as_params(self.params)
        u = np.random.default_rng(seed).random((n, len(P)))
        x = [p.value(u[:, i]) for i, p in enumerate(P)]
        m = transformed(self.targets, np.column_stack(self.outputs(*x)))
        return u, max_implausibility(implausibility(self.targets, m, self.seed_var())) <= 3

    def seed_var(self):
        return np.array([NOISE**2 if n else 0.0 for n in self.noisy])


TOY3 = Problem(
    "toy3",
    [("x1", 0.0, 1.0), ("x2", 0.0, 1.0), ("x3", 0.1, 10.0, "log")],
    lambda x1, x2, x3: (x1 + x2, x1 - x2, x3 * (1 + x1)),
    (True, True, False),
    (0.3, 0.6, 2.0),
    ("lin", "lin", "log"),
)
CURVED4 = Problem(
    "curved4",
    [("x1", 0.0, 1.0), ("x2", 0.0, 1.0), ("x3", 0.1, 10.0, "log"), ("x4", -1.0, 1.0)],
    lambda x1, x2, x3, x4: (x1 + x2 + 0.3 * x4**2, x1 - x2, x3 * (1 + x1), np.sin(3 * x4) + x2),
    (True, True, False, True),
    (0.3, 0.6, 2.0, 0.4),
    ("lin", "lin", "log", "lin"),
)


def screens(problem: Problem):
    u, true = problem.true_region()
    d = len(problem.params)
    print(
        f"1. {problem.name}: true non-implausible share of the prior {true.mean():.4f} (MC, {len(u):,} points)"
    )
    print(
        f"{'screen':>6} {'seed':>4} {'runs':>5} {'surv':>5} {'to150':>6} {'recall':>6} {'prec':>5} {'s':>6}"
    )
    for screen in ("none", "nn", "gp"):
        for seed in (1, 2, 3):
            with tempfile.TemporaryDirectory() as tmp:
                t = time.perf_counter()
                r = history_match(
                    problem, problem.params, problem.targets, waves=5, n_per_wave=100, seed=seed,
                    out_dir=tmp, seed_sd=problem.seed_sd, screen=screen, plots=False,
                )  # fmt: skip
                wall = time.perf_counter() - t
            s = r.survivors
            su = s[[f"u{i}" for i in range(d)]].to_numpy()
            inbox = (
                ((u >= su.min(0)) & (u <= su.max(0))).all(1) if len(s) else np.zeros(len(u), bool)
            )
            recall = (inbox & true).sum() / true.sum()
            x = [s[name].to_numpy() for name, *_ in problem.params]
            m = transformed(problem.targets, np.column_stack(problem.outputs(*x)))
            imp = implausibility(problem.targets, m, problem.seed_var())
            prec = (max_implausibility(imp) <= 3).mean() if len(s) else math.nan
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
    from threadpoolctl import threadpool_limits

    times = []
    for k in range(3):
        gp = _gp(12, k)
        t = time.perf_counter()
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            gp.fit(X, y)
        times.append(time.perf_counter() - t)
    per = float(np.median(times))
    print(
        f"2. GP fit, 12 inputs, 150 runs: {per:.2f} s per emulated target"
        f" -> {5 * per:.1f} s / {20 * per:.1f} s / {47 * per:.1f} s per wave for 5 / 20 / 47 cutting targets"
    )


def overhead():
    targets = TOY3.targets

    def trivial(p, seed):
        return {t.id: t.value for t in targets}

    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        r = history_match(
            trivial, TOY3.params, targets, waves=2, n_per_wave=500, out_dir=d, plots=False
        )
        wall = time.perf_counter() - t
    print(
        f"3. engine overhead: {len(r.runs)} runs in {wall:.2f} s = {1000 * wall / len(r.runs):.2f} ms per run"
    )


if __name__ == "__main__":
    screens(TOY3)
    screens(CURVED4)
    gp_cost()
    overhead()
