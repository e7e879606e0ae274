"""Definitions as data: a versioned, frozen JSON snapshot of a `Definitions` and the asset
graph read from it, for processes that never import the user's code."""

# Register the codecs of core's automation values (conditions, freshness policies) before
# any snapshot is built or read.
from freshet.snapshot import conditions as _conditions  # noqa: F401
from freshet.snapshot import policies as _policies  # noqa: F401
from freshet.snapshot.graph import SnapshotAssetGraph
from freshet.snapshot.models import (
    AssetCheckSnapshot,
    AssetDepSnapshot,
    AssetNodeSnapshot,
    ExecutorSnapshot,
    InputSourceKind,
    JobKind,
    JobSnapshot,
    OpInputSnapshot,
    OpNodeSnapshot,
    ResourceKind,
    ResourceSnapshot,
    ScheduleSnapshot,
    SensorSnapshot,
)
from freshet.snapshot.snapshot import FORMAT_VERSION, DefinitionsSnapshot
from freshet.snapshot.values import (
    OpaqueValue,
    UserDefinedPartitionMapping,
    UserMappingEvaluator,
    ValueCodec,
    register_codec,
)

__all__ = [
    "FORMAT_VERSION",
    "AssetCheckSnapshot",
    "AssetDepSnapshot",
    "AssetNodeSnapshot",
    "DefinitionsSnapshot",
    "ExecutorSnapshot",
    "InputSourceKind",
    "JobKind",
    "JobSnapshot",
    "OpInputSnapshot",
    "OpNodeSnapshot",
    "OpaqueValue",
    "ResourceKind",
    "ResourceSnapshot",
    "ScheduleSnapshot",
    "SensorSnapshot",
    "SnapshotAssetGraph",
    "UserDefinedPartitionMapping",
    "UserMappingEvaluator",
    "ValueCodec",
    "register_codec",
]
