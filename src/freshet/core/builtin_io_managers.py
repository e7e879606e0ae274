"""The built-in IO managers as configurable resources: pickle files under the instance's
storage folder, and a dict in memory. Imports pydantic; what they store through
(`pickle_files`, `memory_io`) does not.
"""

from __future__ import annotations

from typing import Any

from pydantic import PrivateAttr

from freshet.core.config_types import Field
from freshet.core.configurable_resources import ConfigurableIOManager
from freshet.core.io_managers import InputContext, OutputContext
from freshet.core.memory_io import DictIOManager
from freshet.core.pickle_files import PickleFilesIOManager
from freshet.core.resources import InitResourceContext, ResourceDefinition
from freshet.core.results import DataVersion


class FilesystemIOManager(ConfigurableIOManager):
    """Pickles each output under ``base_dir`` (default: the instance's storage folder):
    ``<base>/<asset key path>[/<partition>]``, or ``<base>/<run id>/<step key>/<output>`` for op
    outputs. Returns the sha256 of the bytes written as the data version.
    """

    base_dir: str | None = None

    def handle_output(self, context: OutputContext, obj: Any) -> DataVersion:
        return PickleFilesIOManager(self.base_dir).handle_output(context, obj)

    def load_input(self, context: InputContext) -> Any:
        return PickleFilesIOManager(self.base_dir).load_input(context)


class InMemoryIOManager(ConfigurableIOManager):
    """Keeps outputs in a dict for the life of this instance (tests, in-process runs)."""

    _values: DictIOManager = PrivateAttr(default_factory=DictIOManager)

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        self._values.handle_output(context, obj)

    def load_input(self, context: InputContext) -> Any:
        return self._values.load_input(context)


def _make_filesystem_io_manager(context: InitResourceContext) -> FilesystemIOManager:
    config = context.resource_config or {}
    return FilesystemIOManager(base_dir=config.get("base_dir"))


def _make_in_memory_io_manager() -> InMemoryIOManager:
    return InMemoryIOManager()


fs_io_manager = ResourceDefinition(
    resource_fn=_make_filesystem_io_manager,
    config_schema={"base_dir": Field(str, is_required=False)},
    description="Pickles outputs under base_dir (default: the instance's storage folder).",
)
"""The filesystem IO manager as a resource definition (configurable with `base_dir`)."""

mem_io_manager = ResourceDefinition(
    resource_fn=_make_in_memory_io_manager,
    description="Keeps outputs in memory for the run.",
)
"""An in-memory IO manager as a resource definition."""
