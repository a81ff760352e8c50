"""Write a :class:`sim.Result` to a directory (CSV tables, manifest, charts) and read it back.

Layout of an output directory::

    years.csv  nations.csv  labs.csv  flows.csv  events.csv   one tidy table each
    vendors.csv ...                                            any further table a Result carries
    manifest.json                                              sim.Result.manifest + "files"
    *.png                                                      charts (unless charts=False)

CSV text depends only on the tables, so the same scenario and seed give byte-identical CSVs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.config.inputs import shorten
from sim.errors import UserError

if TYPE_CHECKING:
    from sim.results import Result

TABLES = ("years", "nations", "labs", "flows", "events")  # always written, in this order
MANIFEST = "manifest.json"
KIND_KEY = "output_kind"  # manifest key naming what wrote a directory: run, compare


def prepare_dir(out_dir: str | Path, flag: str = "--out") -> Path:
    """Create ``out_dir`` (and parents) and check it is writable; else a one-line :class:`UserError`."""
    path = Path(out_dir)
    shown = shorten(str(path))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise UserError(f"{flag} {shown}: exists and is not a directory") from None
    except OSError as exc:
        why = "name too long" if exc.errno == errno.ENAMETOOLONG else exc.strerror or str(exc)
        raise UserError(f"{flag} {shown}: cannot create directory: {why}") from None
    try:  # a probe file: permissions, read-only mounts and full disks all show here
        fd, probe = tempfile.mkstemp(prefix=".sputnik-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(f"{flag} {shown}: cannot write there: {exc.strerror or exc}") from None
    return path


def output_kind(path: Path) -> str | None:
    """What wrote directory ``path``: ``run``, ``compare``, ``sweep``, ``analysis``, or None."""
    if (path / "spec.json").exists() and (path / "chunks").is_dir():
        return "sweep"
    if (path / MANIFEST).is_file():
        try:
            data = json.loads((path / MANIFEST).read_text())
        except (OSError, ValueError):
            return None
        if isinstance(data, dict):
            if isinstance(data.get(KIND_KEY), str):
                return str(data[KIND_KEY])
            if "runs" in data and "scenarios" in data:
                return "compare"
            if "scenario" in data:
                return "run"
    if (path / "summary.csv").exists():
        return "analysis"
    return None


def check_out(out: str | Path, kind: str, force: bool = False, flag: str = "--out") -> Path:
    """Check ``--out`` before any work starts; return it as a Path.

    Refuses a path that is a file, the working directory or one of its parents, and a non-empty
    directory holding something other than ``kind`` output (unless ``force``): a run must never
    mix its files with a user's or another command's.
    """
    path = Path(out)
    shown = shorten(str(path))
    try:
        resolved = path.resolve()
        is_file = path.exists() and not path.is_dir()
        contents = sorted(p.name for p in path.iterdir()) if path.is_dir() else []
    except OSError as exc:
        why = "name too long" if exc.errno == errno.ENAMETOOLONG else exc.strerror or str(exc)
        raise UserError(f"{flag} {shown}: {why}") from None
    if is_file:
        raise UserError(f"{flag} {shown}: exists and is not a directory")
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise UserError(
            f"{flag} {shown}: is the working directory or above it; name a sub-directory"
        )
    if contents and not force:
        found = output_kind(path)
        if found != kind:
            what = (
                f"{found} output"
                if found
                else f"{len(contents)} other file(s), e.g. {contents[0]!r}"
            )
            raise UserError(
                f"{flag} {shown}: not empty and holds {what}, not {kind} output; "
                "choose another directory or add --force to replace it"
            )
    return path


@contextlib.contextmanager
def staged_dir(
    out: str | Path, kind: str, force: bool = False, flag: str = "--out"
) -> Iterator[Path]:
    """Yield a temporary directory beside ``out``; on success it replaces ``out`` in one rename.

    A failure leaves ``out`` as it was. The old contents (same kind, or anything with ``force``)
    are removed only after the new directory is in place, so outputs of two runs never mix.
    """
    path = check_out(out, kind, force, flag)
    parent = path.parent if str(path.parent) else Path(".")
    prepare_dir(parent, flag)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if path.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=parent))
        os.replace(path, old / "previous")
    os.replace(tmp, path)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def table_names(result: Result) -> list[str]:
    """The core tables, then any other DataFrame field of the result that has columns (vendors, ...)."""
    import pandas as pd

    extra = [
        f.name
        for f in dataclasses.fields(result)
        if f.name not in TABLES
        and isinstance(getattr(result, f.name), pd.DataFrame)
        and len(getattr(result, f.name).columns)
    ]
    return [*TABLES, *extra]


def write_tables(result: Result, out_dir: Path) -> list[Path]:
    """Write every table as CSV (no index column, missing numbers as ``NaN``); return the paths."""
    paths = []
    for name in table_names(result):
        frame = getattr(result, name)
        path = out_dir / f"{name}.csv"
        # NaN is written as "NaN" so that empty text ("no Sputnik lab") stays distinct from a missing number.
        frame.to_csv(path, index=False, lineterminator="\n", na_rep="NaN")
        paths.append(path)
    return paths


def write_manifest(
    manifest: Mapping[str, Any],
    files: list[Path],
    out_dir: Path,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``manifest.json``: the run's manifest, ``extra`` keys and the list of files written."""
    data = dict(manifest)
    data.update(extra or {})
    data["files"] = sorted({p.name for p in files} | {MANIFEST})
    path = out_dir / MANIFEST
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    return path


