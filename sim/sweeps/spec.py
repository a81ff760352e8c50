"""Sweep specification: read a sweep TOML file, validate it and resolve it against the base scenario.

A sweep file names a base scenario, fixed ``overrides``, **uncertainties** (parameters with a range
or distribution, sampled by the sampler), **levers** (policy choices: lists of values, or ranges cut
into ``levels`` values, crossed full-factorially with the uncertainty sample), a ``[sampler]``,
``replications``, one master ``seed``, the ``outcomes`` to keep and ``keep_yearly``. Every problem is
reported as one line ``FILE: key: reason (did you mean ...)`` through :class:`sim.errors.UserError`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationError, ValidationInfo, field_validator

from sim.config.inputs import MAX_SEED, InputError, InputModel, explain, read_toml_text, validate
from sim.config.paths import did_you_mean
from sim.errors import ScenarioError, UserError

METHODS = ("full_factorial", "lhs", "monte_carlo", "sobol", "morris")
DISTS = ("uniform", "loguniform", "triangular", "normal", "choice")
MAX_SAMPLE = 10_000_000  # rows of an uncertainty sample (n, trajectories)
MAX_COMBOS = 1_000_000  # lever combinations
MAX_RUNS_ENV = "SPUTNIK_MAX_RUNS"
DEFAULT_MAX_RUNS = 100_000  # above this a sweep needs --yes (or a confirmation at a terminal)

Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Number = Finite  # strict: ints are accepted (as floats), bools and text are not
Text = Annotated[str, StringConstraints(max_length=20_000)]
Rule = Annotated[str, StringConstraints(max_length=500)]


def _hint(word: str, options: list[str] | tuple[str, ...]) -> str:
    return did_you_mean(word, options, cutoff=0.5, fallback="expected one of")


class SamplerTable(InputModel):
    """``[sampler]``: the method and its sample size, with each method's rules (a known method;
    a sample size where the method needs one, a power of 2 for Sobol; even levels for Morris)."""

    method: Annotated[str, StringConstraints(max_length=100)] = "full_factorial"
    # before n: the sample size of Morris may be given as trajectories
    trajectories: Annotated[int, Field(ge=1, le=MAX_SAMPLE)] | None = None
    n: Annotated[int, Field(ge=0, le=MAX_SAMPLE)] | None = Field(None, validate_default=True)
    levels: Annotated[int, Field(ge=2, le=1000)] | None = None
    second_order: bool = False

    @field_validator("method")
    @classmethod
    def _known_method(cls, method: str) -> str:
        if method not in METHODS:
            raise ValueError(f"{method!r} is not a sampler" + _hint(method, METHODS))
        return method

    @field_validator("n")
    @classmethod
    def _sample_size(cls, n: int | None, info: ValidationInfo) -> int | None:
        method = info.data.get("method")  # absent if refused (reported on its own line)
        if method in (None, "full_factorial"):
            return n  # a grid needs no sample size
        if n is None and "trajectories" not in info.data:
            return n  # trajectories was given but refused (reported on its own line)
        size = n if n is not None else info.data["trajectories"]
        if size is None:
            raise ValueError(f"required for method '{method}' (the sample size)")
        if size < 1:
            raise ValueError(f"{size!r} is invalid: must be a positive integer")
        if method == "sobol" and size & (size - 1):
            raise ValueError(
                f"{size} is invalid: Sobol (Saltelli) needs a power of 2, e.g. {2 ** round(math.log2(size))}"
            )
        return n

    @field_validator("levels")
    @classmethod
    def _even_for_morris(cls, levels: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("method") == "morris" and levels is not None and levels % 2:
            raise ValueError(f"{levels} is invalid: Morris needs an even number of levels")
        return levels

    @property
    def size(self) -> int:
        """The sample size: ``n``, else ``trajectories``, else 0 (a full factorial needs none)."""
        if self.n is not None:
            return self.n
        return self.trajectories if self.trajectories is not None else 0

    @property
    def grid_levels(self) -> int:
        """Levels of a range cut into a grid: ``levels``, else 4 for Morris and 3 otherwise."""
        if self.levels is not None:
            return self.levels
        return 4 if self.method == "morris" else 3


class AnalysisTable(InputModel):
    """``[analysis]``: PRIM rules run by ``sputnik analyze`` (one rule may be given as a string)."""

    prim: list[Rule] = Field(default_factory=list)

    @field_validator("prim", mode="before")
    @classmethod
    def _one_rule(cls, prim: Any) -> Any:
        return [prim] if isinstance(prim, str) else prim


class SweepFile(InputModel):
    """The shape of a sweep spec file (types, finite numbers, bounds, the sampler's rules, at
    least one outcome); parameter paths and outcome names are checked against the base scenario
    after."""

    title: Annotated[str, StringConstraints(max_length=200)] = ""
    description: Text = ""
    base: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    overrides: dict[str, Any] = Field(default_factory=dict)
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 0
    replications: Annotated[int, Field(ge=1, le=10_000)] = 1
    keep_yearly: bool = False
    common_seeds: bool | None = None
    chunk_size: Annotated[int, Field(ge=1, le=10_000)] | None = None
    sampler: SamplerTable = Field(default_factory=SamplerTable)
    uncertainties: dict[str, Any] = Field(default_factory=dict)
    levers: dict[str, Any] = Field(default_factory=dict)
    outcomes: list[Annotated[str, StringConstraints(max_length=200)]] = Field(
        default_factory=list, max_length=500, validate_default=True
    )
    analysis: AnalysisTable = Field(default_factory=AnalysisTable)

    @field_validator("outcomes")
    @classmethod
    def _some_outcome(cls, outcomes: list[str]) -> list[str]:
        if not outcomes:
            raise ValueError('required: list at least one outcome, e.g. "lag_months:china:2030"')
        return outcomes


class DistTable(InputModel):
    """One swept parameter given as a table: a range or distribution, or listed values."""

    dist: Annotated[str, StringConstraints(max_length=100)] | None = None
    low: Number | None = None
    high: Number | None = None
    mode: Number | None = None
    mean: Number | None = None
    sd: Number | None = None
    values: list[Any] | None = Field(None, max_length=10_000)
    levels: Annotated[int, Field(ge=2, le=1000)] | None = None
    range: Annotated[str, StringConstraints(max_length=100)] | None = None


TOP_KEYS = tuple(SweepFile.model_fields)
DIST_KEYS = tuple(DistTable.model_fields)  # a table with one of these is a parameter, not a section


def max_runs() -> int:
    """Runs a sweep may have without ``--yes`` (``$SPUTNIK_MAX_RUNS``, default 100,000)."""
    try:
        return int(os.environ.get(MAX_RUNS_ENV, "") or DEFAULT_MAX_RUNS)
    except ValueError:
        return DEFAULT_MAX_RUNS


@dataclass(frozen=True)
class Param:
    """One swept parameter: a scenario path and how its values are drawn.

    ``kind`` is ``"uncertainty"`` or ``"lever"``. For ``dist == "choice"``, ``values`` lists the
    options; otherwise ``low``/``high`` (and ``mode`` or ``mean``/``sd``) describe the distribution.
    ``integer`` rounds drawn values (the scenario field is an int).
    """

    path: str
    kind: str
    dist: str = "uniform"
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None
    values: tuple[Any, ...] = ()
    levels: int | None = None
    integer: bool = False

    def to_json(self) -> dict[str, Any]:
        """Plain dict (for the stored spec and the spec hash)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep. Build with :func:`load_spec` (file) or :func:`parse_spec` (dict)."""

    source: str
    title: str
    base: str
    overrides: dict[str, Any]
    seed: int
    replications: int
    keep_yearly: bool
    chunk_size: int | None
    method: str
    n: int
    levels: int
    second_order: bool
    uncertainties: tuple[Param, ...]
    levers: tuple[Param, ...]
    outcomes: tuple[str, ...]
    prim: tuple[str, ...] = ()
    common_seeds: bool = False
    description: str = ""
    base_hash: str = ""
    horizon: tuple[int, int] = (0, 0)
    nations: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    text: str | None = None  # the spec file's text, copied to DIR/spec.toml

    def axis(self, p: Param) -> int:
        """Values of one full-factorial axis or lever: listed values, or its levels."""
        return len(p.values) if p.dist == "choice" else p.levels or self.levels

    @property
    def n_samples(self) -> int:
        """Rows of the uncertainty sample (computed without sampling)."""
        d = len(self.uncertainties)
        if d == 0:
            return 1
        if self.method == "full_factorial":
            return math.prod(self.axis(p) for p in self.uncertainties)
        if self.method == "sobol":
            return self.n * (2 * d + 2 if self.second_order else d + 2)
        if self.method == "morris":
            return self.n * (d + 1)
        return self.n

    @property
    def n_combos(self) -> int:
        """Lever combinations (computed without building them)."""
        return math.prod(self.axis(p) for p in self.levers)

    @property
    def n_runs(self) -> int:
        """Runs the sweep asks for: samples x lever combinations x replications."""
        return self.n_samples * self.n_combos * self.replications

    def plan(self) -> str:
        """What the sweep will do, in one line: ``40 runs, 2 levers x 20 points ...``."""
        parts = []
        if self.uncertainties:
            parts.append(
                f"{len(self.uncertainties)} uncertaint{'y' if len(self.uncertainties) == 1 else 'ies'}"
                f" x {self.n_samples} sample(s) ({self.method})"
            )
        if self.levers:
            parts.append(f"{len(self.levers)} lever(s) x {self.n_combos} combination(s)")
        if self.replications > 1:
            parts.append(f"{self.replications} replications")
        points = self.n_samples * self.n_combos
        return (
            f"{self.n_runs:,} runs, {points:,} points: {', '.join(parts) or 'the base scenario only'}; "
            f"{len(self.outcomes)} outcome(s)"
        )

    def to_json(self) -> dict[str, Any]:
        """Everything that decides the sweep's results, as plain JSON (also stored in the output)."""
        return {
            "title": self.title,
            "description": self.description,
            "base": self.base,
            "base_hash": self.base_hash,
            "overrides": self.overrides,
            "seed": self.seed,
            "replications": self.replications,
            "keep_yearly": self.keep_yearly,
            "chunk_size": self.chunk_size,
            "method": self.method,
            "n": self.n,
            "levels": self.levels,
            "second_order": self.second_order,
            "common_seeds": self.common_seeds,
            "uncertainties": [p.to_json() for p in self.uncertainties],
            "levers": [p.to_json() for p in self.levers],
            "outcomes": list(self.outcomes),
            "prim": list(self.prim),
        }

    @property
    def spec_hash(self) -> str:
        """SHA-256 of :meth:`to_json` without title/description/prim (which change no result)."""
        d = self.to_json()
        for k in ("title", "description", "prim"):
            d.pop(k)
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()

    def base_scenario(self):  # -> sim.Scenario
        """The base scenario with the sweep's fixed overrides applied."""
        import sim

        return sim.load_scenario(self.base, self.overrides)


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep TOML file; raise :class:`UserError` listing every problem."""
    import dataclasses

    p = Path(path)
    try:
        raw, text = read_toml_text(p)
    except InputError as exc:
        raise UserError(exc.problems) from None
    spec = parse_spec(raw, source=str(p), base_dir=p.parent)
    return dataclasses.replace(spec, text=text)


def _flatten(table: Any, prefix: str = "") -> dict[str, Any]:
    """Accept both ``"world.x" = ...`` and ``world.x = ...`` (which TOML nests) as parameter paths."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and not (set(v) & set(DIST_KEYS)):
            out.update(_flatten(v, f"{path}."))
        else:
            out[path] = v
    return out


