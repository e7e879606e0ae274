"""Gradual type checks of step inputs and outputs: annotations and custom `DataType`s.

`check_type` runs for every input and output, so each annotation is compiled once into a
checker function and cached.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from freshet.errors import InvalidDefinitionError


@dataclass(frozen=True, slots=True)
class TypeCheck:
    """The outcome of a type check; ``description`` says why it failed."""

    success: bool
    description: str | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class DataType:
    """A named custom check: ``type_check_fn(value)`` returns a bool or a `TypeCheck`."""

    name: str
    type_check_fn: Callable[[Any], bool | TypeCheck]
    description: str | None = None

    def __post_init__(self) -> None:
        if not callable(self.type_check_fn):
            raise InvalidDefinitionError(
                f"DataType {self.name!r}: type_check_fn must be a function taking the value "
                f"and returning a bool or TypeCheck, got {type(self.type_check_fn).__name__}"
            )


Checker = Callable[[Any], TypeCheck]

PASSED = TypeCheck(success=True)

_MAX_REPR = 80


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real failure
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


def describe_type(annotation: Any) -> str:
    """A short human name for an annotation, for messages."""
    if isinstance(annotation, DataType):
        return annotation.name
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__qualname__
    if isinstance(annotation, str):
        return annotation
    return repr(annotation).replace("typing.", "")


def _pass(_value: Any) -> TypeCheck:
    return PASSED


def _failure(expected: str, value: Any) -> TypeCheck:
    return TypeCheck(
        success=False,
        description=f"expected {expected}, got {type(value).__name__} ({_short_repr(value)})",
    )


def _instance_checker(classes: tuple[type, ...], expected: str) -> Checker:
    def check(value: Any) -> TypeCheck:
        return PASSED if isinstance(value, classes) else _failure(expected, value)

    return check


def _data_type_checker(data_type: DataType) -> Checker:
    fn = data_type.type_check_fn

    def check(value: Any) -> TypeCheck:
        try:
            outcome = fn(value)
        except Exception as exc:  # the user's check is part of the check: its crash is a failure
            return TypeCheck(
                success=False,
                description=f"type check {data_type.name!r} raised {type(exc).__name__}: {exc}",
            )
        if isinstance(outcome, TypeCheck):
            return outcome
        if isinstance(outcome, bool):
            return PASSED if outcome else _failure(data_type.name, value)
        return TypeCheck(
            success=False,
            description=f"type check {data_type.name!r} returned {type(outcome).__name__}; "
            "a type check function must return a bool or a TypeCheck",
        )

    return check


def _union_checker(members: tuple[Any, ...], expected: str) -> Checker:
    checkers = [_compile(m) for m in members]
    if any(c is _pass for c in checkers):
        return _pass
    plain = [m for m in members if _plain_classes(m) is not None]
    if len(plain) == len(members):
        classes = tuple(c for m in members for c in _plain_classes(m) or ())
        return _instance_checker(classes, expected)

    def check(value: Any) -> TypeCheck:
        for member_check in checkers:
            if member_check(value).success:
                return PASSED
        return _failure(expected, value)

    return check


def _literal_checker(values: tuple[Any, ...], expected: str) -> Checker:
    def check(value: Any) -> TypeCheck:
        # Compare type too, so Literal[1] does not accept True.
        for allowed in values:
            if value == allowed and type(value) is type(allowed):
                return PASSED
        return _failure(expected, value)

    return check


def _plain_classes(annotation: Any) -> tuple[type, ...] | None:
    """The classes an isinstance check needs for ``annotation``, or None if not that simple."""
    if annotation is type(None) or annotation is None:
        return (type(None),)
    if annotation is float:
        return (float, int)  # PEP 484 numeric tower: an int is acceptable where a float is
    if annotation is complex:
        return (complex, float, int)
    if isinstance(annotation, type) and _isinstance_works(annotation):
        return (annotation,)
    return None


def _isinstance_works(cls: type) -> bool:
    # Protocols that are not runtime-checkable refuse isinstance; gradual typing lets them pass.
    try:
        isinstance(None, cls)
    except TypeError:
        return False
    return True


_ALWAYS_PASS: tuple[Any, ...] = (inspect.Parameter.empty, Any, object, None)


def _is_always_pass(annotation: Any) -> bool:
    return any(annotation is p for p in _ALWAYS_PASS) or isinstance(
        annotation, str | typing.ForwardRef | typing.TypeVar
    )


def _compile(annotation: Any) -> Checker:
    if _is_always_pass(annotation):
        return _pass
    if isinstance(annotation, DataType):
        return _data_type_checker(annotation)
    expected = describe_type(annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _compile(annotation.__origin__)
    if origin is typing.Union or origin is types.UnionType:
        return _union_checker(typing.get_args(annotation), expected)
    if origin is typing.Literal:
        return _literal_checker(typing.get_args(annotation), expected)
    if origin is not None:
        # Parametrised generics: only the container is checked, never its elements.
        return _compile(origin) if isinstance(origin, type) else _pass
    supertype = getattr(annotation, "__supertype__", None)
    if supertype is not None:  # typing.NewType
        return _compile(supertype)
    classes = _plain_classes(annotation)
    if classes is None:
        return _pass  # special forms we cannot check at run time (Never, Self, ...)
    return _instance_checker(classes, expected)


_CACHE: dict[Any, Checker] = {}


def checker_for(annotation: Any) -> Checker:
    """The cached check function for ``annotation`` (compile once, call per value)."""
    try:
        return _CACHE[annotation]
    except KeyError:
        pass
    except TypeError:  # unhashable annotation, e.g. Annotated with a dict: compile every time
        return _compile(annotation)
    checker = _compile(annotation)
    _CACHE[annotation] = checker
    return checker


def check_type(expected: Any, value: Any) -> TypeCheck:
    """Check ``value`` against an annotation or `DataType`; unannotated means anything goes."""
    return checker_for(expected)(value)
