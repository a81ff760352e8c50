"""History matching: keep only the parameter sets whose outputs are consistent with the record.

Method (as in epidemic and climate model calibration; Craig et al. 1997, Andrianakis et al. 2015):

1. **Wave 1** draws a Latin hypercube of ``n_per_wave`` sets over the whole prior box.
2. Each set runs ``replicates`` times (seeds derived from the master seed). For every target,
   the **implausibility** is ``|E[model] - data| / sqrt(var_data + var_discrepancy + var_seed)`` on
   the target's scale (log10 for log targets), with ``var_data`` from the target's band
   (:meth:`sim.calibration.targets.Target.sd`), ``var_discrepancy`` the model-discrepancy setting and
   ``var_seed`` the variance across replicates (or a per-target setting).
3. A set is **non-implausible** if its largest (``rank=1``) or second-largest (``rank=2``)
   implausibility is at most ``cutoff`` (3, Pukelsheim's three-sigma rule).
4. **Refocus**: the next wave samples inside the bounding box of every non-implausible set so far
   (widened by ``margin`` and intersected with the previous box, so the region never grows); a
   space-filling pool of ``pool_factor x n_per_wave`` candidates is screened (``screen``: nearest
   neighbours or a Gaussian-process emulator, :mod:`sim.calibration.emulator`) and the best
   ``n_per_wave`` are run. If no set survives a wave, the least implausible 5% steer the next one
   (flagged ``fallback`` in the history).

Reproducible and resumable: everything random derives from ``seed``; each chunk of runs is
written atomically (``*.tmp``, fsync, ``os.replace``) and journalled, waves read their inputs back
from disk, so a run killed at any point and resumed gives the same tables as one never interrupted,
serial or with any ``concurrent.futures`` executor (local processes or Dask).
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from sim.calibration.hm_store import Simulate, Store, evaluate, run_chunk, run_seed
from sim.calibration.targets import Target
from sim.errors import UserError
from sim.sweeps.storage import write_atomic, write_json_atomic

__all__ = [
    "HistoryMatch",
    "Param",
    "Simulate",
    "as_params",
    "history_match",
    "implausibility",
    "max_implausibility",
    "run_chunk",
    "run_seed",
    "transformed",
]
FORMAT = 1  # layout version of the output directory


class Param(BaseModel):
    """One uncertain parameter: settable path, prior range and sampling scale."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    path: str
    low: float
    high: float
    scale: Literal["lin", "log"] = "lin"

    @model_validator(mode="after")
    def _range(self) -> Param:
        if not self.low < self.high:
            raise ValueError(f"low {self.low:g} must be below high {self.high:g}")
        if self.scale == "log" and self.low <= 0:
            raise ValueError("a log-scale parameter needs low > 0")
        return self

    def value(self, u: np.ndarray) -> np.ndarray:
        """Unit coordinate(s) -> parameter value(s)."""
        if self.scale == "log":
            return self.low * (self.high / self.low) ** u
        return self.low + (self.high - self.low) * u

    def unit(self, x: np.ndarray) -> np.ndarray:
        """Parameter value(s) -> unit coordinate(s)."""
        if self.scale == "log":
            return np.log(x / self.low) / math.log(self.high / self.low)
        return (x - self.low) / (self.high - self.low)


def as_params(params: Sequence[Param | Mapping[str, Any] | Sequence[Any]]) -> list[Param]:
    """Accept ``Param``, dicts or ``(path, low, high[, scale])`` tuples; UserError on bad ones."""
    out, problems = [], []
    for i, p in enumerate(params):
        try:
            if isinstance(p, Param):
                out.append(p)
            elif isinstance(p, Mapping):
                out.append(Param(**p))
            else:
                out.append(Param(**dict(zip(("path", "low", "high", "scale"), p, strict=False))))
        except (ValidationError, TypeError) as e:
            msg = e.errors()[0]["msg"] if isinstance(e, ValidationError) else str(e)
            problems.append(f"params[{i}] {p!r}: {msg.removeprefix('Value error, ')}")
    paths = [p.path for p in out]
    problems += [
        f"params: '{x}' appears twice" for x in sorted({x for x in paths if paths.count(x) > 1})
    ]
    if not out and not problems:
        problems.append("params: at least one parameter is needed")
    if problems:
        raise UserError(problems)
    return out


