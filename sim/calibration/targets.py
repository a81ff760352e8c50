"""Calibration targets as data: the versioned table ``sim/calibration/data/targets.csv``.

Each row is one observed quantity of the fit period (2020-2024) with its value, a plausible band
``[low, high]`` (read as a ~95% interval) and where it comes from. ``TARGETS.md`` beside the CSV
describes the columns; :func:`load_targets` validates the file with pydantic and reports every bad
row as one line (file, line, id, column, reason).

The band gives each target its data uncertainty for history matching: on the target's ``scale``
(``log`` = log10, ``lin`` = as is) the standard deviation is a quarter of the band, taken on the
side the model value falls (:meth:`Target.sd`), so asymmetric bands such as 1-40% around 10% work.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import UserError

TARGETS_CSV = Path(__file__).with_name("data") / "targets.csv"
TARGETS_VERSION = "1"
LAST_FIT_YEAR = 2024  # out-of-sample discipline: outcomes of 2025 and later are never targets

# Half-width (orders of magnitude) of the band of a largest-run row by Epoch AI's confidence tag
# of that run. A project assumption (Epoch gives the tags, not intervals); see TARGETS.md.
CONFIDENCE_OOM = {"Confident": 0.3, "Likely": 0.5, "Speculative": 0.7, "Unknown": 1.0}

COLUMNS = (
    "id",
    "quantity",
    "region",
    "year_start",
    "year",
    "value",
    "unit",
    "low",
    "high",
    "scale",
    "kind",
    "source",
    "date",
    "tag",
    "notes",
)
_SLUG = r"^[a-z][a-z0-9_]*$"
_VERSION = re.compile(r"\bversion\s+([0-9][0-9A-Za-z.\-]*)")


class Target(BaseModel):
    """One calibration target (a row of ``targets.csv``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, strict=False)

    id: str = Field(description="unique id, '<quantity>:<region>:<year>'")
    quantity: str = Field(pattern=_SLUG, description="what is measured (snake_case)")
    region: str = Field(pattern=_SLUG, description="nation (world, usa, china) or organisation")
    year_start: int | None = Field(None, description="first year of the window of a rate or mean")
    year: int = Field(ge=2000, le=LAST_FIT_YEAR, description="year observed (end of a window)")
    value: float = Field(description="the observed (central) value")
    unit: str = Field(min_length=1)
    low: float = Field(description="lower end of the plausible band (~95%)")
    high: float = Field(description="upper end of the plausible band (~95%)")
    scale: Literal["log", "lin"] = Field(description="space in which distances are measured")
    kind: Literal["level", "rate", "share"]
    source: str = Field(min_length=3, description="who published the figure")
    date: str = Field(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$", description="publication date")
    tag: Literal["P", "A", "S", "M", "derived"] = Field(description="source quality (README tags)")
    notes: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        expected = f"{self.quantity}:{self.region}:{self.year}"
        if self.id != expected:
            raise ValueError(f"id must be '{expected}' (quantity:region:year)")
        if not self.low < self.high:
            raise ValueError(f"low {self.low:g} must be below high {self.high:g}")
        if not self.low <= self.value <= self.high:
            raise ValueError(f"value {self.value:g} lies outside [low, high]")
        if self.scale == "log" and self.low <= 0:
            raise ValueError("a log-scale target needs low > 0")
        if self.kind == "share" and not (self.low >= 0 and self.high <= 1):
            raise ValueError("a share must lie in [0, 1]")
        if self.year_start is not None and not self.year_start < self.year:
            raise ValueError(f"year_start {self.year_start} must be before year {self.year}")
        return self

    # --- uncertainty on the target's scale ---------------------------------------------------

    def transform(self, x: Any) -> Any:
        """Map values to the scale distances are measured on (log10 or identity); <= 0 -> nan."""
        if self.scale == "lin":
            return np.asarray(x, dtype=float) if np.ndim(x) else float(x)
        a = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(a > 0, np.log10(np.where(a > 0, a, 1.0)), np.nan)
        return out if np.ndim(x) else float(out)

    @property
    def z(self) -> float:
        """The observed value on the target's scale."""
        return float(self.transform(self.value))

    def sd(self, model: Any = None) -> Any:
        """Data standard deviation on the target's scale: a quarter of the band.

        With ``model`` values, the half of the band on their side of the data is used (two-piece);
        without, the mean of both halves.
        """
        lo = self.z - float(self.transform(self.low))
        hi = float(self.transform(self.high)) - self.z
        if model is None:
            return (lo + hi) / 4.0
        m = self.transform(model)
        if np.ndim(m):
            return np.where(m > self.z, hi / 2.0, lo / 2.0)
        return hi / 2.0 if m > self.z else lo / 2.0

    def within(self, model: float) -> bool:
        """True if ``model`` lies inside the band [low, high]."""
        return bool(self.low <= model <= self.high)

    def error(self, model: float) -> float:
        """Signed distance model - data on the target's scale (OOM for log targets)."""
        return float(self.transform(model)) - self.z


class TargetSet(Sequence[Target]):
    """An ordered, validated set of targets with its version and content hash."""

    def __init__(self, targets: Sequence[Target], version: str, sha256: str, path: str = ""):
        self._targets = tuple(targets)
        self._by_id = {t.id: t for t in self._targets}
        self.version = version
        self.sha256 = sha256
        self.path = path

    @overload
    def __getitem__(self, key: int) -> Target: ...
    @overload
    def __getitem__(self, key: slice) -> Sequence[Target]: ...
    @overload
    def __getitem__(self, key: str) -> Target: ...
    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        """A target by position or by id (KeyError names the closest id)."""
        if isinstance(key, str):
            try:
                return self._by_id[key]
            except KeyError:
                from sim.config.paths import did_you_mean

                raise KeyError(f"no target '{key}'{did_you_mean(key, self._by_id)}") from None
        return self._targets[key]

    def __len__(self) -> int:
        return len(self._targets)

    def __iter__(self) -> Iterator[Target]:
        return iter(self._targets)

    @property
    def ids(self) -> list[str]:
        """Target ids in file order."""
        return [t.id for t in self._targets]

    def select(self, ids: Sequence[str] | None = None, quantity: str | None = None) -> TargetSet:
        """A subset (same version and hash) by ids and/or quantity."""
        keep = [
            t
            for t in self._targets
            if (ids is None or t.id in set(ids)) and (quantity is None or t.quantity == quantity)
        ]
        if ids is not None:
            missing = [i for i in ids if i not in self._by_id]
            if missing:
                self[missing[0]]  # raises KeyError with a did-you-mean
        return TargetSet(keep, self.version, self.sha256, self.path)

    def to_frame(self):  # -> pandas.DataFrame
        """The table as a DataFrame (one row per target, the CSV's columns)."""
        import pandas as pd

        return pd.DataFrame([t.model_dump() for t in self._targets], columns=list(COLUMNS))


def _cell(field: str, raw: str) -> Any:
    raw = raw.strip()
    if field in ("year_start",) and raw == "":
        return None
    if field in ("year", "year_start"):
        return int(raw) if re.fullmatch(r"-?\d+", raw) else raw
    if field in ("value", "low", "high"):
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw


def load_targets(path: str | Path | None = None) -> TargetSet:
    """Read and validate a targets CSV (default: the shipped ``targets.csv``).

    Raises :class:`UserError` with one line per problem: unknown or missing columns, invalid
    values (pydantic), duplicate ids, years after ``LAST_FIT_YEAR``.
    """
    p = Path(path) if path is not None else TARGETS_CSV
    try:
        data = p.read_bytes()
    except OSError as e:
        raise UserError(f"{p}: cannot read targets file: {e.strerror or e}") from None
    text = data.decode("utf-8-sig", errors="replace")
    lines = text.splitlines()
    header_notes = [ln for ln in lines if ln.startswith("#")]
    m = _VERSION.search(" ".join(header_notes))
    version = m.group(1) if m else "unversioned"
    body = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")]
    if not body:
        raise UserError(f"{p}: no header row (expected columns: {', '.join(COLUMNS)})")
    reader = csv.reader([ln for _, ln in body])
    header = [h.strip() for h in next(reader)]
    problems: list[str] = []
    from sim.config.paths import did_you_mean

    for h in header:
        if h not in COLUMNS:
            problems.append(
                f"{p}: line {body[0][0]}: unknown column '{h}'{did_you_mean(h, COLUMNS)}"
            )
    for c in COLUMNS:
        if c not in header and c not in ("year_start", "notes"):
            problems.append(f"{p}: line {body[0][0]}: missing column '{c}'")
    if problems:
        raise UserError(problems)
    targets: list[Target] = []
    seen: dict[str, int] = {}
    for (lineno, _), row in zip(body[1:], reader, strict=True):
        if len(row) != len(header):
            problems.append(f"{p}: line {lineno}: {len(row)} cells, expected {len(header)}")
            continue
        rec = {h: _cell(h, v) for h, v in zip(header, row, strict=True)}
        rid = rec.get("id") or "?"
        try:
            t = Target(**rec)
        except ValidationError as e:
            for err in e.errors():
                where = ".".join(str(x) for x in err["loc"]) or "row"
                msg = err["msg"].removeprefix("Value error, ")
                problems.append(f"{p}: line {lineno} ({rid}): {where}: {msg}")
            continue
        if t.id in seen:
            problems.append(
                f"{p}: line {lineno}: duplicate id '{t.id}' (first on line {seen[t.id]})"
            )
            continue
        seen[t.id] = lineno
        targets.append(t)
    if problems:
        raise UserError(problems)
    return TargetSet(targets, version, hashlib.sha256(data).hexdigest(), str(p))


def band_from_confidence(value: float, confidence: str) -> tuple[float, float]:
    """(low, high) of a largest-run target from Epoch's confidence tag (see CONFIDENCE_OOM)."""
    w = CONFIDENCE_OOM[confidence]
    return value / 10**w, value * 10**w


def summary(targets: TargetSet) -> str:
    """Rows per quantity, as text (for reports and the CLI)."""
    counts: dict[str, int] = {}
    for t in targets:
        counts[t.quantity] = counts.get(t.quantity, 0) + 1
    width = max(map(len, counts), default=0)
    lines = [f"targets version {targets.version}: {len(targets)} rows"]
    lines += [f"  {q:<{width}}  {n}" for q, n in counts.items()]
    return "\n".join(lines)


__all__ = [
    "CONFIDENCE_OOM",
    "LAST_FIT_YEAR",
    "TARGETS_CSV",
    "TARGETS_VERSION",
    "Target",
    "TargetSet",
    "band_from_confidence",
    "load_targets",
    "summary",
]
