"""`workspace.yaml`: the code locations a host (CLI, daemon, web server) loads side by side.

    load_from:
      - python_file: defs.py                      # shorthand
      - python_file:
          relative_path: team_a/defs.py
          location_name: team_a
          working_directory: team_a               # default: the file's folder
          executable_path: /opt/venvs/a/bin/python
          attribute: defs
      - python_module: {module_name: team_b.defs, working_directory: team_b}
      - python_package: {package_name: team_c}

Relative paths are relative to the folder of workspace.yaml. Every problem names the file,
the entry and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from freshet.errors import DefinitionsLoadError
from freshet.workspace.origin import CodeLocationOrigin, check_location_name, default_location_name

_KINDS = {
    "python_file": "relative_path",
    "python_module": "module_name",
    "python_package": "package_name",
}
_COMMON_KEYS = ("location_name", "working_directory", "executable_path", "attribute")


class WorkspaceFileError(DefinitionsLoadError):
    """workspace.yaml cannot be read or names locations that cannot exist."""


def load_workspace_file(path: Path) -> list[CodeLocationOrigin]:
    """The origins listed in a workspace.yaml, checked: every problem is reported at once."""
    path = path.resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WorkspaceFileError(f"no such workspace file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceFileError(f"cannot read workspace file {path}: {exc}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise WorkspaceFileError(f"{path} is not valid YAML: {exc}") from None
    return parse_workspace(document, path)


def parse_workspace(document: Any, path: Path) -> list[CodeLocationOrigin]:
    if not isinstance(document, dict):
        raise WorkspaceFileError(
            f"{path}: expected a mapping with a 'load_from' list, e.g.\n"
            "  load_from:\n    - python_file: defs.py"
        )
    unknown = sorted(set(document) - {"load_from"})
    if unknown:
        raise WorkspaceFileError(
            f"{path}: unknown key(s) {', '.join(map(str, unknown))}; allowed: load_from"
        )
    entries = document.get("load_from")
    if not isinstance(entries, list) or not entries:
        raise WorkspaceFileError(f"{path}: 'load_from' must be a non-empty list of locations")
    problems: list[str] = []
    origins: list[CodeLocationOrigin] = []
    for index, entry in enumerate(entries):
        where = f"load_from[{index}]"
        try:
            origins.append(_origin(entry, path.parent, where))
        except DefinitionsLoadError as exc:
            problems.append(str(exc))
    seen: dict[str, int] = {}
    for index, origin in enumerate(origins):
        if origin.location_name in seen:
            problems.append(
                f"two locations are named {origin.location_name!r}; give each a distinct "
                "location_name"
            )
        seen.setdefault(origin.location_name, index)
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise WorkspaceFileError(f"{path} has {len(problems)} problem(s):\n{listed}")
    return origins


def _origin(entry: Any, base: Path, where: str) -> CodeLocationOrigin:
    if not isinstance(entry, dict) or len(entry) != 1:
        raise WorkspaceFileError(
            f"{where}: each location is one of {', '.join(_KINDS)} (a mapping with one key)"
        )
    ((kind, body),) = entry.items()
    if kind not in _KINDS:
        raise WorkspaceFileError(
            f"{where}: unknown location kind {kind!r}; use one of {', '.join(_KINDS)}"
        )
    main_key = _KINDS[kind]
    if isinstance(body, str):
        body = {main_key: body}
    if not isinstance(body, dict):
        raise WorkspaceFileError(f"{where}.{kind}: expected a path/name or a mapping")
    unknown = sorted(set(body) - {main_key, *_COMMON_KEYS})
    if unknown:
        raise WorkspaceFileError(
            f"{where}.{kind}: unknown key(s) {', '.join(map(str, unknown))}; allowed: "
            f"{', '.join((main_key, *_COMMON_KEYS))}"
        )
    for key, value in body.items():
        if not isinstance(value, str) or not value.strip():
            raise WorkspaceFileError(f"{where}.{kind}.{key}: expected a non-empty string")
    if main_key not in body:
        raise WorkspaceFileError(f"{where}.{kind}: missing {main_key}")
    target = body[main_key]
    working_directory = body.get("working_directory")
    wd = (base / working_directory).resolve() if working_directory else None
    if wd is not None and not wd.is_dir():
        raise WorkspaceFileError(f"{where}.{kind}.working_directory: no such folder: {wd}")
    python_file = module = package = None
    if kind == "python_file":
        python_file = (base / target).resolve()
        if not python_file.is_file():
            raise WorkspaceFileError(f"{where}.python_file: no such file: {python_file}")
        wd = wd or python_file.parent
    elif kind == "python_module":
        module = target
    else:
        package = target
    name = body.get("location_name") or default_location_name(
        python_file=python_file, module=module, package=package
    )
    try:
        check_location_name(name)
    except DefinitionsLoadError as exc:
        raise WorkspaceFileError(f"{where}.{kind}.location_name: {exc}") from None
    executable = body.get("executable_path")
    if executable is not None:
        resolved = Path(executable)
        if not resolved.is_absolute():
            resolved = (base / resolved).resolve()
        if not resolved.is_file():
            raise WorkspaceFileError(f"{where}.{kind}.executable_path: no such file: {resolved}")
        executable = str(resolved)
    return CodeLocationOrigin(
        location_name=name,
        python_file=python_file,
        module=module,
        package=package,
        attribute=body.get("attribute"),
        working_directory=wd or base,
        executable_path=executable,
    )
