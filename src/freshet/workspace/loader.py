"""Finding a project's `Definitions`: from `-f file.py`, `-m module`, or `[tool.freshet]` in the
nearest pyproject.toml. Import failures are reported with the user's frames only."""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import os
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import NoReturn

from freshet.definitions import Definitions, LazyDefinitions
from freshet.errors import DefinitionsLoadError, FreshetError
from freshet.workspace.origin import CodeLocationOrigin, default_location_name
from freshet.workspace.project import DefinitionsLocation, find_project


def _hidden_frame_prefixes() -> tuple[str, ...]:
    """Frames from these places are import machinery or freshet, not the user's code."""
    folders = (Path(__file__).parents[1], Path(importlib.__file__).parent)
    paths = {str(path) + os.sep for folder in folders for path in (folder, folder.resolve())}
    return ("<frozen ", *sorted(paths))


_HIDDEN_FRAMES = _hidden_frame_prefixes()
_HOW_TO_POINT = (
    "pass -f path/to/defs.py or -m package.module, or add to pyproject.toml:\n"
    '  [tool.freshet]\n  python_file = "defs.py"'
)


# ---- finding the target ----------------------------------------------------------------


def find_origins(given: DefinitionsLocation, cwd: Path) -> list[CodeLocationOrigin]:
    """Every location the user pointed at: those of `-w workspace.yaml` (or the one named by
    `-l`), else the one of `-f`/`-m`/`[tool.freshet]`."""
    if given.workspace is None:
        if given.location_name is not None:
            raise DefinitionsLoadError("-l/--location names a location of -w/--workspace")
        return [find_origin(given, cwd)]
    if given.python_file is not None or given.module is not None:
        raise DefinitionsLoadError("give -w/--workspace or -f/-m, not both")
    # Imported here for start-up time: reading workspace.yaml needs PyYAML (~30 ms).
    from freshet.workspace.workspace_file import load_workspace_file

    origins = load_workspace_file(cwd / given.workspace)
    if given.location_name is None:
        return origins
    return [_pick_location(origins, given.location_name, given.workspace)]


def _pick_location(origins: list[CodeLocationOrigin], name: str, where: str) -> CodeLocationOrigin:
    for origin in origins:
        if origin.location_name == name:
            return origin
    names = [origin.location_name for origin in origins]
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise DefinitionsLoadError(
        f"{where} has no code location named {name!r} (locations: {', '.join(names)}){hint}"
    )


def find_origin(given: DefinitionsLocation, cwd: Path) -> CodeLocationOrigin:
    """Resolve the command-line location, or else `[tool.freshet]`, to one origin (with a
    workspace: its only location, or the one `-l` names)."""
    if given.workspace is not None:
        origins = find_origins(given, cwd)
        if len(origins) > 1:
            raise DefinitionsLoadError(
                f"{given.workspace} lists {len(origins)} code locations "
                f"({', '.join(o.location_name for o in origins)}); choose one with -l/--location"
            )
        return origins[0]
    if given.python_file is not None and given.module is not None:
        raise DefinitionsLoadError("give -f/--file or -m/--module, not both")
    if given.python_file is not None:
        return _file_origin((cwd / given.python_file).resolve(), given.attribute)
    if given.module is not None:
        return _module_origin(given.module, given.attribute, cwd)
    project = find_project(cwd)
    if project is None:
        raise DefinitionsLoadError(f"no definitions to load: {_HOW_TO_POINT}")
    found = project.location
    attribute = given.attribute or found.attribute
    if found.python_file is not None:
        return _file_origin((project.root / found.python_file).resolve(), attribute)
    if found.module is not None:
        return _module_origin(found.module, attribute, project.root)
    raise DefinitionsLoadError(
        f"{project.pyproject} [tool.freshet] names neither python_file nor module: {_HOW_TO_POINT}"
    )


def _file_origin(path: Path, attribute: str | None) -> CodeLocationOrigin:
    return CodeLocationOrigin(
        location_name=default_location_name(python_file=path),
        python_file=path,
        attribute=attribute,
        working_directory=path.parent,
    )


def _module_origin(module: str, attribute: str | None, cwd: Path) -> CodeLocationOrigin:
    return CodeLocationOrigin(
        location_name=default_location_name(module=module),
        module=module,
        attribute=attribute,
        working_directory=cwd,
    )


# ---- importing ---------------------------------------------------------------------------


