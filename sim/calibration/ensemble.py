"""Ensemble files: N accepted parameter sets with their provenance, for runs over an ensemble.

Format (JSON, ``format = "sputnik-ensemble"``, ``format_version = 1``)::

    {
      "format": "sputnik-ensemble", "format_version": 1,
      "provenance": {"method": "history matching", "targets_version": "1",
                     "targets_sha256": "...", "seed": 0, "created": "2026-11-02", ...},
      "parameters": [{"path": "world.x", "low": 0.1, "high": 0.9, "scale": "lin"}, ...],
      "members": [{"id": 0, "values": {"world.x": 0.42, ...}, "max_implausibility": 1.3,
                   "wave": 3}, ...]
    }

Each member's ``values`` map settable paths to numbers, ready for
``sim.config.loader.apply_overrides`` (a later ``sim.run_ensemble`` reads them with
:func:`load_ensemble`). JSON because the standard library reads and writes it exactly (floats
round-trip); TOML would need a writer dependency.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import UserError

if TYPE_CHECKING:
    from sim.calibration.history_matching import HistoryMatch

FORMAT = "sputnik-ensemble"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Provenance(_Strict):
    """Where an ensemble comes from."""

    method: str = Field(min_length=3, description="e.g. 'history matching'")
    targets_version: str = Field(min_length=1)
    targets_sha256: str | None = None
    targets: list[str] = Field(default_factory=list, description="ids of the targets matched")
    seed: int
    created: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="ISO date")
    package_version: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict, description="cut-off, waves, ...")
    n_evaluated: int | None = Field(None, ge=0)
    n_non_implausible: int | None = Field(None, ge=0)
    notes: str = ""


class EnsembleParam(_Strict):
    """A parameter the members set, with the prior range it was matched over."""

    path: str = Field(min_length=1)
    low: float
    high: float
    scale: Literal["lin", "log"] = "lin"


class Member(_Strict):
    """One accepted parameter set."""

    id: int = Field(ge=0)
    values: dict[str, float]
    max_implausibility: float | None = None
    wave: int | None = None


class EnsembleFile(_Strict):
    """A validated ensemble file (see the module docstring)."""

    format: Literal["sputnik-ensemble"] = FORMAT
    format_version: Literal[1] = 1
    provenance: Provenance
    parameters: list[EnsembleParam] = Field(min_length=1)
    members: list[Member] = Field(min_length=1)

    @model_validator(mode="after")
    def _members_match_parameters(self) -> EnsembleFile:
        paths = [p.path for p in self.parameters]
        if len(set(paths)) != len(paths):
            raise ValueError("parameters: a path appears twice")
        ids = [m.id for m in self.members]
        if len(set(ids)) != len(ids):
            raise ValueError("members: ids must be unique")
        want = set(paths)
        for m in self.members:
            if set(m.values) != want:
                extra, missing = sorted(set(m.values) - want), sorted(want - set(m.values))
                raise ValueError(
                    f"member {m.id}: values must set exactly the parameters"
                    + (f"; unknown {extra}" if extra else "")
                    + (f"; missing {missing}" if missing else "")
                )
            for p in self.parameters:
                v = m.values[p.path]
                slack = 1e-9 * (p.high - p.low)
                if not p.low - slack <= v <= p.high + slack:
                    raise ValueError(
                        f"member {m.id}: {p.path} = {v:g} lies outside its range [{p.low:g}, {p.high:g}]"
                    )
        return self

    def overrides(self) -> list[dict[str, float]]:
        """One ``{path: value}`` mapping per member, in member order."""
        return [dict(m.values) for m in self.members]


def from_history_match(
    res: HistoryMatch,
    n: int,
    *,
    seed: int | None = None,
    created: str | None = None,
) -> EnsembleFile:
    """Pick ``n`` survivors of a history match (all if fewer; a seeded draw if more)."""
    from sim.results import package_version

    surv = res.survivors
    if surv.empty:
        raise UserError(
            f"{res.out_dir}: no non-implausible parameter set to build an ensemble from"
        )
    if n < 1:
        raise UserError(f"n: {n} is invalid: must be at least 1")
    s = res.config["config"]["seed"] if seed is None else seed
    if len(surv) > n:
        pick = np.sort(np.random.default_rng([s, 0xE75]).choice(len(surv), n, replace=False))
        surv = surv.iloc[pick]
    pkg = package_version()
    cfg = res.config["config"]
    members = [
        Member(
            id=k,
            values={p.path: float(row[p.path]) for p in res.params},
            max_implausibility=float(row["max_implausibility"]),
            wave=int(row["wave"]),
        )
        for k, row in enumerate(surv.to_dict("records"))
    ]
    return EnsembleFile(
        provenance=Provenance(
            method="history matching",
            targets_version=str(res.config.get("targets_version") or "unversioned"),
            targets_sha256=res.config.get("targets_sha256"),
            targets=[t.id for t in res.targets],
            seed=int(s),
            created=created or dt.date.today().isoformat(),
            package_version=pkg,
            settings={
                k: cfg[k]
                for k in ("cutoff", "rank", "replicates", "n_per_wave", "screen", "discrepancy")
            }
            | {"waves": int(res.waves["wave"].max()), "history_seed": cfg["seed"]},
            n_evaluated=len(res.runs),
            n_non_implausible=int(res.runs["non_implausible"].sum()),
        ),
        parameters=[EnsembleParam(**p.model_dump()) for p in res.params],
        members=members,
    )


def write_ensemble(ens: EnsembleFile, path: str | Path) -> Path:
    """Write an ensemble file (JSON) atomically; returns the path."""
    import os

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps(ens.model_dump(mode="json"), indent=1) + "\n")
    os.replace(tmp, p)
    return p


def load_ensemble(path: str | Path) -> EnsembleFile:
    """Read and validate an ensemble file; UserError with one line per problem."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise UserError(f"{p}: cannot read ensemble file: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{p}: not a JSON ensemble file: {e}") from None
    try:
        return EnsembleFile.model_validate(data)
    except ValidationError as e:
        raise UserError(
            [
                f"{p}: {'.'.join(str(x) for x in err['loc']) or 'file'}: {err['msg'].removeprefix('Value error, ')}"
                for err in e.errors()
            ]
        ) from None
