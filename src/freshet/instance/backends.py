"""Opens the backends of a persistent instance home. Imported only when a home is opened:
it pulls in SQLAlchemy and PyYAML, which `import freshet` must not pay for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from freshet.errors import InstanceConfigError
from freshet.instance.config import load_instance_config
from freshet.storage.base import ComputeLogStore, Storage
from freshet.storage.compute_logs import LocalComputeLogStore
from freshet.storage.sqlite import SqliteStorage

DATABASE_FILE = "freshet.db"
STORAGE_DIR = "storage"
LOGS_DIR = "logs"


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeBackends:
    storage: Storage
    compute_logs: ComputeLogStore
    storage_dir: Path


def open_home(home: Path) -> HomeBackends:
    """The storage, compute logs and IO manager folder of an existing home directory."""
    config = load_instance_config(home)
    storage_dir = home / STORAGE_DIR
    logs_dir = home / LOGS_DIR
    for folder in (storage_dir, logs_dir):
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise InstanceConfigError(
                f"cannot create {folder} ({exc.strerror or exc}); the instance home needs it "
                "as a writable folder"
            ) from None
    storage = SqliteStorage(config.sqlite_path or home / DATABASE_FILE)
    return HomeBackends(
        storage=storage, compute_logs=LocalComputeLogStore(logs_dir), storage_dir=storage_dir
    )
