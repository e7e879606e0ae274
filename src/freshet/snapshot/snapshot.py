"""`DefinitionsSnapshot`: a `Definitions` as versioned JSON, readable without the user's code.

The JSON is canonical (sorted keys, no spaces), so equal definitions give equal text and the
`fingerprint` (its SHA-256) says whether two snapshots describe the same definitions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from freshet.core.collector import collector_paused
from freshet.definitions import Definitions
from freshet.errors import (
    DefinitionsError,
    PartitionError,
    SnapshotError,
    SnapshotVersionError,
    StorageError,
)
from freshet.snapshot import build
from freshet.snapshot.graph import SnapshotAssetGraph
from freshet.snapshot.models import (
    AssetCheckSnapshot,
    AssetNodeSnapshot,
    ExecutorSnapshot,
    JobSnapshot,
    ResourceSnapshot,
    ScheduleSnapshot,
    SensorSnapshot,
    TablesRead,
    TablesWriter,
)
from freshet.snapshot.values import UserMappingEvaluator

FORMAT = "freshet.definitions_snapshot"
FORMAT_VERSION = 1
"""Raised whenever a reader of the previous version would misread a snapshot; a reader
refuses snapshots of a newer version and reads every older one."""


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class DefinitionsSnapshot:
    """Everything a process without the user's code needs to know about a `Definitions`."""

    assets: tuple[AssetNodeSnapshot, ...] = ()
    asset_checks: tuple[AssetCheckSnapshot, ...] = ()
    jobs: tuple[JobSnapshot, ...] = ()
    schedules: tuple[ScheduleSnapshot, ...] = ()
    sensors: tuple[SensorSnapshot, ...] = ()
    resources: tuple[ResourceSnapshot, ...] = ()
    executor: ExecutorSnapshot | None = None
    format_version: int = FORMAT_VERSION
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_definitions(cls, defs: Definitions) -> DefinitionsSnapshot:
        graph = defs.get_asset_graph()
        with collector_paused():
            return cls(
                assets=build.asset_nodes(graph),
                asset_checks=build.asset_checks(graph),
                jobs=build.jobs(defs),
                schedules=build.schedules(defs),
                sensors=build.sensors(defs),
                resources=build.resources(defs),
                executor=build.executor_snapshot(defs.executor),
            )

    # -- JSON --------------------------------------------------------------------------
    def to_json(self) -> str:
        text = self._cache.get("json")
        if text is None:
            with collector_paused():
                doc = self.to_json_dict()
                text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            self._cache["json"] = text
        return text

    def to_json_dict(self) -> dict[str, Any]:
        tables = TablesWriter()
        assets = [node.to_json(tables) for node in self.assets]
        jobs = [job.to_json(tables) for job in self.jobs]
        return {
            "format": FORMAT,
            "format_version": self.format_version,
            **tables.to_json(),
            "assets": assets,
            "asset_checks": [c.to_json() for c in self.asset_checks],
            "jobs": jobs,
            "schedules": [s.to_json() for s in self.schedules],
            "sensors": [s.to_json() for s in self.sensors],
            "resources": [r.to_json() for r in self.resources],
            "executor": None if self.executor is None else self.executor.to_json(),
        }

    @classmethod
    def from_json(cls, text: str | bytes) -> DefinitionsSnapshot:
        with collector_paused():
            return cls._read(text)

    @classmethod
    def _read(cls, text: str | bytes) -> DefinitionsSnapshot:
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise SnapshotError(f"a definitions snapshot must be JSON: {exc}") from None
        _check_format(doc)
        try:
            tables = TablesRead.read(doc)
            read_node = AssetNodeSnapshot.from_json
            return cls(
                assets=tuple([read_node(a, tables) for a in doc["assets"]]),
                asset_checks=tuple(AssetCheckSnapshot.from_json(c) for c in doc["asset_checks"]),
                jobs=tuple(JobSnapshot.from_json(j, tables) for j in doc["jobs"]),
                schedules=tuple(ScheduleSnapshot.from_json(s) for s in doc["schedules"]),
                sensors=tuple(SensorSnapshot.from_json(s) for s in doc["sensors"]),
                resources=tuple(ResourceSnapshot.from_json(r) for r in doc["resources"]),
                executor=ExecutorSnapshot.from_json(doc["executor"]),
                format_version=doc["format_version"],
            )
        except StorageError as exc:  # a metadata value type this freshet does not know
            raise SnapshotVersionError(str(exc)) from None
        except (
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            IndexError,
            DefinitionsError,
            PartitionError,
        ) as exc:
            raise SnapshotError(
                f"the definitions snapshot is malformed ({type(exc).__name__}: {exc}); "
                "rebuild it from the code location"
            ) from None

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON: equal for snapshots of equal definitions."""
        found = self._cache.get("fingerprint")
        if found is None:
            digest = hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()
            found = self._cache["fingerprint"] = digest
        return found

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DefinitionsSnapshot):
            return NotImplemented
        return self.fingerprint == other.fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    # -- reading -----------------------------------------------------------------------
    def get_asset_graph(self) -> SnapshotAssetGraph:
        graph = self._cache.get("graph")
        if graph is None:
            graph = self._cache["graph"] = SnapshotAssetGraph(self.assets, self.asset_checks)
        return graph

    def asset_graph_with(self, user_mappings: UserMappingEvaluator) -> SnapshotAssetGraph:
        """The asset graph, with user-defined partition mappings answered by `user_mappings`."""
        return SnapshotAssetGraph(self.assets, self.asset_checks, user_mappings=user_mappings)

    def get_job(self, name: str) -> JobSnapshot:
        for job in self.jobs:
            if job.name == name:
                return job
        known = ", ".join(sorted(j.name for j in self.jobs)) or "none"
        raise SnapshotError(f"no job named {name!r} in this snapshot (jobs: {known})")


def _check_format(doc: Any) -> None:
    if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
        raise SnapshotError(
            'not a freshet definitions snapshot (no "format": '
            f"{FORMAT!r}); rebuild it with DefinitionsSnapshot.from_definitions(defs)"
        )
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SnapshotError(f"invalid snapshot format_version {version!r}")
    if version > FORMAT_VERSION:
        raise SnapshotVersionError(
            f"this definitions snapshot has format version {version}, written by a newer "
            f"freshet; this freshet reads versions up to {FORMAT_VERSION}: upgrade freshet "
            "(pip install -U freshet) where the snapshot is read"
        )
