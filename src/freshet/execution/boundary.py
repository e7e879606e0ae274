"""The boundary around user code: captures its stdout/stderr per step and turns its
exceptions into structured error info, keeping framework frames out of the traceback."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from freshet.core.retries import Failure
from freshet.storage.base import ComputeLogStore, ComputeLogWriter

_FRAMEWORK_DIR = str(Path(__file__).resolve().parents[1])


class UserCodeError(Exception):
    """An exception raised by user code (or a user IO manager/resource) during a step.

    `phase` says which part of the step raised it, for the failure message."""

    def __init__(self, phase: str, original: BaseException) -> None:
        super().__init__(f"{phase}: {type(original).__name__}: {original}")
        self.phase = phase
        self.original = original


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorInfo:
    cls: str
    message: str
    traceback: str
    phase: str

    def to_json(self) -> dict[str, str]:
        return {
            "cls": self.cls,
            "message": self.message,
            "traceback": self.traceback,
            "phase": self.phase,
        }


def _user_frames(exc: BaseException) -> str:
    """The traceback with freshet's own frames removed (the user's frames are what help)."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not f.filename.startswith(_FRAMEWORK_DIR)
    ]
    lines = traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def error_info(error: BaseException, phase: str = "compute") -> ErrorInfo:
    original = error.original if isinstance(error, UserCodeError) else error
    phase = error.phase if isinstance(error, UserCodeError) else phase
    if isinstance(original, Failure):
        message = original.description or "failed"
        return ErrorInfo(cls="Failure", message=message, traceback="", phase=phase)
    return ErrorInfo(
        cls=f"{type(original).__module__}.{type(original).__qualname__}".removeprefix("builtins."),
        message=str(original),
        traceback=_user_frames(original),
        phase=phase,
    )


class _LazyLogStream:
    """A text stream that opens its compute log only when something is written, and also
    passes everything through to the original stream."""

    def __init__(
        self, store: ComputeLogStore, run_id: str, step_key: str, stream: str, passthrough: TextIO
    ) -> None:
        self._store = store
        self._run_id = run_id
        self._step_key = step_key
        self._stream = stream
        self._passthrough = passthrough
        self._writer: ComputeLogWriter | None = None

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            # Text streams refuse bytes; click probes for binary streams by writing b"".
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text:
            if self._writer is None:
                self._writer = self._store.open_writer(self._run_id, self._step_key, self._stream)
            self._writer.write(text)
            self._passthrough.write(text)
        return len(text)

    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()
        self._passthrough.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._passthrough, name)


@contextmanager
def capture_output(store: ComputeLogStore | None, run_id: str, step_key: str) -> Iterator[None]:
    """Send everything the step prints to its compute logs (stdout and stderr)."""
    if store is None:
        yield
        return
    out = _LazyLogStream(store, run_id, step_key, "stdout", sys.stdout)
    err = _LazyLogStream(store, run_id, step_key, "stderr", sys.stderr)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
        out.close()
        err.close()
