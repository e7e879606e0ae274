"""Definition values inside a snapshot: partitions definitions, partition mappings, backfill
policies, metadata, and values freshet cannot serialize yet, each as JSON tagged with a stable
type name ("partitions.daily", "mapping.time_window", ...).

The type names are part of the stored format: renaming a Python class never changes them,
and a name this freshet does not know is refused with a message to upgrade. A value of a
type without a codec (a user's own `PartitionMapping` subclass, a user's own backfill policy
class) is kept as what can be said faithfully about it — its Python type and repr — and is
never evaluated from that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from freshet.core.partitions import (
    AllPartitionMapping,
    BackfillPolicy,
    BackfillPolicyType,
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    DynamicPartitionsStore,
    HourlyPartitionsDefinition,
    IdentityPartitionMapping,
    LastPartitionMapping,
    MonthlyPartitionsDefinition,
    MultiPartitionsDefinition,
    MultiToSingleDimensionPartitionMapping,
    PartitionMapping,
    PartitionsDefinition,
    PartitionsSubset,
    SpecificPartitionsPartitionMapping,
    StaticPartitionMapping,
    StaticPartitionsDefinition,
    TimeWindowPartitionMapping,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)
from freshet.core.results import MetadataValue, normalize_metadata
from freshet.errors import FreshetError, SnapshotError, SnapshotVersionError, UserCodeRequiredError

JSON = Any


def python_type_name(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


# ---- values without a codec ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OpaqueValue:
    """A definition value this snapshot format cannot represent: only its Python type and
    repr are kept. Readers show it; nothing evaluates it."""

    python_type: str
    repr: str

    @classmethod
    def of(cls, value: Any) -> OpaqueValue:
        try:
            text = repr(value)
        except Exception:  # a user's __repr__ may fail; the type alone still says what it is
            text = f"<{python_type_name(value)}>"
        return cls(python_type=python_type_name(value), repr=text[:2000])


# ---- partitions definitions -----------------------------------------------------------------

_TIME_WINDOW_TYPES: dict[type[TimeWindowPartitionsDefinition], str] = {
    TimeWindowPartitionsDefinition: "partitions.time_window",
    HourlyPartitionsDefinition: "partitions.hourly",
    DailyPartitionsDefinition: "partitions.daily",
    WeeklyPartitionsDefinition: "partitions.weekly",
    MonthlyPartitionsDefinition: "partitions.monthly",
}
_TIME_WINDOW_CLASSES = {name: cls for cls, name in _TIME_WINDOW_TYPES.items()}


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def partitions_def_to_json(definition: PartitionsDefinition, where: str) -> JSON:
    """A built-in partitions definition as tagged JSON; anything else is refused."""
    kind = type(definition)
    if kind in _TIME_WINDOW_TYPES:
        assert isinstance(definition, TimeWindowPartitionsDefinition)
        return {
            "type": _TIME_WINDOW_TYPES[kind],
            "cron_schedule": definition.cron_schedule,
            "start": _moment(definition.start),
            "timezone": definition.timezone,
            "fmt": definition.fmt,
            "end": _moment(definition.end),
            "end_offset": definition.end_offset,
        }
    if kind is StaticPartitionsDefinition:
        assert isinstance(definition, StaticPartitionsDefinition)
        return {"type": "partitions.static", "keys": list(definition.keys)}
    if kind is DynamicPartitionsDefinition:
        assert isinstance(definition, DynamicPartitionsDefinition)
        return {"type": "partitions.dynamic", "name": definition.name}
    if kind is MultiPartitionsDefinition:
        assert isinstance(definition, MultiPartitionsDefinition)
        return {
            "type": "partitions.multi",
            "dimensions": [
                [name, partitions_def_to_json(d, f"{where}, dimension {name!r}")]
                for name, d in definition.dimensions
            ],
        }
    raise SnapshotError(
        f"{where}: partitions definition {python_type_name(definition)} is not one of "
        "freshet's built-in definitions, so a snapshot cannot describe it; use a "
        "TimeWindow/Daily/Hourly/Weekly/Monthly, Static, Dynamic or Multi partitions definition"
    )


def partitions_def_from_json(doc: JSON) -> PartitionsDefinition:
    kind = _type_of(doc, "partitions definition")
    if kind in _TIME_WINDOW_CLASSES:
        cls = _TIME_WINDOW_CLASSES[kind]
        rebuilt = object.__new__(cls)
        # the subclasses only translate their arguments into a cron schedule: rebuild from
        # the schedule itself, keeping the class (definitions of different classes differ)
        TimeWindowPartitionsDefinition.__init__(
            rebuilt,
            doc["cron_schedule"],
            datetime.fromisoformat(doc["start"]),
            doc["fmt"],
            doc["timezone"],
            end=None if doc["end"] is None else datetime.fromisoformat(doc["end"]),
            end_offset=doc["end_offset"],
        )
        return rebuilt
    if kind == "partitions.static":
        return StaticPartitionsDefinition(doc["keys"])
    if kind == "partitions.dynamic":
        return DynamicPartitionsDefinition(doc["name"])
    if kind == "partitions.multi":
        return MultiPartitionsDefinition(
            {name: partitions_def_from_json(d) for name, d in doc["dimensions"]}
        )
    raise _unknown_type(kind, "partitions definition")


# ---- partition mappings ---------------------------------------------------------------------


class UserDefinedPartitionMapping(PartitionMapping):
    """Stands in a snapshot for a `PartitionMapping` subclass written by the user: only its
    code location can say which partitions it maps, so every question is answered by an
    `evaluator` (the code location's server) or refused with `UserCodeRequiredError`.

    `asset_key` and `dependency_key` name the dependency it belongs to, which is how the
    code location finds the real mapping."""

    __slots__ = ("asset_key", "dependency_key", "evaluator", "python_type", "repr")
    python_type: str
    repr: str
    asset_key: str
    dependency_key: str
    evaluator: UserMappingEvaluator | None

    def __init__(
        self,
        *,
        python_type: str,
        repr: str,
        asset_key: str,
        dependency_key: str,
        evaluator: UserMappingEvaluator | None = None,
    ) -> None:
        for name, value in (
            ("python_type", python_type),
            ("repr", repr),
            ("asset_key", asset_key),
            ("dependency_key", dependency_key),
            ("evaluator", evaluator),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("UserDefinedPartitionMapping is immutable")

    def _identity(self) -> tuple[str, str, str, str]:
        return (self.python_type, self.repr, self.asset_key, self.dependency_key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UserDefinedPartitionMapping) and (
            other._identity() == self._identity()
        )

    def __hash__(self) -> int:
        return hash(("UserDefinedPartitionMapping", self._identity()))

    def __repr__(self) -> str:
        return f"UserDefinedPartitionMapping({self.python_type}: {self.repr})"

    def bound(self, evaluator: UserMappingEvaluator | None) -> UserDefinedPartitionMapping:
        """This mapping answered by `evaluator` (e.g. a client of the code location's server)."""
        return UserDefinedPartitionMapping(
            python_type=self.python_type,
            repr=self.repr,
            asset_key=self.asset_key,
            dependency_key=self.dependency_key,
            evaluator=evaluator,
        )

    def _refusal(self) -> UserCodeRequiredError:
        return UserCodeRequiredError(
            f"the partition mapping of asset {self.asset_key!r} on {self.dependency_key!r} is "
            f"user-defined ({self.python_type}); evaluate it in its code location (a "
            "SnapshotAssetGraph given an evaluator for user-defined mappings asks the location)"
        )

    def problem_with(self, upstream_def: Any, downstream_def: Any) -> str | None:
        return None  # checked by `Definitions` in the code location that defines it

    def _evaluator(self) -> UserMappingEvaluator:
        if self.evaluator is None:
            raise self._refusal()
        return self.evaluator

    # `PartitionMapping.upstream_partitions_for` / `downstream_partitions_for` check the
    # subset against its definition, then ask these: the evaluator answers both directions.
    def _upstream(self, subset: Any, up: Any, down: Any, ctx: Any) -> PartitionsSubset:
        return self._evaluator().upstream_partitions_for(
            self, subset, up, down, current_time=ctx.current_time, dynamic_store=ctx.dynamic_store
        )

    def _downstream(self, subset: Any, up: Any, down: Any, ctx: Any) -> PartitionsSubset:
        return self._evaluator().downstream_partitions_for(
            self, subset, up, down, current_time=ctx.current_time, dynamic_store=ctx.dynamic_store
        )


class UserMappingEvaluator(Protocol):
    """What answers for user-defined partition mappings: the code location's process (a
    code server client implements it)."""

    def upstream_partitions_for(
        self,
        mapping: UserDefinedPartitionMapping,
        downstream_subset: PartitionsSubset,
        upstream_def: PartitionsDefinition | None,
        downstream_def: PartitionsDefinition | None,
        *,
        current_time: datetime | None,
        dynamic_store: DynamicPartitionsStore | None,
    ) -> PartitionsSubset: ...

    def downstream_partitions_for(
        self,
        mapping: UserDefinedPartitionMapping,
        upstream_subset: PartitionsSubset,
        upstream_def: PartitionsDefinition | None,
        downstream_def: PartitionsDefinition | None,
        *,
        current_time: datetime | None,
        dynamic_store: DynamicPartitionsStore | None,
    ) -> PartitionsSubset: ...


_CONSTANT_MAPPINGS: dict[type[PartitionMapping], str] = {
    IdentityPartitionMapping: "mapping.identity",
    AllPartitionMapping: "mapping.all",
    LastPartitionMapping: "mapping.last",
}
_CONSTANT_MAPPING_CLASSES = {name: cls for cls, name in _CONSTANT_MAPPINGS.items()}


def mapping_to_json(mapping: PartitionMapping, asset_key: str, dependency_key: str) -> JSON:
    """A partition mapping as tagged JSON. Only freshet's own classes (not subclasses of
    them) are described by value; any other mapping is marked user-defined."""
    kind = type(mapping)
    if kind in _CONSTANT_MAPPINGS:
        return {"type": _CONSTANT_MAPPINGS[kind]}
    if kind is TimeWindowPartitionMapping:
        assert isinstance(mapping, TimeWindowPartitionMapping)
        return {
            "type": "mapping.time_window",
            "start_offset": mapping.start_offset,
            "end_offset": mapping.end_offset,
        }
    if kind is StaticPartitionMapping:
        assert isinstance(mapping, StaticPartitionMapping)
        pairs = mapping.downstream_partition_keys_by_upstream_partition_key
        return {
            "type": "mapping.static",
            "downstream_keys_by_upstream_key": {up: sorted(down) for up, down in pairs.items()},
        }
    if kind is SpecificPartitionsPartitionMapping:
        assert isinstance(mapping, SpecificPartitionsPartitionMapping)
        return {"type": "mapping.specific", "partition_keys": list(mapping.partition_keys)}
    if kind is MultiToSingleDimensionPartitionMapping:
        assert isinstance(mapping, MultiToSingleDimensionPartitionMapping)
        return {
            "type": "mapping.multi_to_single_dimension",
            "partition_dimension_name": mapping.partition_dimension_name,
        }
    if isinstance(mapping, UserDefinedPartitionMapping):
        python_type, text = mapping.python_type, mapping.repr
    else:
        opaque = OpaqueValue.of(mapping)
        python_type, text = opaque.python_type, opaque.repr
    return {
        "type": "mapping.user_defined",
        "python_type": python_type,
        "repr": text,
        "asset_key": asset_key,
        "dependency_key": dependency_key,
    }


def mapping_from_json(doc: JSON) -> PartitionMapping:
    kind = _type_of(doc, "partition mapping")
    if kind in _CONSTANT_MAPPING_CLASSES:
        return _CONSTANT_MAPPING_CLASSES[kind]()
    if kind == "mapping.time_window":
        return TimeWindowPartitionMapping(
            start_offset=doc["start_offset"], end_offset=doc["end_offset"]
        )
    if kind == "mapping.static":
        return StaticPartitionMapping(doc["downstream_keys_by_upstream_key"])
    if kind == "mapping.specific":
        return SpecificPartitionsPartitionMapping(doc["partition_keys"])
    if kind == "mapping.multi_to_single_dimension":
        return MultiToSingleDimensionPartitionMapping(
            partition_dimension_name=doc["partition_dimension_name"]
        )
    if kind == "mapping.user_defined":
        return UserDefinedPartitionMapping(
            python_type=doc["python_type"],
            repr=doc["repr"],
            asset_key=doc["asset_key"],
            dependency_key=doc["dependency_key"],
        )
    raise _unknown_type(kind, "partition mapping")


# ---- other tagged values --------------------------------------------------------------------


def backfill_policy_to_json(policy: Any) -> JSON:
    if policy is None:
        return None
    if type(policy) is BackfillPolicy:
        return {
            "type": "backfill_policy",
            "policy_type": policy.policy_type.value,
            "max_partitions_per_run": policy.max_partitions_per_run,
        }
    return opaque_to_json(OpaqueValue.of(policy))


def backfill_policy_from_json(doc: JSON) -> BackfillPolicy | OpaqueValue | None:
    if doc is None:
        return None
    kind = _type_of(doc, "backfill policy")
    if kind == "backfill_policy":
        return BackfillPolicy(
            policy_type=BackfillPolicyType(doc["policy_type"]),
            max_partitions_per_run=doc["max_partitions_per_run"],
        )
    if kind == "opaque":
        return opaque_from_json(doc)
    raise _unknown_type(kind, "backfill policy")


@dataclass(frozen=True, slots=True)
class ValueCodec:
    """How values of one Python class become tagged JSON and back (see `register_codec`)."""

    type_name: str
    python_class: type
    to_json: Callable[[Any], Mapping[str, Any]]
    from_json: Callable[[Mapping[str, Any]], Any]


_CODECS_BY_CLASS: dict[type, ValueCodec] = {}
_CODECS_BY_NAME: dict[str, ValueCodec] = {}


def register_codec(codec: ValueCodec) -> None:
    """Let snapshots hold values of `codec.python_class` (e.g. automation conditions,
    freshness policies) under the stable name `codec.type_name`. A name is registered once."""
    known = _CODECS_BY_NAME.get(codec.type_name)
    if known is not None and known.python_class is not codec.python_class:
        raise SnapshotError(
            f"snapshot type name {codec.type_name!r} is already used by "
            f"{known.python_class.__qualname__}; pick another name"
        )
    _CODECS_BY_NAME[codec.type_name] = codec
    _CODECS_BY_CLASS[codec.python_class] = codec


def value_to_json(value: Any) -> JSON:
    """A value whose codec is registered by type (an automation condition, a freshness
    policy): None, the value under its codec's type name, or an `OpaqueValue`."""
    if value is None:
        return None
    if isinstance(value, OpaqueValue):
        return opaque_to_json(value)
    codec = _CODECS_BY_CLASS.get(type(value))
    if codec is not None:
        return {"type": codec.type_name, **codec.to_json(value)}
    return opaque_to_json(OpaqueValue.of(value))


def value_from_json(doc: JSON, what: str) -> Any:
    if doc is None:
        return None
    kind = _type_of(doc, what)
    if kind == "opaque":
        return opaque_from_json(doc)
    codec = _CODECS_BY_NAME.get(kind)
    if codec is None:
        raise _unknown_type(kind, what)
    return codec.from_json({k: v for k, v in doc.items() if k != "type"})


def opaque_to_json(value: OpaqueValue) -> JSON:
    return {"type": "opaque", "python_type": value.python_type, "repr": value.repr}


def opaque_from_json(doc: JSON) -> OpaqueValue:
    return OpaqueValue(python_type=doc["python_type"], repr=doc["repr"])


def metadata_to_json(metadata: Mapping[str, Any], where: str) -> dict[str, JSON]:
    """Definition metadata in the same typed form events store; a value freshet cannot
    store is kept as an opaque value (its type and repr), never dropped silently."""
    try:
        values = normalize_metadata(metadata, where=where)
    except FreshetError:
        values = {}
        for key, value in metadata.items():
            try:
                values.update(normalize_metadata({str(key): value}, where=where))
            except FreshetError:
                values[str(key)] = value
    return {
        key: value.to_json()
        if isinstance(value, MetadataValue)
        else opaque_to_json(OpaqueValue.of(value))
        for key, value in sorted(values.items())
    }


def metadata_from_json(doc: Mapping[str, JSON]) -> dict[str, MetadataValue | OpaqueValue]:
    return {
        key: opaque_from_json(value)
        if value.get("type") == "opaque"
        else MetadataValue.from_json(value)
        for key, value in doc.items()
    }


def _type_of(doc: JSON, what: str) -> str:
    if not isinstance(doc, Mapping) or not isinstance(doc.get("type"), str):
        raise SnapshotError(
            f"invalid {what} in snapshot: expected an object with a 'type', got {doc!r:.80}"
        )
    return doc["type"]


def _unknown_type(kind: str, what: str) -> SnapshotVersionError:
    return SnapshotVersionError(
        f"unknown {what} type {kind!r} in snapshot; it was probably written by a newer "
        "freshet: upgrade freshet to read it"
    )