# --- implausibility -------------------------------------------------------------------------


def _per_target(setting: float | Mapping[str, float] | None, t: Target) -> float:
    """A per-target setting given as one number or a mapping by target id or quantity."""
    if setting is None:
        return 0.0
    if isinstance(setting, Mapping):
        return float(setting.get(t.id, setting.get(t.quantity, 0.0)))
    return float(setting)


def transformed(targets: Sequence[Target], values: np.ndarray) -> np.ndarray:
    """Raw model values (runs x targets) on each target's scale; non-finite or <= 0 (log) -> nan."""
    out = np.empty_like(values, dtype=float)
    for j, t in enumerate(targets):
        col = values[:, j].astype(float)
        col = np.where(np.isfinite(col), col, np.nan)
        out[:, j] = t.transform(col)
    return out


def implausibility(
    targets: Sequence[Target],
    mean: np.ndarray,
    seed_var: np.ndarray,
    discrepancy: float | Mapping[str, float] | None = None,
) -> np.ndarray:
    """Implausibility (runs x targets) of model means already on the targets' scales.

    ``seed_var`` is (runs x targets) or broadcastable. A missing model value is infinitely
    implausible.
    """
    z = np.array([t.z for t in targets])
    below = np.array([t.sd(t.low) for t in targets])
    above = np.array([t.sd(t.high) for t in targets])
    disc = np.array([_per_target(discrepancy, t) for t in targets]) ** 2
    sd_data = np.where(mean > z, above, below)
    with np.errstate(invalid="ignore"):
        imp = np.abs(mean - z) / np.sqrt(sd_data**2 + disc + seed_var)
    return np.where(np.isnan(imp), np.inf, imp)


def max_implausibility(imp: np.ndarray, rank: int = 1) -> np.ndarray:
    """The ``rank``-th largest implausibility of each run (1 = max, 2 = second max)."""
    return -np.sort(-imp, axis=1)[:, min(rank, imp.shape[1]) - 1]


# --- result -----------------------------------------------------------------------------------


@dataclass
class HistoryMatch:
    """Tables of a history match (also on disk in ``out_dir``)."""

    out_dir: Path
    params: list[Param]
    targets: list[Target]
    config: dict[str, Any]
    runs: pd.DataFrame  # every run: wave, index, unit coords, params, means, implausibilities
    waves: pd.DataFrame  # per wave: runs, survivors, box volume, top cutting targets
    cuts: pd.DataFrame  # per wave and target: runs it rules out
    files: list[Path] = field(default_factory=list)

    @property
    def survivors(self) -> pd.DataFrame:
        """Every non-implausible parameter set of every wave."""
        return self.runs[self.runs["non_implausible"]].reset_index(drop=True)

    def ensemble(self, n: int, *, seed: int | None = None, created: str | None = None):
        """An :class:`~sim.calibration.ensemble.EnsembleFile` of ``n`` survivors with provenance."""
        from sim.calibration.ensemble import from_history_match

        return from_history_match(self, n, seed=seed, created=created)


# --- the engine -------------------------------------------------------------------------------


