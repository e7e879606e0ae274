"""The code server protocol: JSON over HTTP/1.1 on a Unix socket, one server per location.

A host starts `python -m freshet.workspace.server`, reads one JSON line (the server's
announcement) from the server's protocol pipe, then talks HTTP over the socket it names:

    GET  /v1/info                  location name, status, load error, counts, load time
    GET  /v1/snapshot              the DefinitionsSnapshot JSON (409 if the load failed)
    POST /v1/partition_mapping     evaluate a user-defined partition mapping (user code)
    POST /v1/schedule_tick         evaluate one tick of a schedule (user code)
    POST /v1/sensor_tick           evaluate one tick of a sensor (user code)
    POST /v1/shutdown              stop serving

Every request and response carries the `X-Freshet-Protocol` header. Either side refuses a
different version with a message that says which freshet to install. Bump
`PROTOCOL_VERSION` when a request or response changes shape incompatibly.
"""

from __future__ import annotations

from freshet.errors import DefinitionsLoadError

PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "X-Freshet-Protocol"
#: the key of the one JSON line a server writes on its protocol pipe when it is ready
ANNOUNCEMENT = "freshet_code_server"

INFO_PATH = "/v1/info"
SNAPSHOT_PATH = "/v1/snapshot"
PARTITION_MAPPING_PATH = "/v1/partition_mapping"
SCHEDULE_TICK_PATH = "/v1/schedule_tick"
SENSOR_TICK_PATH = "/v1/sensor_tick"
SHUTDOWN_PATH = "/v1/shutdown"


class CodeServerError(DefinitionsLoadError):
    """A code server could not be started, did not answer, or answered with an error."""


class ProtocolMismatchError(CodeServerError):
    """Host and code server speak different protocol versions."""


def mismatch_message(location: str, theirs: object) -> str:
    return (
        f"code location {location!r}: its code server speaks protocol version {theirs!r}, "
        f"this freshet speaks {PROTOCOL_VERSION}; install the same freshet version in the "
        "location's Python (executable_path) and in the host"
    )
