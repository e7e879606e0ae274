"""An inter-process write lock on a file beside a SQLite database: freshet's writers queue in
the kernel for it instead of polling SQLite's lock, which is what ends in "database is locked".

SQLite's busy handler sleeps and retries; a writer that keeps committing can win every retry
and starve the others past any timeout. A blocking `flock` wakes a waiter the moment the lock
is free and has no timeout, and the kernel drops it when its holder dies, even on kill -9.
Where `fcntl` does not exist (Windows) the lock is a no-op and SQLite's busy timeout remains.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType

from freshet.errors import StorageError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = "-writer.lock"


class FileWriteLock(AbstractContextManager["FileWriteLock"]):
    """Exclusive while held; not reentrant; one per storage object (callers add a thread lock).

    The file is opened on first use and reopened after a fork, because a child that shared its
    parent's open file would share its lock too.
    """

    __slots__ = ("_fd", "_path", "_pid")

    def __init__(self, database: Path) -> None:
        self._path = database.with_name(database.name + LOCK_SUFFIX)
        self._fd: int | None = None
        self._pid = os.getpid()

    @property
    def path(self) -> Path:
        return self._path

    def __enter__(self) -> FileWriteLock:
        if fcntl is not None:
            fcntl.flock(self._descriptor(), fcntl.LOCK_EX)
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        if fcntl is not None and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None

    def _descriptor(self) -> int:
        if self._pid != os.getpid():
            self._pid, self._fd = os.getpid(), None
        if self._fd is None:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise StorageError(
                    f"cannot open the write lock file {self._path} ({exc.strerror or exc}); "
                    "the folder of the instance database must be writable"
                ) from None
        return self._fd
