"""Experimental designs: sample the uncertainties, cross them with the lever settings, derive seeds.

Points are numbered ``point = sample * n_combos + combo``: every uncertainty sample is run under
every lever combination. A run's seed depends only on (master seed, sample, replication), so all
lever combinations of one sample share random numbers (common random numbers make policy
comparisons sharper) and no seed depends on worker count, order or backend. With
``common_seeds`` (the default for Sobol and Morris) the sample index is left out: every row of a
replication shares one seed, so the analysis sees parameter effects rather than seed noise.

Samplers work in the unit hypercube and map each column through the parameter's inverse CDF, so
SALib's Saltelli and Morris designs keep their structure for the analysis.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from sim.sweeps.spec import Param, SweepSpec

_SAMPLER_STREAM = 0x5EED  # spawn key of the design's random stream (runs use 2-element keys)


def run_seed(master: int, sample: int, replication: int) -> int:
    """The seed of one run: 63 bits from ``SeedSequence(master, spawn_key=(sample, replication))``."""
    lo, hi = np.random.SeedSequence(master, spawn_key=(sample, replication)).generate_state(
        2, np.uint32
    )
    return int(hi & 0x7FFFFFFF) << 32 | int(lo)


def design_seed(master: int) -> int:
    """Integer seed of the sampler itself (LHS permutations, Sobol scrambling, Morris starts)."""
    return int(
        np.random.SeedSequence(master, spawn_key=(_SAMPLER_STREAM,)).generate_state(1, np.uint32)[0]
    )


def transform(p: Param, u: np.ndarray) -> list[Any]:
    """Map unit-interval coordinates to parameter values through the inverse CDF of ``p``."""
    u = np.asarray(u, dtype=float)
    if p.dist == "choice":
        k = len(p.values)
        return [p.values[min(int(x * k), k - 1)] for x in u]
    if p.dist == "uniform":
        x = p.low + u * (p.high - p.low)
    elif p.dist == "loguniform":
        x = np.exp(math.log(p.low) + u * (math.log(p.high) - math.log(p.low)))
    elif p.dist == "triangular":
        a, c, b = p.low, p.mode, p.high
        fc = (c - a) / (b - a)
        x = np.where(
            u < fc, a + np.sqrt(u * (b - a) * (c - a)), b - np.sqrt((1 - u) * (b - a) * (b - c))
        )
    elif p.dist == "normal":
        nd = NormalDist(p.mean, p.sd)
        lo, hi = nd.cdf(p.low), nd.cdf(p.high)  # truncated to [low, high]
        q = np.clip(lo + u * (hi - lo), 1e-12, 1 - 1e-12)
        x = np.clip(np.array([nd.inv_cdf(float(v)) for v in q]), p.low, p.high)
    else:  # pragma: no cover - spec validation rejects other names
        raise ValueError(p.dist)
    if p.low is not None and p.high is not None:
        # low + 1.0 * (high - low) can round past high (0.1 + 0.8 -> 0.9000000000000001): a value
        # at a schema bound must stay inside it
        x = np.clip(x, p.low, p.high)
    if p.integer:
        return [int(round(v)) for v in x]
    return [float(v) for v in x]


def _grid(p: Param, default_levels: int) -> np.ndarray:
    """Unit coordinates of a full-factorial axis: list values, or ``levels`` points."""
    if p.dist == "choice":
        k = len(p.values)
        return (np.arange(k) + 0.5) / k
    k = p.levels or default_levels
    if p.dist in ("uniform", "loguniform"):
        return np.linspace(0.0, 1.0, k)  # include both ends of a range
    return (np.arange(k) + 0.5) / k  # quantile midpoints of a distribution


def unit_sample(
    method: str,
    d: int,
    n: int,
    seed: int,
    *,
    levels: int = 4,
    second_order: bool = False,
    grids: list[np.ndarray] | None = None,
) -> np.ndarray:
    """An (rows, d) design in [0, 1]^d for one sampling method.

    Rows: full factorial = product of grid sizes; lhs, monte_carlo = n; sobol = n(d+2) or
    n(2d+2) with ``second_order``; morris = n(d+1) (n trajectories).
    """
    if d == 0:
        return np.zeros((1, 0))
    if method == "full_factorial":
        assert grids is not None
        return np.array(list(itertools.product(*grids)), dtype=float).reshape(-1, d)
    rng = np.random.default_rng(seed)
    if method == "monte_carlo":
        return rng.random((n, d))
    if method == "lhs":
        # one point per stratum in every column; strata paired by independent permutations
        cols = [(rng.permutation(n) + rng.random(n)) / n for _ in range(d)]
        return np.column_stack(cols)
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    if method == "sobol":
        from SALib.sample import sobol as sobol_sample

        return sobol_sample.sample(problem, n, calc_second_order=second_order, seed=seed)
    if method == "morris":
        from SALib.sample import morris as morris_sample

        return morris_sample.sample(problem, n, num_levels=levels, seed=seed)
    raise ValueError(f"unknown sampler {method!r}")


@dataclass
class Design:
    """The sweep's points: sampled uncertainty values crossed with lever combinations."""

    uncertainties: tuple[Param, ...]
    levers: tuple[Param, ...]
    unit: np.ndarray  # (n_samples, n_uncertainties) unit coordinates, for SALib analyses
    values: list[list[Any]]  # per uncertainty: its n_samples values
    combos: list[tuple[Any, ...]]  # lever value tuples, in order
    replications: int
    seed: int

    @property
    def n_samples(self) -> int:
        """Rows of the uncertainty sample."""
        return self.unit.shape[0]

    @property
    def n_points(self) -> int:
        """Samples x lever combinations."""
        return self.n_samples * len(self.combos)

    @property
    def n_runs(self) -> int:
        """Points x replications."""
        return self.n_points * self.replications

    def locate(self, run: int) -> tuple[int, int, int, int]:
        """(point, sample, combo, replication) of a run id."""
        point, rep = divmod(run, self.replications)
        sample, combo = divmod(point, len(self.combos))
        return point, sample, combo, rep

    def overrides(self, sample: int, combo: int) -> dict[str, Any]:
        """Scenario overrides of one point."""
        out = {p.path: self.values[i][sample] for i, p in enumerate(self.uncertainties)}
        out.update({p.path: v for p, v in zip(self.levers, self.combos[combo], strict=True)})
        return out


def lever_values(p: Param, default_levels: int) -> list[Any]:
    """A lever's settings: its listed values, or ``levels`` equally spaced values of its range."""
    if p.dist == "choice":
        return list(p.values)
    return transform(p, np.linspace(0.0, 1.0, p.levels or default_levels))


def build_design(spec: SweepSpec) -> Design:
    """Sample ``spec``'s uncertainties and cross them with its lever settings (deterministic)."""
    unc = spec.uncertainties
    seed = design_seed(spec.seed)
    grids = [_grid(p, spec.levels) for p in unc] if spec.method == "full_factorial" else None
    unit = unit_sample(
        spec.method,
        len(unc),
        spec.n,
        seed,
        levels=spec.levels,
        second_order=spec.second_order,
        grids=grids,
    )
    values = [transform(p, unit[:, i]) for i, p in enumerate(unc)]
    combos = list(itertools.product(*(lever_values(p, spec.levels) for p in spec.levers)))
    return Design(unc, spec.levers, unit, values, combos, spec.replications, spec.seed)
