"""The run worker's heartbeat: a thread that records the worker is alive every few seconds
(run monitoring fails runs whose worker went quiet) and watches for a cancel request."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable

from freshet.runs.control import cancel_requested
from freshet.storage.base import Storage
from freshet.storage.records import Event
from freshet.storage.state_records import Heartbeat, HeartbeatKind

CANCEL_POLL_SECONDS = 0.5


class WorkerHeartbeat:
    """Beats for `run_id` every `interval` seconds until stopped; calls `on_cancel` (from its
    own thread) once when the run is asked to cancel."""

    def __init__(
        self,
        storage: Storage,
        run_id: str,
        *,
        interval: float,
        on_cancel: Callable[[Event], None],
    ) -> None:
        self._storage = storage
        self._run_id = run_id
        self._interval = interval
        self._on_cancel = on_cancel
        self._stopped = threading.Event()
        self._canceled = False
        self._data = {"pid": os.getpid(), "host": socket.gethostname()}
        self._thread = threading.Thread(
            target=self._loop, name=f"freshet-heartbeat-{run_id[:8]}", daemon=True
        )

    def start(self) -> None:
        self.beat()
        self._thread.start()

    def beat(self) -> None:
        self._storage.set_heartbeat(
            Heartbeat(
                kind=HeartbeatKind.RUN_WORKER,
                name=self._run_id,
                timestamp=time.time(),
                data=self._data,
            )
        )

    def stop(self) -> None:
        """Stop beating and forget the heartbeat (the run is over)."""
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._interval + 5)
        self._storage.delete_heartbeat(HeartbeatKind.RUN_WORKER, self._run_id)

    def _loop(self) -> None:
        # Cancel requests are looked for more often than the worker beats.
        step = min(self._interval, CANCEL_POLL_SECONDS)
        last_beat = time.monotonic()
        while not self._stopped.wait(step):
            try:
                if time.monotonic() - last_beat >= self._interval:
                    self.beat()
                    last_beat = time.monotonic()
                if not self._canceled:
                    request = cancel_requested(self._storage, self._run_id)
                    if request is not None:
                        self._canceled = True
                        self._on_cancel(request)
            except Exception:  # a storage hiccup: the next beat tries again
                continue
