"""The duties of this release: the run queue (dequeue QUEUED runs within the limits and start
their workers) and run monitoring (end runs whose worker died)."""

from __future__ import annotations

from freshet.daemon.duty import Duty
from freshet.instance.coordinator import RUN_QUEUE_DUTY, RunCoordinator
from freshet.instance.instance import Instance
from freshet.instance.launcher import RunLauncher
from freshet.instance.monitoring import RunMonitor

RUN_MONITORING_DUTY = "run_monitoring"
QUEUE_INTERVAL_SECONDS = 0.1


class RunQueueDuty:
    name = RUN_QUEUE_DUTY
    interval_seconds = QUEUE_INTERVAL_SECONDS

    def __init__(self, coordinator: RunCoordinator) -> None:
        self._coordinator = coordinator

    def tick(self) -> None:
        self._coordinator.tick()

    def close(self) -> None:
        pass


class RunMonitoringDuty:
    name = RUN_MONITORING_DUTY

    def __init__(self, monitor: RunMonitor, *, interval_seconds: float) -> None:
        self._monitor = monitor
        self.interval_seconds = interval_seconds

    def tick(self) -> None:
        self._monitor.tick()

    def close(self) -> None:
        pass


def default_duties(instance: Instance) -> list[Duty]:
    """The duties a daemon runs for `instance`; they share one launcher, so that a worker the
    queue started is seen by monitoring the moment it exits."""
    launcher = RunLauncher(instance.home)
    timeout = instance.run_monitoring_config.worker_heartbeat_timeout_seconds
    return [
        RunQueueDuty(RunCoordinator(instance, launcher, launched_by="the daemon")),
        RunMonitoringDuty(RunMonitor(instance, launcher), interval_seconds=min(1.0, timeout / 4)),
    ]
