"""Pickle files under a folder, with no config and no pydantic: what `FilesystemIOManager` (a
configurable resource) stores through, and the default IO manager of a run whose run config
does not configure it."""

from __future__ import annotations

import hashlib
import os
import pickle
from contextlib import suppress
from typing import Any, BinaryIO
from urllib.parse import quote

from freshet.core.io_managers import (
    InputContext,
    IOManager,
    OutputContext,
    describe_target,
    load_each_identifier,
)
from freshet.core.results import DataVersion
from freshet.core.temp_files import sweep_folder_once, temp_path_for
from freshet.errors import ExecutionError, UsageError

_DOT_NAMES = {"": "%", ".": "%2E", "..": "%2E%2E"}


def _safe_component(part: str) -> str:
    """A path component that stays inside its folder: partition keys are user input.

    Escaping is collision-free: "%" is escaped too, and the dot names map to forms `quote`
    never produces.
    """
    if "/" in part or "\\" in part or "%" in part or "\x00" in part:
        return quote(part, safe="")
    return _DOT_NAMES.get(part, part)


class _HashingWriter:
    """Feeds every byte written to a hash on its way to the file: no second pass to read it."""

    __slots__ = ("_file", "_hash")

    def __init__(self, file: BinaryIO, digest: Any) -> None:
        self._file = file
        self._hash = digest

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        return self._file.write(data)


def _open_for_write(path: str) -> BinaryIO:
    try:
        return open(path, "wb")
    except FileNotFoundError:  # the folder is made once, on first write, not checked each time
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return open(path, "wb")


def write_pickle_atomically(path: str, obj: Any, what: str) -> str:
    """Pickle ``obj`` to ``path`` via a temp file and `os.replace`; return the bytes' sha256.

    A crash mid-write leaves the previous file (or none), never half a file; the temp files of
    writers that were killed are removed by the next process to write in the same folder.
    """
    sweep_folder_once(os.path.dirname(path))
    tmp = temp_path_for(path)
    digest = hashlib.sha256()
    try:
        with _open_for_write(tmp) as file:
            pickle.dump(obj, _HashingWriter(file, digest), protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        with suppress(OSError):
            os.unlink(tmp)
        raise ExecutionError(
            f"cannot store {what}: a {type(obj).__name__} cannot be pickled ({exc}); return a "
            "picklable value, or set io_manager_key to an IO manager that can store it"
        ) from exc
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    return digest.hexdigest()


class PickleFilesIOManager(IOManager):
    """Pickles each output under ``base_dir``, else the run's storage folder:
    ``<base>/<asset key path>[/<partition>]``, or ``<base>/<run id>/<step key>/<output>`` for op
    outputs. Returns the sha256 of the bytes written as the data version.
    """

    def __init__(self, base_dir: str | None = None) -> None:
        self.base_dir = base_dir

    def _path(self, base_dir: str, identifier: list[str]) -> str:
        base = self.base_dir or base_dir
        if not base:
            raise UsageError(
                "FilesystemIOManager has no folder to write to: pass "
                "FilesystemIOManager(base_dir=...) or run with an instance"
            )
        return os.path.join(base, *map(_safe_component, identifier))

    def handle_output(self, context: OutputContext, obj: Any) -> DataVersion:
        path = self._path(context.base_dir, context.get_identifier())
        what = describe_target(context, context.partition_key)
        return DataVersion(write_pickle_atomically(path, obj, what))

    def load_input(self, context: InputContext) -> Any:
        return load_each_identifier(
            context, lambda identifier, partition: self._load(context, identifier, partition)
        )

    def _load(self, context: InputContext, identifier: list[str], partition: str | None) -> Any:
        path = self._path(context.base_dir, identifier)
        try:
            file = open(path, "rb")  # noqa: SIM115 - closed by the `with` below
        except FileNotFoundError:
            raise ExecutionError(
                f"input {context.name!r}: no stored value for {describe_target(context, partition)} "
                f"at {path}; materialize it first"
            ) from None
        with file:
            return pickle.load(file)
