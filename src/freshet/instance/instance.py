"""`Instance`: where runs, events and asset status persist, and where IO managers and compute
logs write. The composition root that picks concrete backends.
"""

from __future__ import annotations

import functools
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from freshet.core.keys import AssetKey, CoercibleToAssetKey
from freshet.errors import InstanceConfigError, UsageError
from freshet.execution.result import AssetMaterialization
from freshet.storage.records import (
    AssetStatusRecord,
    EventRecord,
    EventType,
    RunRecord,
    RunsFilter,
    RunStatus,
)

if TYPE_CHECKING:
    from freshet.instance.queue_config import RunMonitoringConfig, RunQueueConfig
    from freshet.storage.base import ComputeLogStore, Storage

HOME_ENV = "FRESHET_HOME"
DEFAULT_HOME = ".freshet"
#: a home's optional configuration file
CONFIG_FILE = "freshet.yaml"


def resolve_home(path: str | os.PathLike[str] | None = None) -> Path:
    """The home directory: `path`, else $FRESHET_HOME, else ./.freshet (absolute)."""
    chosen = path if path is not None else os.environ.get(HOME_ENV) or DEFAULT_HOME
    return Path(chosen).expanduser().absolute()


def _logs_dir(compute_logs: object) -> str | None:
    """Where captured stdout/stderr of steps is kept (None when kept in memory)."""
    folder = getattr(compute_logs, "base_dir", None)
    return None if folder is None else str(folder)


def home_has_history(path: str | os.PathLike[str] | None = None) -> bool:
    """Whether the home holds anything an instance would read: its default database or a
    freshet.yaml (which may point elsewhere). Commands that can answer from the definitions
    alone ask this first, so that a project without runs loads no storage library."""
    home = resolve_home(path)
    return (home / "freshet.db").exists() or (home / CONFIG_FILE).exists()


