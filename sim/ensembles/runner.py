"""Running a scenario over an ensemble: serially or on a process pool, streaming members back.

Members are grouped into small chunks (at most ten runs, shrinking toward the end so that every
process finishes at about the same time) so the pool stays busy and the first band can be drawn
after the first chunk instead of at the end. Results are placed by member position, never by arrival, so a run on any number of workers
equals the serial run bit for bit.

Workers are reused for every scenario of one call: :func:`ensemble_pool` opens a pool that
several :func:`run_ensemble` calls share. The calling process is one of the workers: it runs
chunks between collecting the others' results, so ``workers=2`` starts one process and the first
band comes from the first chunk this process runs.

How workers start (:func:`sim.workers.start_method`): on Linux, when the calling process runs no other Python
thread, they are forked: a forked worker has the model already imported and starts in
milliseconds. Otherwise (other threads, whose locks a fork could copy held; macOS; Windows) they
are spawned: safe whatever the caller runs, but each spawned worker imports the model (~1 s), so
this process runs chunks meanwhile and ``sputnik compare A B C`` pays that start-up once.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.ensembles.members import Plan, plan
from sim.ensembles.result import EnsembleResult
from sim.errors import UserError

if TYPE_CHECKING:
    from sim.calibration.ensemble import EnsembleFile
    from sim.config.schema import Scenario

ENSEMBLE_DIR = "ensemble"  # under the shipped scenarios folder
DEFAULT_FILE = "history-matched.json"
CHUNK_MAX = 10
CHUNKS_PER_WORKER = 3  # a chunk takes at most 1 / (3 x processes) of the runs left

Extract = Callable[[Any], Any]  # Result -> DataFrame (years x metrics) or (years, names, array)


def default_ensemble_path() -> Path:
    """The shipped ensemble file (``scenarios/ensemble/history-matched.json``)."""
    from sim.config.loader import shipped_dir

    return shipped_dir() / ENSEMBLE_DIR / DEFAULT_FILE


def resolve_ensemble(ensemble: EnsembleFile | str | os.PathLike[str] | None) -> EnsembleFile:
    """An ensemble file object from a path, an object, or None (the shipped ensemble)."""
    from sim.calibration.ensemble import EnsembleFile, load_ensemble

    if isinstance(ensemble, EnsembleFile):
        return ensemble
    path = Path(ensemble) if ensemble is not None else default_ensemble_path()
    if ensemble is None and not path.exists():
        raise UserError(
            f"{path}: no shipped ensemble; make one with 'sputnik calibrate' or run with --no-ensemble"
        )
    return load_ensemble(path)


# --- workers ---------------------------------------------------------------------------------


PRELOAD = ("sim.ensembles.extract", "sim.results")  # what a worker runs


def _preload(modules: Sequence[str]) -> None:
    """Worker initialiser: import the model while the parent plans (a no-op once forked)."""
    import importlib

    for name in modules:
        importlib.import_module(name)


def _as_arrays(out: Any) -> tuple[list[int], list[str], np.ndarray]:
    if isinstance(out, tuple):
        years, names, values = out
        return list(years), list(names), np.asarray(values, dtype=float)
    frame = pd.DataFrame(out)
    return (
        [int(y) for y in frame.index],
        [str(c) for c in frame.columns],
        frame.to_numpy(dtype=float),
    )


def run_chunk(
    scenario: Scenario,
    items: Sequence[tuple[int, int, dict[str, float]]],
    extract: Extract | None,
    keep_results: bool,
) -> list[tuple[int, list[int], list[str], np.ndarray, Any]]:
    """Run ``(position, seed, overrides)`` items; ``(position, years, names, values, result)``."""
    from sim.config.loader import apply_overrides
    from sim.ensembles.extract import model_metric_arrays
    from sim.results import result_of, run_model

    out = []
    for pos, seed, values in items:
        model = run_model(apply_overrides(scenario, values), seed=seed)
        if extract is None and not keep_results:  # the default: no DataFrames needed
            out.append((pos, *model_metric_arrays(model), None))
            continue
        result = result_of(model)
        years, names, arr = _as_arrays(extract(result) if extract else model_metric_arrays(model))
        out.append((pos, years, names, arr, result if keep_results else None))
    return out


@dataclass
class Pool:
    """Where an ensemble's chunks run: an executor (None = nowhere else) and whether this process
    runs chunks too while it waits (it is already warm: no second import of the model)."""

    executor: Executor | None
    processes: int
    main_helps: bool = True


@contextlib.contextmanager
def ensemble_pool(workers: int = 1, method: str | None = None) -> Iterator[Pool]:
    """A pool for :func:`run_ensemble`: ``workers - 1`` worker processes plus this one.

    ``method`` is how the workers start (default: :func:`sim.workers.start_method`). Forked workers start at
    once with the model imported; spawned ones import it (~1 s) while this process works on
    chunks, so ``workers=2`` costs one import, not two. This process also works between
    collecting results, and the first band is ready after the first chunk. Use one pool for
    several scenarios.
    """
    if not isinstance(workers, int) or workers < 1:
        raise UserError(f"workers: {workers!r} is invalid: must be a whole number >= 1")
    if workers == 1:
        yield Pool(None, 0)
        return
    from sim.workers import process_pool

    ex = process_pool(
        workers - 1, method=method, preload=PRELOAD, initializer=_preload, initargs=(PRELOAD,)
    )
    try:
        yield Pool(ex, workers - 1)
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


# --- the ensemble run -------------------------------------------------------------------------


@dataclass
class Progress:
    """Passed to ``progress`` after each finished chunk; :meth:`result` gives the finished members
    so far as an :class:`EnsembleResult` (a band can be drawn before the run ends)."""

    done: int
    total: int
    elapsed: float
    _build: Callable[[], EnsembleResult]

    def result(self) -> EnsembleResult:
        """The members finished so far, in member order."""
        return self._build()


def chunk_sizes(n: int, workers: int) -> list[int]:
    """Runs per task, in the order they are handed out: at most ten, and shrinking toward the end
    (guided scheduling: each takes at most 1 / (3 x workers) of the runs left), so the processes
    finish together instead of one idling while another runs a last chunk of ten."""
    sizes: list[int] = []
    left, slots = n, max(1, workers) * CHUNKS_PER_WORKER
    while left > 0:
        sizes.append(max(1, min(CHUNK_MAX, math.ceil(left / slots))))
        left -= sizes[-1]
    return sizes


def run_ensemble(
    scenario: str | Scenario = "baseline",
    n: int | None = None,
    workers: int = 1,
    overrides: Mapping[str, Any] | None = None,
    seed: int = 0,
    ensemble: EnsembleFile | str | os.PathLike[str] | None = None,
    progress: Callable[[Progress], None] | None = None,
    *,
    extract: Extract | None = None,
    keep_results: bool = False,
    executor: Pool | Executor | None = None,
) -> EnsembleResult:
    """Run ``scenario`` once per ensemble member; medians and bands come from the result.

    Args:
        scenario: a scenario id, path or :class:`sim.Scenario`.
        n: the first ``n`` members (default: all). Member ``k`` always gets the same parameter
            set and seed, so a smaller ensemble is a prefix of a larger one.
        workers: processes (1 = in this process); ignored when ``executor`` is given.
        overrides: dotted-path overrides applied to the scenario; paths set here (and values the
            scenario sets itself) win over the ensemble's (:mod:`sim.ensembles.members`).
        seed: master seed; each member's run seed is derived from it and the member id.
        ensemble: an ensemble file path or object (default: the shipped ensemble).
        progress: called with a :class:`Progress` after each finished chunk.
        extract: ``Result -> DataFrame`` (years x metrics) kept per member (default:
            :func:`sim.ensembles.extract.metric_arrays`); must be picklable for workers.
        keep_results: also keep every member's full :class:`sim.Result` (memory: ~150 kB each).
        executor: a pool from :func:`ensemble_pool` to reuse across calls, or any
            ``concurrent.futures.Executor`` (then this process only collects).
    """
    from sim.config.loader import resolve_scenario

    ens = resolve_ensemble(ensemble)
    scen = resolve_scenario(scenario, dict(overrides) if overrides else None)
    p = plan(ens, scen, n, seed, overrides)
    if executor is not None:
        pool = executor if isinstance(executor, Pool) else _foreign(executor, workers)
        return _run_plan(p, ens, pool, extract, keep_results, progress, seed)
    with ensemble_pool(workers) as own:
        return _run_plan(p, ens, own, extract, keep_results, progress, seed)


def _foreign(ex: Executor, workers: int) -> Pool:
    """A caller's executor: its processes do the work, this one only collects."""
    return Pool(ex, int(getattr(ex, "_max_workers", workers) or workers), main_helps=False)


