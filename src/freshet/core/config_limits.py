"""Bounds on the shape of a run config, checked before validation and before storage: how deep
it nests, that it does not contain itself, and how many values it holds once shared parts are
counted every time they appear (what validating and storing it cost)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from freshet.errors import ConfigError

#: far deeper than any real config, far below Python's recursion limit
MAX_CONFIG_DEPTH = 100
#: values (mappings, lists and scalars), a shared value counted at each place it appears
MAX_CONFIG_VALUES = 1_000_000

_SHOWN_SEGMENTS = 12


def is_model(value: Any) -> bool:
    """Whether `value` is a pydantic model instance (a `Config`, a resource), told without
    importing pydantic: until something has imported it, no instance can exist."""
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(value, pydantic.BaseModel)


def check_config_shape(value: Any, path: str = "") -> None:
    """Raise `ConfigError` naming the path where `value` nests deeper than `MAX_CONFIG_DEPTH`,
    contains itself, or grows past `MAX_CONFIG_VALUES` values. Iterative: no recursion limit."""
    # a stack of (value, depth, path segments, ids of the containers above it)
    stack: list[tuple[Any, int, tuple[str, ...], frozenset[int]]] = [
        (value, 0, (path,) if path else (), frozenset())
    ]
    seen = 0
    while stack:
        current, depth, segments, above = stack.pop()
        seen += 1
        if seen > MAX_CONFIG_VALUES:
            raise ConfigError(
                [
                    f"{_path(segments)}: the run config holds more than {MAX_CONFIG_VALUES:,} "
                    "values (counting shared parts each time they appear); pass large data "
                    "through a resource or an asset instead"
                ]
            )
        children = _children(current)
        if not children:
            continue
        if id(current) in above:
            raise ConfigError([f"{_path(segments)}: the config contains itself"])
        if depth >= MAX_CONFIG_DEPTH:
            raise ConfigError(
                [
                    f"{_path(segments)}: the run config nests more than {MAX_CONFIG_DEPTH} "
                    "levels deep here; flatten it"
                ]
            )
        inside = above | {id(current)}
        for segment, child in reversed(children):
            stack.append((child, depth + 1, (*segments, segment), inside))


def _children(value: Any) -> list[tuple[str, Any]]:
    if is_model(value):
        # a Config instance: its fields, as given (its class bounds the rest of its shape)
        value = dict(value)
    if isinstance(value, Mapping):
        return [(f".{key}", child) for key, child in value.items()]
    if isinstance(value, list | tuple):
        return [(f"[{index}]", child) for index, child in enumerate(value)]
    return []


def _path(segments: tuple[str, ...]) -> str:
    text = "".join(segments).lstrip(".") or "(the run config)"
    if len(segments) <= _SHOWN_SEGMENTS:
        return text
    head = "".join(segments[: _SHOWN_SEGMENTS - 2]).lstrip(".")
    tail = "".join(segments[-2:])
    return f"{head}...{tail} ({len(segments)} levels)"