class Instance:
    """An instance: storage, compute logs and the IO managers' storage folder.

    `Instance.ephemeral()` lives in memory and a temporary folder, for tests;
    `Instance.from_home(path)` persists under a home directory. A `storage_dir` of None is a
    temporary folder made on first use and removed with the instance.
    """

    def __init__(
        self,
        *,
        storage: Storage,
        compute_logs: ComputeLogStore,
        storage_dir: Path | None,
        home: Path | None = None,
        cleanup: Callable[[], Any] | None = None,
        run_queue: RunQueueConfig | None = None,
        run_monitoring: RunMonitoringConfig | None = None,
    ) -> None:
        # None: the defaults, built on first use (most instances never read them)
        self._run_queue = run_queue
        self._run_monitoring = run_monitoring
        self._storage = storage
        self._compute_logs = compute_logs
        self._storage_dir = storage_dir
        self._storage_dir_lock = threading.Lock()
        self._home = home
        self._cleanup = cleanup

    @classmethod
    def ephemeral(cls) -> Instance:
        """An in-memory instance whose IO manager files go to a temporary folder, created when
        first used and removed on `close()` or when the instance is garbage collected."""
        # Imported here for start-up time: a persistent instance needs neither.
        from freshet.storage.compute_logs import MemoryComputeLogStore
        from freshet.storage.memory import MemoryStorage

        return cls(storage=MemoryStorage(), compute_logs=MemoryComputeLogStore(), storage_dir=None)

    @classmethod
    def from_home(
        cls, path: str | os.PathLike[str] | None = None, *, read_only: bool = False
    ) -> Instance:
        """The persistent instance in `path` (default: $FRESHET_HOME, else ./.freshet),
        created if missing; configured by its optional freshet.yaml. `read_only=True` (for
        commands that only read) changes nothing in an existing home, so it works in a home
        the user cannot write to; writes through it raise `StorageError`."""
        # Imported here rather than at the top: backends pulls in SQLAlchemy (~130 ms) and
        # PyYAML, and this module is imported by `import freshet`, which must stay fast.
        from freshet.instance.backends import open_home

        home = resolve_home(path)
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InstanceConfigError(
                f"cannot create the instance home {home} ({exc.strerror or exc}); set "
                f"{HOME_ENV} or pass a directory you can write to"
            ) from None
        opened = open_home(home, read_only=read_only)
        return cls(
            storage=opened.storage,
            compute_logs=opened.compute_logs,
            storage_dir=opened.storage_dir,
            home=home,
            run_queue=None if opened.config is None else opened.config.run_queue,
            run_monitoring=None if opened.config is None else opened.config.run_monitoring,
        )

    # -- what it is made of ---------------------------------------------------------------

    @property
    def home(self) -> Path | None:
        """The home directory; None for an ephemeral instance."""
        return self._home

    @property
    def storage_dir(self) -> Path:
        """Base folder of the default filesystem IO manager. An ephemeral instance creates its
        temporary folder here, when first asked (by its first run)."""
        if self._storage_dir is None:
            import shutil
            import tempfile

            with self._storage_dir_lock:  # threads of one run may ask first at once
                if self._storage_dir is None:
                    folder = Path(tempfile.mkdtemp(prefix="freshet-"))
                    self._cleanup = weakref.finalize(
                        self, shutil.rmtree, str(folder), ignore_errors=True
                    )
                    self._storage_dir = folder
        return self._storage_dir

    @property
    def storage(self) -> Storage:
        return self._storage

    @property
    def compute_logs(self) -> ComputeLogStore:
        return self._compute_logs

    @property
    def is_ephemeral(self) -> bool:
        return self._home is None

    @property
    def run_queue_config(self) -> RunQueueConfig:
        """The run queue's limits (freshet.yaml `run_queue`)."""
        if self._run_queue is None:
            from freshet.instance.queue_config import RunQueueConfig

            self._run_queue = RunQueueConfig()
        return self._run_queue

    @property
    def run_monitoring_config(self) -> RunMonitoringConfig:
        """How run monitoring decides a worker died (freshet.yaml `run_monitoring`)."""
        if self._run_monitoring is None:
            from freshet.instance.queue_config import RunMonitoringConfig

            self._run_monitoring = RunMonitoringConfig()
        return self._run_monitoring

    @property
    def worker_opener(self) -> Callable[[], Instance] | None:
        """How another process opens this instance (picklable): worker processes of a run
        open it to write their events. None when the instance lives in this process only
        (ephemeral): their events then come back to this process to be stored."""
        if self._home is None:
            return None
        return functools.partial(Instance.from_home, str(self._home))

    # -- queries --------------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunRecord | None:
        return self._storage.get_run(run_id)

    def find_run(self, run_id: str) -> RunRecord:
        """The run with this id or an unambiguous prefix of it (8 characters or more);
        raises `RunNotFoundError` / `UsageError` naming what was wrong."""
        from freshet.runs.control import find_run

        return find_run(self._storage, run_id)

    def cancel_run(self, run_id: str, *, requested_by: str = "Instance.cancel_run") -> RunRecord:
        """Cancel a run (id or unambiguous prefix): a queued run becomes CANCELED at once; a
        started one CANCELING, then CANCELED when its worker has stopped its steps. Raises
        `UsageError` for a run that has finished."""
        from freshet.runs.control import cancel_run

        return cancel_run(self._storage, run_id, requested_by=requested_by)

    def get_runs(
        self,
        *,
        status: RunStatus | Iterable[RunStatus] | None = None,
        job_name: str | None = None,
        tags: Mapping[str, str] | None = None,
        asset_key: CoercibleToAssetKey | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        ascending: bool = False,
    ) -> list[RunRecord]:
        """Runs, newest first; `cursor` is the last run id of the previous page."""
        filters = RunsFilter(
            job_name=job_name,
            statuses=None if status is None else _statuses(status),
            tags=tags,
            asset_key=None if asset_key is None else AssetKey.from_coercible(asset_key),
        )
        return self._storage.get_runs(filters, limit=limit, cursor=cursor, ascending=ascending)

    def get_event_records(
        self,
        event_type: EventType | Sequence[EventType] | None = None,
        asset_key: CoercibleToAssetKey | None = None,
        run_id: str | None = None,
        limit: int | None = None,
        ascending: bool = True,
        partition: str | None = None,
        after_storage_id: int | None = None,
    ) -> list[EventRecord]:
        return self._storage.get_event_records(
            event_type=event_type,
            asset_key=None if asset_key is None else AssetKey.from_coercible(asset_key),
            partition=partition,
            run_id=run_id,
            after_storage_id=after_storage_id,
            limit=limit,
            ascending=ascending,
        )

    def get_latest_materialization(
        self, asset_key: CoercibleToAssetKey, partition: str | None = None
    ) -> EventRecord | None:
        return self._storage.get_latest_materialization(
            AssetKey.from_coercible(asset_key), partition
        )

    def get_latest_materialization_event(
        self, asset_key: CoercibleToAssetKey, partition: str | None = None
    ) -> AssetMaterialization | None:
        """The latest materialization of an asset (or partition) as a readable record:
        metadata values, data version, run id; None if it was never materialized."""
        record = self.get_latest_materialization(asset_key, partition)
        return None if record is None else AssetMaterialization.from_event(record.event)

    def get_latest_observation(
        self, asset_key: CoercibleToAssetKey, partition: str | None = None
    ) -> EventRecord | None:
        return self._storage.get_latest_observation(AssetKey.from_coercible(asset_key), partition)

    def get_asset_status(
        self, keys: Iterable[CoercibleToAssetKey], *, with_events: bool = True
    ) -> Mapping[AssetKey, AssetStatusRecord]:
        if isinstance(keys, str | AssetKey):
            keys = [keys]
        asset_keys = [AssetKey.from_coercible(k) for k in keys]
        return self._storage.get_asset_status(asset_keys, with_events=with_events)

    # -- dynamic partitions ---------------------------------------------------------------

    def add_dynamic_partitions(
        self, partitions_def_name: str, partition_keys: Sequence[str]
    ) -> None:
        """Add partitions to a `DynamicPartitionsDefinition(name)`, in order; keys already
        present are skipped. Any number of keys, in one transaction."""
        self._storage.add_dynamic_partitions(partitions_def_name, partition_keys)

    def get_dynamic_partitions(self, partitions_def_name: str) -> list[str]:
        """The partition keys of a dynamic partitions definition, in the order added."""
        return self._storage.get_dynamic_partitions(partitions_def_name)

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        return self._storage.has_dynamic_partition(partitions_def_name, partition_key)

    def delete_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> None:
        self._storage.delete_dynamic_partition(partitions_def_name, partition_key)

    def info(self) -> dict[str, object]:
        """Backend, location, schema version and row counts, plus the folders in use."""
        return {
            **self._storage.schema_info(),
            "home": None if self._home is None else str(self._home),
            "storage_dir": str(self.storage_dir),
            "logs_dir": _logs_dir(self._compute_logs),
        }

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Release the storage; an ephemeral instance also deletes its temporary folder."""
        self._storage.close()
        if self._cleanup is not None:
            self._cleanup()

    def __enter__(self) -> Instance:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __reduce__(self) -> tuple[Callable[..., Instance], tuple[str]]:
        # Sent to another process by reference: the child reopens the same home.
        if self._home is None:
            raise UsageError(
                "an ephemeral instance lives in this process's memory and cannot be sent to "
                "another process; use Instance.from_home(path) for multi-process work"
            )
        return (Instance.from_home, (str(self._home),))

    def __repr__(self) -> str:
        return "Instance(ephemeral)" if self._home is None else f"Instance(home={self._home!r})"


def _statuses(status: RunStatus | Iterable[RunStatus]) -> list[RunStatus]:
    if isinstance(status, RunStatus):
        return [status]
    return list(status)