def _run_plan(
    p: Plan,
    ens: EnsembleFile,
    pool: Pool,
    extract: Extract | None,
    keep_results: bool,
    progress: Callable[[Progress], None] | None,
    seed: int,
) -> EnsembleResult:
    start = time.perf_counter()
    total = len(p.member_ids)
    items = [(i, p.seeds[i], p.values[i]) for i in range(total)]
    queue: deque[list[tuple[int, int, dict[str, float]]]] = deque()
    at = 0
    for size in chunk_sizes(total, pool.processes + pool.main_helps):
        queue.append(items[at : at + size])
        at += size
    slots: list[Any] = [None] * total
    done = 0

    def build() -> EnsembleResult:
        return _assemble(p, ens, slots, seed)

    def finished(rows: list[tuple[int, list[int], list[str], np.ndarray, Any]]) -> None:
        nonlocal done
        for pos, years, names, arr, result in rows:
            slots[pos] = (years, names, arr, result)
            done += 1
        if progress is not None:
            progress(Progress(done, total, time.perf_counter() - start, build))

    def here(chunk: Any) -> None:
        finished(run_chunk(p.scenario, chunk, extract, keep_results))

    if pool.executor is None:
        while queue:
            here(queue.popleft())
        return build()
    # keep every process fed (two chunks each in flight); this process takes the next chunk
    # while it waits, and collects whatever has finished in between
    depth = 2 * max(1, pool.processes)
    pending: set[Future] = set()
    try:
        while queue or pending:
            while queue and len(pending) < depth:
                pending.add(
                    pool.executor.submit(
                        run_chunk, p.scenario, queue.popleft(), extract, keep_results
                    )
                )
            if pool.main_helps and queue:
                here(queue.popleft())
            ready, pending = wait(
                pending,
                timeout=0 if pool.main_helps and queue else None,
                return_when=FIRST_COMPLETED,
            )
            for fut in ready:
                finished(fut.result())
    except BaseException:
        for f in pending:
            f.cancel()
        raise
    return build()


