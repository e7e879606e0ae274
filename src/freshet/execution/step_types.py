"""Small values shared by the modules that run a step: the framework's step error, what a
function yielded or returned as no value, what one attempt produced, and user metadata as an
event stores it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from freshet.core.results import normalize_metadata


class StepError(Exception):
    """A step failed for a reason the framework found (missing output, failed type check)."""


def json_metadata(metadata: Any, where: str) -> dict[str, Any]:
    """User metadata as JSON for an event; metadata that is not valid fails the step."""
    try:
        normalized = normalize_metadata(metadata or {}, where=where)
    except Exception as exc:
        raise StepError(str(exc)) from exc
    return {name: value.to_json() for name, value in normalized.items()}


class Yielded(list):
    """What a generator function yielded (as opposed to a returned list value).

    `error` is what the generator raised after yielding these items, if it did: what it
    yielded before is still recorded, then the step fails with the error."""

    error: BaseException | None = None


@dataclass(frozen=True, slots=True)
class NoValue:
    """A function annotated `-> None` (or an output typed Nothing) returned: the output
    exists but nothing is stored for it."""

    output_name: str


@dataclass(slots=True)
class Attempt:
    """What one attempt produced that the executor needs afterwards."""

    blocked_by: str | None = None
