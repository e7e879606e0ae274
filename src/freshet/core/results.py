"""What user code returns from a step (Output, MaterializeResult, DataVersion) and the typed
metadata values attached to materializations, with their stable JSON form.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import PurePath
from typing import Any, ClassVar, Generic, TypeVar

from freshet.core.keys import AssetKey, CoercibleToAssetKey
from freshet.errors import InvalidDefinitionError, StorageError

T = TypeVar("T")

# ---------------------------------------------------------------------------------------------
# Results returned by user code
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DataVersion:
    """An opaque version of an asset's data; equal versions mean equal data."""

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not self.value:
            raise InvalidDefinitionError(
                f"DataVersion needs a non-empty string, got {self.value!r}; "
                "pass e.g. a hash or a timestamp formatted as text"
            )

    def __str__(self) -> str:
        return self.value


def _coerce_data_version(value: DataVersion | str | None, where: str) -> DataVersion | None:
    if value is None or isinstance(value, DataVersion):
        return value
    if isinstance(value, str):
        return DataVersion(value)
    raise InvalidDefinitionError(
        f"{where}: data_version must be a DataVersion or a str, got {type(value).__name__}"
    )


def _copy_tags(tags: Mapping[str, str] | None, where: str) -> dict[str, str]:
    if not tags:
        return {}
    for key, value in tags.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidDefinitionError(
                f"{where}: tags must map str to str, got {key!r}: {value!r}; convert values "
                "to strings (use metadata for numbers and structured values)"
            )
    return dict(tags)


@dataclass(frozen=True, slots=True, init=False)
class Output(Generic[T]):
    """A value returned by a step, with metadata. The IO manager stores ``value``.

    ``metadata`` is kept as given; the engine normalizes it with `normalize_metadata` so that
    an error can name the asset it belongs to.
    """

    value: T
    output_name: str
    metadata: Mapping[str, Any]
    data_version: DataVersion | None
    tags: Mapping[str, str]

    def __init__(
        self,
        value: T,
        output_name: str = "result",
        metadata: Mapping[str, Any] | None = None,
        data_version: DataVersion | str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        where = f"Output {output_name!r}"
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "output_name", output_name)
        object.__setattr__(self, "metadata", dict(metadata) if metadata else {})
        object.__setattr__(self, "data_version", _coerce_data_version(data_version, where))
        object.__setattr__(self, "tags", _copy_tags(tags, where))


