"""Where a code location's definitions come from, as a value any process can store and reload:
a Python file, module or package, the folder to import it from, and the interpreter to use.

Every run records its location's origin (as JSON), so a run worker, a code server or the
daemon can load exactly the same code again without the process that launched it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from freshet.errors import DefinitionsLoadError

ORIGIN_TYPE = "CodeLocationOrigin"
#: bumped when a stored origin could no longer be read the old way
ORIGIN_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeLocationOrigin:
    """How to load one code location: exactly one of `python_file`, `module` and `package`.

    `working_directory` goes first on `sys.path` (so the project's own imports resolve) and is
    the code server's working directory; `executable_path` is the Python that runs the code
    server and the run workers (None: the same interpreter as the process that starts them).
    """

    location_name: str
    python_file: Path | None = None
    module: str | None = None
    package: str | None = None
    attribute: str | None = None
    working_directory: Path
    executable_path: str | None = None

    def __post_init__(self) -> None:
        given = [v for v in (self.python_file, self.module, self.package) if v is not None]
        if len(given) != 1:
            raise DefinitionsLoadError(
                f"code location {self.location_name!r}: give exactly one of python_file, "
                "python_module and python_package"
            )
        check_location_name(self.location_name)

    @property
    def search_path(self) -> Path:
        """The folder put on `sys.path` before importing."""
        return self.working_directory

    @property
    def import_name(self) -> str | None:
        """The module to import, for module and package origins."""
        return self.module if self.module is not None else self.package

    @property
    def description(self) -> str:
        if self.python_file is not None:
            return str(self.python_file)
        if self.module is not None:
            return f"module {self.module}"
        return f"package {self.package}"

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-safe dict with a stable type name and version (stored on every run)."""
        return {
            "__type__": ORIGIN_TYPE,
            "version": ORIGIN_VERSION,
            "location_name": self.location_name,
            "python_file": None if self.python_file is None else str(self.python_file),
            "module": self.module,
            "package": self.package,
            "attribute": self.attribute,
            "working_directory": str(self.working_directory),
            "executable_path": self.executable_path,
        }

    @classmethod
    def from_json_dict(cls, data: Any) -> CodeLocationOrigin:
        if not isinstance(data, dict) or data.get("__type__") != ORIGIN_TYPE:
            raise DefinitionsLoadError(f"not a stored code location origin: {data!r:.200}")
        version = data.get("version")
        if not isinstance(version, int) or version > ORIGIN_VERSION:
            raise DefinitionsLoadError(
                f"code location origin of format version {version!r} was written by a newer "
                f"freshet (this one reads up to {ORIGIN_VERSION}); upgrade freshet"
            )
        python_file = data.get("python_file")
        return cls(
            location_name=data["location_name"],
            python_file=None if python_file is None else Path(python_file),
            module=data.get("module"),
            package=data.get("package"),
            attribute=data.get("attribute"),
            working_directory=Path(data["working_directory"]),
            executable_path=data.get("executable_path"),
        )


def check_location_name(name: Any) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise DefinitionsLoadError(
            f"code location name {name!r} is not valid: use letters, digits, '_', '-' and '.'"
        )


def default_location_name(
    *, python_file: Path | None = None, module: str | None = None, package: str | None = None
) -> str:
    """The name a location gets when none is given: the file's stem or the module's name."""
    if python_file is not None:
        raw = python_file.stem
    else:
        raw = module if module is not None else package or "definitions"
    cleaned = re.sub(r"[^A-Za-z0-9_.\-]", "_", raw)
    return cleaned if _NAME.match(cleaned) else f"_{cleaned}"