def parse_spec(
    raw: dict[str, Any], source: str = "<spec>", base_dir: Path | None = None
) -> SweepSpec:
    """Validate a sweep spec given as a dict (as read from TOML). See the module docstring.

    :class:`SweepFile` checks the file's shape and the sampler's rules first, every problem on
    one line; then the parameters and outcomes are checked against the base scenario.
    """
    try:
        spec_file = validate(SweepFile, raw, source)
    except InputError as exc:
        raise UserError(exc.problems) from None
    errs: list[str] = []

    def err(key: str, reason: str) -> None:
        errs.append(f"{source}: {key}: {reason}")

    sampler = spec_file.sampler
    method = sampler.method
    levels = sampler.grid_levels
    overrides = _flatten(spec_file.overrides)
    # Sobol and Morris compare rows of the design: with one seed per row the model's noise is read
    # as parameter effects (total indices summing far above 1), so by default every row of a
    # replication shares its seed (common random numbers); replications still differ.
    common_seeds = spec_file.common_seeds
    if common_seeds is None:
        common_seeds = method in ("sobol", "morris")

    # The base scenario decides which parameter paths, nations and years exist.
    base = spec_file.base
    if base.endswith(".toml") and base_dir is not None and not Path(base).is_absolute():
        base = str((base_dir / base).resolve())
    import sim

    scen = None
    try:
        scen = sim.load_scenario(base, overrides)
    except ScenarioError as exc:
        for line in exc.problems:
            errs.append(f"{source}: base/overrides: {line}")

    params: list[Param] = []
    for kind, key in (("uncertainty", "uncertainties"), ("lever", "levers")):
        for path, value in _flatten(getattr(spec_file, key)).items():
            if path in TOP_KEYS:
                err(
                    f"{key}.{path}",
                    f"'{path}' is a top-level key: move it above the first [table] of the file",
                )
                continue
            p = _parse_param(
                path, value, kind, scen, lambda r, k=f"{key}.{path}": err(k, r), method, levels
            )
            if p is not None:
                if any(q.path == p.path for q in params):
                    err(f"{key}.{path}", "parameter is swept twice (as an uncertainty and a lever)")
                else:
                    params.append(p)
    unc = tuple(p for p in params if p.kind == "uncertainty")
    lev = tuple(p for p in params if p.kind == "lever")
    if method in ("sobol", "morris") and not unc:
        err("uncertainties", f"sampler '{method}' needs at least one uncertainty")
    if method in ("sobol", "morris") and any(p.dist == "choice" for p in unc):
        bad = next(p.path for p in unc if p.dist == "choice")
        err(
            f"uncertainties.{bad}",
            f"sampler '{method}' needs continuous ranges, not a list of values (make it a lever)",
        )

    out_names: list[str] = []
    columns: dict[str, str] = {}
    if scen is not None:
        from sim.sweeps.outcomes import parse_outcome

        for i, o in enumerate(spec_file.outcomes):
            try:
                column = parse_outcome(o, scen).column
            except ValueError as exc:
                err(f"outcomes[{i}]", f"{o!r}: {exc}")
                continue
            if column in columns:
                err(f"outcomes[{i}]", f"{o!r} is listed twice (as {columns[column]!r})")
                continue
            columns[column] = o
            out_names.append(o)
        for p in params:
            why = _corner_problem(scen, p)
            if why:
                err(f"{'uncertainties' if p.kind == 'uncertainty' else 'levers'}.{p.path}", why)
    if errs:
        raise UserError(errs)
    assert scen is not None
    from sim.config import scenario_hash

    spec = SweepSpec(
        source=source,
        title=spec_file.title or Path(source).stem,
        description=spec_file.description,
        base=base,
        overrides=overrides,
        seed=spec_file.seed,
        replications=spec_file.replications,
        keep_yearly=spec_file.keep_yearly,
        chunk_size=spec_file.chunk_size,
        method=method,
        n=sampler.size,
        levels=levels,
        second_order=sampler.second_order,
        common_seeds=common_seeds,
        uncertainties=unc,
        levers=lev,
        outcomes=tuple(out_names),
        prim=tuple(spec_file.analysis.prim),
        base_hash=scenario_hash(scen),
        horizon=(scen.horizon.start_year, scen.horizon.end_year),
        nations=tuple(scen.nations),
    )
    if spec.n_samples > MAX_SAMPLE:
        raise UserError(
            f"{source}: sampler: {spec.n_samples:,} samples is above the limit of {MAX_SAMPLE:,}"
        )
    if spec.n_combos > MAX_COMBOS:
        raise UserError(
            f"{source}: levers: {spec.n_combos:,} lever combinations is above the limit of {MAX_COMBOS:,}"
        )
    return spec


