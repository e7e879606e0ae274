"""Turns pydantic validation errors into freshet's one-line ``path: message`` config problems,
e.g. ``ops.top.config.limit: expected int, got 'ten'``.
"""

from __future__ import annotations

import collections.abc
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from freshet.core.run_config import short_repr

# pydantic error type -> the name of what was expected, for "expected X, got Y" messages.
_EXPECTED: dict[str, str] = {
    "int_type": "int",
    "int_parsing": "int",
    "int_from_float": "int",
    "int_parsing_size": "int",
    "float_type": "float",
    "float_parsing": "float",
    "bool_type": "bool",
    "bool_parsing": "bool",
    "string_type": "str",
    "bytes_type": "bytes",
    "list_type": "list",
    "tuple_type": "list",
    "set_type": "list",
    "frozen_set_type": "list",
    "iterable_type": "list",
    "dict_type": "mapping",
    "mapping_type": "mapping",
    "model_type": "mapping",
    "model_attributes_type": "mapping",
    "dataclass_type": "mapping",
    "none_required": "null",
    "date_type": "date",
    "date_parsing": "date",
    "date_from_datetime_parsing": "date",
    "datetime_type": "datetime",
    "datetime_parsing": "datetime",
    "datetime_from_date_parsing": "datetime",
    "time_type": "time",
    "time_parsing": "time",
    "timedelta_type": "duration",
    "timedelta_parsing": "duration",
    "decimal_type": "decimal",
    "decimal_parsing": "decimal",
    "uuid_type": "uuid",
    "uuid_parsing": "uuid",
    "path_type": "path",
}

_SEQUENCE_ORIGINS = (
    list,
    tuple,
    set,
    frozenset,
    collections.abc.Sequence,
    collections.abc.Set,
    collections.abc.Iterable,
)
_MAPPING_ORIGINS = (dict, collections.abc.Mapping)

Loc = tuple[str | int, ...]


class _Unknown:
    """Marks a position in the loc where the annotation is no longer known."""


_UNKNOWN = _Unknown()


def join_path(path: str, loc: Loc) -> str:
    """``ops.top.config`` + ``("items", 2)`` -> ``ops.top.config.items[2]``."""
    parts = [path]
    for item in loc:
        parts.append(f"[{item}]" if isinstance(item, int) else f".{item}")
    return "".join(parts)


def field_keys(model: type[BaseModel]) -> list[str]:
    """The keys a model accepts in config input (aliases where set)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional-of-one, which add no position to pydantic's loc."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin is typing.Union or origin is types.UnionType:
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _union_member(annotation: Any, tag: Any) -> Any:
    for member in typing.get_args(annotation):
        if isinstance(member, type) and member.__name__ == tag:
            return member
    return _UNKNOWN


def _step(annotation: Any, item: Any) -> Any:
    """The annotation one loc position deeper, or _UNKNOWN."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if _is_model(annotation):
        for name, info in annotation.model_fields.items():
            if (info.alias or name) == item:
                return info.annotation
        return _UNKNOWN
    if origin in _SEQUENCE_ORIGINS and isinstance(item, int) and args:
        if origin is tuple and args[-1] is not Ellipsis:
            return args[item] if item < len(args) else _UNKNOWN
        return args[0]
    if origin in _MAPPING_ORIGINS and len(args) == 2:
        return args[1]
    return _UNKNOWN


def clean_loc(root: Any, loc: Loc) -> tuple[Loc, type[BaseModel] | None]:
    """Drop pydantic's union-member tags from ``loc``; also return the model owning the last key.

    The walk follows the annotations: where a union has several members, the next loc item is
    a tag naming the member, not a config key.
    """
    annotation: Any = root
    owner: type[BaseModel] | None = None
    out: list[str | int] = []
    for item in loc:
        if annotation is not _UNKNOWN:
            annotation = _unwrap(annotation)
            origin = typing.get_origin(annotation)
            if origin is typing.Union or origin is types.UnionType:
                annotation = _union_member(annotation, item)
                continue
        owner = annotation if _is_model(annotation) else None
        out.append(item)
        annotation = _UNKNOWN if annotation is _UNKNOWN else _step(annotation, item)
    return tuple(out), owner


def _expected(error: Mapping[str, Any]) -> str | None:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in ("literal_error", "enum"):
        return f"one of {ctx.get('expected', '?')}"
    if kind == "is_instance_of":
        return str(ctx.get("class", "an instance"))
    return _EXPECTED.get(kind)


def _message(
    error: Mapping[str, Any], owner: type[BaseModel] | None, env_name: str | None
) -> tuple[str | None, str]:
    kind = error["type"]
    if kind == "missing":
        return None, "required field missing"
    if kind == "extra_forbidden":
        if owner is None:
            return None, "unknown config key"
        valid = ", ".join(field_keys(owner)) or "none"
        return None, f"unknown config key (valid keys: {valid})"
    got = (
        f"the value of environment variable {env_name!r}"
        if env_name is not None
        else short_repr(error.get("input"))
    )
    expected = _expected(error)
    if expected is not None:
        return expected, f"expected {expected}, got {got}"
    msg = str(error.get("msg", "invalid value"))
    return None, f"{msg[:1].lower()}{msg[1:]}, got {got}"


def _merge(messages: list[tuple[str | None, str]]) -> str:
    if len(messages) == 1:
        return messages[0][1]
    expected = [e for e, _ in messages]
    if all(e is not None for e in expected):
        got = messages[0][1].split(", got ", 1)[1]
        return f"expected {' or '.join(dict.fromkeys(e for e in expected if e))}, got {got}"
    return "; or ".join(dict.fromkeys(text for _, text in messages))


def format_validation_error(
    exc: ValidationError,
    *,
    root: Any,
    path: str,
    env_locs: Mapping[Loc, str] | None = None,
    skip_locs: frozenset[Loc] = frozenset(),
) -> list[str]:
    """One ``path: message`` line per failing position of ``exc``.

    ``root`` is the annotation validated (a model class or a type); ``env_locs`` maps positions
    whose value came from an environment variable to its name, so the value is never shown;
    errors under ``skip_locs`` (already reported, e.g. an unset variable) are dropped.
    """
    grouped: dict[Loc, list[tuple[str | None, str]]] = {}
    env_locs = env_locs or {}
    for error in exc.errors(include_url=False):
        loc, owner = clean_loc(root, tuple(error["loc"]))
        if any(loc[: len(s)] == s for s in skip_locs):
            continue
        grouped.setdefault(loc, []).append(_message(error, owner, env_locs.get(loc)))
    return [f"{join_path(path, loc)}: {_merge(msgs)}" for loc, msgs in grouped.items()]
