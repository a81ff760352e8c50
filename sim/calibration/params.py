"""The parameter reference, generated from the scenario schema so it cannot drift from the code.

Two tables:

1. :func:`schema_rows` walks every pydantic model under :class:`sim.config.schema.Scenario` and
   returns one row per field: dotted name, meaning, unit, default, valid range, provenance
   (source with date, or "assumption: reasoning", or why neither applies) and sensitivity range.
2. :func:`scenario_rows` lists the values a scenario file (and the files it extends) sets, each
   with the comment written next to it in the TOML file, which is where per-agent sources live.

``render_markdown`` and ``render_text`` format them; ``sputnik params`` prints them and
``docs/parameters.md`` is their committed output (a test keeps the two equal).
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from sim.config.loader import extends_chain, merged_raw
from sim.config.schema import Scenario

# Sections whose fields are set per agent in scenario files (the schema default is a placeholder).
AGENT_SECTIONS = {"nations": "nation", "labs": "lab", "vendors": "vendor"}

# Provenance kinds, in the order the checks try them.
SOURCE, ASSUMPTION, PER_AGENT, NEUTRAL, SWITCH, UNLABELLED = (
    "source",
    "assumption",
    "per-agent",
    "neutral",
    "switch",
    "unlabelled",
)

EPOCH_NOTE = (
    "Figures from Epoch AI datasets (frontier runs, chip counts, hardware prices) are used under "
    "CC BY 4.0 (Epoch AI, epoch.ai/data); facts §N refers to the project's calibration pack "
    "(sim/calibration/data/README.md and ../shared/calibration/facts.md)."
)


@dataclass(frozen=True)
class ParamRow:
    """One schema field: where it lives, what it means, its default, bounds and provenance."""

    name: str
    section: str
    description: str
    unit: str
    default: str
    valid_range: str
    kind: str
    provenance: str
    sensitivity: tuple[float, float] | None
    numeric: bool


@dataclass(frozen=True)
class ValueRow:
    """One value a scenario file sets, with the comment next to it and the file that set it."""

    path: str
    value: str
    comment: str
    file: str


# --------------------------------------------------------------------------- schema walk


def _unwrap(ann: Any) -> tuple[Any, bool]:
    """Strip ``X | None``; return (inner annotation, was optional)."""
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return ann, False


def _is_model(ann: Any) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _is_number(ann: Any) -> bool:
    return ann in (int, float)


def fmt_value(value: Any) -> str:
    """Compact, stable text for a default or scenario value."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {fmt_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, BaseModel):
        return "(section)"
    return str(value)


def _range(field: Any) -> str:
    parts = []
    for meta in field.metadata:
        for attr, op in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            bound = getattr(meta, attr, None)
            if bound is not None:
                parts.append(
                    f"{op} {fmt_value(float(bound)) if isinstance(bound, float) else bound}"
                )
    return ", ".join(parts)


def _default(field: Any) -> tuple[str, Any]:
    if field.default_factory is not None:
        value = field.default_factory()
        return (fmt_value(value) if not isinstance(value, BaseModel) else "(section)"), value
    if field.default is PydanticUndefined:
        return "required", PydanticUndefined
    return fmt_value(field.default), field.default


def _agent_keys_set(scenario_raw: dict[str, Any]) -> dict[str, set[str]]:
    """For each agent section, the fields that every agent of the baseline sets explicitly."""
    out: dict[str, set[str]] = {}
    for section in AGENT_SECTIONS:
        agents = scenario_raw.get(section, {})
        sets = [set(a) for a in agents.values() if isinstance(a, dict)]
        out[section] = set.intersection(*sets) if sets else set()
    return out