def _corners(p: Param) -> list[Any]:
    """Values that bound what a parameter can draw: listed values, or low and high."""
    if p.dist == "choice":
        return list(p.values)
    return [v for v in (p.low, p.high) if v is not None]


def _corner_problem(scen: Any, p: Param) -> str | None:
    """Why setting ``p`` to one of its extreme values leaves an invalid scenario (None if fine).

    Catches paths the scenario lacks (a programme field where there is no programme) and
    values that break a cross-field rule (a minimum above the base's maximum).
    """
    from sim.config.loader import apply_overrides

    for v in _corners(p)[:50]:
        value = int(round(v)) if p.integer and isinstance(v, float) else v
        try:
            apply_overrides(scen, {p.path: value})
        except ScenarioError as exc:
            line = exc.problems[0].removeprefix("--set: ").removeprefix(f"{scen.id}: ")
            return f"= {value!r} gives an invalid scenario: {line}"
    return None


def _field_info(scen: Any, path: str) -> Any:
    """The pydantic FieldInfo behind a settable path (after check_param_path accepted it)."""
    from sim.config.paths import resolve_field

    return resolve_field(scen, path)[0]


def _parse_param(
    path: str, value: Any, kind: str, scen: Any, err: Any, method: str, levels: int
) -> Param | None:
    """Turn one uncertainty/lever entry into a :class:`Param`, reporting problems through ``err``."""
    from sim.config import check_param_path

    if scen is None:
        return None
    probe = (
        value[0]
        if isinstance(value, list) and value
        else (value.get("low") if isinstance(value, dict) else value)
    )
    why = check_param_path(scen, path, probe if probe is not None else 0.5)
    try:
        info = _field_info(scen, path)
    except (KeyError, AttributeError, IndexError, TypeError):
        info = None
    if info is None or why is not None and "not defined" in why:
        err(why or "not a settable parameter path")  # path itself is wrong: say why, stop here
        return None
    if isinstance(value, list):
        if not value:
            err("empty list of values")
            return None
        bad = [v for v in value if check_param_path(scen, path, v) is not None]
        if bad:
            err(f"value {bad[0]!r}: {check_param_path(scen, path, bad[0])}")
            return None
        return Param(path=path, kind=kind, dist="choice", values=tuple(value))
    if not isinstance(value, dict):
        err(
            f"{value!r} is invalid: give a list of values or a table such as {{low = 0.2, high = 0.8}}"
        )
        return None
    try:  # keys, types, finite numbers and bounds, in the shared one-line wording
        DistTable.model_validate(value)
    except ValidationError as exc:
        err("; ".join(line.removeprefix("<t>: ") for line in explain(exc, "<t>", DistTable)))
        return None
    d = dict(value)  # the values as written (ints stay ints: they enter the spec hash)
    if d.get("range") is not None:
        if d["range"] != "sensitivity":
            err(f'range = {d["range"]!r} is invalid: the only named range is "sensitivity"')
            return None
        extra = info.json_schema_extra or {}
        sens = extra.get("sensitivity") if isinstance(extra, dict) else None
        if not sens:
            err("this parameter has no sensitivity range in the schema; give low and high")
            return None
        d.setdefault("low", sens[0])
        d.setdefault("high", sens[1])
    dist = d.get("dist", "uniform")
    if dist not in DISTS:
        err(f"dist = {dist!r} is not a distribution" + _hint(str(dist), DISTS))
        return None
    if dist == "choice" or "values" in d:
        return _parse_param(path, d.get("values", []), kind, scen, err, method, levels)
    need = {
        "uniform": ("low", "high"),
        "loguniform": ("low", "high"),
        "triangular": ("low", "mode", "high"),
        "normal": ("mean", "sd"),
    }[dist]
    for k in need:
        if d.get(k) is None:
            err(f"{dist} needs a number '{k}'")
            return None
    low, high = d.get("low"), d.get("high")
    if low is not None and high is not None and not low < high:
        err(f"low ({low}) must be below high ({high})")
        return None
    if dist == "loguniform" and low <= 0:
        err(f"loguniform needs low > 0 (got {low})")
        return None
    if dist == "triangular" and not low <= d["mode"] <= high:
        err(f"mode ({d['mode']}) must lie between low and high")
        return None
    if dist == "normal" and d["sd"] <= 0:
        err(f"sd ({d['sd']}) must be > 0")
        return None
    if dist == "normal" and (low is None or high is None):
        # a normal draw may leave the valid range; require explicit truncation bounds
        err("normal needs truncation bounds 'low' and 'high' so every draw is a valid value")
        return None
    for k in ("low", "high", "mode"):
        if d.get(k) is not None and (why := check_param_path(scen, path, d[k])) is not None:
            err(f"{k} = {d[k]!r}: {why}")
            return None
    integer = info.annotation is int
    lv = d.get("levels")
    if kind == "lever" and dist != "uniform":
        err(
            "a lever range is cut into equally spaced levels: use low/high (and levels), or list the values"
        )
        return None
    return Param(
        path=path,
        kind=kind,
        dist=dist,
        low=low,
        high=high,
        mode=d.get("mode"),
        mean=d.get("mean"),
        sd=d.get("sd"),
        levels=lv,
        integer=integer,
    )
