"""Retry policies and the exceptions user code raises to control its own step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from freshet.errors import InvalidDefinitionError


class Backoff(StrEnum):
    LINEAR = "LINEAR"
    EXPONENTIAL = "EXPONENTIAL"


class Jitter(StrEnum):
    FULL = "FULL"
    PLUS_MINUS = "PLUS_MINUS"


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How often and how soon a failed step is retried."""

    max_retries: int = 1
    delay: float | None = None
    backoff: Backoff | None = None
    jitter: Jitter | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise InvalidDefinitionError(
                f"RetryPolicy.max_retries must be an int >= 0, got {self.max_retries!r}"
            )
        if self.delay is not None and self.delay < 0:
            raise InvalidDefinitionError(f"RetryPolicy.delay must be >= 0, got {self.delay!r}")
        if (self.backoff or self.jitter) and self.delay is None:
            raise InvalidDefinitionError("RetryPolicy: backoff and jitter need a delay")

    def delay_for_attempt(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        if not self.delay:
            return 0.0
        if self.backoff is Backoff.EXPONENTIAL:
            base = self.delay * (2 ** (attempt - 1))
        elif self.backoff is Backoff.LINEAR:
            base = self.delay * attempt
        else:
            base = self.delay
        import random  # start-up time: only a retry with jitter needs it

        if self.jitter is Jitter.FULL:
            return random.uniform(0, base)
        if self.jitter is Jitter.PLUS_MINUS:
            return max(0.0, base + random.uniform(-self.delay, self.delay))
        return base


class Failure(Exception):
    """Raise from user code to fail a step with a clean message (no traceback shown)."""

    def __init__(
        self,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        allow_retries: bool = True,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.metadata = dict(metadata or {})
        self.allow_retries = allow_retries


class RetryRequested(Exception):
    """Raise from user code to ask for the step to be retried."""

    def __init__(self, max_retries: int = 1, seconds_to_wait: float | None = None) -> None:
        super().__init__(f"retry requested (max_retries={max_retries})")
        self.max_retries = max_retries
        self.seconds_to_wait = seconds_to_wait
