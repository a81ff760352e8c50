"""Run a sweep: cut the runs into chunks, execute them serially, in local processes or on Dask.

One code path: chunks are submitted to a ``concurrent.futures``-style executor (an in-process
one, a ``ProcessPoolExecutor``, or Dask's ``Client.get_executor``) with a bounded number in flight;
the main process commits each finished chunk to disk (:class:`~sim.sweeps.storage.SweepStore`) and
forgets it, so memory stays flat however many runs there are. A chunk is the unit of work, of
resume and of storage; its boundaries depend only on the spec.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import platform
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from sim.errors import UserError
from sim.sweeps.outcomes import Outcome, parse_outcome
from sim.sweeps.samplers import Design, build_design, run_seed
from sim.sweeps.spec import SweepSpec, load_spec
from sim.sweeps.storage import SweepStore, write_json_atomic

ID_COLUMNS = (
    ("run", pa.int64()),
    ("point", pa.int64()),
    ("sample", pa.int64()),
    ("combo", pa.int64()),
    ("replication", pa.int64()),
    ("seed", pa.int64()),
)
STRING_NATION_COLUMNS = ("nation", "tier", "best_lab")
MAX_CHUNK = 25  # ~1 s of work per task at 40 ms/run: task overhead (0.05-2.4 ms) stays < 1%
ERROR_CHARS = 500


# --- schemas -------------------------------------------------------------------------------


def _arrow_type(values: list[Any]) -> pa.DataType:
    """Column type for a parameter's values: bool, int64, float64, or string (JSON for others)."""
    if all(isinstance(v, bool) for v in values):
        return pa.bool_()
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pa.int64()
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return pa.float64()
    return pa.string()


def _cell(v: Any, typ: pa.DataType) -> Any:
    if pa.types.is_string(typ):
        return v if isinstance(v, str) else json.dumps(v)
    if pa.types.is_floating(typ):
        return float(v)
    return v


def outcome_schema(design: Design, outcomes: list[Outcome]) -> pa.Schema:
    """Schema of outcomes.parquet: ids, parameters, status, error, outcomes (float64)."""
    fields = [pa.field(n, t, nullable=False) for n, t in ID_COLUMNS]
    for i, p in enumerate(design.uncertainties):
        fields.append(pa.field(p.path, _arrow_type(design.values[i])))
    for j, p in enumerate(design.levers):
        fields.append(pa.field(p.path, _arrow_type([c[j] for c in design.combos])))
    fields += [pa.field("status", pa.string()), pa.field("error", pa.string())]
    fields += [pa.field(o.column, pa.float64()) for o in outcomes]
    return pa.schema(fields)


def yearly_schema() -> pa.Schema:
    """Schema of yearly.parquet: run id plus every column of the run's nation table."""
    from sim.model.records import NATION_COLUMNS

    fields = [pa.field("run", pa.int64())]
    for c in NATION_COLUMNS:
        t = (
            pa.string()
            if c in STRING_NATION_COLUMNS
            else pa.int64()
            if c == "year"
            else pa.float64()
        )
        fields.append(pa.field(c, t))
    return pa.schema(fields)


# --- the worker side -----------------------------------------------------------------------


@dataclass
class ChunkTask:
    """Everything a worker needs for one chunk (picklable; no file access needed on the worker)."""

    chunk: int
    scenario: Any  # sim.Scenario with the spec's fixed overrides applied
    master_seed: int
    runs: list[
        tuple[int, int, int, int, int, dict[str, Any]]
    ]  # run, point, sample, combo, rep, overrides
    outcomes: list[Outcome]
    outcome_schema: pa.Schema
    keep_yearly: bool
    common_seeds: bool = False  # seed from (0, replication) for every sample