def write_result(
    result: Result, out_dir: str | Path, charts: bool = True, extra: Mapping[str, Any] | None = None
) -> list[Path]:
    """Write tables, charts (optional) and manifest for one run into ``out_dir``; return all paths.

    ``extra`` adds keys to the manifest (the CLI records the command line there).
    """
    out = prepare_dir(out_dir)
    try:
        paths = write_tables(result, out)
        if charts:
            from sim.charts import run_charts

            paths += run_charts(result, out)
        paths.append(write_manifest(result.manifest, paths, out, extra))
    except OSError as exc:
        raise UserError(f"{out}: cannot write output: {exc.strerror or exc}") from None
    return paths


def read_result(out_dir: str | Path) -> Result:
    """Load a directory written by :func:`write_result` back into a :class:`sim.Result`."""
    import pandas as pd

    from sim.results import Result

    out = Path(out_dir)
    if not (out / MANIFEST).exists():
        raise UserError(f"{out}: not a run output directory (no {MANIFEST})")
    frames: dict[str, Any] = {}
    for f in dataclasses.fields(Result):
        path = out / f"{f.name}.csv"
        if f.name == "manifest" or not path.exists():
            continue
        try:
            frames[f.name] = pd.read_csv(path, keep_default_na=False, na_values=["NaN"])
        except pd.errors.EmptyDataError:
            frames[f.name] = pd.DataFrame()
    missing = [t for t in TABLES if t not in frames]
    if missing:
        raise UserError(f"{out}: missing {', '.join(t + '.csv' for t in missing)}")
    manifest = json.loads((out / MANIFEST).read_text())
    manifest.pop("files", None)
    return Result(manifest=manifest, **frames)


# --- ensemble runs --------------------------------------------------------------------------------

ENSEMBLE_KIND = "ensemble"


def write_ensemble_result(
    ens: Any, out_dir: str | Path, charts: bool = True, extra: Mapping[str, Any] | None = None
) -> list[Path]:
    """Write one scenario's ensemble run into ``out_dir``; return every path written.

    ``bands.csv`` (metric, year, median, p5, p95, n), ``members.csv`` (member, seed and the
    ensemble values this scenario took), ``metrics.parquet`` (every member's metrics by year),
    band charts (unless ``charts=False``) and ``manifest.json`` (scenario, ensemble provenance,
    seed, the values held by the scenario, files).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = prepare_dir(out_dir)
    try:
        paths = [out / "bands.csv", out / "members.csv", out / "metrics.parquet"]
        ens.bands().to_csv(paths[0], index=False, lineterminator="\n", na_rep="NaN")
        members = ens.params.reset_index()
        members.insert(1, "seed", ens.seeds)
        members.to_csv(paths[1], index=False, lineterminator="\n")
        pq.write_table(pa.Table.from_pandas(ens.wide(), preserve_index=False), paths[2])
        if charts:
            from sim.charts import ensemble_run_charts

            paths += ensemble_run_charts(ens, out)
        meta = {KIND_KEY: ENSEMBLE_KIND, **ens.manifest, **(extra or {})}
        paths.append(write_manifest(meta, paths, out))
    except OSError as exc:
        raise UserError(f"{out}: cannot write output: {exc.strerror or exc}") from None
    return paths
