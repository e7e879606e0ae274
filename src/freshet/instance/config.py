"""Reads and validates `freshet.yaml`, the optional configuration file of an instance home.

    storage:
      sqlite: {path: db/freshet.db}                # the default: <home>/freshet.db
      # or
      postgres: {url: {env: FRESHET_PG_URL}}
      # or
      postgres: {host: db.internal, port: 5432, user: freshet,
                 password: {env: PGPASSWORD}, db: freshet}

    run_queue:                                   # launched runs (freshet launch, the daemon)
      max_concurrent_runs: 10
      tag_concurrency_limits: [{key: team, value: data, limit: 2}]
    run_monitoring:
      worker_heartbeat_timeout_seconds: 60
      worker_start_timeout_seconds: 180           # before a worker's first heartbeat
    automation:                                  # the daemon's automation duty
      interval_seconds: 30
      max_materializations_per_minute: 100        # default: no limit
    schedules_and_sensors:                       # the daemon's schedules and sensors duty
      max_concurrent_ticks: 4                     # ticks evaluated at once (one per instigator)
      tick_timeout_seconds: 60                    # a tick running longer fails
      max_catchup_ticks: 1                        # missed schedule ticks run after downtime

Any value may be `{env: NAME}`: read from the environment when the home is opened, never
written back or shown. Every problem is reported at once, with its path in the file.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from freshet.errors import InstanceConfigError
from freshet.instance.instance import CONFIG_FILE
from freshet.instance.queue_config import (
    RunMonitoringConfig,
    RunQueueConfig,
    TagConcurrencyLimit,
)

_TOP_LEVEL_KEYS = ("storage", "run_queue", "run_monitoring", "automation", "schedules_and_sensors")
_AUTOMATION_KEYS = ("interval_seconds", "max_materializations_per_minute")
_INSTIGATION_KEYS = ("max_concurrent_ticks", "tick_timeout_seconds", "max_catchup_ticks")
MAX_CATCHUP_TICKS = 1000
_RUN_QUEUE_KEYS = ("max_concurrent_runs", "tag_concurrency_limits")
_TAG_LIMIT_KEYS = ("key", "value", "limit")
_MONITORING_KEYS = ("worker_heartbeat_timeout_seconds", "worker_start_timeout_seconds")
_STORAGE_KINDS = ("sqlite", "postgres")
_SQLITE_KEYS = ("path",)
_POSTGRES_PARTS = ("host", "port", "user", "password", "db")
_POSTGRES_KEYS = ("url", *_POSTGRES_PARTS)
_ENV_KEY = "env"
DEFAULT_POSTGRES_PORT = 5432


@dataclass(frozen=True, slots=True, kw_only=True)
class SqliteStorageConfig:
    """The embedded database; `path` None means the home's default file."""

    path: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PostgresStorageConfig:
    """A PostgreSQL database, by `url` or by parts. Secrets are kept out of `repr`."""

    url: str | None = field(default=None, repr=False)
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    database: str | None = None