def _provenance(
    section: str, name: str, field: Any, ann: Any, default: Any, per_agent: set[str]
) -> tuple[str, str]:
    extra = field.json_schema_extra or {}
    if isinstance(extra, dict):
        if extra.get("source"):
            return SOURCE, str(extra["source"])
        if extra.get("assumption"):
            return ASSUMPTION, "assumption: " + str(extra["assumption"])
    inner, _optional = _unwrap(ann)
    if name in ("format_version", "month") or name.endswith("year"):
        return SWITCH, "calendar or format setting chosen per scenario"
    if not _is_number(inner):
        return SWITCH, "switch, identifier or structure: chosen per scenario"
    if (
        default is None
        or default is PydanticUndefined
        or (default == 0 and not isinstance(default, bool))
    ):
        return NEUTRAL, "neutral default (off / none) unless a scenario sets it"
    if name in per_agent:
        return (
            PER_AGENT,
            "placeholder: every agent in the baseline sets its own value (see scenario values)",
        )
    return UNLABELLED, "UNLABELLED: needs a source or an assumption label in sim/config/schema/"


def schema_rows(reference_scenario: str = "baseline") -> list[ParamRow]:
    """Every field of the scenario schema, in schema order, with its provenance.

    ``reference_scenario`` decides which agent fields count as per-agent inputs: those that every
    agent of that scenario sets explicitly (their schema default never reaches a run).
    """
    raw = merged_raw(reference_scenario)
    per_agent_sets = _agent_keys_set(raw)
    rows: list[ParamRow] = []

    def walk(model: type[BaseModel], prefix: str, section: str, per_agent: set[str]) -> None:
        for name, field in model.model_fields.items():
            ann, _opt = _unwrap(field.annotation)
            path = f"{prefix}{name}"
            origin = typing.get_origin(ann)
            if _is_model(ann):
                walk(ann, f"{path}.", section, _nested_agent_keys(raw, section, path, prefix))
                continue
            if origin is dict and _is_model(typing.get_args(ann)[1]):
                inner = typing.get_args(ann)[1]
                walk(
                    inner,
                    f"{path}.<{AGENT_SECTIONS.get(name, 'id')}>.",
                    name,
                    per_agent_sets.get(name, set()),
                )
                continue
            if origin is tuple and typing.get_args(ann) and _is_model(typing.get_args(ann)[0]):
                walk(typing.get_args(ann)[0], f"{path}[].", name, set())
                continue
            shown, default = _default(field)
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            sens = extra.get("sensitivity")
            kind, prov = _provenance(section, name, field, field.annotation, default, per_agent)
            rows.append(
                ParamRow(
                    name=path,
                    section=section,
                    description=" ".join((field.description or "").split()),
                    unit=str(extra.get("unit", "")),
                    default=shown,
                    valid_range=_range(field),
                    kind=kind,
                    provenance=prov,
                    sensitivity=(float(sens[0]), float(sens[1])) if sens else None,
                    numeric=_is_number(_unwrap(field.annotation)[0]),
                )
            )

    walk(Scenario, "", "scenario", set())
    for r in rows:
        if r.section == "scenario" and "." in r.name:
            object.__setattr__(r, "section", r.name.split(".")[0])
    return rows


def _nested_agent_keys(raw: dict[str, Any], section: str, path: str, prefix: str) -> set[str]:
    """Per-agent keys for a nested agent section such as ``vendors.<vendor>.domestic``."""
    if section not in AGENT_SECTIONS:
        return set()
    sub = path.split(".")[-1]
    agents = [
        a.get(sub)
        for a in raw.get(section, {}).values()
        if isinstance(a, dict) and isinstance(a.get(sub), dict)
    ]
    return set.intersection(*(set(a) for a in agents)) if agents else set()


# --------------------------------------------------------------------------- scenario values


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted paths to leaf values; tables nest, inline maps of numbers stay whole."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and not (
            v and all(not isinstance(x, dict) for x in v.values()) and path.endswith("origin_mix")
        ):
            out.update(flatten(v, f"{path}."))
        else:
            out[path] = v
    return out


