"""Resources: function-style `@resource`, and `build_resources`, which initialises the ones a
step needs in dependency order and tears them down after.

`ConfigurableResource` classes live in `configurable_resources` (they need pydantic); this
module recognises their instances without importing it, so that a project whose resources
are plain objects or functions never loads pydantic.
"""

from __future__ import annotations

import inspect
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from enum import Enum
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

from freshet.core.io_managers import InputManager, IOManager
from freshet.core.run_config import schema_for
from freshet.errors import (
    ConfigError,
    CycleError,
    ExecutionError,
    InvalidDefinitionError,
    MissingResourceError,
)

if TYPE_CHECKING:
    from freshet.core.config_schema import ConfigSchema
    from freshet.core.configurable_resources import ConfigurableResource

_LOG = logging.getLogger("freshet.resources")


class Resources:
    """The initialised resources a step or resource asked for: ``r.warehouse`` or ``r["warehouse"]``."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, key: str) -> Any:
        if key == "_values":  # not yet set (copy, unpickling): avoid recursing
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(_missing_message(key, self._values)) from None

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise MissingResourceError(_missing_message(key, self._values)) from None

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("Resources are read-only")

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Resources({', '.join(self._values)})"


def _missing_message(key: str, values: Mapping[str, Any]) -> str:
    available = ", ".join(sorted(values)) or "none"
    return (
        f"no resource {key!r} here (available: {available}); declare it with "
        "required_resource_keys or a typed parameter, and provide it in Definitions(resources=...)"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class InitResourceContext:
    """What a resource receives when it is initialised."""

    resource_config: Any = None
    resources: Resources = field(default_factory=lambda: Resources({}))
    log: Any = _LOG


def build_init_resource_context(
    config: Any = None, resources: Mapping[str, Any] | None = None, log: Any = None
) -> InitResourceContext:
    """An `InitResourceContext` for calling a resource function directly in a test."""
    return InitResourceContext(
        resource_config=config, resources=Resources(resources or {}), log=log or _LOG
    )


# ---------------------------------------------------------------------------------------------
# Function-style resources
# ---------------------------------------------------------------------------------------------


def _positional_arity(fn: Callable[..., Any], where: str) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins without signatures: assume they take the context
        return 1
    required = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if len(required) > 1:
        raise InvalidDefinitionError(
            f"{where}: a resource function takes at most one argument (the init context), "
            f"got {len(required)}: {', '.join(p.name for p in required)}"
        )
    return len(required)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceDefinition:
    """A resource made by a function of its init context; a generator function tears down
    after its ``yield``."""

    __freshet_resource__: ClassVar[bool] = True

    resource_fn: Callable[..., Any]
    config_schema: Any = None
    #: any collection of keys is accepted; stored as a frozenset
    required_resource_keys: frozenset[str] = frozenset()
    description: str | None = None
    #: config fixed by `.configured(...)`: used when run config gives none
    fixed_config: Any = None
    schema: ConfigSchema | None = field(init=False, repr=False)
    takes_context: bool = field(init=False, repr=False)
    is_generator: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        name = getattr(self.resource_fn, "__name__", "resource")
        where = f"resource {name!r}"
        if not callable(self.resource_fn):
            raise InvalidDefinitionError(f"{where}: resource_fn must be callable")
        keys = self.required_resource_keys
        if isinstance(keys, str):
            raise InvalidDefinitionError(
                f"{where}: required_resource_keys must be a collection of keys, e.g. {{{keys!r}}}"
            )
        object.__setattr__(self, "required_resource_keys", frozenset(keys))
        object.__setattr__(self, "schema", schema_for(self.config_schema, where))
        object.__setattr__(self, "takes_context", _positional_arity(self.resource_fn, where) == 1)
        object.__setattr__(self, "is_generator", inspect.isgeneratorfunction(self.resource_fn))

    @staticmethod
    def hardcoded_resource(value: Any, description: str | None = None) -> ResourceDefinition:
        """A resource that is always ``value`` (no config, no setup)."""

        def hardcoded(_context: InitResourceContext) -> Any:
            return value

        return ResourceDefinition(resource_fn=hardcoded, description=description)

    @staticmethod
    def mock_resource(description: str | None = None) -> ResourceDefinition:
        """A resource that is a `unittest.mock.MagicMock` (any attribute, any call)."""
        from unittest import mock  # lazy: only tests use it

        return ResourceDefinition.hardcoded_resource(mock.MagicMock(), description)

    @staticmethod
    def none_resource(description: str | None = None) -> ResourceDefinition:
        """A resource that is None."""
        return ResourceDefinition.hardcoded_resource(None, description)

    def configured(self, config: Any) -> ResourceDefinition:
        """A copy with its config fixed to `config` (checked now against the schema)."""
        name = getattr(self.resource_fn, "__name__", "resource")
        if self.schema is not None:
            _, problems = self.schema.validate(config, path=f"resource {name!r} configured")
            if problems:
                raise ConfigError(problems)
        return replace(self, fixed_config=config)

    def open(self, context: InitResourceContext) -> AbstractContextManager[Any]:
        """A context manager giving the resource value and tearing it down on exit."""
        args = (context,) if self.takes_context else ()
        if self.is_generator:
            return contextmanager(self.resource_fn)(*args)
        return _called(self.resource_fn, args)

    def __call__(self, context: InitResourceContext | None = None) -> Any:
        """Direct invocation for tests: the value (a context manager for generator resources)."""
        cm = self.open(context or build_init_resource_context(config=self.fixed_config))
        return cm if self.is_generator else cm.__enter__()


@contextmanager
def _called(fn: Callable[..., Any], args: tuple[Any, ...]) -> Iterator[Any]:
    yield fn(*args)


def resource(
    fn: Callable[..., Any] | None = None,
    *,
    config_schema: Any = None,
    required_resource_keys: Iterable[str] | None = None,
    description: str | None = None,
) -> Any:
    """Declare a resource with a function: ``@resource`` or ``@resource(config_schema=...)``."""

    def decorate(f: Callable[..., Any]) -> ResourceDefinition:
        return ResourceDefinition(
            resource_fn=f,
            config_schema=config_schema,
            required_resource_keys=required_resource_keys or frozenset(),  # type: ignore[arg-type]
            description=description or inspect.getdoc(f),
        )

    return decorate(fn) if fn is not None else decorate


def io_manager(
    fn: Callable[..., Any] | None = None,
    *,
    config_schema: Any = None,
    required_resource_keys: Iterable[str] | None = None,
    description: str | None = None,
) -> Any:
    """`resource` for a function that returns an `IOManager`."""
    return resource(
        fn,
        config_schema=config_schema,
        required_resource_keys=required_resource_keys,
        description=description,
    )


class _FunctionInputManager(InputManager):
    def __init__(self, load_fn: Callable[..., Any]) -> None:
        self._load_fn = load_fn

    def load_input(self, context: Any) -> Any:
        return self._load_fn(context)


def input_manager(
    fn: Callable[..., Any] | None = None,
    *,
    config_schema: Any = None,
    required_resource_keys: Iterable[str] | None = None,
    description: str | None = None,
) -> Any:
    """Declare an input manager by its load function, `(InputContext) -> value`; give it in
    `Definitions(resources=...)` and name it with `In(input_manager_key=...)`."""

    def decorate(load_fn: Callable[..., Any]) -> ResourceDefinition:
        if not callable(load_fn):
            raise InvalidDefinitionError(f"@input_manager: expected a function, got {load_fn!r}")

        def make_input_manager() -> InputManager:
            return _FunctionInputManager(load_fn)

        make_input_manager.__name__ = getattr(load_fn, "__name__", "input_manager")
        return ResourceDefinition(
            resource_fn=make_input_manager,
            config_schema=config_schema,
            required_resource_keys=frozenset(required_resource_keys or ()),
            description=description or inspect.getdoc(load_fn),
        )

    return decorate(fn) if fn is not None else decorate


# ---------------------------------------------------------------------------------------------
# What Definitions and the engine call
# ---------------------------------------------------------------------------------------------


def _configurable_class() -> type | None:
    """`ConfigurableResource`, once anything has imported it; until then no instance or
    subclass of it exists, and pydantic (which it needs) stays unloaded."""
    module = sys.modules.get("freshet.core.configurable_resources")
    return None if module is None else getattr(module, "ConfigurableResource", None)


def is_configurable(value: Any) -> bool:
    """Whether `value` is a `ConfigurableResource` instance."""
    cls = _configurable_class()
    return cls is not None and isinstance(value, cls)


def coerce_resource(value: Any) -> ResourceDefinition | ConfigurableResource:
    """Anything given in ``Definitions(resources=...)`` as something `build_resources` can open;
    plain objects (clients, IO manager instances) become hardcoded resources."""
    if isinstance(value, ResourceDefinition) or is_configurable(value):
        return value
    if isinstance(value, type):
        configurable = _configurable_class()
        if issubclass(value, IOManager) or (
            configurable is not None and issubclass(value, configurable)
        ):
            raise InvalidDefinitionError(
                f"got the class {value.__name__}, not an instance; pass {value.__name__}(...)"
            )
    return ResourceDefinition.hardcoded_resource(value)


def resource_config_schema(res: Any) -> ConfigSchema | None:
    """The run config a resource takes. For a resource instance it is partial: run config
    overrides fields the instance already holds."""
    res = coerce_resource(res)
    if isinstance(res, ResourceDefinition):
        return None if res.fixed_config is not None else res.schema
    schema = schema_for(type(res), f"resource {type(res).__name__}")
    assert schema is not None
    return schema.with_base_values(_field_values(res))


def required_resource_keys(res: Any) -> frozenset[str]:
    """The other resource keys a resource needs initialised before it."""
    if isinstance(res, ResourceDefinition):
        return res.required_resource_keys
    return frozenset()


def _field_values(res: Any) -> dict[str, Any]:
    return {info.alias or name: getattr(res, name) for name, info in type(res).model_fields.items()}


# ---------------------------------------------------------------------------------------------
# build_resources
# ---------------------------------------------------------------------------------------------


class _Visit(Enum):
    IN_PROGRESS = 1
    DONE = 2


def _init_order(
    resources: Mapping[str, ResourceDefinition | ConfigurableResource],
    keys: Iterable[str],
    requested_by: str,
) -> list[str]:
    order: list[str] = []
    state: dict[str, _Visit] = {}

    def visit(key: str, requester: str, chain: tuple[str, ...]) -> None:
        if key not in resources:
            available = ", ".join(sorted(resources)) or "none"
            raise MissingResourceError(
                f"resource {key!r} is required by {requester} but not provided (available: "
                f"{available}); add it to Definitions(resources=...)"
            )
        seen = state.get(key)
        if seen is _Visit.DONE:
            return
        if seen is _Visit.IN_PROGRESS:
            cycle = " -> ".join((*chain, key))
            raise CycleError(f"resources require each other in a cycle: {cycle}; break the cycle")
        state[key] = _Visit.IN_PROGRESS
        for dep in sorted(required_resource_keys(resources[key])):
            visit(dep, f"resource {key!r}", (*chain, key))
        state[key] = _Visit.DONE
        order.append(key)

    for key in keys:
        visit(key, requested_by, ())
    return order


class _Guarded(AbstractContextManager[Any]):
    """Turns a resource's own exceptions, at init or teardown, into `ExecutionError`s naming it."""

    __slots__ = ("_cm", "_what")

    def __init__(self, what: str, cm: AbstractContextManager[Any]) -> None:
        self._what = what
        self._cm = cm

    def __enter__(self) -> Any:
        try:
            return self._cm.__enter__()
        except Exception as exc:
            raise ExecutionError(f"{self._what} failed to initialise: {exc}") from exc

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        try:
            return self._cm.__exit__(exc_type, exc, tb)
        except Exception as raised:
            if raised is exc:
                raise
            raise ExecutionError(f"{self._what} failed to tear down: {raised}") from raised


