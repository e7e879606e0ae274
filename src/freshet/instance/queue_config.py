"""What freshet.yaml says about launched runs: the run queue's limits and how run monitoring
decides that a worker died. Plain values (parsed in `config`), cheap to import."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_CONCURRENT_RUNS = 10
DEFAULT_HEARTBEAT_TIMEOUT = 60.0
DEFAULT_START_TIMEOUT = 180.0
PRIORITY_TAG = "freshet/priority"


@dataclass(frozen=True, slots=True, kw_only=True)
class TagConcurrencyLimit:
    """At most `limit` runs in progress with tag `key` (equal to `value` when given; with
    `value` None every distinct value of the tag counts on its own)."""

    key: str
    value: str | None
    limit: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RunQueueConfig:
    max_concurrent_runs: int = DEFAULT_MAX_CONCURRENT_RUNS
    tag_concurrency_limits: tuple[TagConcurrencyLimit, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RunMonitoringConfig:
    worker_heartbeat_timeout_seconds: float = DEFAULT_HEARTBEAT_TIMEOUT
    #: how long a worker may take to start (interpreter, imports) before its first beat
    worker_start_timeout_seconds: float = DEFAULT_START_TIMEOUT

    @property
    def heartbeat_interval_seconds(self) -> float:
        """How often workers beat: several beats fit in one timeout."""
        return max(0.1, min(5.0, self.worker_heartbeat_timeout_seconds / 4))
