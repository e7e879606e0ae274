"""A workspace host: starts one code server per location (in parallel), reads their snapshots,
and keeps working when one location fails. The CLI is a host today; the daemon and the web
server will be. A host never imports the user's code: it only reads snapshots as data.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from freshet.errors import FreshetError
from freshet.workspace.client import CodeServerClient
from freshet.workspace.origin import CodeLocationOrigin
from freshet.workspace.protocol import (
    ANNOUNCEMENT,
    PROTOCOL_VERSION,
    CodeServerError,
    mismatch_message,
)

if TYPE_CHECKING:
    from freshet.snapshot import DefinitionsSnapshot, SnapshotAssetGraph

#: seconds a location may take to import and build its snapshot; override per host or with
#: the FRESHET_LOCATION_LOAD_TIMEOUT environment variable
DEFAULT_LOAD_TIMEOUT = 180.0
LOAD_TIMEOUT_ENV = "FRESHET_LOCATION_LOAD_TIMEOUT"
_LOG_TAIL_CHARS = 4000
#: the code server program. It lives with the instance (ticks need one), and is started as a
#: process, never imported by the host.
CODE_SERVER_MODULE = "freshet.instance.code_server"


class LocationStatus(StrEnum):
    LOADED = "loaded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeLocationEntry:
    """One location as the host sees it: its snapshot, or the error that stopped it."""

    name: str
    origin: CodeLocationOrigin
    status: LocationStatus
    error: str | None = None
    load_seconds: float = 0.0
    counts: Mapping[str, int] = field(default_factory=dict)
    snapshot: DefinitionsSnapshot | None = None
    pid: int | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "error": self.error,
            "load_seconds": round(self.load_seconds, 4),
            "counts": dict(self.counts),
            "origin": self.origin.to_json_dict(),
            "snapshot_fingerprint": None if self.snapshot is None else self.snapshot.fingerprint,
        }


def default_load_timeout() -> float:
    raw = os.environ.get(LOAD_TIMEOUT_ENV)
    if not raw:
        return DEFAULT_LOAD_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise CodeServerError(f"{LOAD_TIMEOUT_ENV}={raw!r}: expected a positive number of seconds")
    return value


class _ServerProcess:
    """A code server being started, or running."""

    def __init__(
        self, origin: CodeLocationOrigin, load_timeout: float, instance_home: Path | None
    ) -> None:
        self.origin = origin
        self.load_timeout = load_timeout
        self.folder = Path(tempfile.mkdtemp(prefix="freshet-location-"))
        self.socket_path = str(self.folder / "server.sock")
        self.log_path = self.folder / "server.log"
        read_fd, write_fd = os.pipe()
        executable = origin.executable_path or sys.executable
        command = [
            executable,
            "-m",
            CODE_SERVER_MODULE,
            "--origin",
            json.dumps(origin.to_json_dict()),
            "--socket",
            self.socket_path,
            "--announce-fd",
            str(write_fd),
            "--parent-pid",
            str(os.getpid()),
            *([] if instance_home is None else ["--home", str(instance_home)]),
        ]
        self.started = time.perf_counter()
        try:
            with self.log_path.open("wb") as log:
                self.popen = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(write_fd,),
                    cwd=origin.working_directory,
                )
        except OSError as exc:
            os.close(read_fd)
            shutil.rmtree(self.folder, ignore_errors=True)
            raise CodeServerError(
                f"code location {origin.location_name!r}: cannot start {executable}: {exc}"
            ) from None
        finally:
            os.close(write_fd)
        self._announcements = read_fd

    def wait_announced(self) -> dict[str, Any]:
        """The server's announcement, or a CodeServerError if it died or hung (then it is
        stopped)."""
        name = self.origin.location_name
        deadline = self.started + self.load_timeout
        buffer = b""
        try:
            while b"\n" not in buffer:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    self.stop()
                    raise CodeServerError(
                        f"code location {name!r} did not load within {self.load_timeout:g} s "
                        f"and was stopped; make its import faster or raise {LOAD_TIMEOUT_ENV}"
                        f"{self._log_tail()}"
                    )
                ready, _, _ = select.select([self._announcements], [], [], remaining)
                if not ready:
                    continue
                chunk = os.read(self._announcements, 65536)
                if not chunk:
                    code = self.popen.wait(timeout=self.load_timeout)
                    raise CodeServerError(
                        f"code location {name!r}: its code server exited "
                        f"({_exit_reason(code)}) before it was ready{self._log_tail()}"
                    )
                buffer += chunk
        finally:
            os.close(self._announcements)
        try:
            announced: dict[str, Any] = json.loads(buffer.split(b"\n", 1)[0])[ANNOUNCEMENT]
        except (ValueError, KeyError, TypeError):
            self.stop()
            raise CodeServerError(
                f"code location {name!r}: its code server announced something unreadable: "
                f"{buffer[:200]!r}"
            ) from None
        if announced.get("protocol") != PROTOCOL_VERSION:
            self.stop()
            raise CodeServerError(mismatch_message(name, announced.get("protocol")))
        return announced

    def _log_tail(self) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return ""
        if not text:
            return ""
        return "\noutput of the code server:\n" + text[-_LOG_TAIL_CHARS:]

    def stop(self, timeout: float = 5.0) -> None:
        """Ask politely (SIGTERM), then kill; never waits longer than `timeout` seconds."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=timeout)
        shutil.rmtree(self.folder, ignore_errors=True)


