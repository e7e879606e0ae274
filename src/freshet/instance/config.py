"""Reads and validates `freshet.yaml`, the optional configuration file of an instance home."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from freshet.errors import InstanceConfigError

CONFIG_FILE = "freshet.yaml"

_TOP_LEVEL_KEYS = ("storage",)
_STORAGE_KINDS = ("sqlite",)
_SQLITE_KEYS = ("path",)


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceConfig:
    """What freshet.yaml chose; None means the home's default."""

    sqlite_path: Path | None = None


def load_instance_config(home: Path) -> InstanceConfig:
    """The config of `home`; defaults when it has no freshet.yaml or an empty one."""
    file = home / CONFIG_FILE
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return InstanceConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceConfigError(f"cannot read {file} ({exc}); fix or remove it") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None)
        detail = f" ({problem})" if problem else ""
        raise InstanceConfigError(f"{file} is not valid YAML{at}{detail}; fix its syntax") from None
    return parse_instance_config(doc, file, home)


def parse_instance_config(doc: Any, file: Path, home: Path) -> InstanceConfig:
    """Validate a parsed freshet.yaml, reporting every problem at once."""
    problems: list[str] = []
    if doc is None:
        return InstanceConfig()
    top = _mapping(doc, "(top level)", _TOP_LEVEL_KEYS, problems)
    storage = _mapping(top.get("storage"), "storage", _STORAGE_KINDS, problems)
    chosen = [kind for kind in storage if kind in _STORAGE_KINDS]
    if len(chosen) > 1:
        problems.append(f"storage: choose one backend, got {', '.join(chosen)}")
    sqlite = _mapping(storage.get("sqlite"), "storage.sqlite", _SQLITE_KEYS, problems)
    raw_path = sqlite.get("path")
    sqlite_path: Path | None = None
    if raw_path is not None:
        if isinstance(raw_path, str) and raw_path.strip():
            sqlite_path = home / Path(raw_path).expanduser()
        else:
            problems.append(f"storage.sqlite.path: expected a file path, got {raw_path!r}")
    if problems:
        body = "".join(f"\n  - {problem}" for problem in problems)
        raise InstanceConfigError(f"{file} is invalid ({len(problems)} problem(s)):{body}")
    return InstanceConfig(sqlite_path=sqlite_path)


def _mapping(
    value: Any, path: str, allowed: tuple[str, ...], problems: list[str]
) -> Mapping[str, Any]:
    """`value` as a mapping (None counts as empty); record wrong types and unknown keys."""
    if value is None:
        return {}
    expected = ", ".join(allowed)
    if not isinstance(value, Mapping):
        problems.append(f"{path}: expected a mapping with keys {expected}, got {value!r}")
        return {}
    for key in value:
        if key not in allowed:
            where = str(key) if path == "(top level)" else f"{path}.{key}"
            problems.append(f"{where}: unknown key; expected one of: {expected}")
    return value
