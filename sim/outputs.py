"""Write a :class:`sim.Result` to a directory (CSV tables, manifest, charts) and read it back.

Layout of an output directory::

    years.csv  nations.csv  labs.csv  flows.csv  events.csv   one tidy table each
    vendors.csv ...                                            any further table a Result carries
    manifest.json                                              sim.Result.manifest + "files"
    *.png                                                      charts (unless charts=False)

CSV text depends only on the tables, so the same scenario and seed give byte-identical CSVs.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import UserError

if TYPE_CHECKING:
    from sim.results import Result

TABLES = ("years", "nations", "labs", "flows", "events")  # always written, in this order
MANIFEST = "manifest.json"


def prepare_dir(out_dir: str | Path) -> Path:
    """Create ``out_dir`` (and parents); a path that cannot be a directory is a :class:`UserError`."""
    path = Path(out_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise UserError(f"--out {path}: exists and is not a directory") from None
    except OSError as exc:
        raise UserError(f"--out {path}: cannot create directory: {exc.strerror}") from None
    return path


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
