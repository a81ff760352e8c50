"""Read scenario files, resolve ``extends``, apply overrides and validate.

Three steps, three places: this module reads TOML and merges it; :mod:`sim.config.schema`
validates; the model builds from the frozen result. Every problem becomes one line naming the
file, the key path and the reason, with a "did you mean" for misspelt keys.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.config.inputs import (
    MAX_EXTENDS,
    InputError,
    loc_text,
    read_toml,
    reason,
    shorten,
)
from sim.config.paths import did_you_mean, set_path
from sim.config.schema import MAX_ID, Scenario, check_slug

SCENARIO_DIR_ENV = "SPUTNIK_SCENARIOS"
OVERRIDE_SOURCE = "--set"
# Tables that a child scenario replaces whole instead of merging key by key: a share mix must be
# restated in full (a child's ``origin_mix = { legal = 1.0 }`` drops the parent's other origins).
REPLACE_TABLES = frozenset({"origin_mix"})


class ScenarioError(InputError):
    """Bad scenario input. ``problems`` holds one human-readable line per problem."""


def shipped_dir() -> Path:
    """The shipped ``scenarios/`` folder: ``sim/_scenarios`` (a link to the repository's
    ``scenarios/`` in a checkout, a real folder in an installed wheel)."""
    return Path(__file__).resolve().parents[1] / "_scenarios"


def scenario_dirs() -> list[Path]:
    """Directories searched for scenario names: ``$SPUTNIK_SCENARIOS`` then the shipped scenarios."""
    dirs = []
    if os.environ.get(SCENARIO_DIR_ENV):
        dirs += [Path(p) for p in os.environ[SCENARIO_DIR_ENV].split(os.pathsep) if p]
    dirs.append(shipped_dir())
    return dirs


def _exists(p: Path) -> bool:
    try:
        return p.exists()
    except OSError as exc:  # a name too long for the file system is simply not a file here
        if exc.errno == errno.ENAMETOOLONG:
            return False
        raise


def resolve_path(name_or_path: str | os.PathLike[str]) -> Path:
    """Find a scenario file by path or by id in the scenario directories."""
    text = os.fspath(name_or_path)
    if not str(text).strip():
        raise ScenarioError(["(empty name): give a scenario id such as 'baseline' or a .toml file"])
    p = Path(name_or_path)
    if p.suffix == ".toml" or _exists(p):
        if not _exists(p):
            raise ScenarioError([f"{shorten(str(p))}: file not found"])
        return p
    if len(str(text)) <= 255 and "/" not in str(text):
        for d in scenario_dirs():
            cand = d / f"{name_or_path}.toml"
            if _exists(cand):
                return cand
    known = [s.id for s in list_scenarios()]
    hint = did_you_mean(shorten(str(text)), known, fallback="known")
    raise ScenarioError([f"{shorten(str(text))}: no such scenario{hint}"])


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
                raw = read_toml(f)
            except InputError:
                raw = {}
            desc = " ".join(str(raw.get("description", "")).split())
            summary = desc.split(". ")[0].rstrip(".") + "." if desc else ""
            seen[f.stem] = ScenarioInfo(f.stem, str(raw.get("title", f.stem)), summary, f)
    return sorted(seen.values(), key=lambda s: s.id)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return read_toml(path)
    except InputError as exc:
        raise ScenarioError(exc.problems) from None


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


def _load_raw(
    path: Path,
    prov: dict[str, str],
    chain: tuple[Path, ...] = (),
    files: list[tuple[Path, dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """``path`` merged over the files it ``extends``; ``prov`` maps key paths to the file that set
    them. ``files``, if given, receives each file of the chain with its own table, root first."""
    path = path.resolve()
    if path in chain:
        names = " -> ".join(p.stem for p in (*chain, path))
        raise ScenarioError([f"{path}: extends: cycle {names}"])
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError(
            [f"{chain[0]}: extends: a chain of more than {MAX_EXTENDS} files (through {path.name})"]
        )
    raw = _read_toml(path)
    parent_name = raw.get("extends")
    base: dict[str, Any] = {}
    if parent_name is not None:
        if not isinstance(parent_name, str):
            raise ScenarioError([f"{path}: extends: must be a scenario id (a string)"])
        if not parent_name.strip():
            raise ScenarioError(
                [
                    f"{path}: extends: empty; give a scenario id such as 'baseline' (or remove the key)"
                ]
            )
        try:
            parent = (
                resolve_path(parent_name)
                if not (path.parent / f"{parent_name}.toml").exists()
                else path.parent / f"{parent_name}.toml"
            )
        except ScenarioError as exc:
            raise ScenarioError([f"{path}: extends: {exc.problems[0]}"]) from None
        base = _load_raw(parent, prov, (*chain, path), files)
        for own in ("id", "title", "description"):  # each file names and describes itself
            base.pop(own, None)
            prov.pop(own, None)
    if files is not None:
        files.append((path, raw))
    merged = _merge(base, raw, str(path), prov)
    merged["extends"] = parent_name
    return merged


def extends_chain(name_or_path: str | os.PathLike[str]) -> list[tuple[Path, dict[str, Any]]]:
    """A scenario file and the files it ``extends``, root (e.g. ``baseline``) first, each as
    ``(resolved path, the file's own table as read)``, not merged.

    Files are found and read as :func:`load_scenario` finds and reads them; a missing parent, a
    cycle or bad TOML raises :class:`ScenarioError` with the same lines.
    """
    files: list[tuple[Path, dict[str, Any]]] = []
    _load_raw(resolve_path(name_or_path), {}, files=files)
    return files


def merged_raw(name_or_path: str | os.PathLike[str]) -> dict[str, Any]:
    """A scenario's tables merged over its ``extends`` chain exactly as :func:`load_scenario`
    merges them (tables key by key, :data:`REPLACE_TABLES` whole, ``events`` appended), before
    overrides and validation. Raises :class:`ScenarioError` as :func:`load_scenario` does."""
    return _load_raw(resolve_path(name_or_path), {})


def slug_of(stem: str) -> str:
    """A file stem made into a scenario id: characters other than letters, digits, ``-``, ``_``
    and ``.`` become ``-`` (``"My scenario"`` -> ``"My-scenario"``)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.")[:MAX_ID] or "scenario"
    try:
        return check_slug(slug)
    except ValueError:
        return "scenario"


def parse_value(text: str) -> Any:
    """Parse a ``--set`` value as a TOML literal (numbers, booleans, arrays), else keep the string."""
    try:
        value = tomllib.loads(f"v = {text}")
    except (tomllib.TOMLDecodeError, RecursionError):
        return text
    if len(value) != 1:  # text such as "1\nother = 2" smuggling in a second key: keep it as text
        return text
    return value["v"]


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
    raw.setdefault("id", slug_of(path.stem))
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


def resolve_scenario(
    scenario: str | os.PathLike[str] | Scenario, overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """A validated scenario from a :class:`Scenario` or a name/path, with ``overrides`` applied
    through the one override path (:func:`apply_overrides`)."""
    if isinstance(scenario, Scenario):
        return apply_overrides(scenario, overrides)
    return load_scenario(scenario, overrides)


def _validate_with_overrides(
    raw: dict[str, Any],
    overrides: Mapping[str, Any] | None,
    prov: dict[str, str],
    source: str,
) -> Scenario:
    horizon_overridden = False
    bad = []
    for key in normalise_overrides(overrides):
        why = _override_key_problem(raw, key)
        if why:
            bad.append(f"{OVERRIDE_SOURCE}: {shorten(key)}: {why}")
    if bad:
        raise ScenarioError(bad)
    for key, value in normalise_overrides(overrides).items():
        if isinstance(value, str):
            value = parse_value(value)
        if key == "horizon.years" and isinstance(value, str) and ":" in value:
            a, b = value.split(":", 1)
            set_path(raw, "horizon.start_year", parse_value(a))
            set_path(raw, "horizon.end_year", parse_value(b))
            prov["horizon.start_year"] = prov["horizon.end_year"] = OVERRIDE_SOURCE
            horizon_overridden = True
            continue
        _claim_new_prefixes(raw, key, prov)
        set_path(raw, key, value)
        prov[key] = OVERRIDE_SOURCE
        horizon_overridden |= key.startswith("horizon.")
    if horizon_overridden:
        _fit_events_to_horizon(raw)
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_explain(exc, prov, source)) from None


def _override_key_problem(raw: Mapping[str, Any], key: str) -> str | None:
    """Why ``key`` cannot be a dotted override path into ``raw`` (None if it can).

    A path may create new tables (``nations.mars.name``) but not reach into a value or a list
    (``controls.enforcement.x``, ``events.0.year``).
    """
    if not isinstance(key, str) or not key:
        return "empty parameter path"
    if len(key) > 512:
        return "parameter path too long"
    parts = key.split(".")
    if any(not part for part in parts):
        return "empty part in the dotted path (two dots, or a dot at an end)"
    node: Any = raw
    for n, part in enumerate(parts[:-1]):
        if not isinstance(node, Mapping) or part not in node or node[part] is None:
            return None  # a new (or unset optional) table: the schema judges its keys
        node = node[part]
        if not isinstance(node, Mapping):
            where = ".".join(parts[: n + 1])
            kind = "a list" if isinstance(node, list) else "a value"
            hint = " (edit events in a scenario file)" if parts[0] == "events" else ""
            return f"'{where}' is {kind}, not a table of parameters{hint}"
    return None


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
    """One line per error, naming the file (or ``--set``) that set the offending key."""
    lines: list[str] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        dotted = ".".join(str(p) for p in loc)
        shown = loc_text(loc)
        if err["type"] == "value_error":
            msg = str(err["msg"]).removeprefix("Value error, ")
            for line in msg.splitlines():
                if not loc and ": " in line:
                    sub = line.split(": ", 1)[0]
                    sub_dotted = sub.replace("[", ".").replace("]", "")
                    lines.append(f"{_origin(sub_dotted, prov, default_file)}: {line}")
                else:
                    lines.append(
                        f"{_origin(dotted, prov, default_file)}: {shown or '(top level)'}: {line}"
                    )
            continue
        lines.append(f"{_origin(dotted, prov, default_file)}: {shown}: {reason(err, Scenario)}")
    return lines