@dataclass(frozen=True, slots=True, init=False)
class MaterializeResult:
    """Returned by an asset that stores its data itself: nothing goes to the IO manager."""

    asset_key: AssetKey | None
    metadata: Mapping[str, Any]
    data_version: DataVersion | None
    check_results: tuple[Any, ...]
    tags: Mapping[str, str]

    def __init__(
        self,
        asset_key: CoercibleToAssetKey | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        data_version: DataVersion | str | None = None,
        check_results: Sequence[Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        key = None if asset_key is None else AssetKey.from_coercible(asset_key)
        where = "MaterializeResult" if key is None else f"MaterializeResult for asset '{key}'"
        object.__setattr__(self, "asset_key", key)
        object.__setattr__(self, "metadata", dict(metadata) if metadata else {})
        object.__setattr__(self, "data_version", _coerce_data_version(data_version, where))
        object.__setattr__(self, "check_results", tuple(check_results or ()))
        object.__setattr__(self, "tags", _copy_tags(tags, where))


@dataclass(frozen=True, slots=True, init=False)
class ObserveResult:
    """Returned by an observation function: the data version seen, with metadata."""

    asset_key: AssetKey | None
    data_version: DataVersion | None
    metadata: Mapping[str, Any]
    tags: Mapping[str, str]

    def __init__(
        self,
        asset_key: CoercibleToAssetKey | None = None,
        *,
        data_version: DataVersion | str | None = None,
        metadata: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        where = "ObserveResult"
        object.__setattr__(
            self, "asset_key", None if asset_key is None else AssetKey.from_coercible(asset_key)
        )
        object.__setattr__(self, "data_version", _coerce_data_version(data_version, where))
        object.__setattr__(self, "metadata", dict(metadata) if metadata else {})
        object.__setattr__(self, "tags", _copy_tags(tags, where))


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------

_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True, slots=True)
class TableColumn:
    """One column of a table schema; ``type`` is free text such as "string", "int", "date"."""

    name: str
    type: str = "string"
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "description": self.description}


@dataclass(frozen=True, slots=True, init=False)
class TableSchema:
    """The columns of a table, recorded as ``column_schema`` metadata."""

    columns: tuple[TableColumn, ...]

    def __init__(self, columns: Sequence[TableColumn]) -> None:
        cols = tuple(columns)
        for position, col in enumerate(cols):
            if not isinstance(col, TableColumn):
                raise InvalidDefinitionError(
                    f"TableSchema column {position} is a {type(col).__name__}; "
                    "pass TableColumn(name, type, description) values"
                )
        object.__setattr__(self, "columns", cols)

    def to_json(self) -> dict[str, Any]:
        return {"columns": [c.to_json() for c in self.columns]}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> TableSchema:
        return TableSchema(
            [
                TableColumn(c["name"], c.get("type", "string"), c.get("description"))
                for c in data["columns"]
            ]
        )


@dataclass(frozen=True, slots=True, init=False)
class TableRecord:
    """One row of a table metadata value: column name to scalar."""

    data: Mapping[str, str | int | float | bool | None]

    def __init__(self, data: Mapping[str, str | int | float | bool | None]) -> None:
        for key, value in data.items():
            if not isinstance(value, _SCALARS):
                raise InvalidDefinitionError(
                    f"TableRecord column {key!r} holds a {type(value).__name__}; "
                    "records hold only str, int, float, bool or None"
                )
        object.__setattr__(self, "data", dict(data))


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    """Rows with a schema: the value of a ``table`` metadata entry."""

    records: tuple[TableRecord, ...]
    schema: TableSchema


_COLUMN_TYPES: dict[type, str] = {bool: "bool", int: "int", float: "float", str: "string"}


def _infer_schema(records: Sequence[TableRecord]) -> TableSchema:
    if not records:
        return TableSchema([])
    first = records[0].data
    return TableSchema(
        [
            TableColumn(name, _COLUMN_TYPES.get(type(value), "string"))
            for name, value in first.items()
        ]
    )


# ---------------------------------------------------------------------------------------------
# Metadata values
# ---------------------------------------------------------------------------------------------


class MetadataValueType(StrEnum):
    """Stable names of metadata value kinds, as stored in events (never rename)."""

    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    JSON = "json"
    MD = "md"
    URL = "url"
    PATH = "path"
    TABLE_SCHEMA = "table_schema"
    TABLE = "table"
    TIMESTAMP = "timestamp"
    ASSET = "asset"
    NULL = "null"


class MetadataValue:
    """Base of typed metadata values; build them with the static constructors.

    Immutable values compared by kind and value. Written by hand rather than as dataclasses:
    this module is imported at startup and a dozen dataclasses cost milliseconds to build.
    """

    __slots__ = ("value",)
    type_name: ClassVar[MetadataValueType]
    value: Any

    def __init__(self, *, value: Any) -> None:
        object.__setattr__(self, "value", value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.value == self.value  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.value))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(value={self.value!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.value))

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name.value, "value": self._value_to_json()}

    def _value_to_json(self) -> Any:
        return self.value

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> MetadataValue:
        type_name = data.get("type")
        cls = _BY_TYPE_NAME.get(type_name)  # type: ignore[arg-type]
        if cls is None:
            raise StorageError(
                f"unknown metadata value type {type_name!r} in stored data (known: "
                f"{', '.join(_BY_TYPE_NAME)}); it was probably written by a newer freshet, "
                "upgrade freshet to read it"
            )
        return cls._from_json_value(data.get("value"))

    @classmethod
    def _from_json_value(cls, value: Any) -> MetadataValue:
        return cls(value=value)  # type: ignore[call-arg]

    @staticmethod
    def text(value: str) -> TextMetadataValue:
        return TextMetadataValue(value=_require(value, str, "text"))

    @staticmethod
    def int(value: int) -> IntMetadataValue:
        return IntMetadataValue(value=_as_int(value))

    @staticmethod
    def float(value: float) -> FloatMetadataValue:
        return FloatMetadataValue(value=_as_float(value))

    @staticmethod
    def bool(value: bool) -> BoolMetadataValue:
        return BoolMetadataValue(value=_require(value, bool, "bool"))

    @staticmethod
    def json(value: Any) -> JsonMetadataValue:
        return JsonMetadataValue(value=_json_safe(value))

    @staticmethod
    def md(value: str) -> MarkdownMetadataValue:
        return MarkdownMetadataValue(value=_require(value, str, "md"))

    @staticmethod
    def url(value: str) -> UrlMetadataValue:
        return UrlMetadataValue(value=_require(value, str, "url"))

    @staticmethod
    def path(value: str | PurePath) -> PathMetadataValue:
        return PathMetadataValue(value=str(value) if isinstance(value, PurePath) else value)

    @staticmethod
    def table_schema(value: TableSchema) -> TableSchemaMetadataValue:
        return TableSchemaMetadataValue(value=_require(value, TableSchema, "table_schema"))

    @staticmethod
    def table(
        records: Sequence[TableRecord], schema: TableSchema | None = None
    ) -> TableMetadataValue:
        rows = tuple(records)
        return TableMetadataValue(value=Table(records=rows, schema=schema or _infer_schema(rows)))

    @staticmethod
    def timestamp(value: float | datetime) -> TimestampMetadataValue:
        """Seconds since the epoch; a naive datetime is taken as local time, like Python does."""
        if isinstance(value, datetime):
            return TimestampMetadataValue(value=value.timestamp())
        return TimestampMetadataValue(value=_as_float(value))

    @staticmethod
    def asset(value: CoercibleToAssetKey) -> AssetMetadataValue:
        return AssetMetadataValue(value=AssetKey.from_coercible(value))

    @staticmethod
    def null() -> NullMetadataValue:
        return _NULL


