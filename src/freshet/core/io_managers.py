"""The IO manager interface and the contexts the engine hands it when storing an output and
loading an input. The built-in managers live in `freshet.core.builtin_io_managers`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from freshet.core.keys import AssetKey
from freshet.core.results import DataVersion
from freshet.errors import UsageError

_LOG = logging.getLogger("freshet.io_managers")
_NO_METADATA: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputContext:
    """Where an output goes: its step, name, asset key and partition. Built by the engine.

    ``base_dir`` is the instance's storage folder. Metadata added with `add_output_metadata`
    ends up on the materialization (the engine calls `consume_added_metadata`).
    """

    run_id: str | None
    step_key: str
    name: str = "result"
    asset_key: AssetKey | None = None
    partition_key: str | None = None
    definition_metadata: Mapping[str, Any] = field(default_factory=lambda: _NO_METADATA)
    base_dir: str = ""
    log: Any = _LOG
    _added_metadata: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @property
    def has_asset_key(self) -> bool:
        return self.asset_key is not None

    @property
    def has_partition_key(self) -> bool:
        return self.partition_key is not None

    @property
    def has_asset_partitions(self) -> bool:
        return self.partition_key is not None

    @property
    def asset_partition_key(self) -> str:
        """The partition being stored (for an asset output of a partitioned run)."""
        if self.partition_key is None:
            raise UsageError(f"output {self.name!r} of {self.step_key!r} is not partitioned")
        return self.partition_key

    @property
    def asset_partition_keys(self) -> list[str]:
        return [self.asset_partition_key]

    def get_identifier(self) -> list[str]:
        """Asset outputs: the key path (+ partition). Op outputs: run id, step key, output."""
        if self.asset_key is not None:
            ident = list(self.asset_key.path)
            if self.partition_key is not None:
                ident.append(self.partition_key)
            return ident
        return [self.run_id or "", self.step_key, self.name]

    def add_output_metadata(self, metadata: Mapping[str, Any]) -> None:
        self._added_metadata.update(metadata)

    def consume_added_metadata(self) -> dict[str, Any]:
        """The metadata added so far (as given; the engine normalizes it), then forget it."""
        added = dict(self._added_metadata)
        self._added_metadata.clear()
        return added


@dataclass(frozen=True, slots=True, kw_only=True)
class InputContext:
    """What an input loads: the upstream output, and which partition(s) of it.

    ``partition_key`` is set when the input reads exactly one upstream partition. When it is
    None and ``asset_partition_keys`` is set, the input maps to several upstream partitions
    and an IO manager returns ``{partition_key: value}`` (or one combined value when it knows
    how to combine them and ``dagster_type``, the input's annotation, does not ask for a dict).
    """

    name: str
    upstream_output: OutputContext
    asset_key: AssetKey | None = None
    partition_key: str | None = None
    asset_partition_keys: Sequence[str] | None = None
    base_dir: str = ""
    log: Any = _LOG
    dagster_type: Any = None

    @property
    def has_asset_key(self) -> bool:
        return self.asset_key is not None

    @property
    def has_asset_partitions(self) -> bool:
        return self.partition_key is not None or self.asset_partition_keys is not None

    @property
    def has_partition_key(self) -> bool:
        return self.partition_key is not None

    @property
    def asset_partition_key(self) -> str:
        """The one upstream partition this input reads."""
        if self.partition_key is None:
            raise UsageError(
                f"input {self.name!r} reads {len(self.asset_partition_keys or [])} partitions "
                "or none; use asset_partition_keys"
                if self.asset_partition_keys
                else f"input {self.name!r} is not partitioned"
            )
        return self.partition_key

    @property
    def loads_many_partitions(self) -> bool:
        """True when the IO manager must return ``{partition_key: value}``."""
        return self.partition_key is None and self.asset_partition_keys is not None

    @property
    def upstream_asset_key(self) -> AssetKey | None:
        return self.asset_key if self.asset_key is not None else self.upstream_output.asset_key

    def get_identifier(self) -> list[str]:
        """The identifier of what is loaded (same scheme as `OutputContext.get_identifier`)."""
        key = self.upstream_asset_key
        if key is None:
            return self.upstream_output.get_identifier()
        return self.get_identifier_for_partition(self.partition_key)

    def get_identifier_for_partition(self, partition_key: str | None) -> list[str]:
        key = self.upstream_asset_key
        if key is None:
            return self.upstream_output.get_identifier()
        ident = list(key.path)
        if partition_key is not None:
            ident.append(partition_key)
        return ident


class InputManager(ABC):
    """Loads inputs only: named by `In(input_manager_key=...)` or
    `AssetIn(input_manager_key=...)`, it replaces the upstream IO manager for that input
    (and loads an op input that has no upstream at all)."""

    @abstractmethod
    def load_input(self, context: InputContext) -> Any:
        """Load the value ``context`` points at (a dict per partition when it points at many)."""


class IOManager(InputManager):
    """Stores step outputs and loads them as inputs of downstream steps."""

    __freshet_io_manager__: ClassVar[bool] = True

    @abstractmethod
    def handle_output(self, context: OutputContext, obj: Any) -> DataVersion | None:
        """Store ``obj``; optionally return a fingerprint of its content as its data version."""


def build_output_context(
    *,
    name: str = "result",
    step_key: str = "direct",
    run_id: str | None = None,
    asset_key: Any = None,
    partition_key: str | None = None,
    definition_metadata: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    base_dir: str = "",
) -> OutputContext:
    """An `OutputContext` for calling an IO manager's `handle_output` in a unit test."""
    return OutputContext(
        run_id=run_id,
        step_key=step_key,
        name=name,
        asset_key=None if asset_key is None else AssetKey.from_coercible(asset_key),
        partition_key=partition_key,
        definition_metadata=dict(definition_metadata or metadata or {}),
        base_dir=base_dir,
    )


def build_input_context(
    *,
    name: str = "input",
    upstream_output: OutputContext | None = None,
    asset_key: Any = None,
    partition_key: str | None = None,
    asset_partition_keys: Sequence[str] | None = None,
    base_dir: str = "",
) -> InputContext:
    """An `InputContext` for calling an IO manager's `load_input` in a unit test. Without
    `upstream_output`, the upstream is the output of the same asset (or a step `direct`)."""
    key = None if asset_key is None else AssetKey.from_coercible(asset_key)
    if upstream_output is None:
        upstream_output = build_output_context(
            asset_key=key, partition_key=partition_key, base_dir=base_dir
        )
    return InputContext(
        name=name,
        upstream_output=upstream_output,
        asset_key=key,
        partition_key=partition_key,
        asset_partition_keys=None if asset_partition_keys is None else list(asset_partition_keys),
        base_dir=base_dir,
    )


def load_each_identifier(
    context: InputContext, load: Callable[[list[str], str | None], Any]
) -> Any:
    """What an IO manager keyed by identifier returns: `load(identifier, partition)` of the
    one value `context` points at, or a dict of it per partition when it points at many."""
    if context.loads_many_partitions:
        return {
            key: load(context.get_identifier_for_partition(key), key)
            for key in context.asset_partition_keys or ()
        }
    return load(context.get_identifier(), context.partition_key)


def describe_target(context: InputContext | OutputContext, partition_key: str | None) -> str:
    """What an IO manager stores or loads, for its error messages: the asset (and partition),
    else the op output."""
    key = context.asset_key if isinstance(context, OutputContext) else context.upstream_asset_key
    if key is not None:
        where = f"asset '{key.to_user_string()}'"
        return f"{where}, partition {partition_key!r}" if partition_key is not None else where
    up = context if isinstance(context, OutputContext) else context.upstream_output
    return f"output {up.name!r} of step {up.step_key!r} (run {up.run_id})"
