"""Captured stdout/stderr of steps: files under `<base_dir>/<run_id>/<step_key>.out|.err`, or
in memory. Files are created on the first write, since most steps print nothing.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import IO

from freshet.errors import StorageError
from freshet.storage.records import ComputeLogStream

# Names become file names: no separators, no leading dot (".", "..", hidden files), no ':'
# (an alternate data stream on Windows).
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_\-\[\]=,+@][A-Za-z0-9_\-.\[\]=,+@]{0,199}$")


def check_log_name(name: str, what: str) -> str:
    """Return `name` if it is safe as one path component; raise otherwise."""
    if not isinstance(name, str) or not _SAFE_NAME.match(name):
        raise StorageError(
            f"invalid {what} {name!r} for a compute log path: use up to 200 letters, digits "
            "and _-.[]=,+@, not starting with '.'"
        )
    return name


def to_stream(stream: ComputeLogStream | str) -> ComputeLogStream:
    """The stream named by a `ComputeLogStream` or its value ("stdout", "stderr")."""
    try:
        return ComputeLogStream(stream)
    except ValueError:
        expected = ", ".join(repr(s.value) for s in ComputeLogStream)
        raise StorageError(
            f"unknown compute log stream {stream!r}: use ComputeLogStream ({expected})"
        ) from None


class LocalComputeLogStore:
    """Compute logs as files under `base_dir` (created lazily)."""

    def __init__(self, base_dir: str | Path) -> None:
        self._base_dir = Path(base_dir)

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    def path_for(self, run_id: str, step_key: str, stream: ComputeLogStream | str) -> Path:
        """Where a step's stream is (or will be) written; never outside `base_dir`."""
        suffix = to_stream(stream).file_suffix
        run_dir = self._base_dir / check_log_name(run_id, "run id")
        return run_dir / f"{check_log_name(step_key, 'step key')}.{suffix}"

    def open_writer(
        self, run_id: str, step_key: str, stream: ComputeLogStream | str
    ) -> LocalComputeLogWriter:
        return LocalComputeLogWriter(self.path_for(run_id, step_key, stream))

    def read(self, run_id: str, step_key: str, stream: ComputeLogStream | str) -> str | None:
        try:
            return self.path_for(run_id, step_key, stream).read_text(
                encoding="utf-8", errors="replace"
            )
        except FileNotFoundError:
            return None

    def list_steps(self, run_id: str) -> list[str]:
        """Steps of a run that wrote anything, sorted."""
        run_dir = self._base_dir / check_log_name(run_id, "run id")
        suffixes = {f".{s.file_suffix}" for s in ComputeLogStream}
        try:
            return sorted({p.stem for p in run_dir.iterdir() if p.suffix in suffixes})
        except FileNotFoundError:
            return []

    def delete_run_logs(self, run_id: str) -> None:
        run_dir = self._base_dir / check_log_name(run_id, "run id")
        try:
            shutil.rmtree(run_dir)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError(
                f"cannot delete the compute logs of run {run_id!r} in {run_dir} "
                f"({exc.strerror or exc}); check the folder's permissions"
            ) from None


class LocalComputeLogWriter:
    """Appends to one log file, opened on the first non-empty write."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[str] | None = None
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self._path

    def write(self, text: str) -> int:
        if not text:
            return 0
        with self._lock:
            if self._file is None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self._path.open("a", encoding="utf-8", errors="replace")
            return self._file.write(text)

    def flush(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self) -> LocalComputeLogWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class MemoryComputeLogStore:
    """Compute logs kept in memory, for ephemeral instances."""

    def __init__(self) -> None:
        self._chunks: dict[tuple[str, str, ComputeLogStream], list[str]] = {}
        self._lock = threading.Lock()

    def open_writer(
        self, run_id: str, step_key: str, stream: ComputeLogStream | str
    ) -> MemoryComputeLogWriter:
        key = (
            check_log_name(run_id, "run id"),
            check_log_name(step_key, "step key"),
            to_stream(stream),
        )
        return MemoryComputeLogWriter(partial(self._append, key))

    def read(self, run_id: str, step_key: str, stream: ComputeLogStream | str) -> str | None:
        key = (
            check_log_name(run_id, "run id"),
            check_log_name(step_key, "step key"),
            to_stream(stream),
        )
        with self._lock:
            chunks = self._chunks.get(key)
            return None if chunks is None else "".join(chunks)

    def list_steps(self, run_id: str) -> list[str]:
        check_log_name(run_id, "run id")
        with self._lock:
            return sorted({step for (run, step, _) in self._chunks if run == run_id})

    def delete_run_logs(self, run_id: str) -> None:
        check_log_name(run_id, "run id")
        with self._lock:
            for key in [key for key in self._chunks if key[0] == run_id]:
                del self._chunks[key]

    def _append(self, key: tuple[str, str, ComputeLogStream], text: str) -> None:
        with self._lock:
            self._chunks.setdefault(key, []).append(text)


class MemoryComputeLogWriter:
    def __init__(self, append: Callable[[str], None]) -> None:
        self._append = append

    def write(self, text: str) -> int:
        if text:
            self._append(text)
        return len(text)

    def flush(self) -> None:
        """Writes are visible immediately."""

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> MemoryComputeLogWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