def _require(value: Any, kind: type, name: str) -> Any:
    if not isinstance(value, kind):
        raise InvalidDefinitionError(
            f"MetadataValue.{name}() needs a {kind.__name__}, got {type(value).__name__}"
        )
    return value


def _as_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidDefinitionError(f"MetadataValue.int() needs an int, got {value!r}")
    return int(value)


def _as_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidDefinitionError(f"a float metadata value needs a number, got {value!r}")
    return float(value)


def _json_safe(value: Any) -> Any:
    # Checked here, not when the event is written, so the error names the metadata key.
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise InvalidDefinitionError(
            f"json metadata must be JSON-serializable ({exc}); convert values to str, "
            "int, float, bool, None, list or dict"
        ) from exc
    return value


class TextMetadataValue(MetadataValue):
    __slots__ = ()
    type_name: ClassVar[MetadataValueType] = MetadataValueType.TEXT


class IntMetadataValue(MetadataValue):
    __slots__ = ()
    type_name: ClassVar[MetadataValueType] = MetadataValueType.INT


class FloatMetadataValue(MetadataValue):
    __slots__ = ()
    type_name: ClassVar[MetadataValueType] = MetadataValueType.FLOAT

    def _value_to_json(self) -> Any:
        # JSON has no NaN/inf; store them as strings and read them back with float().
        return self.value if math.isfinite(self.value) else str(self.value)

    @classmethod
    def _from_json_value(cls, value: Any) -> MetadataValue:
        return cls(value=float(value))


class BoolMetadataValue(MetadataValue):
    __slots__ = ()
    type_name: ClassVar[MetadataValueType] = MetadataValueType.BOOL


class JsonMetadataValue(MetadataValue):
    __slots__ = ()
    type_name: ClassVar[MetadataValueType] = MetadataValueType.JSON


class MarkdownMetadataValue(MetadataValue):
    __slots__ = ()
    type_name: ClassVar[MetadataValueType] = MetadataValueType.MD


class UrlMetadataValue(MetadataValue):
    __slots__ = ()
    type_name: ClassVar[MetadataValueType] = MetadataValueType.URL


class PathMetadataValue(MetadataValue):
    __slots__ = ()
    type_name: ClassVar[MetadataValueType] = MetadataValueType.PATH


class TableSchemaMetadataValue(MetadataValue):
    __slots__ = ()
    type_name: ClassVar[MetadataValueType] = MetadataValueType.TABLE_SCHEMA

    def _value_to_json(self) -> Any:
        return self.value.to_json()

    @classmethod
    def _from_json_value(cls, value: Any) -> MetadataValue:
        return cls(value=TableSchema.from_json(value))


class TableMetadataValue(MetadataValue):
    __slots__ = ()
    type_name: ClassVar[MetadataValueType] = MetadataValueType.TABLE

    def _value_to_json(self) -> Any:
        return {
            "schema": self.value.schema.to_json(),
            "records": [dict(r.data) for r in self.value.records],
        }

    @classmethod
    def _from_json_value(cls, value: Any) -> MetadataValue:
        return cls(
            value=Table(
                records=tuple(TableRecord(r) for r in value["records"]),
                schema=TableSchema.from_json(value["schema"]),
            )
        )


