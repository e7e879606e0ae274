"""The daemon's loop: runs each duty when it is due, records a heartbeat per duty after each
tick (with its error, if it raised), and sleeps until the next one is due."""

from __future__ import annotations

import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Sequence

from freshet.daemon.duty import Duty
from freshet.errors import UsageError
from freshet.storage.base import Storage
from freshet.storage.state_records import Heartbeat, HeartbeatKind

MAX_SLEEP_SECONDS = 1.0


class DaemonLoop:
    def __init__(self, storage: Storage, duties: Sequence[Duty]) -> None:
        names = [duty.name for duty in duties]
        if len(set(names)) != len(names):
            raise UsageError(f"daemon duties must have distinct names, got {names}")
        self._storage = storage
        self._duties = list(duties)
        self.daemon_id = str(uuid.uuid4())
        self._identity = {
            "daemon_id": self.daemon_id,
            "pid": os.getpid(),
            "host": socket.gethostname(),
        }

    def run(self, stop: threading.Event) -> None:
        """Tick the duties until `stop` is set, then close them."""
        due = dict.fromkeys((duty.name for duty in self._duties), time.monotonic())
        try:
            while not stop.is_set():
                for duty in self._duties:
                    if time.monotonic() >= due[duty.name]:
                        due[duty.name] = time.monotonic() + duty.interval_seconds
                        self.tick(duty)
                        if stop.is_set():
                            return
                wait = min(due.values()) - time.monotonic()
                stop.wait(min(MAX_SLEEP_SECONDS, max(0.0, wait)))
        finally:
            for duty in self._duties:
                duty.close()

    def tick(self, duty: Duty) -> None:
        """One tick of `duty`, then its heartbeat (recording the error if it raised)."""
        started = time.perf_counter()
        error = None
        try:
            duty.tick()
        except Exception as exc:  # a duty's fault must not stop the others
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        beat = Heartbeat(
            kind=HeartbeatKind.DAEMON_DUTY,
            name=duty.name,
            timestamp=time.time(),
            data={
                **self._identity,
                "interval_seconds": duty.interval_seconds,
                "tick_ms": round((time.perf_counter() - started) * 1000, 3),
                "error": error,
            },
        )
        try:
            self._storage.set_heartbeat(beat)
        except Exception:  # the database is away: the next tick tries again
            pass
