"""Read scenario files, resolve ``extends``, apply overrides and validate.

Three steps, three places: this module reads TOML and merges it; :mod:`sim.config.schema`
validates; the model builds from the frozen result. Every problem becomes one line naming the
file, the key path and the reason, with a "did you mean" for misspelt keys.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.config.paths import did_you_mean, set_path
from sim.config.schema import Scenario

SCENARIO_DIR_ENV = "SPUTNIK_SCENARIOS"
OVERRIDE_SOURCE = "--set"
# Tables that a child scenario replaces whole instead of merging key by key: a share mix must be
# restated in full (a child's ``origin_mix = { legal = 1.0 }`` drops the parent's other origins).
REPLACE_TABLES = frozenset({"origin_mix"})


class ScenarioError(Exception):
    """Bad scenario input. ``problems`` holds one human-readable line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def scenario_dirs() -> list[Path]:
    """Directories searched for scenario names: ``$SPUTNIK_SCENARIOS`` then the repo's ``scenarios/``."""
    dirs = []
    if os.environ.get(SCENARIO_DIR_ENV):
        dirs += [Path(p) for p in os.environ[SCENARIO_DIR_ENV].split(os.pathsep) if p]
    dirs.append(Path(__file__).resolve().parents[2] / "scenarios")
    return dirs


def resolve_path(name_or_path: str | os.PathLike[str]) -> Path:
    """Find a scenario file by path or by id in the scenario directories."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        if not p.exists():
            raise ScenarioError([f"{p}: file not found"])
        return p
    for d in scenario_dirs():
        cand = d / f"{name_or_path}.toml"
        if cand.exists():
            return cand
    known = [s.id for s in list_scenarios()]
    hint = did_you_mean(str(name_or_path), known, fallback="known")
    raise ScenarioError([f"{name_or_path}: no such scenario{hint}"])


@dataclass(frozen=True)
class ScenarioInfo:
    """A shipped scenario's id, title, one-line description and file."""

    id: str
    title: str
    summary: str
    path: Path


def list_scenarios() -> list[ScenarioInfo]:
    """Every scenario file in the scenario directories (not sub-folders), sorted by id."""
    seen: dict[str, ScenarioInfo] = {}
    for d in scenario_dirs():
        for f in sorted(d.glob("*.toml")):
            if f.stem in seen:
                continue
            try:
                raw = tomllib.loads(f.read_text())
            except (tomllib.TOMLDecodeError, OSError):
                raw = {}
            desc = " ".join(str(raw.get("description", "")).split())
            summary = desc.split(". ")[0].rstrip(".") + "." if desc else ""
            seen[f.stem] = ScenarioInfo(f.stem, str(raw.get("title", f.stem)), summary, f)
    return sorted(seen.values(), key=lambda s: s.id)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"{path}: not valid TOML: {exc}"]) from None
    except UnicodeDecodeError:
        raise ScenarioError([f"{path}: not a text file (not valid UTF-8)"]) from None
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read: {exc.strerror}"]) from None


def _merge(
    base: dict[str, Any],
    over: Mapping[str, Any],
    origin: str,
    prov: dict[str, str],
    prefix: str = "",
) -> dict[str, Any]:
    """Deep-merge ``over`` into a copy of ``base``; tables merge (except :data:`REPLACE_TABLES`),
    ``events`` append, other values replace."""
    out = dict(base)
    for k, v in over.items():
        path = f"{prefix}{k}"
        if k == "events" and not prefix and isinstance(v, list):
            start = len(out.get("events", []))
            out["events"] = list(out.get("events", [])) + list(v)
            for i in range(len(v)):
                prov[f"events.{start + i}"] = origin
        elif isinstance(v, Mapping) and isinstance(out.get(k), Mapping) and k not in REPLACE_TABLES:
            out[k] = _merge(dict(out[k]), v, origin, prov, f"{path}.")
        else:
            out[k] = v
            prov[path] = origin
            if isinstance(v, Mapping):
                _mark(v, origin, prov, f"{path}.")
    return out


