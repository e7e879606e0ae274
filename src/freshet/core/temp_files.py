"""Temporary files of atomic writes (`<target>.<pid>-<thread>.tmp`, renamed over the target
when complete), and removing those that killed writers left behind.

A temporary file is stale when the process named in it no longer runs on this machine and it
has not changed for `STALE_AFTER_SECONDS` (so a writer on another machine sharing the folder,
whose pid means nothing here, is still safe while it writes).
"""

from __future__ import annotations

import os
import re
import threading
import time
from contextlib import suppress
from pathlib import Path

STALE_AFTER_SECONDS = 600

_TEMP_NAME = re.compile(r"\.(\d{1,10})-\d{1,20}\.tmp$")
_swept_folders: set[str] = set()
_swept_lock = threading.Lock()


def temp_path_for(path: str) -> str:
    """Where this thread writes `path` before renaming it into place."""
    return f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"


def sweep_folder_once(folder: str) -> None:
    """Remove stale temporary files in `folder` the first time this process writes there."""
    with _swept_lock:
        if folder in _swept_folders:
            return
        _swept_folders.add(folder)
    remove_stale_temp_files(Path(folder))


def remove_stale_temp_files(folder: Path, *, recursive: bool = False) -> int:
    """Delete the stale temporary files in `folder` (and below it); return how many."""
    if os.name == "nt":  # no safe liveness check by pid there
        return 0
    now = time.time()
    removed = 0
    pending = [folder]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:  # gone, or not ours to read: nothing to clean there
            continue
        for entry in entries:
            if recursive and entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
            elif _is_stale(entry, now):
                with suppress(OSError):  # gone already, or the folder is read-only
                    os.unlink(entry.path)
                    removed += 1
    return removed


def _is_stale(entry: os.DirEntry[str], now: float) -> bool:
    match = _TEMP_NAME.search(entry.name)
    if match is None or not entry.is_file(follow_symlinks=False):
        return False
    pid = int(match.group(1))
    if pid == os.getpid() or _is_running(pid):
        return False
    try:
        return now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_SECONDS
    except OSError:
        return False


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OverflowError, OSError):
        # another user's process, or a pid this system cannot have: leave the file alone
        return True
    return True