def _exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class WorkspaceHost:
    """The code locations of a workspace, each served by its own process.

    Use as a context manager (or call `close()`): the code servers stop with the host.
    """

    def __init__(
        self,
        origins: Sequence[CodeLocationOrigin],
        *,
        load_timeout: float | None = None,
        instance_home: Path | None = None,
    ) -> None:
        names = [origin.location_name for origin in origins]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise CodeServerError(f"two code locations are named {', '.join(duplicates)}")
        self._origins = {origin.location_name: origin for origin in origins}
        self._load_timeout = load_timeout if load_timeout is not None else default_load_timeout()
        #: where code servers open the instance for ticks (None: theirs is never opened)
        self._instance_home = instance_home
        self._servers: dict[str, _ServerProcess] = {}
        self._entries: dict[str, CodeLocationEntry] = {}

    def __enter__(self) -> WorkspaceHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> WorkspaceHost:
        """Start every location's code server at once, then wait for each."""
        started: dict[str, _ServerProcess | CodeServerError] = {}
        for name, origin in self._origins.items():
            try:
                started[name] = _ServerProcess(origin, self._load_timeout, self._instance_home)
            except CodeServerError as exc:
                started[name] = exc
        for name, process in started.items():
            self._entries[name] = self._finish(self._origins[name], process)
        return self

    def _finish(
        self, origin: CodeLocationOrigin, process: _ServerProcess | CodeServerError
    ) -> CodeLocationEntry:
        name = origin.location_name
        if isinstance(process, CodeServerError):
            return _failed(origin, str(process), 0.0)
        try:
            announced = process.wait_announced()
        except CodeServerError as exc:
            return _failed(origin, str(exc), time.perf_counter() - process.started)
        if announced.get("status") != LocationStatus.LOADED:
            process.stop()
            return _failed(
                origin,
                announced.get("error") or "the location failed to load",
                float(announced.get("load_seconds") or 0.0),
            )
        client = CodeServerClient(name, process.socket_path, timeout=self._load_timeout)
        try:
            snapshot = _read_snapshot(client)
        except FreshetError as exc:
            process.stop()
            return _failed(origin, str(exc), time.perf_counter() - process.started)
        self._servers[name] = process
        return CodeLocationEntry(
            name=name,
            origin=origin,
            status=LocationStatus.LOADED,
            load_seconds=time.perf_counter() - process.started,
            counts=dict(announced.get("counts") or {}),
            snapshot=snapshot,
            pid=process.popen.pid,
        )

    @property
    def locations(self) -> dict[str, CodeLocationEntry]:
        return dict(self._entries)

    def __iter__(self) -> Iterator[CodeLocationEntry]:
        return iter(self._entries.values())

    def location(self, name: str) -> CodeLocationEntry:
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries)) or "none"
            raise CodeServerError(f"no code location named {name!r} (locations: {known})") from None

    def client(self, name: str) -> CodeServerClient:
        """A client of a loaded location's code server."""
        entry = self.location(name)
        server = self._servers.get(name)
        if entry.status is not LocationStatus.LOADED or server is None:
            raise CodeServerError(f"code location {name!r} is not loaded: {entry.error}")
        return CodeServerClient(name, server.socket_path, timeout=self._load_timeout)

    def asset_graph(self, name: str) -> SnapshotAssetGraph:
        """The asset graph of a loaded location, its user-defined partition mappings answered
        by the location's code server."""
        entry = self.location(name)
        if entry.snapshot is None:
            raise CodeServerError(f"code location {name!r} is not loaded: {entry.error}")
        return entry.snapshot.asset_graph_with(self.client(name))

    def reload(self, name: str) -> CodeLocationEntry:
        """Start a fresh code server for `name` (picking up code changes), then stop the old
        one; the other locations are untouched."""
        self.location(name)
        origin = self._origins[name]
        old = self._servers.pop(name, None)
        try:
            fresh: _ServerProcess | CodeServerError = _ServerProcess(
                origin, self._load_timeout, self._instance_home
            )
        except CodeServerError as exc:
            fresh = exc
        self._entries[name] = self._finish(origin, fresh)
        if old is not None:
            old.stop()
        return self._entries[name]

    def problems(self) -> list[str]:
        """Problems between locations: an asset key defined in two of them."""
        owners: dict[str, list[str]] = {}
        for entry in self._entries.values():
            if entry.snapshot is None:
                continue
            for node in entry.snapshot.assets:
                owners.setdefault(node.key.to_user_string(), []).append(entry.name)
        return [
            f"asset {key!r} is defined in {len(names)} code locations: {', '.join(names)}; "
            "define each asset in one location"
            for key, names in sorted(owners.items())
            if len(names) > 1
        ]

    def close(self) -> None:
        servers, self._servers = self._servers, {}
        for server in servers.values():
            server.stop()


def _failed(origin: CodeLocationOrigin, error: str, seconds: float) -> CodeLocationEntry:
    return CodeLocationEntry(
        name=origin.location_name,
        origin=origin,
        status=LocationStatus.FAILED,
        error=error,
        load_seconds=seconds,
    )


def _read_snapshot(client: CodeServerClient) -> DefinitionsSnapshot:
    # Imported when a location has loaded: reading a snapshot needs the snapshot models only.
    from freshet.snapshot import DefinitionsSnapshot

    return DefinitionsSnapshot.from_json(client.snapshot_json())
