"""The daemon's duties: the run queue (dequeue QUEUED runs within the limits and start their
workers), run monitoring (end runs whose worker died), and, with a workspace, schedules and
sensors (ticked in their code locations)."""

from __future__ import annotations

from freshet.daemon.duty import Duty
from freshet.instance.automation_duty import AutomationDuty
from freshet.instance.coordinator import RUN_QUEUE_DUTY, RunCoordinator
from freshet.instance.instance import Instance
from freshet.instance.instigation import InstigationDuty
from freshet.instance.launcher import RunLauncher
from freshet.instance.monitoring import RunMonitor
from freshet.workspace.host import WorkspaceHost

RUN_MONITORING_DUTY = "run_monitoring"
SCHEDULES_AND_SENSORS_DUTY = "schedules_and_sensors"
#: how often due schedules and sensors are looked for: a sensor's run is queued within this
#: (plus its evaluation) of its tick being due
INSTIGATION_INTERVAL_SECONDS = 0.5
QUEUE_INTERVAL_SECONDS = 0.1


class RunQueueDuty:
    name = RUN_QUEUE_DUTY
    interval_seconds = QUEUE_INTERVAL_SECONDS

    def __init__(self, coordinator: RunCoordinator, launcher: RunLauncher) -> None:
        self._coordinator = coordinator
        self._launcher = launcher

    def tick(self) -> None:
        self._coordinator.tick()

    def close(self) -> None:
        self._launcher.close()


class RunMonitoringDuty:
    name = RUN_MONITORING_DUTY

    def __init__(self, monitor: RunMonitor, *, interval_seconds: float) -> None:
        self._monitor = monitor
        self.interval_seconds = interval_seconds

    def tick(self) -> None:
        self._monitor.tick()

    def close(self) -> None:
        pass


class SchedulesAndSensorsDuty:
    """Starts the ticks of due schedules and sensors (evaluated in their code locations, in
    worker threads) and returns at once, so a slow sensor never delays the run queue."""

    name = SCHEDULES_AND_SENSORS_DUTY
    interval_seconds = INSTIGATION_INTERVAL_SECONDS

    def __init__(self, duty: InstigationDuty) -> None:
        self._duty = duty

    def tick(self) -> None:
        self._duty.start_due()

    def close(self) -> None:
        self._duty.close()


def default_duties(instance: Instance, host: WorkspaceHost | None = None) -> list[Duty]:
    """The duties a daemon runs for `instance`; they share one launcher, so that a worker the
    queue started is seen by monitoring the moment it exits. With a workspace `host`, the
    daemon also ticks its schedules and sensors."""
    launcher = RunLauncher(instance.home, prewarm=True)
    timeout = instance.run_monitoring_config.worker_heartbeat_timeout_seconds
    duties: list[Duty] = [
        RunQueueDuty(RunCoordinator(instance, launcher, launched_by="the daemon"), launcher),
        RunMonitoringDuty(RunMonitor(instance, launcher), interval_seconds=min(1.0, timeout / 4)),
    ]
    if host is not None:
        duties.append(SchedulesAndSensorsDuty(InstigationDuty.for_instance(instance, host)))
        duties.append(AutomationDuty(instance, host))
    return duties
