"""Dotted parameter paths: which scenario values can be set on a live model, and checks.

A path is ``world.X``, ``controls.X``, ``controls.licence.X``, ``nations.ID.X``, ``labs.ID.X``,
``vendors.ID.X`` or a nested section of those (``vendors.ID.domestic.X``,
``nations.ID.programme.X``). Events, game moves, cards, sweeps and ``--set`` all name parameters
this way. Values are checked with pydantic's own validation of the field (type and bounds), so the
rules cannot drift from the schema.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PydanticUserError, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from sim.config.schema import Controls, Lab, Nation, Scenario, Vendor, World

SETTABLE_SECTIONS: dict[str, type[BaseModel]] = {
    "world": World,
    "controls": Controls,
    "nations": Nation,
    "labs": Lab,
    "vendors": Vendor,
}
KEYED_SECTIONS = ("nations", "labs", "vendors")
STRICT = ConfigDict(strict=True, allow_inf_nan=False)


def did_you_mean(
    word: str,
    choices: Iterable[str],
    *,
    cutoff: float = 0.6,
    fallback: str | None = None,
) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, else `` (FALLBACK: a, b)`` or ``""``.

    The one "did you mean" helper of the project: scenario keys, ids, metrics, sweep keys and
    game names all use it.
    """
    options = sorted(choices)
    match = difflib.get_close_matches(word, options, n=1, cutoff=cutoff)
    if match:
        return f" (did you mean '{match[0]}'?)"
    if fallback and options:
        return f" ({fallback}: {', '.join(options)})"
    return ""


def nested_model(ann: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (``X``, ``X | None``), else None."""
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        ann = args[0] if len(args) == 1 else None
    return ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None


def resolve_field(scenario: Scenario, path: str) -> tuple[FieldInfo | None, str | None]:
    """``(field, None)`` for a settable path, else ``(None, why not)``."""
    parts = path.split(".")
    head = parts[0]
    if head not in SETTABLE_SECTIONS:
        return None, f"unknown section '{head}'" + did_you_mean(
            head, SETTABLE_SECTIONS, cutoff=0.0, fallback="use one of"
        )
    cls: type[BaseModel] = SETTABLE_SECTIONS[head]
    rest = parts[1:]
    if head in KEYED_SECTIONS:
        if not rest:
            return None, "needs an id and a parameter, e.g. labs.deepseek.open_weights"
        ids = set(getattr(scenario, head))
        if rest[0] not in ids:
            return None, f"{head[:-1]} '{rest[0]}' is not defined" + did_you_mean(
                rest[0], ids, fallback="defined"
            )
        rest = rest[1:]
    while len(rest) > 1:
        sub = cls.model_fields.get(rest[0])
        inner = nested_model(sub.annotation) if sub else None
        if inner is None:
            why = f"'{rest[0]}' has no sub-parameters" if sub else f"unknown parameter '{rest[0]}'"
            return None, why
        cls, rest = inner, rest[1:]
    if len(rest) != 1:
        return None, "expected one parameter name after the section"
    name = rest[0]
    if name not in cls.model_fields:
        return None, f"unknown parameter '{name}'" + did_you_mean(
            name, cls.model_fields, cutoff=0.0
        )
    return cls.model_fields[name], None


_ADAPTERS: dict[int, tuple[FieldInfo, TypeAdapter[Any]]] = {}


def _adapter(field: FieldInfo) -> TypeAdapter[Any]:
    """A cached validator for one schema field (fields live as long as their model class)."""
    hit = _ADAPTERS.get(id(field))
    if hit is None or hit[0] is not field:
        ann: Any = field.annotation
        typ: Any = Annotated[ann, *field.metadata] if field.metadata else ann
        try:  # the schema's own strictness: no bool as a number, no text as a bool, finite
            adapter: TypeAdapter[Any] = TypeAdapter(typ, config=STRICT)
        except PydanticUserError:  # a whole model (config is its own)
            adapter = TypeAdapter(typ)
        hit = (field, adapter)
        _ADAPTERS[id(field)] = hit
    return hit[1]


def check_value(field: FieldInfo, value: Any) -> str | None:
    """Why ``value`` is not valid for ``field`` (pydantic's own type and bound checks), or None."""
    try:
        _adapter(field).validate_python(value)
    except ValidationError as exc:
        err = exc.errors()[0]
        if err["type"] in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            ctx = err.get("ctx", {})
            op, bound = next(
                (sym, ctx[key])
                for key, sym in (("ge", ">="), ("le", "<="), ("gt", ">"), ("lt", "<"))
                if key in ctx
            )
            return f"{value} is out of range (must be {op} {bound})"
        return str(err["msg"])
    return None


def structured_value(scenario: Scenario, path: str, value: Any) -> Any:
    """``value`` as the schema holds it when ``path`` is a structure (a rule, a programme, a
    tuple of rules): validated into its config objects. Other values are returned as they are.
    Call after :func:`check_param_path` accepted the value."""
    if not isinstance(value, (dict, list, tuple)):
        return value
    field, _ = resolve_field(scenario, path)
    if field is None:
        return value
    out = _adapter(field).validate_python(value)
    if isinstance(out, BaseModel) or (
        isinstance(out, tuple) and any(isinstance(x, BaseModel) for x in out)
    ):
        return out
    return value


def check_param_path(scenario: Scenario, path: str, value: Any) -> str | None:
    """Return why ``path = value`` cannot be set on a live model, or None if it can."""
    field, why = resolve_field(scenario, path)
    if field is None:
        return why
    return check_value(field, value)


_ABSENT: Any = object()


def _walk(data: Mapping[str, Any], parts: list[str]) -> Iterator[Any]:
    """The value each part of a path reaches in nested mappings, in order; stops where the path
    leaves them (a part absent, or a value on the way that is not a mapping)."""
    node: Any = data
    for part in parts:
        if not isinstance(node, Mapping) or part not in node:
            return
        node = node[part]
        yield node


def get_path(data: Mapping[str, Any], path: str, default: Any = _ABSENT) -> Any:
    """The value at a dotted path in nested mappings.

    Where the path is absent (a part missing, or a value on the way that is not a mapping) return
    ``default`` if one is given, else raise KeyError naming the path.
    """
    parts = path.split(".")
    nodes = list(_walk(data, parts))
    if len(nodes) == len(parts):
        return nodes[-1]
    if default is _ABSENT:
        raise KeyError(path)
    return default


def unset_table(data: Mapping[str, Any], path: str) -> str | None:
    """The first table on the way to a dotted path that is present but unset (``None``, such as
    an optional section a scenario leaves out: ``nations.X.programme``), else None.

    Only the tables above the last part are looked at; a path that leaves the mappings earlier
    (an absent key) has no unset table.
    """
    parts = path.split(".")[:-1]
    for part, node in zip(parts, _walk(data, parts), strict=False):
        if node is None:
            return part
    return None


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path in nested dicts, creating tables on the way."""
    node = data
    parts = path.split(".")
    for p in parts[:-1]:
        nxt = node.get(p)
        if not isinstance(nxt, dict):
            nxt = {}
            node[p] = nxt
        node = nxt
    node[parts[-1]] = value