def _mark(d: Mapping[str, Any], origin: str, prov: dict[str, str], prefix: str) -> None:
    for k, v in d.items():
        prov[f"{prefix}{k}"] = origin
        if isinstance(v, Mapping):
            _mark(v, origin, prov, f"{prefix}{k}.")


def _load_raw(path: Path, prov: dict[str, str], chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in chain:
        names = " -> ".join(p.stem for p in (*chain, path))
        raise ScenarioError([f"{path}: extends: cycle {names}"])
    raw = _read_toml(path)
    parent_name = raw.get("extends")
    base: dict[str, Any] = {}
    if parent_name is not None:
        if not isinstance(parent_name, str):
            raise ScenarioError([f"{path}: extends: must be a scenario id (a string)"])
        try:
            parent = (
                resolve_path(parent_name)
                if not (path.parent / f"{parent_name}.toml").exists()
                else path.parent / f"{parent_name}.toml"
            )
        except ScenarioError as exc:
            raise ScenarioError([f"{path}: extends: {exc.problems[0]}"]) from None
        base = _load_raw(parent, prov, (*chain, path))
        base.pop("id", None)
        base.pop("title", None)
        base.pop("description", None)
    merged = _merge(base, raw, str(path), prov)
    merged["extends"] = parent_name
    return merged


def parse_value(text: str) -> Any:
    """Parse a ``--set`` value as a TOML literal (numbers, booleans, arrays), else keep the string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _set_path(d: dict[str, Any], path: str, value: Any) -> None:
    set_path(d, path, value)


def normalise_overrides(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Accept ``a.b.c`` or ``a__b__c`` keys (the latter for keyword arguments)."""
    return {k.replace("__", "."): v for k, v in (overrides or {}).items()}


def load_scenario(
    name_or_path: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """Load, merge and validate a scenario; raise :class:`ScenarioError` with one line per problem.

    ``overrides`` maps dotted key paths (``"controls.enforcement"``) to values; string values are
    parsed as TOML literals so CLI ``--set`` text works unchanged. They go through the same code
    as :func:`apply_overrides`.
    """
    path = resolve_path(name_or_path)
    prov: dict[str, str] = {}
    raw = _load_raw(path, prov)
    raw.setdefault("id", path.stem)
    return _validate_with_overrides(raw, overrides, prov, str(path.resolve()))


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any] | None) -> Scenario:
    """A new validated scenario: ``scenario`` with dotted-path ``overrides`` applied.

    This is the one override path of the project: the CLI (``--set``), the model
    (``ComputeRaceModel(scen, overrides=...)``), sweeps, the game and ``mesa.batch_run`` all come
    here (:func:`load_scenario` shares the code). ``horizon.years = "A:B"`` and horizon overrides
    refit events to the new horizon. Raises :class:`ScenarioError` naming ``--set`` for bad values.
    """
    if not overrides:
        return scenario
    raw = scenario.model_dump(mode="json")
    return _validate_with_overrides(raw, overrides, {}, scenario.id)


def _validate_with_overrides(
    raw: dict[str, Any],
    overrides: Mapping[str, Any] | None,
    prov: dict[str, str],
    source: str,
) -> Scenario:
    horizon_overridden = False
    for key, value in normalise_overrides(overrides).items():
        if isinstance(value, str):
            value = parse_value(value)
        if key == "horizon.years" and isinstance(value, str) and ":" in value:
            a, b = value.split(":", 1)
            _set_path(raw, "horizon.start_year", parse_value(a))
            _set_path(raw, "horizon.end_year", parse_value(b))
            prov["horizon.start_year"] = prov["horizon.end_year"] = OVERRIDE_SOURCE
            horizon_overridden = True
            continue
        _claim_new_prefixes(raw, key, prov)
        _set_path(raw, key, value)
        prov[key] = OVERRIDE_SOURCE
        horizon_overridden |= key.startswith("horizon.")
    if horizon_overridden:
        _fit_events_to_horizon(raw)
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_explain(exc, prov, source)) from None