@dataclass
class ChunkResult:
    """A finished chunk: its tables and timing."""

    chunk: int
    outcomes: pa.Table
    yearly: pa.Table | None
    seconds: float
    errors: int
    host: str = field(default_factory=platform.node)


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Run every run of a chunk; a run that raises is recorded (status "error") and skipped."""
    import sim
    from sim.sweeps import outcomes as outcome_mod

    t0 = time.perf_counter()
    schema = task.outcome_schema
    cols: dict[str, list[Any]] = {f.name: [] for f in schema}
    param_fields = [
        f
        for f in schema
        if f.name not in dict(ID_COLUMNS)
        and f.name not in ("status", "error")
        and f.name not in {o.column for o in task.outcomes}
    ]
    yearly_parts = []
    errors = 0
    for run, point, sample, combo, rep, ov in task.runs:
        seed = run_seed(task.master_seed, 0 if task.common_seeds else sample, rep)
        for name, v in zip(
            ("run", "point", "sample", "combo", "replication", "seed"),
            (run, point, sample, combo, rep, seed),
            strict=True,
        ):
            cols[name].append(v)
        for f in param_fields:
            cols[f.name].append(_cell(ov[f.name], f.type))
        try:
            result = sim.run(task.scenario, seed=seed, overrides=ov)
            values = outcome_mod.compute(task.outcomes, result)
            status, error = "ok", None
        except Exception as exc:  # noqa: BLE001 - one bad run must not kill the sweep
            values = [math.nan] * len(task.outcomes)
            status, error = "error", f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
            errors += 1
            result = None
        cols["status"].append(status)
        cols["error"].append(error)
        for o, v in zip(task.outcomes, values, strict=True):
            cols[o.column].append(v)
        if task.keep_yearly and result is not None:
            yearly_parts.append((run, result.nations))
    table = pa.table(cols, schema=schema)
    yearly = _yearly_table(yearly_parts) if task.keep_yearly else None
    return ChunkResult(task.chunk, table, yearly, time.perf_counter() - t0, errors)


def _yearly_table(parts: list[tuple[int, Any]]) -> pa.Table:
    schema = yearly_schema()
    cols: dict[str, list[Any]] = {f.name: [] for f in schema}
    for run, df in parts:
        cols["run"].extend([run] * len(df))
        for f in schema:
            if f.name != "run":
                cols[f.name].extend(df[f.name].tolist())
    return pa.table(cols, schema=schema)


# --- executors -----------------------------------------------------------------------------


class InlineExecutor(Executor):
    """Runs each task at submit time in this process (the serial backend)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:  # type: ignore[override]
        """Run ``fn`` now; return a finished future."""
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - delivered through the future like a pool would
            fut.set_exception(exc)
        return fut


def dask_fix_malloc() -> None:
    """Stop Dask's nanny from setting MALLOC_TRIM_THRESHOLD_=65536 in workers (2x slower numpy here)."""
    import dask

    dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UserError(
            "--scheduler: Dask is not installed; install the optional extra: pip install 'sputnik-moment[cluster]' (or drop --scheduler to use local processes)"
        ) from None
    return distributed


@contextlib.contextmanager
def open_executor(workers: int, scheduler: str | None) -> Iterator[tuple[Executor, int, str]]:
    """Yield (executor, slots, backend description) for serial, local processes, or Dask.

    ``scheduler`` is ``tcp://HOST:PORT`` of a running Dask scheduler, or ``"local"`` to start a
    local Dask cluster of ``workers`` single-threaded processes (with the malloc fix applied).
    """
    if scheduler:
        distributed = _import_distributed()
        cluster = None
        if scheduler == "local":
            dask_fix_malloc()
            cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, dashboard_address=None, silence_logs=40
            )
            address = cluster.scheduler_address
        else:
            address = scheduler
        try:
            client = distributed.Client(address, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            if cluster is not None:
                cluster.close()
            raise UserError(
                f"--scheduler {scheduler}: cannot connect to the Dask scheduler ({exc})"
            ) from None
        try:
            slots = max(1, sum(client.nthreads().values()))
            yield client.get_executor(pure=False), slots, f"dask {address} ({slots} threads)"
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    if workers <= 1:
        yield InlineExecutor(), 1, "serial"
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ex = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method))
    try:
        yield ex, workers, f"{workers} local processes"
    finally:
        # on Ctrl-C or a crash, drop queued chunks instead of finishing them (resume redoes them)
        ex.shutdown(wait=True, cancel_futures=True)