def _config(
    params: list[Param], targets: list[Target], settings: dict[str, Any]
) -> tuple[dict, str]:
    body = {
        "format": FORMAT,
        "params": [p.model_dump() for p in params],
        "targets": [t.model_dump(include={"id", "value", "low", "high", "scale"}) for t in targets],
        **settings,
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return body, digest


def _targets_provenance(
    targets: Sequence[Target], T: list[Target], version: str | None
) -> dict[str, str | None]:
    """Version and file hash of the targets: the set's own, or the shipped table's if every
    target is a row of it (a plain list filtered from ``load_targets()``), else 'custom'."""
    if version is not None or hasattr(targets, "version"):
        return {
            "targets_version": version or targets.version,  # type: ignore[attr-defined]
            "targets_sha256": getattr(targets, "sha256", None),
        }
    from sim.calibration.targets import load_targets

    shipped = load_targets()
    ids = set(shipped.ids)
    if all(t.id in ids and shipped[t.id] == t for t in T):
        return {"targets_version": shipped.version, "targets_sha256": shipped.sha256}
    return {"targets_version": "custom", "targets_sha256": None}


def _lhs(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    try:
        from scipy.stats import qmc
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise UserError(
            "history matching needs scipy: pip install 'sputnik-moment[calibrate]'"
        ) from None

    return qmc.LatinHypercube(d, rng=rng).random(n)


def history_match(
    simulate: Simulate,
    params: Sequence[Param | Mapping[str, Any] | Sequence[Any]],
    targets: Sequence[Target],
    *,
    waves: int = 4,
    n_per_wave: int = 200,
    seed: int = 0,
    out_dir: str | Path,
    executor: cf.Executor | None = None,
    cutoff: float = 3.0,
    rank: int = 1,
    replicates: int = 1,
    discrepancy: float | Mapping[str, float] | None = None,
    seed_sd: float | Mapping[str, float] | None = None,
    screen: Literal["none", "nn", "gp"] = "nn",
    pool_factor: int = 10,
    margin: float = 0.1,
    chunk_size: int = 25,
    resume: bool = False,
    plots: bool = True,
    targets_version: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> HistoryMatch:
    """Run (or resume) a history match; see the module docstring for the method.

    Args:
        simulate: ``simulate(param_dict, seed) -> {target_id: model value}``; must be picklable
            when an ``executor`` runs it in other processes. Missing or non-finite values count
            as infinitely implausible.
        params: uncertain parameters (``Param``, dicts or ``(path, low, high[, scale])``).
        targets: the targets to match (e.g. ``load_targets()`` or a selection of it).
        waves, n_per_wave: number of waves and simulator parameter sets per wave.
        seed: master seed (sampling, screens and run seeds all derive from it).
        out_dir: directory for the journal, tables and plots.
        executor: a ``concurrent.futures.Executor`` (``ProcessPoolExecutor``, Dask's
            ``client.get_executor()``); ``None`` runs serially.
        cutoff, rank: a set survives if its ``rank``-th largest implausibility <= ``cutoff``.
        replicates: runs per set; with 2 or more, the seed variance is estimated from them.
        discrepancy: model-discrepancy standard deviation on the targets' scales (one number,
            or a mapping by target id or quantity).
        seed_sd: fixed seed standard deviation per target (overrides the replicate estimate).
        screen: candidate screen for waves 2+: ``"none"``, ``"nn"`` or ``"gp"`` (scikit-learn).
        pool_factor: candidates drawn per run in a screened wave.
        margin: share of the survivors' range added on each side of the next box.
        chunk_size: tasks (set x replicate) per journalled chunk; chunking depends only on it.
        resume: continue the history match already in ``out_dir`` (it must have the same
            settings; ``waves`` may grow).
        plots: write marginal, pairwise and wave-history plots.
        targets_version: recorded in ``config.json`` (default: the targets' ``version``).
        progress: called with one line per finished wave (the model layer itself never prints).
    """
    P = as_params(params)
    T = list(targets)
    if not T:
        raise UserError("targets: at least one target is needed")
    ids = [t.id for t in T]
    if len(set(ids)) != len(ids):
        raise UserError("targets: ids must be unique")
    problems = []
    for name, v, lo in (
        ("waves", waves, 1),
        ("n_per_wave", n_per_wave, 2),
        ("replicates", replicates, 1),
        ("chunk_size", chunk_size, 1),
        ("pool_factor", pool_factor, 1),
    ):
        if not isinstance(v, int) or v < lo:
            problems.append(f"{name}: {v!r} is invalid: must be an integer >= {lo}")
    if not (isinstance(cutoff, int | float) and cutoff > 0 and math.isfinite(cutoff)):
        problems.append(f"cutoff: {cutoff!r} is invalid: must be a positive number")
    if rank not in (1, 2, 3):
        problems.append(f"rank: {rank!r} is invalid: must be 1 (max), 2 or 3")
    if screen not in ("none", "nn", "gp"):
        problems.append(f"screen: {screen!r} is invalid: choose 'none', 'nn' or 'gp'")
    if problems:
        raise UserError(problems)
    settings = {
        "n_per_wave": n_per_wave,
        "seed": int(seed),
        "cutoff": float(cutoff),
        "rank": rank,
        "replicates": replicates,
        "discrepancy": discrepancy if not isinstance(discrepancy, Mapping) else dict(discrepancy),
        "seed_sd": seed_sd if not isinstance(seed_sd, Mapping) else dict(seed_sd),
        "screen": screen,
        "pool_factor": pool_factor,
        "margin": margin,
        "chunk_size": chunk_size,
    }
    config, digest = _config(P, T, settings)
    root = Path(out_dir)
    store = Store(root)
    cfg_file = root / "config.json"
    if cfg_file.exists():
        old = json.loads(cfg_file.read_text())
        if not resume:
            raise UserError(
                f"{root}: already holds a history match; pass resume=True to continue it or choose another out_dir"
            )
        if old.get("hash") != digest:
            raise UserError(
                f"{root}: resume: the parameters, targets or settings changed since this history match started (hash {old.get('hash', '?')[:12]} != {digest[:12]}); use a new out_dir"
            )
        for tmp in root.glob("wave-*/*.tmp"):
            tmp.unlink()  # half-written chunk of a killed run
    else:
        if root.exists() and any(root.iterdir()):
            raise UserError(
                f"{root}: is not empty and holds no history match; choose another out_dir"
            )
        root.mkdir(parents=True, exist_ok=True)
    meta = {
        "hash": digest,
        "config": config,
        "simulate": f"{getattr(simulate, '__module__', '?')}.{getattr(simulate, '__qualname__', type(simulate).__name__)}",
        **_targets_provenance(targets, T, targets_version),
        "waves": waves,
    }
    write_json_atomic(meta, cfg_file)
    done = store.committed()
    tables: list[pd.DataFrame] = []
    history: list[dict[str, Any]] = []
    box = np.array([[0.0, 1.0]] * len(P))
    for w in range(1, waves + 1):
        prior = pd.concat(tables, ignore_index=True) if tables else None
        design, box, info = _design(store, w, P, T, prior, box, config)
        raw = evaluate(store, w, design, P, [t.id for t in T], simulate, executor, config, done)
        wave = _score(w, design, raw, T, config)
        tables.append(wave)
        cut = _wave_record(w, wave, T, box, info, cutoff)
        history.append(cut)
        if progress:
            progress(
                f"wave {w}: {cut['n_pass']}/{cut['n_runs']} non-implausible"
                f" (box volume {cut['box_volume']:.3g}); cuts most: {cut['top_cuts']}"
            )
    runs = pd.concat(tables, ignore_index=True)
    waves_df = pd.DataFrame(history)
    cuts = _cuts(runs, T, cutoff)
    res = HistoryMatch(root, P, T, meta, runs, waves_df, cuts)
    res.files = _write_outputs(res, plots)
    return res


def _design(
    store: Store,
    w: int,
    P: list[Param],
    T: list[Target],
    prior: pd.DataFrame | None,
    box: np.ndarray,
    config: dict[str, Any],
) -> tuple[pd.DataFrame, np.ndarray, dict[str, Any]]:
    """The parameter sets of wave ``w`` (read back if already on disk), the box and screen info."""
    d = len(P)
    n = config["n_per_wave"]
    ucols = [f"u{i}" for i in range(d)]
    rng = np.random.default_rng([config["seed"], w, 7919])
    info: dict[str, Any] = {"fallback": False, "pool": 0, "kept": 0}
    if prior is not None:
        basis = prior[prior["non_implausible"]]
        if basis.empty:
            # nothing survived: steer by the least implausible 5% instead (flagged in the history)
            k = max(2, math.ceil(0.05 * len(prior)))
            basis = prior.nsmallest(k, "max_implausibility", keep="first")
            info["fallback"] = True
        u = basis[ucols].to_numpy()
        lo, hi = u.min(axis=0), u.max(axis=0)
        # unexplored space around the outermost survivors: at least the typical spacing of the
        # last design (box width x n^(-1/d)), so a lone survivor does not collapse the region
        spacing = (box[:, 1] - box[:, 0]) * n ** (-1.0 / d)
        pad = np.maximum(config["margin"] * (hi - lo), spacing)
        box = np.column_stack([np.maximum(lo - pad, box[:, 0]), np.minimum(hi + pad, box[:, 1])])
    path = store.wave_dir(w) / "design.parquet"
    if path.exists():
        design = pd.read_parquet(path)
        meta = json.loads((store.wave_dir(w) / "design.json").read_text())
        return design, np.array(meta["box"]), meta["info"]
    if prior is None or config["screen"] == "none":
        u = _lhs(n, d, rng)
    else:
        # a space-filling pool; the screen's kept candidates first (pool order), then the rest
        # by score, so a wave always runs n sets
        pool = _lhs(n * config["pool_factor"], d, rng)
        keep, score = _screen(pool, prior, T, box, config, ucols, w)
        rest = np.flatnonzero(~keep)
        order = np.concatenate([np.flatnonzero(keep), rest[np.argsort(score[rest], kind="stable")]])
        u = pool[order[:n]]
        info.update(pool=int(len(pool)), kept=int(keep.sum()))
    u = box[:, 0] + u * (box[:, 1] - box[:, 0])
    design = pd.DataFrame(u, columns=ucols)
    design.insert(0, "index", np.arange(n))
    for i, p in enumerate(P):
        design[p.path] = p.value(design[f"u{i}"].to_numpy())
    store.wave_dir(w).mkdir(parents=True, exist_ok=True)
    write_json_atomic({"box": box.tolist(), "info": info}, store.wave_dir(w) / "design.json")
    write_atomic(pa.Table.from_pandas(design, preserve_index=False), path)
    return design, box, info


def _screen(
    pool: np.ndarray,
    prior: pd.DataFrame,
    T: list[Target],
    box: np.ndarray,
    config: dict[str, Any],
    ucols: list[str],
    w: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(keep, score) of pool points (box-relative coordinates) against every run so far."""
    from sim.calibration import emulator

    cand = box[:, 0] + pool * (box[:, 1] - box[:, 0])
    runs_u = prior[ucols].to_numpy()
    if config["screen"] == "nn":
        # distances measured relative to the box, so narrow boxes are not dominated by wide axes
        width = np.maximum(box[:, 1] - box[:, 0], 1e-12)
        return emulator.nn_screen(cand / width, runs_u / width, prior["non_implausible"].to_numpy())
    # emulate only the targets that ruled anything out so far: the others cannot cut a candidate
    # that lies among runs they all passed, and each emulator costs a GP fit
    T = [t for t in T if (prior[f"I:{t.id}"] > config["cutoff"]).any()] or T[:1]
    means = prior[[f"m:{t.id}" for t in T]].to_numpy()
    seed_var = np.nanmedian(prior[[f"v:{t.id}" for t in T]].to_numpy(), axis=0)
    disc = np.array([_per_target(config["discrepancy"], t) for t in T]) ** 2
    return emulator.gp_screen(
        cand,
        runs_u,
        means,
        np.array([t.z for t in T]),
        np.array([t.sd(t.low) for t in T]),
        np.array([t.sd(t.high) for t in T]),
        np.nan_to_num(seed_var) + disc,
        cutoff=config["cutoff"],
        rank=config["rank"],
        centre=box.mean(axis=1),
        seed=config["seed"] + w,
    )


def _score(
    w: int, design: pd.DataFrame, raw: pd.DataFrame, T: list[Target], config: dict[str, Any]
) -> pd.DataFrame:
    """Means, seed variances and implausibilities per parameter set of one wave."""
    ids = [t.id for t in T]
    n, reps = len(design), config["replicates"]
    vals = transformed(T, raw[ids].to_numpy()).reshape(n, reps, len(T))
    with np.errstate(invalid="ignore"):
        mean = vals.mean(axis=1)
        var = vals.var(axis=1, ddof=1) if reps > 1 else np.zeros_like(mean)
    if config["seed_sd"] is not None:
        var = np.broadcast_to(
            np.array([_per_target(config["seed_sd"], t) ** 2 for t in T]), mean.shape
        )
    imp = implausibility(T, mean, np.nan_to_num(var), config["discrepancy"])
    out = design.copy()
    out.insert(0, "wave", w)
    # all new columns in one concat: a column at a time fragments the frame (PerformanceWarning
    # with ~30 targets or more)
    cols: dict[str, Any] = {}
    for prefix, arr in (("m", mean), ("v", var), ("I", imp)):
        cols.update({f"{prefix}:{t.id}": arr[:, j] for j, t in enumerate(T)})
    worst = max_implausibility(imp, config["rank"])
    cols["max_implausibility"] = worst
    cols["non_implausible"] = worst <= config["cutoff"]
    return pd.concat([out, pd.DataFrame(cols, index=out.index)], axis=1)


def _wave_record(
    w: int, wave: pd.DataFrame, T: list[Target], box: np.ndarray, info: dict, cutoff: float
) -> dict[str, Any]:
    imp = wave[[f"I:{t.id}" for t in T]].to_numpy()
    n_cut = (imp > cutoff).sum(axis=0)
    top = np.argsort(-n_cut, kind="stable")[:3]
    return {
        "wave": w,
        "n_runs": len(wave),
        "n_pass": int(wave["non_implausible"].sum()),
        "pass_rate": float(wave["non_implausible"].mean()),
        "box_volume": float(np.prod(box[:, 1] - box[:, 0])),
        "screen_pool": info["pool"],
        "screen_kept": info["kept"],
        "fallback": info["fallback"],
        "top_cuts": ", ".join(f"{T[j].id} ({int(n_cut[j])})" for j in top if n_cut[j] > 0)
        or "none",
    }


def _cuts(runs: pd.DataFrame, T: list[Target], cutoff: float) -> pd.DataFrame:
    """Per wave and target: runs it rules out, and runs ruled out by it alone."""
    rows = []
    for w, g in runs.groupby("wave", sort=True):
        bad = g[[f"I:{t.id}" for t in T]].to_numpy() > cutoff
        alone = bad & (bad.sum(axis=1, keepdims=True) == 1)
        for j, t in enumerate(T):
            rows.append(
                {
                    "wave": int(w),
                    "target": t.id,
                    "n_cut": int(bad[:, j].sum()),
                    "share_cut": float(bad[:, j].mean()),
                    "n_cut_alone": int(alone[:, j].sum()),
                }
            )
    return pd.DataFrame(rows)


def _write_outputs(res: HistoryMatch, plots: bool) -> list[Path]:
    root = res.out_dir
    files = []
    write_atomic(pa.Table.from_pandas(res.runs, preserve_index=False), root / "runs.parquet")
    surv = res.survivors
    write_atomic(pa.Table.from_pandas(surv, preserve_index=False), root / "non_implausible.parquet")
    keep = ["wave", "index", *[p.path for p in res.params], "max_implausibility"]
    surv[keep].to_csv(root / "non_implausible.csv", index=False)
    res.waves.to_csv(root / "waves.csv", index=False)
    res.cuts.to_csv(root / "cuts.csv", index=False)
    files += [
        root / f
        for f in (
            "runs.parquet",
            "non_implausible.parquet",
            "non_implausible.csv",
            "waves.csv",
            "cuts.csv",
        )
    ]
    if plots:
        from sim.calibration import hm_plots

        files += hm_plots.write_all(res)
    return files