def _open_configurable(
    what: str,
    path: str,
    res: Any,
    overrides: Mapping[str, Any] | None,
    context: InitResourceContext,
    stack: ExitStack,
) -> Any:
    # `res` is a ConfigurableResource, so pydantic is loaded already
    from freshet.core.config_schema import resolve_config_instance
    from freshet.core.config_types import config_to_dict, holds_env_or_model

    # Untouched instances are used as they are: no copy, so state such as an in-memory
    # IO manager's values lives as long as the instance.
    if overrides or holds_env_or_model(res):
        res = resolve_config_instance(res, path=path, overrides=overrides)
        nested = {
            name: _open_configurable(
                f"{what} (field {name!r})", f"{path}.{name}", value, None, context, stack
            )
            for name in type(res).model_fields
            if is_configurable(value := getattr(res, name))
        }
        if nested:
            res = res.model_copy(update=nested)
    context = InitResourceContext(
        resource_config=config_to_dict(res), resources=context.resources, log=context.log
    )
    return stack.enter_context(_Guarded(what, res.yield_for_execution(context)))


def _open_definition(
    what: str,
    path: str,
    res: ResourceDefinition,
    config: Any,
    context: InitResourceContext,
    stack: ExitStack,
) -> Any:
    resource_config = res.fixed_config if config is None else config
    if res.schema is not None:
        resource_config, problems = res.schema.validate(resource_config, path=path)
        if problems:
            raise ConfigError(problems)
    context = InitResourceContext(
        resource_config=resource_config, resources=context.resources, log=context.log
    )
    return stack.enter_context(_Guarded(what, res.open(context)))