def load_definitions_at(given: DefinitionsLocation, cwd: Path) -> Definitions:
    """The Definitions at `given` (or per `[tool.freshet]` above `cwd`)."""
    return load_definitions(find_origin(given, cwd))


def load_definitions(origin: CodeLocationOrigin) -> Definitions:
    """Import the origin's code in this process and return its Definitions."""
    search_path = str(origin.search_path)
    if search_path not in sys.path:
        sys.path.insert(0, search_path)
    if origin.python_file is not None:
        module = _import_file(origin.python_file)
    else:
        assert origin.import_name is not None
        module = _import_module(origin.import_name)
    return _pick_definitions(module, origin)


def _import_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise DefinitionsLoadError(f"no such file: {path}; {_HOW_TO_POINT}")
    name = path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise DefinitionsLoadError(f"cannot import {path}: not a Python file (expected *.py)")
    module = importlib.util.module_from_spec(spec)
    # Registered under its plain name so that pickled values of classes it defines can be
    # loaded again by name (the file's folder is on sys.path).
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        _restore(name, previous)
        _raise_import_failure(exc, str(path))
    return module


def _restore(name: str, previous: ModuleType | None) -> None:
    if previous is None:
        sys.modules.pop(name, None)
    else:
        sys.modules[name] = previous


def _import_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise DefinitionsLoadError(
                f"no module named {name!r} (from -m or [tool.freshet] module); check the name, "
                "install the project (pip install -e .) or run from its folder"
            ) from None
        _raise_import_failure(exc, f"module {name}")
    except BaseException as exc:
        _raise_import_failure(exc, f"module {name}")


def _raise_import_failure(exc: BaseException, where: str) -> NoReturn:
    """Re-raise clear errors as they are; wrap anything else with the user's frames."""
    if isinstance(exc, FreshetError | KeyboardInterrupt):
        raise exc
    raise DefinitionsLoadError(
        f"could not import {where}:\n{user_traceback(exc)}"
        "Fix the error above, then run the command again (add --debug for the full traceback)."
    ) from exc


def user_traceback(exc: BaseException) -> str:
    """The traceback of `exc` without freshet's and importlib's frames."""
    hidden = _HIDDEN_FRAMES + _validation_library_frames()
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not frame.filename.startswith(hidden)
    ]
    message = "".join(traceback.format_exception_only(type(exc), exc)).splitlines(keepends=True)
    # pydantic ends its messages with a link to its own docs, not the user's
    kept = [line for line in message if "errors.pydantic.dev" not in line]
    return "".join(traceback.format_list(frames) + kept)


def _validation_library_frames() -> tuple[str, ...]:
    """The folders of pydantic (a Config or resource class validating its fields): their
    frames say nothing about the user's mistake. Found without importing them."""
    folders = []
    for name in ("pydantic", "pydantic_core"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            folders.extend(str(Path(p)) + os.sep for p in spec.submodule_search_locations)
    return tuple(folders)


def _pick_definitions(module: ModuleType, target: CodeLocationOrigin) -> Definitions:
    where = target.description
    found = _definitions_in(module)
    if target.attribute is not None:
        if not hasattr(module, target.attribute):
            others = f"; Definitions in it: {', '.join(found)}" if found else ""
            raise DefinitionsLoadError(
                f"{where} has no attribute {target.attribute!r} (-a/--attribute){others}"
            )
        value = getattr(module, target.attribute)
        if isinstance(value, LazyDefinitions):
            value = value.build()
        if not isinstance(value, Definitions):
            raise DefinitionsLoadError(
                f"{where}: {target.attribute!r} is not a Definitions (it is of type "
                f"{type(value).__name__}); point -a at a `fr.Definitions(...)` object"
            )
        return value
    if not found:
        raise DefinitionsLoadError(
            f"no Definitions found in {where}; add `defs = fr.Definitions(assets=[...])`"
        )
    if len(found) > 1:
        raise DefinitionsLoadError(
            f"{where} defines {len(found)} Definitions objects ({', '.join(found)}); choose one "
            'with -a NAME or `attribute = "NAME"` in [tool.freshet]'
        )
    return next(iter(found.values()))


def _definitions_in(module: ModuleType) -> dict[str, Definitions]:
    """Module-level Definitions by first name bound (one object bound twice counts once)."""
    by_identity: dict[int, tuple[str, Definitions]] = {}
    for name, value in vars(module).items():
        if isinstance(value, LazyDefinitions):
            value = value.build()
        if isinstance(value, Definitions):
            by_identity.setdefault(id(value), (name, value))
    return dict(by_identity.values())