def _strip_comment(line: str) -> tuple[str, str]:
    """Split a TOML line into (code, comment), ignoring ``#`` inside strings."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i], line[i + 1 :].strip()
    return line, ""


def _split_key(key: str) -> list[str]:
    return [p.strip().strip('"').strip("'") for p in key.split(".")]


def read_comments(path: Path) -> tuple[dict[str, str], str]:
    """Map dotted key paths to the comment on their line; also return the file's header comment.

    A small reader for the subset of TOML the scenario files use: ``[table]`` headers, ``key =
    value  # comment`` lines and multi-line strings (skipped). ``[[events]]`` entries are skipped:
    events carry their own title and text. A value without a comment of its own inherits the
    nearest standalone comment line above it that names its key (e.g. ``# ---- labs
    (compute_h100e: end-2024 stocks, see the derivation above) ----``), or a pointer to the header
    when the header names it; only keys with an underscore are matched, to avoid chance words.
    """
    comments: dict[str, str] = {}
    section_note = ""
    header: list[str] = []
    table: list[str] = []
    in_events = False
    in_string = False
    seen_code = False
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if in_string:
            if '"""' in stripped:
                in_string = False
            continue
        if not seen_code and stripped.startswith("#"):
            header.append(
                stripped.lstrip("#").rstrip()[1:]
                if stripped.startswith("# ")
                else stripped.lstrip("#")
            )
            continue
        if stripped:
            seen_code = True
        if stripped.startswith("#"):
            section_note = stripped.lstrip("#").strip(" -")
            continue
        code, comment = _strip_comment(line)
        code = code.strip()
        if code.startswith("[["):
            in_events = True
            continue
        if code.startswith("["):
            table = _split_key(code.strip("[] "))
            in_events = False
            continue
        if in_events or "=" not in code:
            continue
        key, _, value = code.partition("=")
        if value.strip().startswith('"""') and value.count('"""') == 1:
            in_string = True
        path_key = ".".join([*table, *_split_key(key.strip())])
        name = path_key.split(".")[-1]
        if comment:
            comments[path_key] = comment
        elif "_" in name and re.search(rf"\b{re.escape(name)}\b", section_note):
            comments[path_key] = f"(section note) {section_note}"
        elif "_" in name and re.search(rf"\b{re.escape(name)}\b", "\n".join(header)):
            comments[path_key] = "(see the derivation in the file header)"
    return comments, "\n".join(header).strip()


def scenario_rows(name_or_path: str) -> tuple[list[ValueRow], str]:
    """Values a scenario sets (merged over its ``extends`` chain) with their comments.

    Returns the rows (schema order of sections, file order within) and the header comments of the
    files in the chain (the derivations, e.g. how end-2024 compute is split among labs).
    """
    values: dict[str, tuple[Any, Path]] = {}
    notes: dict[str, str] = {}
    headers = []
    for f, raw in extends_chain(name_or_path):
        comments, header = read_comments(f)
        if header:
            headers.append(f"From `{f.stem}.toml`:\n\n" + header)
        for path, value in flatten({k: v for k, v in raw.items() if k != "events"}).items():
            if path in ("id", "title", "description", "extends", "format_version"):
                continue
            values[path] = (value, f)
            notes[path] = comments.get(path, "")
    rows = [ValueRow(p, fmt_value(v), notes[p], f.stem) for p, (v, f) in values.items()]
    return rows, "\n\n".join(headers)


def scenario_events(name_or_path: str) -> list[tuple[int, int | None, str, str]]:
    """(year, announce year, title, settings) of every event of a scenario, in year order."""
    from sim.config.loader import load_scenario

    scen = load_scenario(name_or_path)
    out = [
        (
            e.year,
            e.announce_year,
            e.title,
            ", ".join(f"{k} = {fmt_value(v)}" for k, v in e.set.items()),
        )
        for e in scen.events
    ]
    return sorted(out, key=lambda r: r[0])


# --------------------------------------------------------------------------- rendering


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _sens(r: ParamRow) -> str:
    return (
        f"{fmt_value(r.sensitivity[0])} to {fmt_value(r.sensitivity[1])}" if r.sensitivity else ""
    )


def _provenance_cell(r: ParamRow) -> str:
    """Source text as is, "assumption: ..." as is, other kinds prefixed with their name."""
    if r.kind in (SOURCE, ASSUMPTION):
        return r.provenance
    return f"({r.kind}) {r.provenance}"


