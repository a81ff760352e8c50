"""Shared helpers of the fuzz suite (tests/test_fuzz.py): a TOML writer, the in-process CLI call
and the contract every call must keep."""

from __future__ import annotations

import contextlib
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.cli import main

CLEAN_LINE = re.compile(r"^(error: .+|\d+ of \d+ input\(s\) invalid)$")
BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_value(v: Any) -> str:
    """A TOML literal for ``v`` (floats keep inf/nan; tables become inline tables)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    if v is None:
        return '""'
    raise TypeError(type(v))


def toml_key(k: str) -> str:
    """A TOML key, quoted unless bare."""
    return k if BARE_KEY.match(k) else toml_value(k)


def dumps(data: dict[str, Any]) -> str:
    """A TOML document: scalars and inline tables at the top, then ``[table]`` sections,
    then arrays of tables (``[[events]]``)."""
    lines, tables, arrays = [], [], []
    for k, v in data.items():
        if isinstance(v, dict):
            tables.append((k, v))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            arrays.append((k, v))
        else:
            lines.append(f"{toml_key(k)} = {toml_value(v)}")
    for k, v in tables:
        lines.append(f"[{toml_key(k)}]")
        lines += [f"{toml_key(a)} = {toml_value(b)}" for a, b in v.items()]
    for k, items in arrays:
        for item in items:
            lines.append(f"[[{toml_key(k)}]]")
            lines += [f"{toml_key(a)} = {toml_value(b)}" for a, b in item.items()]
    return "\n".join(lines) + "\n"


@dataclass
class Outcome:
    """What one CLI call did."""

    code: int
    out: str
    err: str


def call(argv: list[str]) -> Outcome:
    """Run ``sputnik ARGV`` in this process and capture its output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return Outcome(code, out.getvalue(), err.getvalue())


def check_contract(res: Outcome, argv: list[str]) -> str:
    """The contract: exit 0, or exit 2 with one clean line per problem; never 1, never a
    traceback. Returns ``"ok"`` or ``"refused"``."""
    assert "Traceback" not in res.err and "internal error" not in res.err, (argv, res.err)
    assert res.code in (0, 2), (argv, res.code, res.err)
    if res.code == 2:
        lines = res.err.strip().splitlines()
        assert lines, argv
        bad = [line for line in lines if not CLEAN_LINE.match(line)]
        assert not bad, (argv, bad)
        assert all(len(line) < 2000 for line in lines), argv
        return "refused"
    return "ok"


def check_tables(out: Path) -> None:
    """Finite numbers and basic invariants in the CSV tables of a run directory."""
    for f in out.glob("*.csv"):
        df = pd.read_csv(f, keep_default_na=False, na_values=["NaN"])
        num = df.select_dtypes("number")
        assert np.isfinite(num.to_numpy()).all(), f"non-finite numbers in {f.name}"
    nations = pd.read_csv(out / "nations.csv")
    assert (nations["compute_h100e"] >= 0).all()
    share_cols = [c for c in nations.columns if c.endswith("_share")]
    assert (nations[share_cols] >= -1e-9).all().all()


def files_under(root: Path) -> set[Path]:
    """Every file below ``root`` (to check nothing was written outside ``--out``)."""
    return {p for p in root.rglob("*") if p.is_file()}
