"""Running a history match's simulations: journalled chunks on disk, serial or on an executor.

Layout of a history-matching directory::

    config.json                 parameters, targets, settings and their hash (resume checks it)
    journal.jsonl               one line per committed chunk
    wave-NN/design.parquet      the wave's parameter sets (unit coordinates and values)
    wave-NN/design.json         the wave's sampling box and screen counts
    wave-NN/chunk-CCCC.parquet  raw outputs of one chunk of (set, replicate) runs
    runs.parquet, non_implausible.parquet/.csv, waves.csv, cuts.csv, *.png   final outputs

A chunk is committed by writing ``*.tmp``, fsync, ``os.replace`` and only then appending its
journal line (fsync again), as in the sweep storage; a torn last line is ignored on resume.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.sweeps.storage import write_atomic

Simulate = Callable[[dict[str, float], int], Mapping[str, float]]


def run_chunk(
    simulate: Simulate, tasks: list[tuple[int, int, int, dict[str, float]]], ids: list[str]
) -> dict[str, list]:
    """Run (index, replicate, seed, params) tasks; columns index, replicate, seed, one per target."""
    cols: dict[str, list] = {"index": [], "replicate": [], "seed": [], **{i: [] for i in ids}}
    for index, rep, seed, params in tasks:
        out = simulate(dict(params), seed)
        cols["index"].append(index)
        cols["replicate"].append(rep)
        cols["seed"].append(seed)
        for i in ids:
            v = out.get(i) if isinstance(out, Mapping) else None
            try:
                v = float(v) if v is not None else math.nan
            except (TypeError, ValueError):
                v = math.nan
            cols[i].append(v if math.isfinite(v) else math.nan)
    return cols


def run_seed(seed: int, wave: int, index: int, replicate: int) -> int:
    """The simulator seed of one run: independent streams spawned from the master seed."""
    return int(np.random.SeedSequence([seed, wave, index, replicate]).generate_state(1)[0])


class Store:
    """Files of one history-matching directory (module docstring of this file)."""

    def __init__(self, root: Path):
        self.root = root
        self.journal = root / "journal.jsonl"

    def wave_dir(self, w: int) -> Path:
        return self.root / f"wave-{w:02d}"

    def chunk(self, w: int, c: int) -> Path:
        return self.wave_dir(w) / f"chunk-{c:04d}.parquet"

    def committed(self) -> set[tuple[int, int]]:
        done: set[tuple[int, int]] = set()
        if self.journal.exists():
            for line in self.journal.read_text().splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # torn last line of a killed run: that chunk is redone
                if self.chunk(rec["wave"], rec["chunk"]).exists():
                    done.add((int(rec["wave"]), int(rec["chunk"])))
        return done

    def commit(self, w: int, c: int, cols: dict[str, list]) -> None:
        write_atomic(pa.table(cols), self.chunk(w, c))
        with open(self.journal, "a") as fh:
            fh.write(json.dumps({"wave": w, "chunk": c, "rows": len(cols["index"])}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())


def evaluate(
    store: Store,
    w: int,
    design: pd.DataFrame,
    P: Sequence[Any],
    ids: list[str],
    simulate: Simulate,
    executor: cf.Executor | None,
    config: dict[str, Any],
    done: set[tuple[int, int]],
) -> pd.DataFrame:
    """Run every (set, replicate) of a wave in journalled chunks; return its raw outputs.

    Chunks already in the journal are read back instead of run; every chunk is read from disk,
    so a resumed wave equals an uninterrupted one. Rows are sorted by (index, replicate).
    """
    reps = config["replicates"]
    tasks = [
        (int(i), r, run_seed(config["seed"], w, int(i), r), {p.path: float(row[p.path]) for p in P})
        for i, row in zip(design["index"], design.to_dict("records"), strict=True)
        for r in range(reps)
    ]
    size = config["chunk_size"]
    chunks = [tasks[k : k + size] for k in range(0, len(tasks), size)]
    todo = [c for c in range(len(chunks)) if (w, c) not in done]
    if executor is None:
        for c in todo:
            store.commit(w, c, run_chunk(simulate, chunks[c], ids))
    elif todo:
        futures = {executor.submit(run_chunk, simulate, chunks[c], ids): c for c in todo}
        try:
            for fut in cf.as_completed(futures):
                store.commit(w, futures[fut], fut.result())
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    raw = pd.concat(
        [pq.read_table(store.chunk(w, c)).to_pandas() for c in range(len(chunks))],
        ignore_index=True,
    ).sort_values(["index", "replicate"], kind="stable")
    return raw