StorageConfig = SqliteStorageConfig | PostgresStorageConfig


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceConfig:
    """What freshet.yaml chose."""

    storage: StorageConfig = field(default_factory=SqliteStorageConfig)
    run_queue: RunQueueConfig = field(default_factory=RunQueueConfig)
    run_monitoring: RunMonitoringConfig = field(default_factory=RunMonitoringConfig)
    automation: AutomationConfig = field(default_factory=lambda: AutomationConfig())
    schedules_and_sensors: SchedulesAndSensorsConfig = field(
        default_factory=lambda: SchedulesAndSensorsConfig()
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AutomationConfig:
    """How often the daemon ticks automation, and the rate limit of its requests."""

    interval_seconds: float = 30.0
    max_materializations_per_minute: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SchedulesAndSensorsConfig:
    """How many schedule and sensor ticks the daemon evaluates at once, and how long one may
    take before it is recorded as failed."""

    max_concurrent_ticks: int = 4
    tick_timeout_seconds: float = 60.0
    #: how many of the schedule ticks missed while the daemon was down run (the latest ones,
    #: oldest first); 1 runs only the latest
    max_catchup_ticks: int = 1


def load_instance_config(home: Path) -> InstanceConfig:
    """The config of `home`; defaults when it has no freshet.yaml or an empty one."""
    file = home / CONFIG_FILE
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return InstanceConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceConfigError(f"cannot read {file} ({exc}); fix or remove it") from None
    import yaml  # start-up time: PyYAML loads only for a home that has a freshet.yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None)
        detail = f" ({problem})" if problem else ""
        raise InstanceConfigError(f"{file} is not valid YAML{at}{detail}; fix its syntax") from None
    return parse_instance_config(doc, file, home, os.environ)


def parse_instance_config(
    doc: Any, file: Path, home: Path, environ: Mapping[str, str] | None = None
) -> InstanceConfig:
    """Validate a parsed freshet.yaml, reporting every problem at once."""
    if doc is None:
        return InstanceConfig()
    reader = _Reader(os.environ if environ is None else environ)
    top = reader.mapping(doc, "(top level)", _TOP_LEVEL_KEYS)
    storage = reader.mapping(top.get("storage"), "storage", _STORAGE_KINDS)
    chosen = [kind for kind in _STORAGE_KINDS if kind in storage]
    if len(chosen) > 1:
        reader.problems.append(f"storage: choose one backend, got {' and '.join(chosen)}")
    config: StorageConfig = SqliteStorageConfig()
    if "postgres" in storage:
        config = _postgres(reader, storage["postgres"])
    elif "sqlite" in storage:
        config = _sqlite(reader, storage["sqlite"], home)
    run_queue = _run_queue(reader, top.get("run_queue"))
    monitoring = _run_monitoring(reader, top.get("run_monitoring"))
    automation = _automation(reader, top.get("automation"))
    instigation = _schedules_and_sensors(reader, top.get("schedules_and_sensors"))
    if reader.problems:
        body = "".join(f"\n  - {problem}" for problem in reader.problems)
        raise InstanceConfigError(f"{file} is invalid ({len(reader.problems)} problem(s)):{body}")
    return InstanceConfig(
        storage=config,
        run_queue=run_queue,
        run_monitoring=monitoring,
        automation=automation,
        schedules_and_sensors=instigation,
    )


def _automation(reader: _Reader, value: Any) -> AutomationConfig:
    section = reader.mapping(value, "automation", _AUTOMATION_KEYS)
    interval = reader.number(section, "automation.interval_seconds", whole=False, minimum=0.1)
    most = reader.number(section, "automation.max_materializations_per_minute", whole=True)
    return AutomationConfig(
        interval_seconds=30.0 if interval is None else float(interval),
        max_materializations_per_minute=None if most is None else int(most),
    )


def _run_queue(reader: _Reader, value: Any) -> RunQueueConfig:
    section = reader.mapping(value, "run_queue", _RUN_QUEUE_KEYS)
    most = reader.number(section, "run_queue.max_concurrent_runs", whole=True)
    raw_limits = section.get("tag_concurrency_limits") or []
    if not isinstance(raw_limits, list):
        reader.problems.append(
            "run_queue.tag_concurrency_limits: expected a list of {key, value, limit}, got "
            f"{raw_limits!r}"
        )
        raw_limits = []
    limits = []
    for index, item in enumerate(raw_limits):
        path = f"run_queue.tag_concurrency_limits[{index}]"
        entry = reader.mapping(item, path, _TAG_LIMIT_KEYS)
        key = reader.text(entry, f"{path}.key", "a tag key")
        tag_value = entry.get("value")
        if tag_value is not None and not isinstance(tag_value, str):
            reader.problems.append(f"{path}.value: expected a tag value (text), got {tag_value!r}")
            tag_value = None
        limit = reader.number(entry, f"{path}.limit", whole=True)
        if key is None and isinstance(item, Mapping):
            reader.problems.append(f"{path}.key: missing; name the tag to limit")
        if limit is None and isinstance(item, Mapping) and "limit" not in entry:
            reader.problems.append(f"{path}.limit: missing; give how many runs may run at once")
        if key is not None and limit is not None:
            limits.append(TagConcurrencyLimit(key=key, value=tag_value, limit=int(limit)))
    defaults = RunQueueConfig()
    return RunQueueConfig(
        max_concurrent_runs=defaults.max_concurrent_runs if most is None else int(most),
        tag_concurrency_limits=tuple(limits),
    )


def _schedules_and_sensors(reader: _Reader, value: Any) -> SchedulesAndSensorsConfig:
    path = "schedules_and_sensors"
    section = reader.mapping(value, path, _INSTIGATION_KEYS)
    defaults = SchedulesAndSensorsConfig()
    most = reader.number(section, f"{path}.max_concurrent_ticks", whole=True, minimum=1)
    timeout = reader.number(section, f"{path}.tick_timeout_seconds", whole=False, minimum=0.1)
    catchup = reader.number(section, f"{path}.max_catchup_ticks", whole=True, minimum=1)
    if catchup is not None and catchup > MAX_CATCHUP_TICKS:
        reader.problems.append(
            f"{path}.max_catchup_ticks: at most {MAX_CATCHUP_TICKS}, got {catchup}; a backfill "
            "runs a longer stretch of missed partitions"
        )
        catchup = None
    return SchedulesAndSensorsConfig(
        max_concurrent_ticks=defaults.max_concurrent_ticks if most is None else int(most),
        tick_timeout_seconds=defaults.tick_timeout_seconds if timeout is None else float(timeout),
        max_catchup_ticks=defaults.max_catchup_ticks if catchup is None else int(catchup),
    )


def _run_monitoring(reader: _Reader, value: Any) -> RunMonitoringConfig:
    section = reader.mapping(value, "run_monitoring", _MONITORING_KEYS)
    defaults = RunMonitoringConfig()
    timeout = reader.number(
        section, "run_monitoring.worker_heartbeat_timeout_seconds", whole=False, minimum=0.1
    )
    start = reader.number(
        section, "run_monitoring.worker_start_timeout_seconds", whole=False, minimum=0.1
    )
    return RunMonitoringConfig(
        worker_heartbeat_timeout_seconds=(
            defaults.worker_heartbeat_timeout_seconds if timeout is None else float(timeout)
        ),
        worker_start_timeout_seconds=(
            defaults.worker_start_timeout_seconds if start is None else float(start)
        ),
    )


def _sqlite(reader: _Reader, value: Any, home: Path) -> SqliteStorageConfig:
    section = reader.mapping(value, "storage.sqlite", _SQLITE_KEYS)
    raw = reader.text(section, "storage.sqlite.path", "a file path")
    return SqliteStorageConfig(path=None if raw is None else home / Path(raw).expanduser())


def _postgres(reader: _Reader, value: Any) -> PostgresStorageConfig:
    path = "storage.postgres"
    section = reader.mapping(value, path, _POSTGRES_KEYS)
    if value is None or (isinstance(value, Mapping) and not value):
        reader.problems.append(
            f"{path}: expected url, or host, port, user, password and db; got nothing"
        )
    parts = [key for key in _POSTGRES_PARTS if key in section]
    if "url" in section:
        if parts:
            reader.problems.append(
                f"{path}: give either url or {', '.join(_POSTGRES_PARTS)}, not both "
                f"(found url and {', '.join(parts)})"
            )
        return PostgresStorageConfig(url=reader.text(section, f"{path}.url", "a postgresql:// URL"))
    if parts and "db" not in section:
        reader.problems.append(f"{path}.db: missing; name the database (or give a url instead)")
    return PostgresStorageConfig(
        host=reader.text(section, f"{path}.host", "a host name"),
        port=reader.port(section, f"{path}.port"),
        user=reader.text(section, f"{path}.user", "a user name"),
        password=reader.text(section, f"{path}.password", "a password", secret=True),
        database=reader.text(section, f"{path}.db", "a database name"),
    )


class _Reader:
    """Collects problems while reading values, resolving `{env: NAME}` on the way."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self.problems: list[str] = []

    def mapping(self, value: Any, path: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
        """`value` as a mapping (None counts as empty); record wrong types and unknown keys."""
        if value is None:
            return {}
        expected = ", ".join(allowed)
        if not isinstance(value, Mapping):
            self.problems.append(f"{path}: expected a mapping with keys {expected}, got {value!r}")
            return {}
        for key in value:
            if key not in allowed:
                where = str(key) if path == "(top level)" else f"{path}.{key}"
                self.problems.append(f"{where}: unknown key; expected one of: {expected}")
        return value

    def text(
        self, section: Mapping[str, Any], path: str, expected: str, *, secret: bool = False
    ) -> str | None:
        key = path.rsplit(".", 1)[1]
        if key not in section:
            return None
        value = self._resolve(section[key], path)
        if value is None or (isinstance(value, str) and value.strip()):
            return value
        shown = "a hidden value" if secret else repr(value)
        self.problems.append(f"{path}: expected {expected}, got {shown}")
        return None

    def number(
        self, section: Mapping[str, Any], path: str, *, whole: bool, minimum: float = 0
    ) -> float | None:
        """A number >= `minimum` (a whole one when `whole`); None when absent or wrong."""
        key = path.rsplit(".", 1)[1]
        if key not in section:
            return None
        value = self._resolve(section[key], path)
        if isinstance(value, str):
            try:
                value = int(value) if whole else float(value)
            except ValueError:
                pass
        kinds = (int,) if whole else (int, float)
        if (
            isinstance(value, bool)
            or not isinstance(value, kinds)
            or not math.isfinite(value)
            or value < minimum
        ):
            expected = "a whole number" if whole else "a number"
            self.problems.append(f"{path}: expected {expected} >= {minimum:g}, got {value!r}")
            return None
        return value

    def port(self, section: Mapping[str, Any], path: str) -> int | None:
        if "port" not in section:
            return None
        value = self._resolve(section["port"], path)
        if value is None:
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
            self.problems.append(f"{path}: expected a port number (1-65535), got {value!r}")
            return None
        return value

    def _resolve(self, value: Any, path: str) -> Any:
        """The value, or the environment variable a `{env: NAME}` mapping names."""
        if not isinstance(value, Mapping):
            return value
        name = value.get(_ENV_KEY)
        if set(value) != {_ENV_KEY} or not isinstance(name, str) or not name:
            self.problems.append(
                f"{path}: expected a value or {{env: VARIABLE_NAME}}, got a mapping with keys "
                f"{', '.join(map(str, value)) or 'none'}"
            )
            return None
        resolved = self._environ.get(name)
        if resolved is None:
            self.problems.append(
                f"{path}: environment variable {name} is not set; set it, or write the value "
                "in freshet.yaml"
            )
        return resolved
