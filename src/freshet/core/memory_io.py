"""An IO manager over a plain dict, with no config and no pydantic: `InMemoryIOManager` (a
configurable resource) keeps its values in one, and `materialize_to_memory` runs with one
directly when it is given no config for the IO managers it replaces."""

from __future__ import annotations

from typing import Any

from freshet.core.io_managers import (
    InputContext,
    IOManager,
    OutputContext,
    describe_target,
    load_each_identifier,
)
from freshet.errors import ExecutionError


class DictIOManager(IOManager):
    """Keeps each output under its identifier for the life of this object."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, ...], Any] = {}

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        self._values[tuple(context.get_identifier())] = obj

    def load_input(self, context: InputContext) -> Any:
        return load_each_identifier(
            context, lambda identifier, partition: self._load(context, identifier, partition)
        )

    def _load(self, context: InputContext, identifier: list[str], partition: str | None) -> Any:
        try:
            return self._values[tuple(identifier)]
        except KeyError:
            raise ExecutionError(
                f"input {context.name!r}: no value in memory for "
                f"{describe_target(context, partition)}; materialize it first in this process "
                "(InMemoryIOManager keeps values only while its instance lives)"
            ) from None
