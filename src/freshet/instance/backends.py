"""Opens the backends of a persistent instance home. Imported only when a home is opened:
it pulls in SQLAlchemy and PyYAML, which `import freshet` must not pay for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import URL

from freshet.errors import InstanceConfigError
from freshet.instance.instance import CONFIG_FILE
from freshet.storage.base import ComputeLogStore
from freshet.storage.compute_logs import LocalComputeLogStore
from freshet.storage.sql.store import SqlStorage
from freshet.storage.sqlite import SqliteStorage

if TYPE_CHECKING:
    from freshet.instance.config import InstanceConfig, PostgresStorageConfig, StorageConfig

DATABASE_FILE = "freshet.db"
STORAGE_DIR = "storage"
LOGS_DIR = "logs"


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeBackends:
    storage: SqlStorage
    compute_logs: ComputeLogStore
    storage_dir: Path
    #: None when the home has no freshet.yaml: every setting is its default
    config: InstanceConfig | None


def home_config(home: Path) -> InstanceConfig | None:
    """The home's freshet.yaml, parsed; None when it has none (every setting its default).
    The config module (its classes, and PyYAML) loads only for a home that has the file."""
    if not (home / CONFIG_FILE).exists():
        return None
    from freshet.instance.config import load_instance_config

    return load_instance_config(home)


def open_home(home: Path, *, read_only: bool = False) -> HomeBackends:
    """The storage, compute logs and IO manager folder of an existing home directory;
    `read_only` for commands that only read: nothing in the home is created or changed."""
    config = home_config(home)
    storage_dir = home / STORAGE_DIR
    logs_dir = home / LOGS_DIR
    for folder in () if read_only else (storage_dir, logs_dir):
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise InstanceConfigError(
                f"cannot create {folder} ({exc.strerror or exc}); the instance home needs it "
                "as a writable folder"
            ) from None
    storage = open_storage(None if config is None else config.storage, home, read_only=read_only)
    return HomeBackends(
        storage=storage,
        compute_logs=LocalComputeLogStore(logs_dir),
        storage_dir=storage_dir,
        config=config,
    )


def open_home_storage(home: Path, *, require_current_schema: bool = True) -> SqlStorage:
    """Only the database of a home, as its freshet.yaml configures it."""
    config = home_config(home)
    return open_storage(
        None if config is None else config.storage,
        home,
        require_current_schema=require_current_schema,
    )


def open_storage(
    config: StorageConfig | None,
    home: Path,
    *,
    require_current_schema: bool = True,
    read_only: bool = False,
) -> SqlStorage:
    """The configured database (None: the default SQLite file in the home)."""
    if config is not None:
        from freshet.instance.config import PostgresStorageConfig

        if isinstance(config, PostgresStorageConfig):
            # Imported here, not at the top: the PostgreSQL dialect and driver cost ~45 ms of
            # start-up that every SQLite instance (the default) would pay for nothing.
            from freshet.storage.postgres import PostgresStorage

            return PostgresStorage(
                postgres_url(config), require_current_schema=require_current_schema
            )
    path = Path((config.path if config is not None else None) or home / DATABASE_FILE)
    return SqliteStorage(
        path,
        require_current_schema=require_current_schema,
        # a home with no database yet gets one, as when opened for writing
        read_only=read_only and path.exists() and path.stat().st_size > 0,
    )


def postgres_url(config: PostgresStorageConfig) -> str | URL:
    """The configured URL, or one assembled from parts (quoting the password as needed)."""
    from freshet.instance.config import DEFAULT_POSTGRES_PORT

    if config.url is not None:
        return config.url
    return URL.create(
        "postgresql",
        username=config.user,
        password=config.password,
        host=config.host or "localhost",
        port=config.port or DEFAULT_POSTGRES_PORT,
        database=config.database,
    )
