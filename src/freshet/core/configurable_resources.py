"""`ConfigurableResource`: a resource declared as a class of config fields (a pydantic model),
and the IO managers declared the same way. Imports pydantic: never import at start-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from freshet.core.config_types import Config
from freshet.core.io_managers import InputManager, IOManager
from freshet.core.resources import InitResourceContext, ResourceDefinition
from freshet.errors import InvalidDefinitionError


class ConfigurableResource(Config):
    """A resource declared as a class of config fields, given as an instance in `Definitions`.

    Fields may hold `EnvVar`s (resolved at initialisation) and other resources (initialised
    first, torn down after). Keep clients in ``PrivateAttr``s set in `setup_for_execution`.
    """

    __freshet_resource__: ClassVar[bool] = True

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Called once per step process before the resource is used."""

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        """Called once the steps using the resource are done, even when they failed."""

    def create_resource(self, context: InitResourceContext) -> Any:
        """The object user code receives; the resource itself by default."""
        return self

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[Any]:
        self.setup_for_execution(context)
        try:
            yield self.create_resource(context)
        finally:
            self.teardown_after_execution(context)

    @classmethod
    def configure_at_launch(cls, **values: Any) -> ResourceDefinition:
        """This resource with its fields given in each run's config
        (`resources.<key>.config`) rather than in code."""
        if values:
            raise InvalidDefinitionError(
                f"{cls.__name__}.configure_at_launch(): give every field in run config, or "
                f"build {cls.__name__}(...) in code; fixing some fields here is not supported"
            )

        def at_launch(context: InitResourceContext) -> Iterator[Any]:
            config = context.resource_config
            resource = config if isinstance(config, cls) else cls(**(config or {}))
            with resource.yield_for_execution(context) as value:
                yield value

        at_launch.__name__ = cls.__name__
        return ResourceDefinition(resource_fn=at_launch, config_schema=cls)


class ConfigurableIOManager(ConfigurableResource, IOManager):
    """An IO manager declared as a configurable resource; it is its own resource value."""


class ConfigurableIOManagerFactory(ConfigurableResource):
    """Config fields that build an IO manager: implement `create_io_manager`, whose result
    (any `IOManager`) is what steps store and load through."""

    def create_io_manager(self, context: InitResourceContext) -> IOManager:
        raise NotImplementedError(
            f"{type(self).__name__} must implement create_io_manager(self, context) and "
            "return an IOManager"
        )

    def create_resource(self, context: InitResourceContext) -> Any:
        manager = self.create_io_manager(context)
        if not isinstance(manager, InputManager):
            raise InvalidDefinitionError(
                f"{type(self).__name__}.create_io_manager returned a "
                f"{type(manager).__name__}, not an IOManager"
            )
        return manager