def _assemble(p: Plan, ens: EnsembleFile, slots: list[Any], seed: int) -> EnsembleResult:
    """An :class:`EnsembleResult` of the finished members, in member order."""
    have = [i for i, s in enumerate(slots) if s is not None]
    years = sorted({y for i in have for y in slots[i][0]})
    names = list(dict.fromkeys(n for i in have for n in slots[i][1]))
    values = np.full((len(have), len(years), len(names)), np.nan)
    yi = {y: j for j, y in enumerate(years)}
    ni = {n: k for k, n in enumerate(names)}
    for row, i in enumerate(have):
        ys, ns, arr, _r = slots[i]
        values[np.ix_([row], [yi[y] for y in ys], [ni[n] for n in ns])] = arr[None]
    ids = [p.member_ids[i] for i in have]
    params = pd.DataFrame([p.values[i] for i in have], index=pd.Index(ids, name="member"))
    results = [slots[i][3] for i in have]
    return EnsembleResult(
        scenario_id=p.scenario.id,
        member_ids=ids,
        seeds=[p.seeds[i] for i in have],
        years=years,
        metrics=names,
        values=values,
        params=params,
        manifest=_manifest(p, ens, seed, len(have)),
        results=results if all(r is not None for r in results) and results else None,
    )


def _manifest(p: Plan, ens: EnsembleFile, seed: int, n: int) -> dict[str, Any]:
    from sim.config.loader import scenario_hash

    return {
        "scenario": {
            "id": p.scenario.id,
            "title": p.scenario.title,
            "hash": scenario_hash(p.scenario),
        },
        "parameters": p.scenario.model_dump(mode="json"),
        "ensemble": {
            "members": n,
            "of": len(ens.members),
            "seed": seed,
            "provenance": ens.provenance.model_dump(mode="json"),
            "applied": p.applied,
            "held": p.held,
        },
    }


def run_ensembles(
    scenarios: Sequence[str | Scenario],
    n: int | None = None,
    workers: int = 1,
    overrides: Mapping[str, Any] | None = None,
    seed: int = 0,
    ensemble: EnsembleFile | str | os.PathLike[str] | None = None,
    progress: Callable[[str, Progress], None] | None = None,
) -> dict[str, EnsembleResult]:
    """Run several scenarios over the same members and seeds, sharing one worker pool.

    Returns results by scenario id, in the given order; pair them with
    :func:`sim.ensembles.paired_effect` (or :func:`compare_ensembles`).
    """
    ens = resolve_ensemble(ensemble)
    out: dict[str, EnsembleResult] = {}
    with ensemble_pool(workers) as pool:
        for s in scenarios:
            cb = None
            if progress is not None:
                name = s if isinstance(s, str) else s.id

                def cb(pr: Progress, name: str = name) -> None:
                    progress(name, pr)

            res = run_ensemble(s, n, workers, overrides, seed, ens, cb, executor=pool)
            if res.scenario_id in out:
                raise UserError(f"scenario '{res.scenario_id}' given twice")
            out[res.scenario_id] = res
    return out
