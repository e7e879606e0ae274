"""Sensors and what schedules and sensors ask for: `RunRequest`, `SkipReason`, `SensorResult`,
dynamic partition requests, the evaluation context, and the `@sensor` family of decorators.

A sensor is a function of its context (`cursor`, `instance`, resources) that returns or
yields run requests, a skip reason or a `SensorResult`. The daemon ticks it in its code
location's process; tests call it directly (`my_sensor(build_sensor_context(...))`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from freshet.core.jobs import JobDefinition, UnresolvedAssetJob
from freshet.core.keys import AssetKey, check_name
from freshet.errors import FreshetError, InvalidDefinitionError

DEFAULT_MINIMUM_INTERVAL_SECONDS = 30


class DefaultSensorStatus(StrEnum):
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


class SensorType(StrEnum):
    STANDARD = "standard"
    ASSET = "asset"
    RUN_STATUS = "run_status"
    FRESHNESS = "freshness"


class SensorEvaluationError(FreshetError):
    """A sensor or schedule returned something freshet cannot act on, or raised."""


# ---- what ticks return ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunRequest:
    """Ask for one run: of the target job (or `job_name`), or of `asset_selection`, with this
    config, tags and partition. A `run_key` makes the request idempotent: a key a sensor or
    schedule already launched is never launched again."""

    run_key: str | None = None
    run_config: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    job_name: str | None = None
    asset_selection: tuple[AssetKey, ...] | None = None
    partition_key: str | None = None

    def __init__(
        self,
        run_key: str | None = None,
        run_config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        job_name: str | None = None,
        asset_selection: Iterable[Any] | None = None,
        partition_key: str | None = None,
    ) -> None:
        if run_key is not None and not isinstance(run_key, str):
            raise SensorEvaluationError(f"RunRequest: run_key must be a string, got {run_key!r}")
        if run_config is not None and not isinstance(run_config, Mapping):
            raise SensorEvaluationError(
                f"RunRequest: run_config must be a dict, got {type(run_config).__name__}"
            )
        if tags is not None and not (
            isinstance(tags, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items())
        ):
            raise SensorEvaluationError(f"RunRequest: tags must map strings to strings: {tags!r}")
        if partition_key is not None and not isinstance(partition_key, str):
            raise SensorEvaluationError(
                f"RunRequest: partition_key must be a string, got {partition_key!r}"
            )
        selection = (
            None
            if asset_selection is None
            else tuple(AssetKey.from_coercible(k) for k in asset_selection)
        )
        for name, value in (
            ("run_key", run_key),
            ("run_config", dict(run_config or {})),
            ("tags", dict(tags or {})),
            ("job_name", job_name),
            ("asset_selection", selection),
            ("partition_key", partition_key),
        ):
            object.__setattr__(self, name, value)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_key": self.run_key,
            "run_config": dict(self.run_config),
            "tags": dict(self.tags),
            "job_name": self.job_name,
            "asset_selection": None
            if self.asset_selection is None
            else [k.to_user_string() for k in self.asset_selection],
            "partition_key": self.partition_key,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> RunRequest:
        selection = doc.get("asset_selection")
        return cls(
            run_key=doc.get("run_key"),
            run_config=doc.get("run_config") or {},
            tags=doc.get("tags") or {},
            job_name=doc.get("job_name"),
            asset_selection=None
            if selection is None
            else [AssetKey.from_user_string(k) for k in selection],
            partition_key=doc.get("partition_key"),
        )


@dataclass(frozen=True, slots=True)
class SkipReason:
    """Nothing to do this tick, and why."""

    skip_message: str | None = None


@dataclass(frozen=True, slots=True)
class AddDynamicPartitionsRequest:
    partitions_def_name: str
    partition_keys: tuple[str, ...]

    def __init__(self, partitions_def_name: str, partition_keys: Iterable[str]) -> None:
        object.__setattr__(self, "partitions_def_name", partitions_def_name)
        object.__setattr__(self, "partition_keys", tuple(partition_keys))


@dataclass(frozen=True, slots=True)
class DeleteDynamicPartitionsRequest:
    partitions_def_name: str
    partition_keys: tuple[str, ...]

    def __init__(self, partitions_def_name: str, partition_keys: Iterable[str]) -> None:
        object.__setattr__(self, "partitions_def_name", partitions_def_name)
        object.__setattr__(self, "partition_keys", tuple(partition_keys))


DynamicPartitionsRequest = AddDynamicPartitionsRequest | DeleteDynamicPartitionsRequest


@dataclass(frozen=True, slots=True)
class SensorResult:
    """Everything a sensor tick decided: runs, or a skip reason; a new cursor; partitions to
    add to or delete from dynamic partitions definitions."""

    run_requests: tuple[RunRequest, ...] = ()
    skip_reason: SkipReason | None = None
    cursor: str | None = None
    dynamic_partitions_requests: tuple[DynamicPartitionsRequest, ...] = ()

    def __init__(
        self,
        run_requests: Iterable[RunRequest] | None = None,
        skip_reason: SkipReason | str | None = None,
        cursor: str | None = None,
        dynamic_partitions_requests: Iterable[DynamicPartitionsRequest] | None = None,
    ) -> None:
        requests = tuple(run_requests or ())
        for request in requests:
            if not isinstance(request, RunRequest):
                raise SensorEvaluationError(
                    f"SensorResult: run_requests must hold RunRequest values, got "
                    f"{type(request).__name__}"
                )
        if isinstance(skip_reason, str):
            skip_reason = SkipReason(skip_reason)
        if requests and skip_reason is not None:
            raise SensorEvaluationError("SensorResult: give run_requests or skip_reason, not both")
        if cursor is not None and not isinstance(cursor, str):
            raise SensorEvaluationError(f"SensorResult: cursor must be a string, got {cursor!r}")
        dynamic = tuple(dynamic_partitions_requests or ())
        for request in dynamic:
            if not isinstance(
                request, AddDynamicPartitionsRequest | DeleteDynamicPartitionsRequest
            ):
                raise SensorEvaluationError(
                    "SensorResult: dynamic_partitions_requests must hold "
                    "AddDynamicPartitionsRequest or DeleteDynamicPartitionsRequest values"
                )
        object.__setattr__(self, "run_requests", requests)
        object.__setattr__(self, "skip_reason", skip_reason)
        object.__setattr__(self, "cursor", cursor)
        object.__setattr__(self, "dynamic_partitions_requests", dynamic)


# ---- the context ----------------------------------------------------------------------------


class SensorEvaluationContext:
    """What a sensor's function receives: its cursor (and `update_cursor`), the instance,
    resources, and when its last tick completed."""

    def __init__(
        self,
        *,
        cursor: str | None = None,
        instance: Any = None,
        resources: Mapping[str, Any] | None = None,
        sensor_name: str | None = None,
        last_tick_completion_time: float | None = None,
        evaluation_time: float | None = None,
    ) -> None:
        if cursor is not None and not isinstance(cursor, str):
            raise SensorEvaluationError(f"a sensor cursor must be a string, got {cursor!r}")
        self._cursor = cursor
        self._cursor_updated = False
        self._instance = instance
        self.resources = ContextResources(resources or {})
        self.sensor_name = sensor_name
        self.last_tick_completion_time = last_tick_completion_time
        self.evaluation_time = evaluation_time

    @property
    def cursor(self) -> str | None:
        return self._cursor

    def update_cursor(self, cursor: str | None) -> None:
        if cursor is not None and not isinstance(cursor, str):
            raise SensorEvaluationError(
                f"update_cursor: a sensor cursor must be a string, got {cursor!r}"
            )
        self._cursor = cursor
        self._cursor_updated = True

    @property
    def cursor_updated(self) -> bool:
        return self._cursor_updated

    @property
    def instance(self) -> Any:
        if self._instance is None:
            raise SensorEvaluationError(
                "this sensor context has no instance: pass one to "
                "build_sensor_context(instance=fr.Instance.ephemeral())"
            )
        return self._instance


class ContextResources:
    """Resources by attribute (`context.resources.warehouse`), with a clear error."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            known = ", ".join(sorted(self._values)) or "none"
            raise AttributeError(f"no resource {name!r} (resources: {known})") from None


