"""Events user code reports during a step besides its outputs: that some asset was
materialized or observed elsewhere (`AssetMaterialization`, `AssetObservation`) and data
quality expectations (`ExpectationResult`). Yielded, returned with outputs, or passed to
`context.log_event(...)`; each becomes an event in the run's log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from freshet.core.keys import AssetKey, CoercibleToAssetKey
from freshet.core.results import DataVersion, _coerce_data_version, _copy_tags
from freshet.errors import InvalidDefinitionError


def _partition(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidDefinitionError(f"{where}: partition must be a string, got {value!r}")


def _metadata(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidDefinitionError(
            f"{where}: metadata must be a mapping of names to values, got {type(value).__name__}"
        )
    return dict(value)


def _set_asset_event_fields(
    event: Any,
    asset_key: CoercibleToAssetKey,
    description: str | None,
    metadata: Mapping[str, Any] | None,
    partition: str | None,
    tags: Mapping[str, str] | None,
) -> str:
    """Check and set the fields materializations and observations share; returns the `where`
    their messages start with."""
    key = AssetKey.from_coercible(asset_key)
    where = f"{type(event).__name__} of {key.to_user_string()!r}"
    object.__setattr__(event, "asset_key", key)
    object.__setattr__(event, "description", description)
    object.__setattr__(event, "metadata", _metadata(metadata, where))
    object.__setattr__(event, "partition", _partition(partition, where))
    object.__setattr__(event, "tags", _copy_tags(tags, where))
    return where


@dataclass(frozen=True, slots=True, init=False)
class AssetMaterialization:
    """Reports that an asset (usually one no function here computes) was materialized."""

    asset_key: AssetKey
    description: str | None
    metadata: Mapping[str, Any]
    partition: str | None
    tags: Mapping[str, str]

    def __init__(
        self,
        asset_key: CoercibleToAssetKey,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        partition: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        _set_asset_event_fields(self, asset_key, description, metadata, partition, tags)

    @staticmethod
    def file(path: str, description: str | None = None) -> AssetMaterialization:
        """A materialization of the file at `path`, keyed by the path itself."""
        return AssetMaterialization(path, description=description, metadata={"path": path})


@dataclass(frozen=True, slots=True, init=False)
class AssetObservation:
    """Reports what was seen of an asset (its data version, metadata) without changing it."""

    asset_key: AssetKey
    description: str | None
    metadata: Mapping[str, Any]
    partition: str | None
    tags: Mapping[str, str]
    data_version: DataVersion | None

    def __init__(
        self,
        asset_key: CoercibleToAssetKey,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        partition: str | None = None,
        tags: Mapping[str, str] | None = None,
        data_version: DataVersion | str | None = None,
    ) -> None:
        where = _set_asset_event_fields(self, asset_key, description, metadata, partition, tags)
        object.__setattr__(self, "data_version", _coerce_data_version(data_version, where))


@dataclass(frozen=True, slots=True, init=False)
class ExpectationResult:
    """The outcome of a data quality expectation evaluated inside an op. Recorded in the
    run's log; unlike an asset check it is not tied to an asset."""

    success: bool
    label: str | None
    description: str | None
    metadata: Mapping[str, Any]

    def __init__(
        self,
        success: bool,
        label: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(success, bool):
            raise InvalidDefinitionError(
                f"ExpectationResult {label or ''}: success must be True or False, "
                f"got {success!r}".replace("  ", " ")
            )
        object.__setattr__(self, "success", success)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "metadata", _metadata(metadata, f"ExpectationResult {label!r}"))


REPORTED_EVENT_TYPES = (AssetMaterialization, AssetObservation, ExpectationResult)
"""What user code may yield or log besides outputs and check results."""