# --- the sweep -----------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What :func:`run_sweep` did; ``outcomes()`` loads the table as a DataFrame."""

    out: Path
    runs: int
    errors: int
    chunks: int
    resumed_chunks: int
    wall_seconds: float
    manifest: dict[str, Any]

    def outcomes(self):  # -> pandas.DataFrame
        """The outcome table (one row per run, sorted by run id)."""
        import pandas as pd

        return pd.read_parquet(self.out / "outcomes.parquet")

    def yearly(self):  # -> pandas.DataFrame
        """The yearly nation table (only if the spec kept yearly records)."""
        import pandas as pd

        return pd.read_parquet(self.out / "yearly.parquet")


def chunk_size_for(spec: SweepSpec, n_runs: int) -> int:
    """Runs per chunk: the spec's ``chunk_size`` or up to 25, at least 16 chunks when possible."""
    return spec.chunk_size or max(1, min(MAX_CHUNK, math.ceil(n_runs / 16)))


def _progress(total: int, done: int, enabled: bool) -> Any:
    if not enabled:
        return contextlib.nullcontext(None)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.1f} runs/s" if speed else "-- runs/s")

    prog = Progress(
        TextColumn("sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs"),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        transient=False,
    )
    return prog


def run_sweep(
    spec: SweepSpec | str | Path,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = False,
    stop_after_chunks: int | None = None,
) -> SweepResult:
    """Run (or resume) a sweep into directory ``out`` and return a :class:`SweepResult`.

    ``workers``: local processes (default: all cores; 1 = serial in this process). ``scheduler``:
    a Dask scheduler address, or ``"local"`` for a local Dask cluster. ``stop_after_chunks`` stops
    (raising ``RuntimeError``) after committing that many chunks: a test hook that simulates a crash.
    """
    spec_text = None
    if not isinstance(spec, SweepSpec):
        spec_text = Path(spec).read_text() if Path(spec).exists() else None
        spec = load_spec(spec)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise UserError(f"--workers: {workers} is invalid: must be >= 1")
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    scen = spec.base_scenario()
    design = build_design(spec)
    outcomes = [parse_outcome(o, scen) for o in spec.outcomes]
    schema = outcome_schema(design, outcomes)
    n_runs = design.n_runs
    csize = chunk_size_for(spec, n_runs)
    n_chunks = math.ceil(n_runs / csize)
    store = SweepStore(out)
    design_table = (
        pa.table(
            {
                p.path: pa.array(design.unit[:, i], pa.float64())
                for i, p in enumerate(design.uncertainties)
            }
        )
        if design.uncertainties
        else pa.table({"sample": pa.array(range(design.n_samples), pa.int64())})
    )
    done = store.start(spec.to_json(), spec.spec_hash, spec_text, design_table, resume)
    resumed = len(done)

    def task(c: int) -> ChunkTask:
        runs = []
        for r in range(c * csize, min(n_runs, (c + 1) * csize)):
            point, sample, combo, rep = design.locate(r)
            runs.append((r, point, sample, combo, rep, design.overrides(sample, combo)))
        return ChunkTask(
            c, scen, spec.seed, runs, outcomes, schema, spec.keep_yearly, spec.common_seeds
        )

    todo = iter([c for c in range(n_chunks) if c not in done])
    delay = float(os.environ.get("SPUTNIK_SWEEP_TEST_DELAY", "0") or 0)  # test hook: slow commits
    committed = 0
    runs_done = sum(min(n_runs, (c + 1) * csize) - c * csize for c in done)
    with (
        open_executor(workers, scheduler) as (ex, slots, backend),
        _progress(n_runs, runs_done, progress) as prog,
    ):
        bar = (
            prog.add_task("sweep", total=n_runs, completed=runs_done) if prog is not None else None
        )
        inflight: dict[Future, int] = {}

        def submit_next() -> None:
            c = next(todo, None)
            if c is not None:
                inflight[ex.submit(run_chunk, task(c))] = c

        for _ in range(max(2, 2 * slots)):
            submit_next()
        while inflight:
            finished, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            for fut in sorted(finished, key=lambda f: inflight[f]):
                inflight.pop(fut)
                res: ChunkResult = fut.result()
                store.commit(
                    res.chunk,
                    res.outcomes,
                    res.yearly,
                    {
                        "runs": res.outcomes.num_rows,
                        "errors": res.errors,
                        "seconds": round(res.seconds, 4),
                        "host": res.host,
                    },
                )
                committed += 1
                if bar is not None:
                    prog.advance(bar, res.outcomes.num_rows)
                if delay:
                    time.sleep(delay)
                if stop_after_chunks is not None and committed >= stop_after_chunks:
                    for f in inflight:
                        f.cancel()
                    raise RuntimeError(f"stopped after {committed} chunks (test hook)")
                submit_next()
    rows = store.assemble("outcomes", n_chunks, schema)
    if spec.keep_yearly:
        store.assemble("yearly", n_chunks, yearly_schema())
    records = list(store.journal_records())
    errors = sum(r["errors"] for r in records)
    wall = time.perf_counter() - t0
    manifest = _manifest(
        spec,
        design,
        csize,
        n_chunks,
        rows,
        errors,
        resumed,
        records,
        started,
        wall,
        backend,
        workers,
        scheduler,
        schema,
        outcomes,
    )
    write_json_atomic(manifest, store.root / "manifest.json")
    return SweepResult(store.root, rows, errors, n_chunks, resumed, wall, manifest)


