from __future__ import annotations

import inspect
import typing
from collections.abc import Sequence
from typing import Annotated, Any, Literal, NewType, Optional, Protocol, TypeVar, Union

import pytest

from freshet.core.types import DataType, TypeCheck, check_type

UserId = NewType("UserId", int)
T = TypeVar("T")


class _Sized(Protocol):
    def size(self) -> int: ...


@pytest.mark.parametrize(
    ("annotation", "value"),
    [
        (inspect.Parameter.empty, object()),
        (Any, object()),
        (object, 3),
        (None, "anything"),
        ("SomeForwardRef", 1),
        (typing.ForwardRef("X"), 1),
        (T, 1),
        (_Sized, 1),
    ],
    ids=["empty", "any", "object", "none", "str-ref", "forward-ref", "typevar", "protocol"],
)
def test_unchecked_annotations_pass(annotation, value):
    assert check_type(annotation, value).success


@pytest.mark.parametrize(
    ("annotation", "value", "success"),
    [
        (int, 1, True),
        (int, "1", False),
        (str, "a", True),
        (float, 1, True),
        (float, "1.0", False),
        (Optional[int], None, True),  # noqa: UP045 - the typing spelling is what is tested
        (Union[int, str], "x", True),  # noqa: UP007
        (int | str, b"x", False),
        (int | None, 2, True),
        (list[int], ["not", "ints"], True),
        (list[int], (1, 2), False),
        (dict[str, int], {}, True),
        (Sequence[int], (1,), True),
        (typing.List[int], [1], True),  # noqa: UP006
        (Annotated[int, "meta"], 1, True),
        (Annotated[int, "meta"], "x", False),
        (Literal["a", "b"], "a", True),
        (Literal["a", "b"], "c", False),
        (Literal[1], True, False),
        (UserId, 5, True),
        (UserId, "5", False),
        (list[int] | None, [1], True),
        (list[int] | None, {"a"}, False),
    ],
    ids=[
        "int-ok",
        "int-bad",
        "str-ok",
        "float-accepts-int",
        "float-bad",
        "optional-none",
        "union-member",
        "union-none-match",
        "pipe-optional",
        "generic-origin-only",
        "generic-wrong-origin",
        "dict-generic",
        "abc-generic",
        "typing-list",
        "annotated-ok",
        "annotated-bad",
        "literal-ok",
        "literal-bad",
        "literal-bool-is-not-int",
        "newtype-ok",
        "newtype-bad",
        "generic-union-ok",
        "generic-union-bad",
    ],
)
def test_annotations_are_checked_gradually(annotation, value, success):
    assert check_type(annotation, value).success is success


def test_failure_describes_expected_and_actual():
    outcome = check_type(int, "ten")
    assert not outcome.success
    assert outcome.description == "expected int, got str ('ten')"


def test_data_type_bool_result():
    positive = DataType("Positive", lambda v: v > 0)
    assert check_type(positive, 1).success
    failed = check_type(positive, -1)
    assert not failed.success
    assert "Positive" in failed.description


def test_data_type_may_return_a_type_check_with_metadata():
    rows = DataType("NonEmpty", lambda v: TypeCheck(bool(v), "empty", {"rows": len(v)}))
    outcome = check_type(rows, [])
    assert outcome == TypeCheck(False, "empty", {"rows": 0})


def test_exception_in_data_type_is_a_failure_with_its_text():
    def explode(value):
        raise ValueError("no columns")

    outcome = check_type(DataType("Frame", explode), 1)
    assert not outcome.success
    assert outcome.description == "type check 'Frame' raised ValueError: no columns"


def test_data_type_returning_other_than_bool_fails_with_explanation():
    outcome = check_type(DataType("Odd", lambda v: "yes"), 1)
    assert not outcome.success
    assert "must return a bool or a TypeCheck" in outcome.description


def test_unhashable_annotation_is_still_checked():
    annotation = Annotated[int, {"unhashable": []}]
    assert not check_type(annotation, "x").success
