"""The one input layer: read a user's file safely and explain validation errors in one line each.

Every file a user gives (scenario, sweep spec, move script, deck, role file, overrides file) is
read by :func:`read_toml` (size limit, UTF-8 with or without BOM, nesting limit, one clear line
per problem) and validated by a pydantic model whose errors :func:`explain` turns into lines
``FILE: key.path: reason (did you mean ...)``. Problems are raised as :class:`InputError`
(``problems`` holds the lines); the CLI prints them and exits 2.

Limits (each with an environment override, documented in ``docs/cli.md``):

- ``SPUTNIK_MAX_FILE_BYTES`` (default 1 MiB): the largest input file read;
- :data:`MAX_NESTING` tables/arrays deep; :data:`MAX_EXTENDS` scenario files in one ``extends`` chain.
"""

from __future__ import annotations

import errno
import math
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from sim.config.paths import did_you_mean

MAX_FILE_BYTES_ENV = "SPUTNIK_MAX_FILE_BYTES"
DEFAULT_MAX_FILE_BYTES = 1 << 20
MAX_NESTING = 32
MAX_EXTENDS = 32
MAX_SEED = 2**63 - 1

M = TypeVar("M", bound=BaseModel)


class InputError(Exception):
    """Bad input. ``problems`` holds one human-readable line per problem (exit code 2)."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class InputModel(BaseModel):
    """Base of every non-scenario input file model: strict, finite, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


def max_file_bytes() -> int:
    """The size limit of an input file (``$SPUTNIK_MAX_FILE_BYTES``, default 1 MiB)."""
    text = os.environ.get(MAX_FILE_BYTES_ENV, "")
    try:
        return int(text) if text else DEFAULT_MAX_FILE_BYTES
    except ValueError:
        return DEFAULT_MAX_FILE_BYTES


