"""`freshet init`: write a new, runnable project (pyproject with `[tool.freshet]`, a
definitions module, a test, a README) that `freshet materialize` and `pytest` run as is."""

from __future__ import annotations

import keyword
import os
import re
import shutil
import tempfile
from pathlib import Path

import click

from freshet.cli.common import ExitCode
from freshet.cli.init_templates import (
    DEPENDENCIES,
    DESCRIPTIONS,
    EXAMPLES,
    GITIGNORE,
    PYPROJECT,
    README,
)
from freshet.errors import UsageError

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def project_files(name: str, example: str) -> dict[str, str]:
    """The files of a new project: relative path -> text."""
    package = name.replace("-", "_").lower()
    values = {
        "name": name,
        "package": package,
        "upper": package.upper(),
        "dependencies": DEPENDENCIES[example],
        "what": DESCRIPTIONS[example],
    }
    files = {
        "pyproject.toml": PYPROJECT.format(**values),
        "README.md": README.format(**values),
        ".gitignore": GITIGNORE,
    }
    for path, text in EXAMPLES[example].items():
        files[path.format(**values)] = text.format(**values)
    return files


def _check_name(name: str) -> None:
    package = name.replace("-", "_").lower()
    if not _NAME.match(name) or keyword.iskeyword(package):
        raise UsageError(
            f"project name {name!r} is not usable: start with a letter and use letters, "
            "digits, '_' or '-' (it becomes the Python package "
            f"{package!r})"
        )


def write_project(parent: Path, name: str, example: str) -> Path:
    """Write the project into ``parent/name`` all at once: it is made in a temporary folder
    beside it and renamed into place, so a failure leaves nothing half written."""
    _check_name(name)
    target = parent / name
    if target.exists():
        raise UsageError(f"{target} already exists: choose another name or remove it")
    if not parent.is_dir():
        raise UsageError(f"{parent} is not a folder")
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=parent))
    try:
        for relative, text in project_files(name, example).items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


@click.command("init")
@click.argument("project_name")
@click.option(
    "--example",
    type=click.Choice(sorted(EXAMPLES)),
    default="basic",
    show_default=True,
    help="What the project starts with.",
)
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    help="The folder to create the project in (default: the current one).",
)
def command(project_name: str, example: str, directory: Path) -> ExitCode:
    """Create a new project PROJECT_NAME that runs as generated.

    Then: cd PROJECT_NAME && pip install -e '.[dev]' && freshet materialize --select '*'
    """
    target = write_project(directory.resolve(), project_name, example)
    click.echo(f"created {target} ({example} example)")
    click.echo(
        f"next: cd {project_name} && pip install -e '.[dev]' && "
        "freshet materialize --select '*' && pytest"
    )
    return ExitCode.OK
