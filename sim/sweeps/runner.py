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
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from sim.errors import RunFailure, UserError
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
    from sim.results import run_model
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
            # the finished model, not its DataFrames: outcomes read its records directly
            model = run_model(task.scenario, seed=seed, overrides=ov)
            values = outcome_mod.compute(task.outcomes, model)
            status, error = "ok", None
        except Exception as exc:  # noqa: BLE001 - one bad run must not kill the sweep
            values = [math.nan] * len(task.outcomes)
            status, error = "error", f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
            errors += 1
            model = None
        cols["status"].append(status)
        cols["error"].append(error)
        for o, v in zip(task.outcomes, values, strict=True):
            cols[o.column].append(v)
        if task.keep_yearly and model is not None:
            yearly_parts.append((run, model.nation_rows))
    table = pa.table(cols, schema=schema)
    yearly = _yearly_table(yearly_parts) if task.keep_yearly else None
    return ChunkResult(task.chunk, table, yearly, time.perf_counter() - t0, errors)


def _yearly_table(parts: list[tuple[int, Any]]) -> pa.Table:
    """The yearly table of a chunk from each run's nation rows."""
    schema = yearly_schema()
    cols: dict[str, list[Any]] = {f.name: [] for f in schema}
    for run, rows in parts:
        cols["run"].extend([run] * len(rows))
        for f in schema:
            if f.name != "run":
                cols[f.name].extend([getattr(r, f.name) for r in rows])
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


SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")


def parse_scheduler(text: str | None) -> str | None:
    """Check ``--scheduler`` before connecting: ``local``, ``tcp://HOST:PORT`` or ``HOST:PORT``.

    Returns the address to connect to (``HOST:PORT`` gains ``tcp://``); a malformed value is a
    one-line :class:`UserError` at once, not a 20-second connection attempt.
    """
    if text is None:
        return None
    t = text.strip()
    if t == "local":
        return t
    scheme, sep, rest = t.partition("://")
    if not sep:
        scheme, rest = "tcp", t
    host, colon, port = rest.rpartition(":")
    problem = None
    if scheme not in SCHEMES:
        problem = f"unknown protocol '{scheme}' (use {', '.join(SCHEMES)})"
    elif not colon or not host or "/" in host or " " in host:
        problem = "expected HOST:PORT"
    elif not port.isdigit() or not 1 <= int(port) <= 65535:
        problem = f"port '{port[:20]}' is not a number from 1 to 65535"
    if problem:
        raise UserError(
            f"--scheduler {text[:80]}: {problem}; give 'local' or a Dask scheduler address "
            "such as tcp://10.0.0.5:8786"
        )
    return f"{scheme}://{host}:{port}"


def check_scheduler(text: str | None) -> None:
    """Parse ``--scheduler`` and check something listens there, before any other work."""
    address = parse_scheduler(text)
    if address is not None:
        _import_distributed()  # "install the [cluster] extra" comes before any connection
    if address is not None and address != "local":
        _reachable(str(text), address)


def _reachable(given: str, address: str | None) -> None:
    """Fail in seconds, not after Dask's retries, when nothing listens at a tcp address."""
    import socket

    scheme, _, rest = (address or "").partition("://")
    if scheme != "tcp":
        return
    host, _, port = rest.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise UserError(
            f"--scheduler {given}: cannot connect to the Dask scheduler ({exc.strerror or exc})"
        ) from None


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
                n_workers=workers, threads_per_worker=1, dashboard_address=":0", silence_logs=40
            )
            address = cluster.scheduler_address
        else:
            address = parse_scheduler(scheduler)
            _reachable(scheduler, address)
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
    from sim.workers import process_pool

    ex = process_pool(workers)
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


class LineProgress:
    """Progress as plain lines on stderr (when it is not a terminal): at most every 10% or 30 s."""

    def __init__(self, total: int, done: int):
        self.total, self.done = total, done
        self.t0 = time.perf_counter()
        self.last_t, self.last_share = self.t0, done / total if total else 1.0

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, *_: Any, **__: Any) -> int:
        """Match rich's Progress API (one task)."""
        return 0

    def advance(self, _task: int, runs: int) -> None:
        """Record ``runs`` finished runs; print a line when due."""
        import sys

        self.done += runs
        now = time.perf_counter()
        share = self.done / self.total if self.total else 1.0
        if share - self.last_share >= 0.1 or now - self.last_t >= 30 or self.done >= self.total:
            rate = (self.done / (now - self.t0)) if now > self.t0 else 0.0
            print(
                f"sweep: {self.done:,}/{self.total:,} runs ({100 * share:.0f}%), {rate:.1f} runs/s",
                file=sys.stderr,
                flush=True,
            )
            self.last_t, self.last_share = now, share


def _progress(total: int, done: int, enabled: bool | str) -> Any:
    if not enabled:
        return contextlib.nullcontext(None)
    if enabled == "lines":
        return LineProgress(total, done)
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
    progress: bool | str = False,
    stop_after_chunks: int | None = None,
    force: bool = False,
) -> SweepResult:
    """Run (or resume) a sweep into directory ``out`` and return a :class:`SweepResult`.

    ``workers``: local processes (default: all cores; 1 = serial in this process). ``scheduler``:
    a Dask scheduler address, or ``"local"`` for a local Dask cluster. ``progress``: True for a
    bar, ``"lines"`` for plain lines. ``force`` replaces a non-empty ``out`` that holds no sweep.
    ``stop_after_chunks`` stops (raising ``RuntimeError``) after committing that many chunks: a
    test hook that simulates a crash. A dead worker raises :class:`RunFailure` with the
    ``--resume`` command.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    spec_text = spec.text
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise UserError(f"--workers: {workers} is invalid: must be >= 1")
    parse_scheduler(scheduler)  # a malformed address fails before anything starts
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
    store.check(spec.spec_hash, resume, force)  # before connecting or writing anything
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

    def task(c: int) -> ChunkTask:
        runs = []
        for r in range(c * csize, min(n_runs, (c + 1) * csize)):
            point, sample, combo, rep = design.locate(r)
            runs.append((r, point, sample, combo, rep, design.overrides(sample, combo)))
        return ChunkTask(
            c, scen, spec.seed, runs, outcomes, schema, spec.keep_yearly, spec.common_seeds
        )

    def chunk_runs(c: int) -> range:
        return range(c * csize, min(n_runs, (c + 1) * csize))

    delay = float(os.environ.get("SPUTNIK_SWEEP_TEST_DELAY", "0") or 0)  # test hook: slow commits
    committed = 0
    with contextlib.ExitStack() as stack:
        ex, slots, backend = stack.enter_context(open_executor(workers, scheduler))
        # the directory is written only once the backend is up: a bad --scheduler leaves nothing
        done = store.start(spec.to_json(), spec.spec_hash, spec_text, design_table, resume)
        done = {
            c for c in done if c < n_chunks and store.verify(c, chunk_runs(c), spec.keep_yearly)
        }
        resumed = len(done)
        todo = iter([c for c in range(n_chunks) if c not in done])
        runs_done = sum(len(chunk_runs(c)) for c in done)
        prog = stack.enter_context(_progress(n_runs, runs_done, progress))
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
                try:
                    res: ChunkResult = fut.result()
                except BrokenExecutor as exc:
                    raise RunFailure(
                        [
                            f"sweep: a worker process died ({type(exc).__name__}); "
                            f"{committed + resumed} finished chunk(s) are kept in {store.root}",
                            f"continue with: sputnik sweep {spec.source} --out {store.root} --resume",
                        ]
                    ) from None
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
