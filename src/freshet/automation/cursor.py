"""What a tick remembers for the next one, as versioned JSON: when it ran, the newest event
it had seen, what it requested, and the per-node state of conditions that compare with the
previous tick (since, newly_true, newly_missing, code and data version changes)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from freshet.errors import UsageError

CURSOR_VERSION = 1

Slot = str | None
"""A partition key, or None for an unpartitioned asset."""


def slot_text(slot: Slot) -> str:
    """Slots as JSON object keys: "" stands for the unpartitioned slot."""
    return "" if slot is None else "p:" + slot


def text_slot(text: str) -> Slot:
    return None if text == "" else text[2:]


@dataclass(frozen=True, slots=True, kw_only=True)
class AutomationCursor:
    """Immutable; a tick builds the next one. `node_state` maps an asset key (user string)
    to {node id: [slot texts]} of nodes whose previous true subset matters; `seen` maps an
    asset key to what it last looked like ({"code_version": ..., "data_versions": {slot:
    dv}, "missing": [slots]}); `requested` maps asset key to the slots the tick requested;
    `recent_requests` are [time, count] pairs of the last minute (for the rate limit)."""

    evaluation_time: float | None = None
    storage_id: int | None = None
    tick_number: int = 0
    definitions_fingerprint: str | None = None
    requested: Mapping[str, list[str]] = field(default_factory=dict)
    node_state: Mapping[str, Mapping[str, list[str]]] = field(default_factory=dict)
    seen: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    recent_requests: tuple[tuple[float, int], ...] = ()
    #: runs that were queued or not finished at this tick
    runs_in_flight: tuple[str, ...] = ()
    #: names this tick, for the evaluations it keeps in its process (see `incremental`)
    token: str | None = None
    #: a digest of each asset's last stored evaluation (kept by whoever stores them)
    recorded: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        text = json.dumps(
            {
                "version": CURSOR_VERSION,
                "evaluation_time": self.evaluation_time,
                "storage_id": self.storage_id,
                "tick_number": self.tick_number,
                "definitions_fingerprint": self.definitions_fingerprint,
                "requested": self.requested,
                "node_state": self.node_state,
                "seen": self.seen,
                "recent_requests": [list(pair) for pair in self.recent_requests],
                "recorded": self.recorded,
                "token": self.token,
                "runs_in_flight": list(self.runs_in_flight),
            },
            separators=(",", ":"),
            sort_keys=True,
        )
        _remember_text(text, self)
        return text

    @classmethod
    def from_json(cls, text: str) -> AutomationCursor:
        known = _LAST_TEXT.get("cursor")
        if known is not None and known[0] == text:
            return known[1]  # the cursor this process wrote last, read back from storage
        try:
            doc = json.loads(text)
        except (TypeError, ValueError) as error:
            raise UsageError(f"invalid automation cursor (not JSON: {error})") from None
        if not isinstance(doc, dict) or doc.get("version") != CURSOR_VERSION:
            raise UsageError(
                "invalid automation cursor: expected a cursor of version "
                f"{CURSOR_VERSION} as written by freshet's automation, got {text[:80]!r}"
            )
        cursor = cls(
            evaluation_time=doc["evaluation_time"],
            storage_id=doc["storage_id"],
            tick_number=doc["tick_number"],
            definitions_fingerprint=doc["definitions_fingerprint"],
            requested=doc["requested"],
            node_state=doc["node_state"],
            seen=doc["seen"],
            recent_requests=tuple((t, n) for t, n in doc["recent_requests"]),
            recorded=doc.get("recorded", {}),
            token=doc.get("token"),
            runs_in_flight=tuple(doc.get("runs_in_flight", ())),
        )
        _remember_text(text, cursor)
        return cursor

    @classmethod
    def coerce(cls, value: AutomationCursor | str | None) -> AutomationCursor:
        if value is None:
            return cls()
        if isinstance(value, AutomationCursor):
            return value
        if isinstance(value, str):
            return cls.from_json(value)
        raise UsageError(
            f"cursor must be an AutomationCursor, its JSON or None, got {type(value).__name__}"
        )


_LAST_TEXT: dict[str, tuple[str, AutomationCursor]] = {}
"""The last cursor this process wrote or read, with its JSON: the daemon reads back, each
tick, the cursor it stored the tick before, and a 10,000-asset cursor takes longer to decode
than an idle tick takes to evaluate. A cursor is a value (nothing changes it or what it holds
once it is made), so equal text may stand for the same object."""


def _remember_text(text: str, cursor: AutomationCursor) -> None:
    _LAST_TEXT["cursor"] = (text, cursor)
