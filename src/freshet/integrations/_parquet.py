"""What the pandas and polars Parquet IO managers share: where each asset's file lives (one
file per asset, a folder of files per partition, on a local path or any fsspec URL), writing
the bytes atomically where the filesystem allows it, and fingerprinting them as the data
version so that an unchanged frame cuts off downstream work.
"""

from __future__ import annotations

import hashlib
import os
import threading
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, get_origin
from urllib.parse import quote

import freshet as fr
from freshet.integrations._extras import require

_DOT_NAMES = {"": "%", ".": "%2E", "..": "%2E%2E"}


def safe_component(part: str) -> str:
    """A path component that stays in its folder (partition keys and key parts are user input)."""
    if "/" in part or "\\" in part or "%" in part or ":" in part or "\x00" in part:
        return quote(part, safe="")
    return _DOT_NAMES.get(part, part)


def describe_output(context: fr.OutputContext) -> str:
    if context.asset_key is None:
        return f"output {context.name!r} of step {context.step_key!r}"
    where = f"asset '{context.asset_key.to_user_string()}'"
    if context.partition_key is not None:
        where += f", partition {context.partition_key!r}"
    return where


def not_a_frame(manager: object, frame_kind: str, context: fr.OutputContext, obj: Any) -> Exception:
    """The error for an output that is not the kind of frame `manager` stores."""
    return fr.ExecutionError(
        f"{type(manager).__name__} cannot store {describe_output(context)}: it returned a "
        f"{type(obj).__module__}.{type(obj).__qualname__}, not a {frame_kind}; "
        f"return a {frame_kind}, or give the asset another io_manager_key"
    )


def wants_dict(annotation: Any) -> bool:
    """Whether an input annotation asks for ``{partition_key: value}`` instead of one value."""
    origin = get_origin(annotation) or annotation
    return isinstance(origin, type) and issubclass(origin, Mapping)


class ParquetIOManagerBase(fr.ConfigurableIOManager):
    """Stores DataFrames as Parquet under ``base_path`` (a folder or an fsspec URL):
    ``<base_path>/<key path>.parquet``, or ``<base_path>/<key path>/<partition>.parquet``.
    """

    base_path: str

    # What the subclass stores, for error messages, and the extra that installs it.
    frame_kind: ClassVar[str] = "DataFrame"
    extra: ClassVar[str] = ""

    @abstractmethod
    def _to_parquet_bytes(self, obj: Any) -> tuple[Any, int, fr.TableSchema]:
        """The frame as Parquet bytes (any buffer), its row count and its column schema;
        raise TypeError when ``obj`` is not a frame this manager stores."""

    @abstractmethod
    def _read(self, file: Any) -> Any:
        """A frame read from an open binary file."""

    @abstractmethod
    def _concat(self, frames: list[Any]) -> Any:
        """One frame of several partitions' frames, in partition order."""

    @abstractmethod
    def _adapt(self, frame: Any, annotation: Any) -> Any:
        """The loaded frame in the shape the input's annotation asks for."""

    # -- paths -----------------------------------------------------------------------------

    def _filesystem(self) -> tuple[Any, str]:
        fsspec_core = require("fsspec.core", self.extra, type(self).__name__)
        fs, root = fsspec_core.url_to_fs(self.base_path)
        return fs, root.rstrip("/")

    @staticmethod
    def _relative_path(identifier: list[str]) -> str:
        return "/".join(safe_component(part) for part in identifier) + ".parquet"

    def _identifier(self, context: fr.OutputContext) -> list[str]:
        if context.asset_key is not None:
            ident = list(context.asset_key.path)
            if context.partition_key is not None:
                ident.append(context.partition_key)
            return ident
        return context.get_identifier()

    # -- writing ---------------------------------------------------------------------------

    def handle_output(self, context: fr.OutputContext, obj: Any) -> fr.DataVersion:
        try:
            data, rows, schema = self._to_parquet_bytes(obj)
        except TypeError:
            raise not_a_frame(self, self.frame_kind, context, obj) from None
        view = memoryview(data)
        fingerprint = hashlib.sha256(view).hexdigest()
        fs, root = self._filesystem()
        path = f"{root}/{self._relative_path(self._identifier(context))}"
        self._write(fs, path, view)
        context.add_output_metadata(
            {
                "row_count": fr.MetadataValue.int(rows),
                "column_schema": fr.MetadataValue.table_schema(schema),
                "path": fr.MetadataValue.path(path)
                if _is_local(fs)
                else fr.MetadataValue.url(fs.unstrip_protocol(path)),
            }
        )
        return fr.DataVersion(fingerprint)

    @staticmethod
    def _write(fs: Any, path: str, data: memoryview) -> None:
        parent = path.rsplit("/", 1)[0]
        fs.makedirs(parent, exist_ok=True)
        if not _is_local(fs):
            fs.pipe_file(path, bytes(data))
            return
        # Locally, a crash mid-write leaves the previous file (or none), never half a file.
        tmp = f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"
        try:
            with open(tmp, "wb") as file:
                file.write(data)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    # -- loading ---------------------------------------------------------------------------

    def load_input(self, context: fr.InputContext) -> Any:
        fs, root = self._filesystem()
        if context.loads_many_partitions:
            keys = list(context.asset_partition_keys or ())
            frames = {key: self._load(fs, root, context, key) for key in keys}
            if wants_dict(context.dagster_type):
                return frames
            return self._adapt(self._concat(list(frames.values())), context.dagster_type)
        return self._adapt(
            self._load(fs, root, context, context.partition_key), context.dagster_type
        )

    def _load(self, fs: Any, root: str, context: fr.InputContext, partition: str | None) -> Any:
        if context.upstream_asset_key is None:
            ident = context.upstream_output.get_identifier()
        else:
            ident = context.get_identifier_for_partition(partition)
        path = f"{root}/{self._relative_path(ident)}"
        try:
            file = fs.open(path, "rb")
        except FileNotFoundError:
            what = ".".join(ident)
            raise fr.ExecutionError(
                f"input {context.name!r}: no Parquet file for {what!r} at "
                f"{fs.unstrip_protocol(path)}; materialize it first"
            ) from None
        with file:
            return self._read(file)


def _is_local(fs: Any) -> bool:
    protocol = fs.protocol
    protocols = (protocol,) if isinstance(protocol, str) else tuple(protocol)
    return "file" in protocols or "local" in protocols