def render_markdown(scenario: str | None = "baseline") -> str:
    """The full reference as Markdown (the content of ``docs/parameters.md``)."""
    rows = schema_rows()
    out = [
        "# Parameter reference",
        "",
        "Generated by `sputnik params --format md` from `sim/config/schema/` and the scenario files;",
        "do not edit by hand (a test checks this file equals the generator's output). Regenerate with",
        "`sputnik params --format md > docs/parameters.md` whenever a default, label or scenario changes.",
        "",
        EPOCH_NOTE,
        "",
        "Provenance kinds: **source** (a published figure with its date), **assumption** (invented",
        "behaviour, with the reasoning; these are what `sputnik calibrate` may tune and what",
        "`sputnik sensitivity` varies), **per-agent** (the schema default is a placeholder; each agent's",
        "value and its source are in the scenario table below), **neutral** (off or zero unless a",
        "scenario sets it), **switch** (a yes/no lever, identifier or structure).",
        "",
        f"{len(rows)} fields; {sum(r.kind == SOURCE for r in rows)} sourced, "
        f"{sum(r.kind == ASSUMPTION for r in rows)} assumptions, "
        f"{sum(r.sensitivity is not None for r in rows)} with a sensitivity range, "
        f"{sum(r.kind == UNLABELLED for r in rows)} unlabelled.",
        "",
    ]
    section = None
    for r in rows:
        if r.section != section:
            section = r.section
            out += [
                "",
                f"## `{section}`",
                "",
                "| Parameter | Meaning | Unit | Default | Valid range | Sensitivity | Source or assumption |",
                "|---|---|---|---|---|---|---|",
            ]
        out.append(
            f"| `{r.name}` | {_md(r.description)} | {_md(r.unit)} | {_md(r.default)} | {_md(r.valid_range)} "
            f"| {_sens(r)} | {_md(_provenance_cell(r))} |"
        )
    if scenario:
        vals, headers = scenario_rows(scenario)
        out += [
            "",
            f"## Values set by scenario `{scenario}`",
            "",
            "Each value with the comment written next to it in the scenario file (its source or derivation).",
            "",
        ]
        if headers:
            out += ["### Derivations (scenario file headers)", "", "```text", headers, "```", ""]
        out += ["| Path | Value | Source / note | File |", "|---|---|---|---|"]
        for v in vals:
            out.append(f"| `{v.path}` | {_md(v.value)} | {_md(v.comment)} | {v.file} |")
        events = scenario_events(scenario)
        if events:
            out += [
                "",
                f"### Events of `{scenario}`",
                "",
                "| Year | Announced | Title | Sets |",
                "|---|---|---|---|",
            ]
            for year, ann, title, sets in events:
                out.append(
                    f"| {year} | {ann if ann is not None else ''} | {_md(title)} | {_md(sets)} |"
                )
    return "\n".join(out) + "\n"


def render_text(scenario: str | None = "baseline", width: int = 120) -> str:
    """A fixed-width table for the terminal: one row per parameter, meaning and provenance below."""
    import textwrap

    rows = schema_rows()
    cols = (
        ("Parameter", 52),
        ("Default", 12),
        ("Unit", 15),
        ("Valid range", 18),
        ("Sensitivity", 18),
    )
    head = " ".join(f"{name:<{w}}" for name, w in cols).rstrip()
    lines = [head, "-" * len(head)]
    section = None
    for r in rows:
        if r.section != section:
            section = r.section
            lines += ["", f"[{section}]"]
        cells = (r.name, r.default, r.unit, r.valid_range, _sens(r))
        lines.append(" ".join(f"{c:<{w}}" for c, (_, w) in zip(cells, cols, strict=True)).rstrip())
        for text in (r.description, _provenance_cell(r)):
            lines += textwrap.wrap(
                text, width=width, initial_indent="    ", subsequent_indent="      "
            )
    if scenario:
        vals, _headers = scenario_rows(scenario)
        lines += [
            "",
            f"Values set by scenario '{scenario}' (value  # comment in the file  [file]):",
        ]
        for v in vals:
            note = f"  # {v.comment}" if v.comment else ""
            lines.append(f"  {v.path} = {v.value}{note}  [{v.file}]")
        events = scenario_events(scenario)
        if events:
            lines += ["", f"Events of '{scenario}':"]
        for year, ann, title, sets in events:
            a = f" (announced {ann})" if ann is not None else ""
            lines.append(f"  {year}{a}: {title}: {sets}")
    return "\n".join(lines) + "\n"
