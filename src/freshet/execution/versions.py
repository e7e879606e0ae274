"""Data versions and provenance.

Precedence (SPEC 3): the user's own version; else the IO manager's content fingerprint;
else, when the code version is set, a hash of the code version and the sorted input data
versions; else a version unique to this materialization. Hashes are full SHA-256 hex."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from freshet.core.data_versions import fold_partition_versions
from freshet.core.ids import random_hex
from freshet.core.keys import AssetKey

#: above this many upstream partitions, provenance keeps one digest instead of each version
MAX_PROVENANCE_PARTITIONS = 32


@dataclass(frozen=True, slots=True)
class ProvenanceEntry:
    """One upstream dependency as consumed: its key, partition and data version. A folded
    entry stands for `partition_count` partitions (`partition` is then `first...last`) and
    its version is a digest of all of theirs."""

    key: AssetKey
    partition: str | None
    data_version: str | None
    partition_count: int | None = None

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "key": self.key.to_user_string(),
            "partition": self.partition,
            "data_version": self.data_version,
        }
        if self.partition_count is not None:
            doc["partition_count"] = self.partition_count
        return doc


def folded_entry(
    key: AssetKey, partitions: list[str], versions: Mapping[str, str | None]
) -> ProvenanceEntry:
    """One entry for many upstream partitions: a digest of every (partition, version)."""
    span = f"{partitions[0]}...{partitions[-1]}" if partitions else None
    digest = fold_partition_versions(partitions, versions)
    return ProvenanceEntry(key, span, digest, partition_count=len(partitions))


def derived_data_version(code_version: str, inputs: Iterable[ProvenanceEntry]) -> str:
    """A deterministic version from the code version and what was consumed."""
    import hashlib  # start-up time: OpenSSL loads when a first digest is taken

    digest = hashlib.sha256()
    digest.update(b"freshet-derived-v1\0")
    digest.update(code_version.encode())
    for entry in sorted(inputs, key=lambda e: (e.key.path, e.partition or "")):
        digest.update(b"\0")
        digest.update(entry.key.to_user_string().encode())
        digest.update(b"\0")
        digest.update((entry.partition or "").encode())
        digest.update(b"\0")
        digest.update((entry.data_version or "<none>").encode())
    return digest.hexdigest()


def unique_data_version() -> str:
    return random_hex()


def choose_data_version(
    *,
    user_version: Any,
    fingerprint: Any,
    code_version: str | None,
    provenance: Iterable[ProvenanceEntry],
) -> tuple[str, str]:
    """The data version to record and where it came from (for the UI's explanation)."""
    if user_version is not None:
        return str(getattr(user_version, "value", user_version)), "user"
    if fingerprint is not None:
        return str(getattr(fingerprint, "value", fingerprint)), "content"
    if code_version is not None:
        return derived_data_version(code_version, provenance), "derived"
    return unique_data_version(), "unique"


def version_from_record_data(data: Mapping[str, Any] | None) -> str | None:
    if not data:
        return None
    value = data.get("data_version")
    return str(value) if value is not None else None


def data_time_of(record: Any) -> float | None:
    """The data time an event record gives its asset (partition): the one recorded with a
    materialization, else the event's time (observations, and materializations recorded
    before data times were)."""
    if record is None:
        return None
    recorded = record.event.data.get("data_time")
    return float(recorded) if isinstance(recorded, int | float) else record.event.timestamp


def consumed_data_time(entries: Iterable[float | None], started_at: float) -> float:
    """The data time of a new materialization: the oldest data time among what it consumed
    (upstreams never materialized or observed say nothing and are left out); for a root, or
    when nothing consumed has a data time, the time its computation started."""
    known = [t for t in entries if t is not None]
    return min(known) if known else started_at
