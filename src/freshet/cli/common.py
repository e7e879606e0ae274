"""What the command modules share: global options, finding definitions and the instance home,
and plain-text/JSON output helpers. Cheap to import: no storage or validation libraries."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import Any, TypeVar

import click

from freshet.workspace.project import DefinitionsLocation, find_project

HOME_ENV = "FRESHET_HOME"
HOME_DIR_NAME = ".freshet"

#: `--limit` of the list commands: a bound keeps the number within what SQL's LIMIT takes
LIST_LIMIT = click.IntRange(min=1, max=1_000_000)

_LOCATION_KEYS = ("python_file", "module", "attribute", "workspace", "location_name")
F = TypeVar("F", bound=Callable[..., Any])


class ExitCode(IntEnum):
    OK = 0
    RUN_FAILED = 1
    #: a usage, definitions, selection or config error: nothing ran
    USAGE_ERROR = 2
    INTERRUPTED = 130


@dataclass(frozen=True, slots=True, kw_only=True)
class GlobalOptions:
    """The options given to `freshet` itself, before the command name."""

    python_file: str | None = None
    module: str | None = None
    attribute: str | None = None
    workspace: str | None = None
    location_name: str | None = None
    home: Path | None = None
    debug: bool = False


class Session:
    """The click context object: holds the global options so that error reporting, which
    runs after the command's context is gone, still knows whether `--debug` was given."""

    def __init__(self) -> None:
        self.options = GlobalOptions()


def global_options(ctx: click.Context) -> GlobalOptions:
    session = ctx.find_object(Session)
    return session.options if session is not None else GlobalOptions()


# ---- definitions ---------------------------------------------------------------------------


def _remember_location(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is not None:
        ctx.meta[f"freshet.{param.name}"] = value
    return value


def definitions_options(command: F) -> F:
    """`-f/-m/-a/-w/-l` on a command too, so `freshet materialize -f defs.py` works as
    expected."""
    specs = (
        ("-l", "--location", "location_name", "NAME", "The code location of -w to use."),
        ("-w", "--workspace", "workspace", "FILE", "Load code locations from a workspace.yaml."),
        ("-a", "--attribute", "attribute", "NAME", "The Definitions attribute to load."),
        ("-m", "--module", "module", "MODULE", "Load definitions from this module."),
        ("-f", "--file", "python_file", "FILE", "Load definitions from this Python file."),
    )
    for short, long, name, metavar, help_text in specs:
        command = click.option(
            short,
            long,
            name,
            metavar=metavar,
            help=help_text,
            expose_value=False,
            callback=_remember_location,
        )(command)
    return command


def definitions_location(ctx: click.Context) -> DefinitionsLocation:
    """Where the user said the definitions are (command options win over global ones)."""
    options = global_options(ctx)
    given = {key: ctx.meta.get(f"freshet.{key}", getattr(options, key)) for key in _LOCATION_KEYS}
    return DefinitionsLocation(**given)


def home_path(ctx: click.Context) -> Path | None:
    """--home, else $FRESHET_HOME, else `.freshet` beside the project's pyproject.toml; None
    leaves the choice to the instance (./.freshet)."""
    options = global_options(ctx)
    if options.home is not None:
        return options.home
    if os.environ.get(HOME_ENV):
        return None
    project = find_project(Path.cwd())
    return project.root / HOME_DIR_NAME if project is not None else None


# ---- output --------------------------------------------------------------------------------


def format_duration(milliseconds: float | None) -> str:
    if milliseconds is None:
        return "-"
    if milliseconds < 10:
        return f"{milliseconds:.1f} ms"
    if milliseconds < 1000:
        return f"{milliseconds:.0f} ms"
    seconds = milliseconds / 1000
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m {rest:02d}s"


def format_time(timestamp: float | None) -> str:
    """A local date and time to the second, for tables."""
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def format_metadata(metadata: Mapping[str, Any]) -> str:
    """`name=value, ...` of stored metadata entries ({"type": ..., "value": ...} each)."""
    parts = []
    for name, entry in metadata.items():
        value = entry.get("value") if isinstance(entry, Mapping) else entry
        parts.append(f"{name}={value}")
    return ", ".join(parts)


def iso_time(timestamp: float | None) -> str | None:
    """An ISO 8601 UTC timestamp, for JSON output."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat()


def echo_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Left-aligned columns, two spaces apart; the last column is not padded."""
    rows = [list(headers), *(list(row) for row in rows)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(headers) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]).rstrip())


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=False, default=str))
