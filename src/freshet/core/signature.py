"""Reads a user function's signature once: which parameters are context, config, resources
and data inputs. Every decorator (@op, @asset, @asset_check, ...) shares this reading."""

from __future__ import annotations

import collections.abc
import inspect
import os
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from freshet.errors import InvalidDefinitionError

CONTEXT_NAMES = frozenset({"context", "_context", "ctx"})


def is_config_class(annotation: Any) -> bool:
    return (
        isinstance(annotation, type)
        and getattr(annotation, "__freshet_config__", False)
        and not getattr(annotation, "__freshet_resource__", False)
    )


class _ResourceMarker:
    """Marks `ResourceParam[T]`: a parameter receiving a resource of any type."""


RESOURCE_MARKER = _ResourceMarker()


class ResourceParam:
    """`ResourceParam[MyClient]` annotates a parameter that receives the resource of that
    name, whatever its type (a plain object given in `Definitions(resources=...)`)."""

    def __class_getitem__(cls, item: Any) -> Any:
        return typing.Annotated[item, RESOURCE_MARKER]


def is_resource_class(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        return any(meta is RESOURCE_MARKER for meta in annotation.__metadata__)
    return isinstance(annotation, type) and getattr(annotation, "__freshet_resource__", False)


def is_context_class(annotation: Any) -> bool:
    return isinstance(annotation, type) and getattr(annotation, "__freshet_context__", False)


@dataclass(frozen=True, slots=True)
class DataParam:
    name: str
    annotation: Any
    has_default: bool
    default: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionShape:
    """The parameters of a compute function, by role."""

    has_context: bool
    config_param: str | None
    config_class: type | None
    resource_params: tuple[str, ...]
    data_params: tuple[DataParam, ...]
    return_annotation: Any
    location: str

    @property
    def data_param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.data_params)


def describe_location(fn: Callable[..., Any]) -> str:
    code = getattr(fn, "__code__", None)
    if code is None:
        return getattr(fn, "__qualname__", repr(fn))
    return f"{code.co_filename}:{code.co_firstlineno}"


def _signature(fn: Callable[..., Any], what: str) -> inspect.Signature:
    """The signature with string annotations (``from __future__ import annotations``)
    evaluated where possible; an annotation that cannot be evaluated stays a string."""
    try:
        return inspect.signature(fn, eval_str=True)
    except (NameError, SyntaxError, TypeError, AttributeError):
        pass
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise InvalidDefinitionError(
            f"{what}: cannot read the function's signature: {exc}"
        ) from exc
    # A class defined inside the function that declares the asset (common in tests) is in
    # that caller's locals, not in the function's globals.
    namespace = {**getattr(fn, "__globals__", {}), **_caller_locals()}
    params = []
    for param in sig.parameters.values():
        annotation = param.annotation
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)
            except Exception:
                pass
        params.append(param.replace(annotation=annotation))
    return sig.replace(parameters=params)


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def _caller_locals() -> dict[str, Any]:
    """Locals of the innermost frame outside freshet (where the decorator was applied)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return dict(frame.f_locals) if frame is not None else {}


def read_function_shape(fn: Callable[..., Any], *, what: str) -> FunctionShape:
    """Classify `fn`'s parameters. `what` names the definition in error messages."""
    if not callable(fn):
        raise InvalidDefinitionError(f"{what}: expected a function, got {fn!r}")
    sig = _signature(fn, what)
    params = list(sig.parameters.values())
    has_context = False
    config_param: str | None = None
    config_class: type | None = None
    resources: list[str] = []
    data: list[DataParam] = []
    for index, param in enumerate(params):
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise InvalidDefinitionError(
                f"{what} ({describe_location(fn)}): *args/**kwargs parameters are not supported; "
                "name each input explicitly"
            )
        annotation = param.annotation
        if index == 0 and (param.name in CONTEXT_NAMES or is_context_class(annotation)):
            has_context = True
        elif is_context_class(annotation):
            raise InvalidDefinitionError(
                f"{what} ({describe_location(fn)}): the context parameter {param.name!r} "
                "must be the first parameter"
            )
        elif is_config_class(annotation):
            if config_param is not None:
                raise InvalidDefinitionError(
                    f"{what}: two Config parameters ({config_param!r}, {param.name!r}); use one"
                )
            config_param, config_class = param.name, annotation
        elif is_resource_class(annotation):
            resources.append(param.name)
        else:
            empty = param.default is inspect.Parameter.empty
            data.append(DataParam(param.name, annotation, not empty, param.default))
    return FunctionShape(
        has_context=has_context,
        config_param=config_param,
        config_class=config_class,
        resource_params=tuple(resources),
        data_params=tuple(data),
        return_annotation=sig.return_annotation,
        location=describe_location(fn),
    )


_GENERATOR_ORIGINS = frozenset(
    {
        collections.abc.Iterator,
        collections.abc.Iterable,
        collections.abc.Generator,
        collections.abc.AsyncIterator,
    }
)


def output_annotation(annotation: Any) -> Any:
    """The type to check an output's value against, from a return annotation.

    `Output[T]` checks `T`; generators, `Output` and `MaterializeResult` say nothing about
    the stored value, so they check nothing; no annotation means any."""
    if annotation is inspect.Parameter.empty or isinstance(annotation, str):
        return None
    origin = typing.get_origin(annotation)
    # Until something imports `freshet.core.results` no annotation can name `Output` (start-up
    # time: a project that never writes one does not load it).
    results = sys.modules.get("freshet.core.results")
    if results is not None:
        if annotation in (results.Output, results.MaterializeResult):
            return None
        if origin is results.Output:
            args = typing.get_args(annotation)
            return args[0] if args else None
    if origin in _GENERATOR_ORIGINS or annotation in _GENERATOR_ORIGINS:
        return None
    return annotation