def _claim_new_prefixes(raw: dict[str, Any], key: str, prov: dict[str, str]) -> None:
    """Attribute tables an override creates (e.g. ``nations.mars``) to ``--set``, not the file."""
    node: Any = raw
    parts = key.split(".")
    for n, part in enumerate(parts[:-1], start=1):
        if not isinstance(node, dict) or part not in node:
            prov[".".join(parts[:n])] = OVERRIDE_SOURCE
            return
        node = node[part]


def _fit_events_to_horizon(raw: dict[str, Any]) -> None:
    """After a horizon override, rules dated before the new start are in force from the start year
    and events after the new end are dropped (scenario files themselves must stay inside)."""
    horizon = raw.get("horizon") or {}
    start, end = horizon.get("start_year"), horizon.get("end_year")
    if not isinstance(start, int) or not isinstance(end, int) or start > end:
        return  # the schema reports the bad horizon itself
    kept = []
    for ev in raw.get("events", []):
        year = ev.get("year") if isinstance(ev, dict) else None
        if not isinstance(year, int):
            kept.append(ev)
        elif year > end:
            continue
        elif year < start:
            kept.append({**ev, "year": start, "announce_year": None})
        else:
            kept.append(ev)
    raw["events"] = kept


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario content (canonical JSON)."""
    blob = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


# --- error explanation -------------------------------------------------------------------


def _unwrap(ann: Any) -> Any:
    """Strip Optional/Union-with-None."""
    origin = typing.get_origin(ann)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return ann


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Allowed keys at ``loc`` in the schema (for "did you mean")."""
    ann: Any = Scenario
    for part in loc:
        ann = _unwrap(ann)
        origin = typing.get_origin(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            if part not in ann.model_fields:
                return []
            ann = ann.model_fields[part].annotation
        elif origin is dict:
            ann = typing.get_args(ann)[1]
        elif origin is tuple:
            ann = typing.get_args(ann)[0]
        else:
            return []
    ann = _unwrap(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return list(ann.model_fields)
    return []


def _origin(path: str, prov: dict[str, str], default: str) -> str:
    """The file that set ``path``: a ``--set`` override or the loaded file itself if either set any
    key at or under it (a child's ``origin_mix`` inside a lab the parent defined), else the nearest
    enclosing key's file."""
    under = {f for k, f in prov.items() if k == path or k.startswith(f"{path}.")} if path else set()
    for preferred in (OVERRIDE_SOURCE, default):
        if preferred in under:
            return preferred
    parts = path.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in prov:
            return prov[key]
    return default


def _explain(exc: ValidationError, prov: dict[str, str], default_file: str) -> list[str]:
    lines: list[str] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc)
        kind = err["type"]
        msg = err["msg"]
        if kind == "value_error":
            msg = msg.removeprefix("Value error, ")
            for line in msg.splitlines():
                if not loc and ": " in line:
                    sub = line.split(": ", 1)[0]
                    lines.append(f"{_origin(sub, prov, default_file)}: {line}")
                else:
                    lines.append(
                        f"{_origin(path, prov, default_file)}: {path or '(top level)'}: {line}"
                    )
            continue
        if kind == "extra_forbidden":
            allowed = _fields_at(loc[:-1])
            reason = "unknown key" + did_you_mean(str(loc[-1]), allowed, cutoff=0.5)
        elif kind == "missing":
            reason = "required key is missing"
        else:
            value = err.get("input")
            shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
            reason = f"{shown} is invalid: {msg}"
        lines.append(f"{_origin(path, prov, default_file)}: {path}: {reason}")
    return lines