def build_sensor_context(
    cursor: str | None = None,
    instance: Any = None,
    resources: Mapping[str, Any] | None = None,
    sensor_name: str | None = None,
    last_tick_completion_time: float | None = None,
) -> SensorEvaluationContext:
    """A context for calling a sensor directly in a test."""
    return SensorEvaluationContext(
        cursor=cursor,
        instance=instance,
        resources=resources,
        sensor_name=sensor_name,
        last_tick_completion_time=last_tick_completion_time,
    )


# ---- sensors --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SensorDefinition:
    """A sensor: a function ticked every `minimum_interval_seconds` (at most) by the daemon.

    `target` is what its run requests run unless they say otherwise: a job name, or an asset
    selection (`job_name` / `asset_selection`)."""

    name: str
    evaluation_fn: Callable[..., Any]
    job_name: str | None = None
    asset_selection: Any = None
    minimum_interval_seconds: int = DEFAULT_MINIMUM_INTERVAL_SECONDS
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED
    description: str | None = None
    sensor_type: SensorType = SensorType.STANDARD
    #: the asset an asset sensor watches
    asset_key: AssetKey | None = None
    #: the run statuses a run status sensor reacts to
    run_statuses: tuple[str, ...] = ()
    #: the assets a freshness sensor watches (None: every asset with a policy)
    monitored_assets: Any = None
    required_resource_keys: frozenset[str] = frozenset()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Direct invocation, for tests: `my_sensor(build_sensor_context(...))` returns what
        the function returns (generators are collected into a list)."""
        value = self.evaluation_fn(*args, **kwargs)
        if inspect.isgenerator(value):
            return list(value)
        return value

    @property
    def target_description(self) -> str:
        if self.job_name is not None:
            return f"job {self.job_name}"
        if self.asset_selection is not None:
            return f"assets {self.asset_selection}"
        return "-"


def _check_interval(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 86_400:
        raise InvalidDefinitionError(
            f"{where}: minimum_interval_seconds must be between 1 and 86,400, got {value!r}"
        )
    return int(value)


def _target(job: Any, target: Any, asset_selection: Any, where: str) -> tuple[str | None, Any]:
    """(job name, asset selection) from the ways users name what a tick runs: a job or job
    name (`job=`), or `target=` (a job, or anything an asset selection is made from)."""
    given = [v for v in (job, target, asset_selection) if v is not None]
    if len(given) > 1:
        raise InvalidDefinitionError(f"{where}: give one of job, target and asset_selection")
    if job is not None:
        return _job_name(job, where), None
    if isinstance(target, JobDefinition | UnresolvedAssetJob):
        return target.name, None
    return None, target if target is not None else asset_selection


def _job_name(job: Any, where: str) -> str:
    name = job if isinstance(job, str) else getattr(job, "name", None)
    if not isinstance(name, str):
        raise InvalidDefinitionError(f"{where}: job must be a job or a job name, got {job!r}")
    return name


def _sensor_factory(
    *,
    sensor_type: SensorType,
    name: str | None,
    minimum_interval_seconds: int,
    default_status: DefaultSensorStatus | str,
    description: str | None,
    job: Any = None,
    target: Any = None,
    asset_selection: Any = None,
    required_resource_keys: Iterable[str] | None = None,
    **extra: Any,
) -> Callable[[Callable[..., Any]], SensorDefinition]:
    def decorate(fn: Callable[..., Any]) -> SensorDefinition:
        if not callable(fn):
            raise InvalidDefinitionError(f"a sensor decorates a function, got {fn!r}")
        sensor_name = check_name(name or fn.__name__, "sensor name")
        where = f"sensor {sensor_name!r}"
        job_name, selection = _target(job, target, asset_selection, where)
        try:
            status = DefaultSensorStatus(default_status)
        except ValueError:
            raise InvalidDefinitionError(
                f"{where}: default_status must be RUNNING or STOPPED, got {default_status!r}"
            ) from None
        return SensorDefinition(
            name=sensor_name,
            evaluation_fn=fn,
            job_name=job_name,
            asset_selection=selection,
            minimum_interval_seconds=_check_interval(minimum_interval_seconds, where),
            default_status=status,
            description=description or inspect.getdoc(fn),
            sensor_type=sensor_type,
            required_resource_keys=frozenset(required_resource_keys or ()),
            **extra,
        )

    return decorate


def sensor(
    job: Any = None,
    *,
    name: str | None = None,
    target: Any = None,
    asset_selection: Any = None,
    minimum_interval_seconds: int = DEFAULT_MINIMUM_INTERVAL_SECONDS,
    default_status: DefaultSensorStatus | str = DefaultSensorStatus.STOPPED,
    description: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
    job_name: str | None = None,
) -> Any:
    """`@sensor(job=..., minimum_interval_seconds=30)`: the function gets a
    `SensorEvaluationContext` and returns or yields `RunRequest`s, a `SkipReason` or a
    `SensorResult`."""
    fn = None
    if callable(job) and not hasattr(job, "name"):  # bare @sensor
        fn, job = job, None
    decorate = _sensor_factory(
        sensor_type=SensorType.STANDARD,
        name=name,
        job=job if job is not None else job_name,
        target=target,
        asset_selection=asset_selection,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=description,
        required_resource_keys=required_resource_keys,
    )
    return decorate(fn) if fn is not None else decorate


def asset_sensor(
    asset_key: Any,
    *,
    job: Any = None,
    name: str | None = None,
    target: Any = None,
    job_name: str | None = None,
    minimum_interval_seconds: int = DEFAULT_MINIMUM_INTERVAL_SECONDS,
    default_status: DefaultSensorStatus | str = DefaultSensorStatus.STOPPED,
    description: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
) -> Callable[[Callable[..., Any]], SensorDefinition]:
    """`@asset_sensor(asset_key=..., job=...)`: the function gets the context and the new
    materialization of `asset_key` (an event record), once per materialization."""
    return _sensor_factory(
        sensor_type=SensorType.ASSET,
        name=name,
        job=job if job is not None else job_name,
        target=target,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=description,
        required_resource_keys=required_resource_keys,
        asset_key=AssetKey.from_coercible(asset_key),
    )


def run_status_sensor(
    run_status: Any = None,
    *,
    name: str | None = None,
    request_job: Any = None,
    minimum_interval_seconds: int = DEFAULT_MINIMUM_INTERVAL_SECONDS,
    default_status: DefaultSensorStatus | str = DefaultSensorStatus.STOPPED,
    description: str | None = None,
    monitored_jobs: Sequence[Any] | None = None,
) -> Callable[[Callable[..., Any]], SensorDefinition]:
    """`@run_status_sensor(run_status=RunStatus.SUCCESS)`: the function gets a context with
    `.run` (the run that reached the status) once per such run."""
    statuses = _run_statuses(run_status)
    return _sensor_factory(
        sensor_type=SensorType.RUN_STATUS,
        name=name,
        job=request_job,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=description,
        run_statuses=statuses,
        monitored_assets=tuple(_job_name(j, "run_status_sensor") for j in monitored_jobs or ())
        or None,
    )


def run_failure_sensor(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    minimum_interval_seconds: int = DEFAULT_MINIMUM_INTERVAL_SECONDS,
    default_status: DefaultSensorStatus | str = DefaultSensorStatus.STOPPED,
    description: str | None = None,
    monitored_jobs: Sequence[Any] | None = None,
) -> Any:
    """`@run_failure_sensor`: a run status sensor for failed runs."""
    decorate = run_status_sensor(
        "FAILURE",
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=description,
        monitored_jobs=monitored_jobs,
    )
    return decorate(fn) if fn is not None else decorate


def freshness_sensor(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    monitored_assets: Any = None,
    minimum_interval_seconds: int = DEFAULT_MINIMUM_INTERVAL_SECONDS,
    default_status: DefaultSensorStatus | str = DefaultSensorStatus.STOPPED,
    description: str | None = None,
) -> Any:
    """`@freshness_sensor`: the function gets a context with `.asset_key`, `.freshness` (the
    asset's freshness now) and `.previous_status`, once when an asset becomes late and once
    when it recovers."""
    decorate = _sensor_factory(
        sensor_type=SensorType.FRESHNESS,
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=description,
        monitored_assets=monitored_assets,
    )
    return decorate(fn) if fn is not None else decorate


_RUN_STATUSES = ("SUCCESS", "FAILURE", "CANCELED", "STARTED", "QUEUED")


def _run_statuses(run_status: Any) -> tuple[str, ...]:
    values = run_status if isinstance(run_status, list | tuple | set | frozenset) else [run_status]
    result = []
    for value in values:
        text = getattr(value, "value", value)
        if text not in _RUN_STATUSES:
            raise InvalidDefinitionError(
                f"run_status_sensor: run_status must be one of {', '.join(_RUN_STATUSES)}, got "
                f"{value!r}"
            )
        result.append(str(text))
    return tuple(result)


# ---- normalizing what a tick returned -------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TickEvaluation:
    """What one schedule or sensor tick decided, in a form that crosses processes."""

    run_requests: tuple[RunRequest, ...] = ()
    skip_reason: str | None = None
    cursor: str | None = None
    cursor_updated: bool = False
    dynamic_partitions_requests: tuple[DynamicPartitionsRequest, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "run_requests": [r.to_json() for r in self.run_requests],
            "skip_reason": self.skip_reason,
            "cursor": self.cursor,
            "cursor_updated": self.cursor_updated,
            "dynamic_partitions_requests": [
                {
                    "action": "add" if isinstance(r, AddDynamicPartitionsRequest) else "delete",
                    "partitions_def_name": r.partitions_def_name,
                    "partition_keys": list(r.partition_keys),
                }
                for r in self.dynamic_partitions_requests
            ],
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> TickEvaluation:
        dynamic: list[DynamicPartitionsRequest] = []
        for item in doc.get("dynamic_partitions_requests") or ():
            kind = (
                AddDynamicPartitionsRequest
                if item["action"] == "add"
                else DeleteDynamicPartitionsRequest
            )
            dynamic.append(kind(item["partitions_def_name"], item["partition_keys"]))
        return cls(
            run_requests=tuple(RunRequest.from_json(r) for r in doc.get("run_requests") or ()),
            skip_reason=doc.get("skip_reason"),
            cursor=doc.get("cursor"),
            cursor_updated=bool(doc.get("cursor_updated")),
            dynamic_partitions_requests=tuple(dynamic),
        )


def normalize_tick_result(
    value: Any, where: str, *, cursor: str | None = None, config_dict_is_request: bool = False
) -> TickEvaluation:
    """Turn whatever a sensor or schedule function returned or yielded into a
    `TickEvaluation`; anything else is a `SensorEvaluationError` naming `where`."""
    if inspect.isgenerator(value):
        value = list(value)
    if isinstance(value, SensorResult):
        return TickEvaluation(
            run_requests=value.run_requests,
            skip_reason=None if value.skip_reason is None else value.skip_reason.skip_message,
            cursor=value.cursor if value.cursor is not None else cursor,
            cursor_updated=value.cursor is not None,
            dynamic_partitions_requests=value.dynamic_partitions_requests,
        )
    items = value if isinstance(value, list | tuple) else [value]
    requests: list[RunRequest] = []
    skips: list[str] = []
    for item in items:
        if isinstance(item, RunRequest):
            requests.append(item)
        elif isinstance(item, SkipReason):
            skips.append(item.skip_message or "skipped")
        elif item is None and len(items) == 1:
            skips.append(f"{where} returned nothing")
        elif config_dict_is_request and isinstance(item, Mapping):
            requests.append(RunRequest(run_config=item))
        else:
            shapes = "RunRequest, SkipReason or SensorResult"
            if config_dict_is_request:
                shapes = "RunRequest, SkipReason or a run config dict"
            raise SensorEvaluationError(
                f"{where} returned {type(item).__name__}; return or yield {shapes}"
            )
    if requests and skips:
        raise SensorEvaluationError(f"{where} returned both run requests and a SkipReason")
    return TickEvaluation(
        run_requests=tuple(requests),
        skip_reason=skips[0] if skips else (None if requests else f"{where} requested no runs"),
        cursor=cursor,
    )


def evaluate_sensor(
    sensor_def: SensorDefinition, context: SensorEvaluationContext
) -> TickEvaluation:
    """One tick of a standard or asset sensor, in the code location's process (user code).
    Run status and freshness sensors are ticked by the daemon's evaluator, which knows runs
    and freshness, and call `evaluation_fn` through their own contexts."""
    where = f"sensor {sensor_def.name!r}"
    if sensor_def.sensor_type is SensorType.ASSET:
        return _evaluate_asset_sensor(sensor_def, context, where)
    if sensor_def.sensor_type is not SensorType.STANDARD:
        raise SensorEvaluationError(f"{where} is a {sensor_def.sensor_type.value} sensor")
    value = sensor_def.evaluation_fn(*_sensor_args(sensor_def, context))
    result = normalize_tick_result(value, where, cursor=context.cursor)
    if context.cursor_updated and not result.cursor_updated:
        return replace(result, cursor=context.cursor, cursor_updated=True)
    return result


def _sensor_args(sensor_def: SensorDefinition, context: Any) -> list[Any]:
    parameters = inspect.signature(sensor_def.evaluation_fn).parameters
    return [context] if parameters else []


def _evaluate_asset_sensor(
    sensor_def: SensorDefinition, context: SensorEvaluationContext, where: str
) -> TickEvaluation:
    """Call the function once for the newest materialization of the watched asset that is
    newer than the cursor (a storage id)."""
    assert sensor_def.asset_key is not None
    record = context.instance.storage.get_latest_materialization(sensor_def.asset_key)
    after = int(context.cursor) if context.cursor and context.cursor.isdigit() else 0
    if record is None or record.storage_id <= after:
        return TickEvaluation(
            skip_reason=f"no new materialization of {sensor_def.asset_key.to_user_string()}",
            cursor=context.cursor,
        )
    value = sensor_def.evaluation_fn(context, record)
    cursor = str(record.storage_id)
    return replace(
        normalize_tick_result(value, where, cursor=cursor), cursor=cursor, cursor_updated=True
    )
