"""The code server program: `python -m freshet.instance.code_server ...`, started by a workspace
host for each code location. It serves the location's snapshot (see
`freshet.workspace.server`) and evaluates schedule and sensor ticks in the location's process,
with the instance opened lazily from `--home` (the one place a code server needs it).
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

from freshet.errors import UsageError
from freshet.workspace.protocol import SCHEDULE_TICK_PATH, SENSOR_TICK_PATH
from freshet.workspace.server import LoadedLocation, parse_arguments, serve

if TYPE_CHECKING:
    from freshet.instance.instance import Instance


class _LazyInstance:
    """Opens the instance on the first tick that needs it, once, for all threads."""

    def __init__(self, home: str | None) -> None:
        self._home = home
        self._instance: Instance | None = None
        self._lock = threading.Lock()

    def get(self) -> Instance:
        if self._home is None:
            raise UsageError("this code server was started without an instance home (--home)")
        with self._lock:
            if self._instance is None:
                # Imported on the first tick, for start-up time: a location that is only
                # asked for its snapshot never pays for storage.
                from freshet.instance.instance import Instance

                self._instance = Instance.from_home(self._home)
            return self._instance


def _number(body: Any, name: str, *, required: bool) -> float | None:
    value = body.get(name) if isinstance(body, dict) else None
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"{name} must be a number of seconds since the epoch")
    return float(value)


def _name(body: Any) -> str:
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str):
        raise UsageError("name must be a string")
    return name


def routes(instance: _LazyInstance) -> dict[str, Any]:
    def schedule_tick(location: LoadedLocation, body: Any) -> Any:
        from freshet.instance.sensor_ticks import tick_schedule  # on first use: start-up time

        assert location.defs is not None
        when = _number(body, "scheduled_execution_time", required=True)
        assert when is not None
        evaluation = tick_schedule(location.defs, _name(body), when, instance.get())
        return {"evaluation": evaluation.to_json()}

    def sensor_tick(location: LoadedLocation, body: Any) -> Any:
        from freshet.instance.sensor_ticks import tick_sensor  # on first use: start-up time

        assert location.defs is not None
        cursor = body.get("cursor")
        if cursor is not None and not isinstance(cursor, str):
            raise UsageError("cursor must be a string or null")
        evaluation = tick_sensor(
            location.defs,
            _name(body),
            cursor=cursor,
            instance=instance.get(),
            last_tick_completion_time=_number(body, "last_tick_completion_time", required=False),
            evaluation_time=_number(body, "evaluation_time", required=False),
        )
        return {"evaluation": evaluation.to_json()}

    return {SCHEDULE_TICK_PATH: schedule_tick, SENSOR_TICK_PATH: sensor_tick}


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv, "python -m freshet.instance.code_server")
    return serve(args, routes(_LazyInstance(args.home)))


if __name__ == "__main__":
    sys.exit(main())