class TimestampMetadataValue(MetadataValue):
    __slots__ = ()
    """Seconds since the Unix epoch (UTC)."""

    type_name: ClassVar[MetadataValueType] = MetadataValueType.TIMESTAMP


class AssetMetadataValue(MetadataValue):
    __slots__ = ()
    type_name: ClassVar[MetadataValueType] = MetadataValueType.ASSET

    def _value_to_json(self) -> Any:
        return self.value.to_user_string()

    @classmethod
    def _from_json_value(cls, value: Any) -> MetadataValue:
        return cls(value=AssetKey.from_user_string(value))


class NullMetadataValue(MetadataValue):
    __slots__ = ()
    type_name: ClassVar[MetadataValueType] = MetadataValueType.NULL

    def __init__(self, *, value: None = None) -> None:
        super().__init__(value=None)

    @classmethod
    def _from_json_value(cls, value: Any) -> MetadataValue:
        return _NULL


_NULL = NullMetadataValue()


def _rebuild(cls: type[MetadataValue], value: Any) -> MetadataValue:
    return cls(value=value)


_BY_TYPE_NAME: dict[str, type[MetadataValue]] = {
    cls.type_name.value: cls
    for cls in (
        TextMetadataValue,
        IntMetadataValue,
        FloatMetadataValue,
        BoolMetadataValue,
        JsonMetadataValue,
        MarkdownMetadataValue,
        UrlMetadataValue,
        PathMetadataValue,
        TableSchemaMetadataValue,
        TableMetadataValue,
        TimestampMetadataValue,
        AssetMetadataValue,
        NullMetadataValue,
    )
}

# ---------------------------------------------------------------------------------------------
# Coercion of plain Python values
# ---------------------------------------------------------------------------------------------

# Exact-type dispatch first: it is one dict lookup for the common cases on the hot path.
_BY_EXACT_TYPE: dict[type, Any] = {
    str: lambda v: TextMetadataValue(value=v),
    bool: lambda v: BoolMetadataValue(value=v),
    int: lambda v: IntMetadataValue(value=v),
    float: lambda v: FloatMetadataValue(value=v),
    dict: MetadataValue.json,
    list: MetadataValue.json,
    tuple: MetadataValue.json,
    type(None): lambda v: _NULL,
    TableSchema: MetadataValue.table_schema,
    AssetKey: lambda v: AssetMetadataValue(value=v),
    datetime: MetadataValue.timestamp,
}

_ACCEPTED = (
    "str, int, float, bool, dict, list, None, pathlib.Path, datetime, AssetKey, TableSchema "
    "or a MetadataValue.<kind>(...)"
)


def _coerce_subclass(value: Any) -> MetadataValue | None:
    # bool before int: bool is a subclass of int, and True must stay a bool.
    if isinstance(value, bool):
        return BoolMetadataValue(value=bool(value))
    if isinstance(value, numbers.Integral):
        return IntMetadataValue(value=int(value))
    if isinstance(value, numbers.Real):
        return FloatMetadataValue(value=float(value))
    if isinstance(value, str):
        return TextMetadataValue(value=str(value))
    if isinstance(value, PurePath):
        return PathMetadataValue(value=str(value))
    if isinstance(value, datetime):
        return MetadataValue.timestamp(value)
    if isinstance(value, Mapping | list | tuple):
        return MetadataValue.json(value)
    return None


def normalize_metadata(
    mapping: Mapping[str, Any] | None, *, where: str
) -> dict[str, MetadataValue]:
    """Coerce plain values to `MetadataValue`s; raise one error listing every bad entry.

    ``where`` names the owner in messages, e.g. ``"metadata of asset 'orders'"``.
    """
    if not mapping:
        return {}
    out: dict[str, MetadataValue] = {}
    problems: list[str] = []
    for key, value in mapping.items():
        if not isinstance(key, str):
            problems.append(f"key {key!r} is a {type(key).__name__}; metadata keys are str")
            continue
        if isinstance(value, MetadataValue):
            out[key] = value
            continue
        try:
            coerce = _BY_EXACT_TYPE.get(type(value))
            coerced = coerce(value) if coerce is not None else _coerce_subclass(value)
        except InvalidDefinitionError as exc:
            problems.append(f"key {key!r}: {exc}")
            continue
        if coerced is None:
            problems.append(
                f"key {key!r} has a value of type {type(value).__name__}, which freshet cannot "
                f"store; use {_ACCEPTED}"
            )
            continue
        out[key] = coerced
    if problems:
        raise InvalidDefinitionError(
            f"invalid {where}:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return out
