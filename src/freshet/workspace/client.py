"""Talking to a code server: HTTP/1.1 over its Unix socket (the standard library's client,
pointed at a Unix socket instead of a TCP address)."""

from __future__ import annotations

import http.client
import json
import socket
from datetime import datetime
from typing import TYPE_CHECKING, Any

from freshet.core.sensors import TickEvaluation
from freshet.workspace.protocol import (
    INFO_PATH,
    PARTITION_MAPPING_PATH,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    SCHEDULE_TICK_PATH,
    SENSOR_TICK_PATH,
    SHUTDOWN_PATH,
    SNAPSHOT_PATH,
    CodeServerError,
    ProtocolMismatchError,
    mismatch_message,
)

if TYPE_CHECKING:
    from freshet.core.partitions.base import DynamicPartitionsStore, PartitionsDefinition
    from freshet.core.partitions.subsets import PartitionsSubset
    from freshet.snapshot import UserDefinedPartitionMapping


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, socket_path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class CodeServerClient:
    """One code server, by its location name (for messages) and socket path."""

    def __init__(self, location_name: str, socket_path: str, *, timeout: float = 60.0) -> None:
        self.location_name = location_name
        self.socket_path = socket_path
        self.timeout = timeout

    def info(self) -> dict[str, Any]:
        info = json.loads(self._request("GET", INFO_PATH))
        if info.get("protocol") != PROTOCOL_VERSION:
            raise ProtocolMismatchError(mismatch_message(self.location_name, info.get("protocol")))
        return info

    def snapshot_json(self) -> str:
        return self._request("GET", SNAPSHOT_PATH).decode()

    def partition_mapping(
        self,
        *,
        downstream_asset: str,
        upstream_asset: str,
        direction: str,
        partition_keys: list[str],
        current_time: float | None = None,
    ) -> list[str]:
        body = {
            "downstream_asset": downstream_asset,
            "upstream_asset": upstream_asset,
            "direction": direction,
            "partition_keys": partition_keys,
            "current_time": current_time,
        }
        answer = json.loads(self._request("POST", PARTITION_MAPPING_PATH, body))
        keys: list[str] = answer["partition_keys"]
        return keys

    # -- answering for user-defined partition mappings (UserMappingEvaluator) -----------------
    def upstream_partitions_for(
        self,
        mapping: UserDefinedPartitionMapping,
        downstream_subset: PartitionsSubset,
        upstream_def: PartitionsDefinition | None,
        downstream_def: PartitionsDefinition | None,
        *,
        current_time: datetime | None,
        dynamic_store: DynamicPartitionsStore | None,
    ) -> PartitionsSubset:
        return self._mapped(
            mapping, "upstream", downstream_subset, upstream_def, current_time, dynamic_store
        )

    def downstream_partitions_for(
        self,
        mapping: UserDefinedPartitionMapping,
        upstream_subset: PartitionsSubset,
        upstream_def: PartitionsDefinition | None,
        downstream_def: PartitionsDefinition | None,
        *,
        current_time: datetime | None,
        dynamic_store: DynamicPartitionsStore | None,
    ) -> PartitionsSubset:
        return self._mapped(
            mapping, "downstream", upstream_subset, downstream_def, current_time, dynamic_store
        )

    def _mapped(
        self,
        mapping: UserDefinedPartitionMapping,
        direction: str,
        given: PartitionsSubset,
        result_def: PartitionsDefinition | None,
        current_time: datetime | None,
        dynamic_store: DynamicPartitionsStore | None,
    ) -> PartitionsSubset:
        if result_def is None:
            raise CodeServerError(
                f"the partition mapping of {mapping.asset_key!r} on {mapping.dependency_key!r} "
                f"maps onto an unpartitioned asset ({direction})"
            )
        keys = self.partition_mapping(
            downstream_asset=mapping.asset_key,
            upstream_asset=mapping.dependency_key,
            direction=direction,
            partition_keys=sorted(given),
            current_time=None if current_time is None else current_time.timestamp(),
        )
        return result_def.subset_for_keys(
            keys, current_time=current_time, dynamic_store=dynamic_store
        )

    # -- ticks -----------------------------------------------------------------------------
    def tick_schedule(
        self, name: str, scheduled_execution_time: float, *, timeout: float | None = None
    ) -> TickEvaluation:
        """Evaluate one tick of schedule `name` in the location (its function is user code);
        a user error comes back as a CodeServerError with the user's frames."""
        body = {"name": name, "scheduled_execution_time": scheduled_execution_time}
        answer = json.loads(self._request("POST", SCHEDULE_TICK_PATH, body, timeout=timeout))
        return TickEvaluation.from_json(answer["evaluation"])

    def tick_sensor(
        self,
        name: str,
        *,
        cursor: str | None,
        last_tick_completion_time: float | None = None,
        evaluation_time: float | None = None,
        timeout: float | None = None,
    ) -> TickEvaluation:
        body = {
            "name": name,
            "cursor": cursor,
            "last_tick_completion_time": last_tick_completion_time,
            "evaluation_time": evaluation_time,
        }
        answer = json.loads(self._request("POST", SENSOR_TICK_PATH, body, timeout=timeout))
        return TickEvaluation.from_json(answer["evaluation"])

    def shutdown(self, timeout: float = 2.0) -> None:
        self._request("POST", SHUTDOWN_PATH, {}, timeout=timeout)

    def _request(
        self, method: str, path: str, body: Any = None, *, timeout: float | None = None
    ) -> bytes:
        connection = _UnixConnection(self.socket_path, timeout or self.timeout)
        headers = {PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise CodeServerError(
                f"code location {self.location_name!r}: its code server did not answer "
                f"{method} {path} ({type(exc).__name__}: {exc}); reload the location"
            ) from None
        finally:
            connection.close()
        theirs = response.getheader(PROTOCOL_HEADER)
        if theirs != str(PROTOCOL_VERSION):
            raise ProtocolMismatchError(mismatch_message(self.location_name, theirs))
        if response.status != 200:
            try:
                message = json.loads(data).get("error")
            except ValueError:
                message = data[:500].decode(errors="replace")
            raise CodeServerError(f"code location {self.location_name!r}: {message}")
        return data
