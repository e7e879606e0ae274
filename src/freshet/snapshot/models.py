"""The parts of a definitions snapshot: frozen values that a process without the user's code
reads (asset nodes, checks, jobs, schedules, sensors, resources, the executor), each with its
JSON form. Field names in the JSON are the stored format: never rename one.

Values many parts share (partitions definitions, source files) are written once, in tables
(`TablesWriter`), and named by position."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from freshet.core.assets import DEFAULT_GROUP, ExecutionType
from freshet.core.checks import AssetCheckSpec
from freshet.core.keys import AssetKey
from freshet.core.ops import DEFAULT_IO_MANAGER_KEY
from freshet.core.partitions import PartitionMapping, PartitionsDefinition
from freshet.core.schedules import DefaultScheduleStatus
from freshet.core.sensors import DefaultSensorStatus, SensorType
from freshet.snapshot.values import (
    JSON,
    OpaqueValue,
    backfill_policy_from_json,
    backfill_policy_to_json,
    mapping_from_json,
    mapping_to_json,
    metadata_from_json,
    opaque_from_json,
    opaque_to_json,
    partitions_def_from_json,
    partitions_def_to_json,
    value_from_json,
    value_to_json,
)

_KEYS: dict[str, AssetKey] = {}


def _key(text: str) -> AssetKey:
    """The key spelled `text`; keys are interned process-wide anyway, so are their spellings
    (a snapshot names each key once per edge: tens of thousands of times)."""
    key = _KEYS.get(text)
    if key is None:
        key = _KEYS[text] = AssetKey.from_user_string(text)
    return key


_EXECUTION_TYPES = {t.value: t for t in ExecutionType}


class TablesWriter:
    """Values many parts of a snapshot share, written once each and named by position:
    partitions definitions (ten thousand assets with one daily definition store it once),
    source files, and the keys a multi-asset produces (every one of its assets names them:
    written per asset, a 1,000-asset dbt project would hold a million keys)."""

    __slots__ = ("_by_id", "_files", "_groups", "_groups_by_id", "_index", "_partitions")

    def __init__(self) -> None:
        self._partitions: list[JSON] = []
        self._index: dict[PartitionsDefinition, int] = {}
        self._by_id: dict[int, int] = {}
        self._files: dict[str, int] = {}
        self._groups: dict[tuple[AssetKey, ...], int] = {}
        self._groups_by_id: dict[int, int] = {}

    def partitions_ref(self, definition: PartitionsDefinition | None, where: str) -> int | None:
        if definition is None:
            return None
        position = self._by_id.get(id(definition))
        if position is None:
            position = self._index.get(definition)
            if position is None:
                position = self._index[definition] = len(self._partitions)
                self._partitions.append(partitions_def_to_json(definition, where))
            self._by_id[id(definition)] = position
        return position

    def file_ref(self, path: str) -> int:
        position = self._files.get(path)
        if position is None:
            position = self._files[path] = len(self._files)
        return position

    def produced_with_ref(self, keys: tuple[AssetKey, ...]) -> int:
        position = self._groups_by_id.get(id(keys))
        if position is None:
            position = self._groups.get(keys)
            if position is None:
                position = self._groups[keys] = len(self._groups)
            self._groups_by_id[id(keys)] = position
        return position

    def to_json(self) -> dict[str, JSON]:
        return {
            "partitions_defs": list(self._partitions),
            "source_files": list(self._files),
            "produced_together": [[k.to_user_string() for k in keys] for keys in self._groups],
        }


@dataclass(frozen=True, slots=True)
class TablesRead:
    """The shared values of a snapshot being read."""

    partitions: list[PartitionsDefinition]
    source_files: list[str]
    produced_together: list[tuple[AssetKey, ...]]

    @classmethod
    def read(cls, doc: Mapping[str, JSON]) -> TablesRead:
        return cls(
            partitions=[partitions_def_from_json(d) for d in doc["partitions_defs"]],
            source_files=list(doc["source_files"]),
            produced_together=[tuple(_key(k) for k in keys) for keys in doc["produced_together"]],
        )


# ---- assets -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetDepSnapshot:
    """A dependency and its partition mapping (None: the default mapping)."""

    asset_key: AssetKey
    partition_mapping: PartitionMapping | None = None


_PLAIN_DEPS: dict[str, AssetDepSnapshot] = {}


def _plain_dep(text: str) -> AssetDepSnapshot:
    """The dependency on `text` with the default mapping: a value, shared by every reader."""
    dep = _PLAIN_DEPS.get(text)
    if dep is None:
        dep = _PLAIN_DEPS[text] = AssetDepSnapshot(asset_key=_key(text))
    return dep


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetNodeSnapshot:
    """One asset as a process without the user's code sees it."""

    key: AssetKey
    deps: tuple[AssetDepSnapshot, ...] = ()
    group_name: str = "default"
    owners: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    kinds: frozenset[str] = frozenset()
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    code_version: str | None = None
    partitions_def: PartitionsDefinition | None = None
    #: slots for serialized condition trees and policies; today None or an `OpaqueValue`
    automation_condition: Any = None
    freshness_policy: Any = None
    io_manager_key: str = "io_manager"
    pool: str | None = None
    backfill_policy: Any = None
    execution_type: ExecutionType = ExecutionType.MATERIALIZATION
    auto_observe_interval_minutes: float | None = None
    #: the op, graph or multi-asset that computes it (None for an external asset)
    node_name: str | None = None
    is_graph_asset: bool = False
    #: every asset its definition produces, itself included
    produced_with: tuple[AssetKey, ...] = ()
    can_subset: bool = False
    source_file: str | None = None
    source_line: int | None = None
    #: the keys of `deps`, in order (computed once: status walks ask for them per asset)
    parent_keys: tuple[AssetKey, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parent_keys", tuple(d.asset_key for d in self.deps))

    @property
    def is_materializable(self) -> bool:
        return self.execution_type is ExecutionType.MATERIALIZATION

    @property
    def is_observable(self) -> bool:
        return self.execution_type is ExecutionType.OBSERVATION

    @property
    def is_external(self) -> bool:
        return self.execution_type is ExecutionType.UNEXECUTABLE

    def partition_mapping_for(self, parent: AssetKey) -> PartitionMapping | None:
        for dep in self.deps:
            if dep.asset_key is parent:
                return dep.partition_mapping
        return None

    def to_json(self, tables: TablesWriter) -> JSON:
        """The node's JSON: fields at their default are left out (a 10,000-asset snapshot is
        mostly defaults), a dependency without a mapping is its key alone."""
        name = self.key.to_user_string()
        doc: dict[str, Any] = {"key": name}
        if self.deps:
            doc["deps"] = [
                d.asset_key.to_user_string()
                if d.partition_mapping is None
                else {
                    "key": d.asset_key.to_user_string(),
                    "partition_mapping": mapping_to_json(
                        d.partition_mapping, name, d.asset_key.to_user_string()
                    ),
                }
                for d in self.deps
            ]
        if self.group_name != DEFAULT_GROUP:
            doc["group_name"] = self.group_name
        if self.owners:
            doc["owners"] = list(self.owners)
        if self.tags:
            doc["tags"] = dict(self.tags)
        if self.kinds:
            doc["kinds"] = sorted(self.kinds)
        if self.description is not None:
            doc["description"] = self.description
        if self.metadata:
            doc["metadata"] = {k: _metadata_value_json(v) for k, v in self.metadata.items()}
        if self.code_version is not None:
            doc["code_version"] = self.code_version
        if self.partitions_def is not None:
            doc["partitions_def"] = tables.partitions_ref(self.partitions_def, f"asset {name!r}")
        if self.automation_condition is not None:
            doc["automation_condition"] = value_to_json(self.automation_condition)
        if self.freshness_policy is not None:
            doc["freshness_policy"] = value_to_json(self.freshness_policy)
        if self.io_manager_key != DEFAULT_IO_MANAGER_KEY:
            doc["io_manager_key"] = self.io_manager_key
        if self.pool is not None:
            doc["pool"] = self.pool
        if self.backfill_policy is not None:
            doc["backfill_policy"] = backfill_policy_to_json(self.backfill_policy)
        if self.execution_type is not ExecutionType.MATERIALIZATION:
            doc["execution_type"] = self.execution_type.value
        if self.auto_observe_interval_minutes is not None:
            doc["auto_observe_interval_minutes"] = self.auto_observe_interval_minutes
        if self.node_name is not None:
            doc["node_name"] = self.node_name
        if self.is_graph_asset:
            doc["is_graph_asset"] = True
        if self.produced_with != (self.key,):
            doc["produced_with"] = tables.produced_with_ref(self.produced_with)
        if self.can_subset:
            doc["can_subset"] = True
        if self.source_file is not None:
            doc["source_file"] = tables.file_ref(self.source_file)
        if self.source_line is not None:
            doc["source_line"] = self.source_line
        return doc

    @classmethod
    def from_json(cls, doc: JSON, tables: TablesRead) -> AssetNodeSnapshot:
        key, keys, plain = _key, _KEYS, _PLAIN_DEPS
        name = doc["key"]
        own = keys.get(name) or key(name)
        get = doc.get
        # the common values (no mapping, no condition, no metadata) without calls: a snapshot
        # of 10,000 assets reads in well under 200 ms
        deps = tuple(
            [
                (plain.get(d) or _plain_dep(d))
                if type(d) is str
                else AssetDepSnapshot(
                    asset_key=key(d["key"]),
                    partition_mapping=mapping_from_json(d["partition_mapping"]),
                )
                for d in get("deps", ())
            ]
        )
        condition, freshness, policy = (
            get("automation_condition"),
            get("freshness_policy"),
            get("backfill_policy"),
        )
        ref, produced, source = get("partitions_def"), get("produced_with"), get("source_file")
        metadata = get("metadata")
        return cls(
            key=own,
            deps=deps,
            group_name=get("group_name", DEFAULT_GROUP),
            owners=tuple(get("owners", ())),
            tags=get("tags", {}),
            kinds=frozenset(get("kinds", ())),
            description=get("description"),
            metadata=metadata_from_json(metadata) if metadata else {},
            code_version=get("code_version"),
            partitions_def=None if ref is None else tables.partitions[ref],
            automation_condition=None
            if condition is None
            else value_from_json(condition, "automation condition"),
            freshness_policy=None
            if freshness is None
            else value_from_json(freshness, "freshness policy"),
            io_manager_key=get("io_manager_key", DEFAULT_IO_MANAGER_KEY),
            pool=get("pool"),
            backfill_policy=None if policy is None else backfill_policy_from_json(policy),
            execution_type=_EXECUTION_TYPES[get("execution_type", "MATERIALIZATION")],
            auto_observe_interval_minutes=get("auto_observe_interval_minutes"),
            node_name=get("node_name"),
            is_graph_asset=get("is_graph_asset", False),
            produced_with=(own,) if produced is None else tables.produced_together[produced],
            can_subset=get("can_subset", False),
            source_file=None if source is None else tables.source_files[source],
            source_line=get("source_line"),
        )


def _metadata_value_json(value: Any) -> JSON:
    if isinstance(value, OpaqueValue):
        return opaque_to_json(value)
    return value.to_json()


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetCheckSnapshot:
    """A check on an asset. `node_name` is the check's own step (an `@asset_check`); None
    when the asset's function reports the result (a check spec on the asset)."""

    asset_key: AssetKey
    name: str
    description: str | None = None
    blocking: bool = False
    additional_deps: tuple[AssetKey, ...] = ()
    node_name: str | None = None

    def to_spec(self) -> AssetCheckSpec:
        return AssetCheckSpec(
            self.name,
            asset=self.asset_key,
            description=self.description,
            blocking=self.blocking,
            additional_deps=self.additional_deps,
        )

    def to_json(self) -> JSON:
        return {
            "asset_key": self.asset_key.to_user_string(),
            "name": self.name,
            "description": self.description,
            "blocking": self.blocking,
            "additional_deps": [k.to_user_string() for k in self.additional_deps],
            "node_name": self.node_name,
        }

    @classmethod
    def from_json(cls, doc: JSON) -> AssetCheckSnapshot:
        return cls(
            asset_key=_key(doc["asset_key"]),
            name=doc["name"],
            description=doc["description"],
            blocking=doc["blocking"],
            additional_deps=tuple(_key(k) for k in doc["additional_deps"]),
            node_name=doc["node_name"],
        )


# ---- jobs, schedules, sensors -----------------------------------------------------------------


class JobKind(StrEnum):
    ASSET = "asset"
    OP = "op"


class InputSourceKind(StrEnum):
    OUTPUT = "output"  # one output of another node
    COLLECT = "collect"  # every fanned-out output of a dynamic node
    FAN_IN = "fan_in"  # several outputs, as a list
    GRAPH_INPUT = "graph_input"


@dataclass(frozen=True, slots=True, kw_only=True)
class OpInputSnapshot:
    """Where one input of an op node comes from: `outputs` as (node, output) pairs."""

    name: str
    kind: InputSourceKind
    outputs: tuple[tuple[str, str], ...] = ()
    graph_input: str | None = None

    def to_json(self) -> JSON:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "outputs": [list(o) for o in self.outputs],
            "graph_input": self.graph_input,
        }

    @classmethod
    def from_json(cls, doc: JSON) -> OpInputSnapshot:
        return cls(
            name=doc["name"],
            kind=InputSourceKind(doc["kind"]),
            outputs=tuple((node, output) for node, output in doc["outputs"]),
            graph_input=doc["graph_input"],
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class OpNodeSnapshot:
    """One node of an op job's graph."""

    name: str
    op_name: str
    inputs: tuple[OpInputSnapshot, ...] = ()
    outputs: tuple[str, ...] = ()
    description: str | None = None

    def to_json(self) -> JSON:
        return {
            "name": self.name,
            "op_name": self.op_name,
            "inputs": [i.to_json() for i in self.inputs],
            "outputs": list(self.outputs),
            "description": self.description,
        }

    @classmethod
    def from_json(cls, doc: JSON) -> OpNodeSnapshot:
        return cls(
            name=doc["name"],
            op_name=doc["op_name"],
            inputs=tuple(OpInputSnapshot.from_json(i) for i in doc["inputs"]),
            outputs=tuple(doc["outputs"]),
            description=doc["description"],
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutorSnapshot:
    """Which executor runs a job's steps (its name and Python type; never its config)."""

    name: str
    python_type: str

    def to_json(self) -> JSON:
        return {"name": self.name, "python_type": self.python_type}

    @classmethod
    def from_json(cls, doc: JSON) -> ExecutorSnapshot | None:
        return None if doc is None else cls(name=doc["name"], python_type=doc["python_type"])


@dataclass(frozen=True, slots=True, kw_only=True)
class JobSnapshot:
    """A job: the assets it materializes (an asset job) or its op graph (an op job), with the
    JSON schema of its run config."""

    name: str
    kind: JobKind
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    asset_keys: tuple[AssetKey, ...] = ()
    #: the selection as written, in the selection syntax, when it can be written that way
    selection: str | None = None
    op_nodes: tuple[OpNodeSnapshot, ...] = ()
    partitions_def: PartitionsDefinition | None = None
    run_config_schema: Mapping[str, Any] = field(default_factory=dict)
    executor: ExecutorSnapshot | None = None

    def to_json(self, tables: TablesWriter) -> JSON:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "description": self.description,
            "tags": dict(self.tags),
            "asset_keys": [k.to_user_string() for k in self.asset_keys],
            "selection": self.selection,
            "op_nodes": [n.to_json() for n in self.op_nodes],
            "partitions_def": tables.partitions_ref(self.partitions_def, f"job {self.name!r}"),
            "run_config_schema": self.run_config_schema,
            "executor": None if self.executor is None else self.executor.to_json(),
        }

    @classmethod
    def from_json(cls, doc: JSON, tables: TablesRead) -> JobSnapshot:
        return cls(
            name=doc["name"],
            kind=JobKind(doc["kind"]),
            description=doc["description"],
            tags=doc["tags"],
            asset_keys=tuple(_key(k) for k in doc["asset_keys"]),
            selection=doc["selection"],
            op_nodes=tuple(OpNodeSnapshot.from_json(n) for n in doc["op_nodes"]),
            partitions_def=None
            if doc["partitions_def"] is None
            else tables.partitions[doc["partitions_def"]],
            run_config_schema=doc["run_config_schema"],
            executor=ExecutorSnapshot.from_json(doc["executor"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleSnapshot:
    """A schedule; its run config with secrets as `{"env": NAME}` references. It targets a
    job (`job_name`) or assets (`target_keys`); `has_function` says whether each tick is
    decided by the user's function (evaluated in the code location)."""

    name: str
    cron_schedule: str
    job_name: str | None
    execution_timezone: str = "UTC"
    tags: Mapping[str, str] = field(default_factory=dict)
    default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED
    description: str | None = None
    run_config: Any = None
    target_keys: tuple[AssetKey, ...] | None = None
    has_function: bool = False

    def to_json(self) -> JSON:
        return {
            "name": self.name,
            "cron_schedule": self.cron_schedule,
            "job_name": self.job_name,
            "execution_timezone": self.execution_timezone,
            "tags": dict(self.tags),
            "default_status": self.default_status.value,
            "description": self.description,
            "run_config": _run_config_json(self.run_config),
            "target_keys": _keys_json(self.target_keys),
            "has_function": self.has_function,
        }

    @classmethod
    def from_json(cls, doc: JSON) -> ScheduleSnapshot:
        run_config = doc["run_config"]
        if isinstance(run_config, Mapping) and run_config.get("type") == "opaque":
            run_config = opaque_from_json(run_config)
        elif isinstance(run_config, Mapping):
            run_config = run_config["value"]
        return cls(
            name=doc["name"],
            cron_schedule=doc["cron_schedule"],
            job_name=doc["job_name"],
            execution_timezone=doc["execution_timezone"],
            tags=doc["tags"],
            default_status=DefaultScheduleStatus(doc["default_status"]),
            description=doc["description"],
            run_config=run_config,
            target_keys=_keys_from_json(doc.get("target_keys")),
            has_function=bool(doc.get("has_function")),
        )


def _run_config_json(run_config: Any) -> JSON:
    if isinstance(run_config, OpaqueValue):
        return opaque_to_json(run_config)
    return {"type": "run_config", "value": run_config}


def _keys_json(keys: tuple[AssetKey, ...] | None) -> JSON:
    return None if keys is None else [k.to_user_string() for k in keys]


def _keys_from_json(doc: Any) -> tuple[AssetKey, ...] | None:
    return None if doc is None else tuple(_key(k) for k in doc)


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorSnapshot:
    """A sensor: its kind, what it targets (a job or assets) and watches, and how often it
    may tick. Its function is evaluated by its code location."""

    name: str
    sensor_type: SensorType = SensorType.STANDARD
    job_name: str | None = None
    target_keys: tuple[AssetKey, ...] | None = None
    minimum_interval_seconds: int = 30
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED
    description: str | None = None
    asset_key: AssetKey | None = None
    run_statuses: tuple[str, ...] = ()

    def to_json(self) -> JSON:
        return {
            "name": self.name,
            "sensor_type": self.sensor_type.value,
            "job_name": self.job_name,
            "target_keys": _keys_json(self.target_keys),
            "minimum_interval_seconds": self.minimum_interval_seconds,
            "default_status": self.default_status.value,
            "description": self.description,
            "asset_key": None if self.asset_key is None else self.asset_key.to_user_string(),
            "run_statuses": list(self.run_statuses),
        }

    @classmethod
    def from_json(cls, doc: JSON) -> SensorSnapshot:
        return cls(
            name=doc["name"],
            sensor_type=SensorType(doc["sensor_type"]),
            job_name=doc["job_name"],
            target_keys=_keys_from_json(doc["target_keys"]),
            minimum_interval_seconds=doc["minimum_interval_seconds"],
            default_status=DefaultSensorStatus(doc["default_status"]),
            description=doc["description"],
            asset_key=None if doc["asset_key"] is None else _key(doc["asset_key"]),
            run_statuses=tuple(doc["run_statuses"]),
        )


# ---- resources ------------------------------------------------------------------------------


class ResourceKind(StrEnum):
    CONFIGURABLE = "configurable"  # a ConfigurableResource instance
    FUNCTION = "function"  # @resource / ResourceDefinition
    VALUE = "value"  # a plain object given as a resource (a client, an IO manager)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceSnapshot:
    """A resource: what it is and the JSON schema of its config. Never its values: fields
    that hold secrets are named in `secret_fields`."""

    name: str
    kind: ResourceKind
    python_type: str
    description: str | None = None
    config_schema: Mapping[str, Any] | None = None
    secret_fields: tuple[str, ...] = ()
    required_resource_keys: tuple[str, ...] = ()

    def to_json(self) -> JSON:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "python_type": self.python_type,
            "description": self.description,
            "config_schema": self.config_schema,
            "secret_fields": list(self.secret_fields),
            "required_resource_keys": list(self.required_resource_keys),
        }

    @classmethod
    def from_json(cls, doc: JSON) -> ResourceSnapshot:
        return cls(
            name=doc["name"],
            kind=ResourceKind(doc["kind"]),
            python_type=doc["python_type"],
            description=doc["description"],
            config_schema=doc["config_schema"],
            secret_fields=tuple(doc["secret_fields"]),
            required_resource_keys=tuple(doc["required_resource_keys"]),
        )