def read_text(path: str | os.PathLike[str], what: str = "") -> str:
    """The text of a user's file, bounded in size, UTF-8 (a leading BOM is dropped).

    ``what`` prefixes the file name in messages (``--script moves.toml: ...``).
    """
    p = Path(path)
    label = f"{what} {p}".strip()
    limit = max_file_bytes()
    try:
        if p.is_dir():
            raise InputError(f"{label}: is a directory, not a file")
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise InputError(f"{label}: file not found") from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise InputError(f"{shorten(str(p))}: file name too long") from None
        raise InputError(f"{label}: cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(
            f"{label}: larger than the {limit:,}-byte limit for input files "
            f"(set {MAX_FILE_BYTES_ENV} to raise it)"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{label}: not a text file (not valid UTF-8)") from None


def read_toml(path: str | os.PathLike[str], what: str = "") -> dict[str, Any]:
    """A user's TOML file as a dict; :class:`InputError` with one line for any reading problem."""
    return read_toml_text(path, what)[0]


def read_toml_text(path: str | os.PathLike[str], what: str = "") -> tuple[dict[str, Any], str]:
    """A user's TOML file as a dict and its text (for a verbatim copy, e.g. a sweep's spec.toml)."""
    p = Path(path)
    label = f"{what} {p}".strip()
    text = read_text(p, what)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{label}: not valid TOML: {exc}") from None
    except RecursionError:
        raise InputError(f"{label}: nested more than {MAX_NESTING} levels deep") from None
    if depth(raw) > MAX_NESTING:
        raise InputError(f"{label}: nested more than {MAX_NESTING} levels deep")
    return raw, text


def depth(value: Any, level: int = 0) -> int:
    """How deeply tables and arrays nest in ``value`` (stops counting past :data:`MAX_NESTING`)."""
    if level > MAX_NESTING:
        return level
    if isinstance(value, Mapping):
        return max((depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((depth(v, level + 1) for v in value), default=level + 1)
    return level


def shorten(text: str, room: int = 80) -> str:
    """``text`` cut to ``room`` characters with an ellipsis (for echoing long user input)."""
    return text if len(text) <= room else text[: room - 3] + "..."


def loc_text(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as a key path: ``cards[2].set`` (list indices in brackets)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def unwrap(ann: Any) -> Any:
    """Strip ``Optional``/``X | None`` and ``Annotated`` from an annotation."""
    if typing.get_origin(ann) is typing.Annotated:
        return unwrap(typing.get_args(ann)[0])
    origin = typing.get_origin(ann)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) == 1:
            return unwrap(args[0])
    return ann


def fields_at(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Allowed keys at ``loc`` under the model ``root`` (for "did you mean")."""
    ann: Any = root
    for part in loc:
        ann = unwrap(ann)
        origin = typing.get_origin(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            if part not in ann.model_fields:
                return []
            ann = ann.model_fields[part].annotation
        elif origin is dict:
            ann = typing.get_args(ann)[1]
        elif origin in (tuple, list):
            ann = typing.get_args(ann)[0]
        else:
            return []
    ann = unwrap(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return list(ann.model_fields)
    return []


def reason(err: Mapping[str, Any], root: type[BaseModel] | None = None) -> str:
    """One error's reason in words: unknown keys get a suggestion, values are echoed briefly."""
    kind = err["type"]
    loc = tuple(err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        allowed = fields_at(root, loc[:-1]) if root is not None else []
        return "unknown key" + did_you_mean(str(loc[-1]), allowed, cutoff=0.5)
    if kind == "missing":
        return "required key is missing"
    if kind == "value_error":
        return msg
    value = err.get("input")
    if isinstance(value, (dict, list)):
        shown = "a table" if isinstance(value, dict) else "an array"
    elif isinstance(value, float) and not math.isfinite(value):
        shown = repr(value)
    else:
        shown = shorten(repr(value), 60)
    if kind == "finite_number":
        return f"{shown} is invalid: must be a finite number"
    if kind in ("float_type", "int_type") and isinstance(value, bool):
        return f"{shown} is invalid: expected a number, not true/false"
    return f"{shown} is invalid: {msg}"


def explain(exc: ValidationError, source: str, root: type[BaseModel] | None = None) -> list[str]:
    """One line ``SOURCE: key.path: reason`` per validation error (no pydantic URLs or dumps)."""
    lines = []
    for err in exc.errors():
        path = loc_text(tuple(err["loc"]))
        lines.append(f"{source}: {path + ': ' if path else ''}{reason(err, root)}")
    return lines


def validate(model: type[M], raw: Any, source: str) -> M:
    """``model.model_validate(raw)`` with every problem as one line naming ``source``."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise InputError(explain(exc, source, model)) from None


def load(model: type[M], path: str | os.PathLike[str], what: str = "") -> M:
    """Read a user's TOML file and validate it into ``model`` (one line per problem)."""
    raw = read_toml(path, what)
    return validate(model, raw, f"{what} {Path(path)}".strip())


def check_seed(value: int, where: str = "--seed") -> int:
    """``value`` if it is a valid seed (0 to 2^63-1), else :class:`InputError`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise InputError(f"{where}: {shorten(repr(value), 40)} is invalid: must be 0 to 2^63-1")
    return value


def scalar(value: Any) -> Any:
    """``value`` if it is a yes/no, a finite number or a short word, else ValueError (one reason,
    not one per member of a union)."""
    if isinstance(value, bool | int) or (isinstance(value, str) and len(value) <= 200):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, dict | list):
        shown = "a table" if isinstance(value, dict) else "an array"
    else:
        shown = shorten(repr(value), 40)
    raise ValueError(f"{shown} is invalid: expected a finite number, true/false or a word")


# A value a user sets directly (a game move, an override): yes/no, a finite number or a word.
Scalar = Annotated[Any, AfterValidator(scalar)]


class OverridesFile(InputModel):
    """An overrides file (``sputnik calibrate`` writes one): ``[overrides]`` of dotted paths."""

    overrides: dict[str, Scalar]


def read_overrides_file(path: str | os.PathLike[str], what: str = "--overrides") -> dict[str, Any]:
    """``{dotted.path: value}`` from an overrides file; values are checked when applied.

    Values must be finite numbers, booleans or text (a table or array is refused here).
    """
    parsed = load(OverridesFile, path, what)
    if not parsed.overrides:
        raise InputError(
            f'{what} {path}: overrides: expected a non-empty [overrides] table of "dotted.path" = value'
        )
    return dict(parsed.overrides)