@contextmanager
def build_resources(
    resources: Mapping[str, Any],
    *,
    config: Mapping[str, Any] | None = None,
    keys: Iterable[str] | None = None,
    log: Any = None,
    on_init: Callable[[str, float], None] | None = None,
    requested_by: str = "this run",
    resource_config: Mapping[str, Any] | None = None,
) -> Iterator[Resources]:
    """Initialise ``keys`` (default: all) and what they require, in dependency order; yield
    them; tear them down in reverse order on exit, even on error.

    ``config`` maps resource keys to validated run config (`ResolvedRunConfig.resources`);
    ``resource_config`` takes the run-config form, ``{key: {"config": ...}}``.
    ``on_init(key, seconds)`` is called after each resource is initialised.
    """
    coerced = {key: coerce_resource(value) for key, value in resources.items()}
    order = _init_order(coerced, list(coerced) if keys is None else keys, requested_by)
    # `resource_config` is the run-config form: {key: {"config": ...}}
    config = {
        **{
            k: v.get("config", v) if isinstance(v, Mapping) else v
            for k, v in (resource_config or {}).items()
        },
        **(config or {}),
    }
    log = log or _LOG
    values: dict[str, Any] = {}
    with ExitStack() as stack:
        for key in order:
            res = coerced[key]
            started = time.perf_counter()
            context = InitResourceContext(
                resources=Resources({k: values[k] for k in required_resource_keys(res)}), log=log
            )
            what, path = f"resource {key!r}", f"resources.{key}.config"
            if is_configurable(res):
                values[key] = _open_configurable(what, path, res, config.get(key), context, stack)
            else:
                values[key] = _open_definition(what, path, res, config.get(key), context, stack)
            if on_init is not None:
                on_init(key, time.perf_counter() - started)
        yield Resources(values)
