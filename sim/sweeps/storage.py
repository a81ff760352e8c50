"""Crash-safe sweep output: one Parquet file per chunk, a ``manifest.jsonl`` journal, final tables.

Layout of a sweep directory::

    spec.json             resolved spec (+ hash) written at the start; resume checks it
    design.parquet        unit coordinates of the uncertainty sample (for Sobol/Morris)
    chunks/outcomes-NNNNNN.parquet, chunks/yearly-NNNNNN.parquet
    manifest.jsonl        one JSON line per committed chunk (the journal): rows, first and last
                          run id and the SHA-256 of each chunk file, checked on --resume
    outcomes.parquet      final table, one row per run, sorted by run id
    yearly.parquet        final yearly nation records (only with keep_yearly)
    manifest.json         spec hash, versions, sampler, counts, timings, machine

A chunk is committed by writing ``*.tmp``, fsync, ``os.replace`` and only then appending its line
to the journal (fsync again). A kill at any moment leaves every journalled chunk intact; resume
re-runs the rest. Chunk boundaries depend on the spec only, so resumed tables equal fresh ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import UserError

# Rows per row group of the final tables: fixed, so files are byte-identical; 16k rows keeps the
# assembly's extra memory near 40 MiB for 100,000 runs (65k rows cost ~100 MiB, measured).
ROW_GROUP = 16384
COMPRESSION = "zstd"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_atomic(table: pa.Table, path: Path) -> None:
    """Write a Parquet file so that it either exists complete or not at all."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        pq.write_table(table, fh, compression=COMPRESSION)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def write_json_atomic(obj: Any, path: Path) -> None:
    """Write JSON via a temporary file and rename."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")
    os.replace(tmp, path)


class SweepStore:
    """The files of one sweep directory (see the module docstring)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.chunks = self.root / "chunks"
        self.journal = self.root / "manifest.jsonl"

    # --- starting and resuming --------------------------------------------------------------
    def exists(self) -> bool:
        """True if the directory already holds (part of) a sweep."""
        return (self.root / "spec.json").exists()

    def _old_spec(self) -> dict[str, Any]:
        try:
            data = json.loads((self.root / "spec.json").read_text())
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return data
        except (OSError, ValueError):
            raise UserError(
                f"{self.root}: spec.json is damaged, so this sweep cannot be resumed; use a new --out"
            ) from None

    def _resumable(self, spec_hash: str, resume: bool) -> None:
        """Raise :class:`UserError` unless the sweep already here may be resumed with this spec."""
        old = self._old_spec()
        if not resume:
            raise UserError(
                f"{self.root}: already holds a sweep; add --resume to continue it or choose another --out"
            )
        if old.get("spec_hash") != spec_hash:
            raise UserError(
                f"{self.root}: --resume: the spec (or its base scenario) changed since this sweep started (hash {str(old.get('spec_hash', '?'))[:12]} != {spec_hash[:12]}); use a new --out"
            )

    def check(self, spec_hash: str, resume: bool, force: bool = False) -> None:
        """Refuse, before anything is written or started, an ``out`` that cannot take this sweep:
        a file, a directory of other files (unless ``force``: they are removed), another sweep,
        or (on resume) a different spec."""
        from sim.outputs import check_out

        if self.exists():
            self._resumable(spec_hash, resume)
            return
        if (self.root / "outcomes.parquet").exists():
            raise UserError(f"{self.root}: already holds results; choose another --out")
        check_out(self.root, "sweep", force)
        if force and self.root.is_dir() and any(self.root.iterdir()):
            shutil.rmtree(self.root)

    def start(
        self,
        spec_json: dict[str, Any],
        spec_hash: str,
        spec_text: str | None,
        design: pa.Table,
        resume: bool,
    ) -> set[int]:
        """Prepare the directory; return the ids of chunks already committed (resume).

        Raises :class:`UserError` if the directory holds another sweep, or a different one on resume.
        """
        if self.exists():
            self._resumable(spec_hash, resume)
            for tmp in self.chunks.glob("*.tmp"):
                tmp.unlink()  # half-written chunk of a killed run
            return self.committed()
        if (
            self.root.exists()
            and any(self.root.iterdir())
            and resume is False
            and (self.root / "outcomes.parquet").exists()
        ):
            raise UserError(f"{self.root}: already holds results; choose another --out")
        from sim.outputs import prepare_dir

        prepare_dir(self.root)
        self.chunks.mkdir(parents=True, exist_ok=True)
        write_atomic(design, self.root / "design.parquet")
        if spec_text is not None:
            (self.root / "spec.toml").write_text(spec_text)
        write_json_atomic({"spec_hash": spec_hash, "spec": spec_json}, self.root / "spec.json")
        return set()

    def committed(self) -> set[int]:
        """Chunk ids in the journal whose files exist (a torn last journal line is ignored)."""
        return {c for c, rec in self._journal().items() if self.chunk_path("outcomes", c).exists()}

    def _journal(self) -> dict[int, dict[str, Any]]:
        """Chunk id -> its last well-formed journal record (torn or bad lines are skipped: the
        chunk they name is redone)."""
        seen: dict[int, dict[str, Any]] = {}
        if not self.journal.exists():
            return seen
        for line in self.journal.read_text(errors="replace").splitlines():
            try:
                rec = json.loads(line)
                chunk = int(rec["chunk"])
            except (ValueError, TypeError, KeyError):
                continue
            if isinstance(rec, dict) and chunk >= 0:
                seen[chunk] = rec
        return seen

    def verify(self, chunk: int, runs: range, yearly: bool) -> bool:
        """True if a committed chunk is intact: checksums match the journal and it holds exactly
        the rows of run ids ``runs``. A bad chunk is deleted so that it is redone."""
        rec = self._journal().get(chunk, {})
        paths = [self.chunk_path("outcomes", chunk)]
        if yearly:
            paths.append(self.chunk_path("yearly", chunk))
        try:
            for path in paths:
                want = rec.get(f"sha256_{path.name.split('-')[0]}")
                if want is None or file_sha256(path) != want:
                    raise ValueError("checksum")
            ids = pq.read_table(paths[0], columns=["run"]).column("run").to_pylist()
            ok = ids == list(runs)
        except (OSError, ValueError, KeyError, pa.ArrowException):
            ok = False
        if not ok:
            for path in paths:
                path.unlink(missing_ok=True)
        return ok

    def journal_records(self) -> Iterator[dict[str, Any]]:
        """Parsed journal lines (last one wins per chunk)."""
        seen = self._journal()
        yield from (seen[k] for k in sorted(seen))

    # --- committing chunks ------------------------------------------------------------------
    def chunk_path(self, kind: str, chunk: int) -> Path:
        """``chunks/<kind>-NNNNNN.parquet``."""
        return self.chunks / f"{kind}-{chunk:06d}.parquet"

    def commit(
        self, chunk: int, outcomes: pa.Table, yearly: pa.Table | None, record: dict[str, Any]
    ) -> None:
        """Make one finished chunk durable, then journal it with its checksums and run ids."""
        sums = {}
        if yearly is not None:
            write_atomic(yearly, self.chunk_path("yearly", chunk))
            sums["sha256_yearly"] = file_sha256(self.chunk_path("yearly", chunk))
        write_atomic(outcomes, self.chunk_path("outcomes", chunk))
        sums["sha256_outcomes"] = file_sha256(self.chunk_path("outcomes", chunk))
        runs = outcomes.column("run").to_pylist() if "run" in outcomes.column_names else []
        if runs:
            sums.update(first_run=runs[0], last_run=runs[-1])
        with open(self.journal, "a") as fh:
            fh.write(json.dumps({"chunk": chunk, **record, **sums}, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    # --- final tables -----------------------------------------------------------------------
    def assemble(self, kind: str, n_chunks: int, schema: pa.Schema) -> int:
        """Stream chunk files (in chunk order = run order) into ``<kind>.parquet``; return rows.

        Rows are re-batched into fixed-size row groups, so the bytes depend only on the rows, and
        at most one row group is in memory at a time.
        """
        target = self.root / f"{kind}.parquet"
        tmp = target.with_name(target.name + ".tmp")
        rows = 0
        pending: list[pa.Table] = []
        n_pending = 0
        with pq.ParquetWriter(tmp, schema, compression=COMPRESSION) as writer:
            for c in range(n_chunks):
                path = self.chunk_path(kind, c)
                if not path.exists():
                    continue  # yearly chunk of a chunk whose runs all failed is still written; defensive
                with pq.ParquetFile(path) as pf:
                    part = pf.read().cast(schema)
                pending.append(part)
                n_pending += part.num_rows
                while n_pending >= ROW_GROUP:
                    t = pa.concat_tables(pending).combine_chunks()
                    writer.write_table(t.slice(0, ROW_GROUP), row_group_size=ROW_GROUP)
                    rest = t.slice(ROW_GROUP)
                    pending, n_pending = ([rest] if rest.num_rows else []), rest.num_rows
                    rows += ROW_GROUP
            if n_pending:
                writer.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP)
                rows += n_pending
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        return rows
