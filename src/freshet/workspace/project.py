"""The project a command runs in: the nearest pyproject.toml with a `[tool.freshet]` table, and
where the user said the definitions are. Cheap: no freshet modules beyond errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from freshet.errors import DefinitionsLoadError

PYPROJECT = "pyproject.toml"
_KEYS = ("python_file", "module", "attribute")


@dataclass(frozen=True, slots=True, kw_only=True)
class DefinitionsLocation:
    """Where definitions are: a Python file or a module, and optionally the attribute; or a
    workspace.yaml, and optionally which of its locations."""

    python_file: str | None = None
    module: str | None = None
    attribute: str | None = None
    workspace: str | None = None
    location_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Project:
    """A folder whose pyproject.toml has a `[tool.freshet]` table."""

    root: Path
    location: DefinitionsLocation

    @property
    def pyproject(self) -> Path:
        return self.root / PYPROJECT


def find_project(start: Path) -> Project | None:
    """The nearest folder at or above `start` whose pyproject.toml has `[tool.freshet]`."""
    for folder in (start, *start.parents):
        candidate = folder / PYPROJECT
        if candidate.is_file():
            table = _freshet_table(candidate)
            if table is not None:
                return Project(root=folder, location=_location(candidate, table))
    return None


def _freshet_table(pyproject: Path) -> dict[str, Any] | None:
    try:
        import tomllib  # start-up time: only a project with a pyproject.toml needs it

        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionsLoadError(
            f"{pyproject} is not valid TOML: {exc}; fix the file or pass -f/-m"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionsLoadError(f"cannot read {pyproject}: {exc}") from None
    tool = document.get("tool")
    table = tool.get("freshet") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise DefinitionsLoadError(f"{pyproject}: tool.freshet must be a table ([tool.freshet])")
    return table


def _location(pyproject: Path, table: dict[str, Any]) -> DefinitionsLocation:
    where = f"{pyproject} [tool.freshet]"
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise DefinitionsLoadError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(_KEYS)}"
        )
    for name in _KEYS:
        value = table.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise DefinitionsLoadError(f"{where}: {name} must be a non-empty string, got {value!r}")
    if "python_file" in table and "module" in table:
        raise DefinitionsLoadError(f"{where}: give python_file or module, not both")
    return DefinitionsLocation(
        python_file=table.get("python_file"),
        module=table.get("module"),
        attribute=table.get("attribute"),
    )
