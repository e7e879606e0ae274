"""The run's event sink: builds events, hands them to listeners, and appends them to
storage in small batches (one transaction per step transition)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from freshet.core.keys import AssetKey
from freshet.storage.base import StorageWriter
from freshet.storage.records import Event, EventType, LogLevel

EventListener = Callable[[Event], None]


class EventSink:
    """Collects a run's events. `flush()` writes what is buffered in one transaction.

    The run flushes at every step start and end, so storage is at most one step behind
    what the run has done, and a crash loses at most the events of the step in flight."""

    def __init__(
        self,
        writer: StorageWriter,
        run_id: str,
        listeners: Sequence[EventListener] = (),
    ) -> None:
        self._writer = writer
        self._run_id = run_id
        self._listeners = tuple(listeners)
        self._buffer: list[Event] = []
        self.events: list[Event] = []

    def emit(
        self,
        event_type: EventType,
        *,
        step_key: str | None = None,
        message: str = "",
        level: int = LogLevel.INFO,
        asset_key: AssetKey | None = None,
        partition: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Event:
        event = Event(
            event_type=event_type,
            run_id=self._run_id,
            timestamp=time.time(),
            step_key=step_key,
            level=level,
            message=message,
            asset_key=asset_key,
            partition=partition,
            data=data or {},
        )
        self._buffer.append(event)
        self.events.append(event)
        for listener in self._listeners:
            listener(event)
        return event

    def record(self, events: Sequence[Event], *, stored: bool) -> None:
        """Take in events emitted in another process (a worker): keep them, hand them to the
        listeners, and store them at the next flush unless that process `stored` them."""
        self.events.extend(events)
        if not stored:
            self._buffer.extend(events)
        for event in events:
            for listener in self._listeners:
                listener(event)

    def flush(self) -> None:
        if self._buffer:
            batch, self._buffer = self._buffer, []
            self._writer.store_events(batch)