def _manifest(
    spec: SweepSpec,
    design: Design,
    csize: int,
    n_chunks: int,
    rows: int,
    errors: int,
    resumed: int,
    records: list[dict[str, Any]],
    started: str,
    wall: float,
    backend: str,
    workers: int,
    scheduler: str | None,
    schema: pa.Schema,
    outcomes: list[Outcome],
) -> dict[str, Any]:
    from sim.results import package_version

    run_seconds = sum(r["seconds"] for r in records)
    return {
        "title": spec.title,
        "spec_file": spec.source,
        "spec_hash": spec.spec_hash,
        "base": {"scenario": spec.base, "hash": spec.base_hash, "overrides": spec.overrides},
        "package": {"name": "sputnik-moment", "version": package_version()},
        "python": platform.python_version(),
        "sampler": {
            "method": spec.method,
            "n": spec.n,
            "levels": spec.levels,
            "second_order": spec.second_order,
        },
        "seeds": {
            "master": spec.seed,
            "rule": "SeedSequence(master, spawn_key=(0 if common_seeds else sample, replication)), 63 bits",
            "common_seeds": spec.common_seeds,
        },
        "parameters": {
            "uncertainties": [p.to_json() for p in spec.uncertainties],
            "levers": [p.to_json() for p in spec.levers],
        },
        "outcomes": {o.text: o.column for o in outcomes},
        "columns": schema.names,
        "counts": {
            "samples": design.n_samples,
            "lever_combinations": len(design.combos),
            "points": design.n_points,
            "replications": spec.replications,
            "runs": rows,
            "errors": errors,
            "chunks": n_chunks,
            "chunk_size": csize,
            "chunks_resumed": resumed,
        },
        "timings": {
            "started": started,
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "wall_seconds": round(wall, 3),
            "run_seconds": round(run_seconds, 3),
            "runs_per_second": round(rows / wall, 2) if wall > 0 and not resumed else None,
            "per_run_ms": round(1000 * run_seconds / rows, 3) if rows else None,
        },
        "backend": {"kind": backend, "workers": workers, "scheduler": scheduler},
        "machine": {
            "platform": platform.platform(),
            "processor": platform.machine(),
            "cpu_count": os.cpu_count(),
            "hostnames": sorted({r.get("host", "") for r in records}),
        },
        "keep_yearly": spec.keep_yearly,
    }
