"""The code server's machinery: one process per code location imports the user's code (the
only long-lived process that does, beside run workers), builds the location's snapshot once,
and serves it and the requests that need user code over HTTP on a Unix socket.

The process entry point is `freshet.instance.code_server`, which adds the requests that need
the instance (schedule and sensor ticks); see `protocol.py` for the requests. The server
announces itself with one JSON line on the announce pipe (also when loading failed: then it
reports the error and exits), and stops when asked, on SIGTERM, or when its parent process is
gone.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socketserver
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any

from freshet.definitions import Definitions
from freshet.errors import FreshetError
from freshet.version import __version__
from freshet.workspace.loader import load_definitions, user_traceback
from freshet.workspace.origin import CodeLocationOrigin
from freshet.workspace.protocol import (
    ANNOUNCEMENT,
    INFO_PATH,
    PARTITION_MAPPING_PATH,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    SHUTDOWN_PATH,
    SNAPSHOT_PATH,
)
from freshet.workspace.user_mappings import evaluate_partition_mapping

_PARENT_POLL_SECONDS = 1.0


class LoadedLocation:
    """What the server knows after loading: the definitions, or the error that stopped it."""

    def __init__(self, origin: CodeLocationOrigin) -> None:
        self.origin = origin
        self.defs: Definitions | None = None
        self.snapshot_json: bytes | None = None
        self.error: str | None = None
        self.counts: dict[str, int] = {}
        started = time.perf_counter()
        try:
            self._load()
        except FreshetError as exc:
            self.error = str(exc)
        except BaseException as exc:  # the user's module may raise anything, SystemExit included
            if isinstance(exc, KeyboardInterrupt):
                raise
            self.error = (
                f"could not build the snapshot of {origin.description}:\n{user_traceback(exc)}"
            )
        self.load_seconds = time.perf_counter() - started

    def _load(self) -> None:
        # Imported here, not at the top: the snapshot package is only needed once the user's
        # code has loaded, and keeping it out of the failure path keeps load errors clean.
        from freshet.snapshot import DefinitionsSnapshot

        defs = load_definitions(self.origin)
        self.snapshot_json = DefinitionsSnapshot.from_definitions(defs).to_json().encode()
        self.defs = defs
        self.counts = _counts(defs)

    def info(self) -> dict[str, Any]:
        return {
            "protocol": PROTOCOL_VERSION,
            "freshet_version": __version__,
            "location_name": self.origin.location_name,
            "status": "loaded" if self.error is None else "failed",
            "error": self.error,
            "load_seconds": self.load_seconds,
            "counts": self.counts,
            "pid": os.getpid(),
        }


def _counts(defs: Definitions) -> dict[str, int]:
    graph = defs.get_asset_graph()
    return {
        "assets": len(graph.nodes),
        "checks": sum(len(specs) for specs in graph.check_specs_by_asset.values()),
        "jobs": len(defs.get_all_job_defs()),
        "schedules": len(defs.schedules),
        "sensors": len(defs.sensors),
    }


#: a POST route: (the loaded location, the JSON body) -> the JSON answer. A FreshetError is
#: answered 400 with its message; any other exception (user code) 500 with the user's frames.
Route = Callable[[LoadedLocation, Any], Any]


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    location: LoadedLocation
    routes: Mapping[str, Route]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are not worth a line in the location's log

    def do_GET(self) -> None:
        if not self._protocol_ok():
            return
        location = self.server.location
        if self.path == INFO_PATH:
            self._json(200, location.info())
        elif self.path == SNAPSHOT_PATH:
            if location.snapshot_json is None:
                self._json(409, {"error": location.error or "not loaded"})
            else:
                self._send(200, location.snapshot_json)
        else:
            self._json(404, {"error": f"no such path: {self.path}"})

    def do_POST(self) -> None:
        if not self._protocol_ok():
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._json(400, {"error": "the request body is not JSON"})
            return
        if self.path == SHUTDOWN_PATH:
            self._json(200, {"stopping": True})
            threading.Thread(target=self.server.shutdown, daemon=True).start()
            return
        route = self.server.routes.get(self.path)
        if route is None:
            self._json(404, {"error": f"no such path: {self.path}"})
            return
        location = self.server.location
        if location.defs is None:
            self._json(409, {"error": location.error or "not loaded"})
            return
        try:
            answer = route(location, body)
        except FreshetError as exc:
            self._json(400, {"error": str(exc)})
        except Exception as exc:  # user code: report its own frames
            self._json(500, {"error": f"user code raised:\n{user_traceback(exc)}"})
        else:
            self._json(200, answer)

    def _protocol_ok(self) -> bool:
        theirs = self.headers.get(PROTOCOL_HEADER)
        if theirs != str(PROTOCOL_VERSION):
            self._json(
                400,
                {
                    "error": f"protocol version {theirs!r} requested; this code server speaks "
                    f"{PROTOCOL_VERSION} (freshet {__version__})"
                },
            )
            return False
        return True

    def _json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value).encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header(PROTOCOL_HEADER, str(PROTOCOL_VERSION))
        self.end_headers()
        self.wfile.write(body)


def _announce(fd: int, value: dict[str, Any]) -> None:
    with os.fdopen(fd, "w", encoding="utf-8") as pipe:
        pipe.write(json.dumps({ANNOUNCEMENT: value}) + "\n")


def _watch_parent(parent_pid: int, server: _Server) -> None:
    """Stop serving once the host that started us is gone (no orphaned code servers)."""
    while True:
        time.sleep(_PARENT_POLL_SECONDS)
        if os.getppid() != parent_pid:
            server.shutdown()
            return


def _partition_mapping(location: LoadedLocation, body: Any) -> Any:
    assert location.defs is not None
    return {"partition_keys": evaluate_partition_mapping(location.defs, body)}


BASE_ROUTES: Mapping[str, Route] = {PARTITION_MAPPING_PATH: _partition_mapping}


def parse_arguments(argv: list[str] | None, prog: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--origin", required=True, help="the location's origin as JSON")
    parser.add_argument("--socket", required=True, help="the Unix socket to serve on")
    parser.add_argument("--announce-fd", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--home", default=None, help="the instance home, for ticks")
    return parser.parse_args(argv)


def serve(args: argparse.Namespace, routes: Mapping[str, Route] = BASE_ROUTES) -> int:
    """Load the location, announce it, and serve until stopped."""
    origin = CodeLocationOrigin.from_json_dict(json.loads(args.origin))
    os.chdir(origin.working_directory)
    location = LoadedLocation(origin)
    if location.error is not None:
        _announce(args.announce_fd, location.info())
        return 0
    server = _Server(args.socket, _Handler)
    server.location = location
    server.routes = {**BASE_ROUTES, **routes}
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    threading.Thread(target=_watch_parent, args=(args.parent_pid, server), daemon=True).start()
    _announce(args.announce_fd, {**location.info(), "socket": args.socket})
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0
