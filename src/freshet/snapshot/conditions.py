"""Snapshot codecs for automation conditions: every leaf and operator under a stable type
name ("condition.missing", "condition.and", ...), so a condition tree round-trips exactly.

The names are part of the stored format: renaming a condition class never changes them
(they come from each class's `name`, not from the class)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from freshet.core.automation.conditions import CONDITION_FIELDS, AutomationCondition
from freshet.errors import SnapshotError, SnapshotVersionError
from freshet.snapshot.values import ValueCodec, register_codec

#: "condition." + the class's `name`, which is therefore part of the stored format too (the
#: tests pin every stored name).
CONDITION_TYPE_NAMES: dict[type[AutomationCondition], str] = {
    cls: f"condition.{cls.name}" for cls in CONDITION_FIELDS
}

#: fields that hold one nested condition (`operands` holds several)
_NESTED_FIELDS = ("operand", "trigger", "reset")


def condition_to_json(condition: AutomationCondition) -> dict[str, Any]:
    kind = type(condition)
    name = CONDITION_TYPE_NAMES.get(kind)
    if name is None:
        raise SnapshotError(
            f"automation condition {kind.__qualname__} has no snapshot type name; build "
            "conditions from AutomationCondition's leaves and operators"
        )
    doc: dict[str, Any] = {"type": name}
    for field_name in CONDITION_FIELDS[kind]:
        value = getattr(condition, field_name)
        if field_name == "operands":
            doc[field_name] = [condition_to_json(c) for c in value]
        elif field_name in _NESTED_FIELDS:
            doc[field_name] = condition_to_json(value)
        else:
            doc[field_name] = value
    if condition.label is not None:
        doc["label"] = condition.label
    return doc


_CLASSES_BY_NAME = {name: cls for cls, name in CONDITION_TYPE_NAMES.items()}


def condition_from_json(doc: Mapping[str, Any]) -> AutomationCondition:
    kind = doc.get("type") if isinstance(doc, Mapping) else None
    cls = _CLASSES_BY_NAME.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise SnapshotVersionError(
            f"unknown automation condition type {kind!r} in snapshot; it was probably written "
            "by a newer freshet: upgrade freshet to read it"
        )
    values: dict[str, Any] = {}
    for field_name in CONDITION_FIELDS[cls]:
        if field_name not in doc:
            continue
        value = doc[field_name]
        if field_name == "operands":
            values[field_name] = tuple(condition_from_json(c) for c in value)
        elif field_name in _NESTED_FIELDS:
            values[field_name] = condition_from_json(value)
        else:
            values[field_name] = value
    return cls(label=doc.get("label"), **values)


def _codec(cls: type[AutomationCondition], name: str) -> ValueCodec:
    to_json: Callable[[Any], Mapping[str, Any]] = lambda c: {  # noqa: E731
        k: v for k, v in condition_to_json(c).items() if k != "type"
    }
    from_json: Callable[[Mapping[str, Any]], Any] = lambda doc: condition_from_json(  # noqa: E731
        {"type": name, **doc}
    )
    return ValueCodec(type_name=name, python_class=cls, to_json=to_json, from_json=from_json)


for _cls, _name in CONDITION_TYPE_NAMES.items():
    register_codec(_codec(_cls, _name))
