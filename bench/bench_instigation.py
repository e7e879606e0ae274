"""Schedules and sensors in the daemon: how soon a due sensor's run is queued, and what a pass
costs when nothing is due.

    python bench/bench_instigation.py [--ticks 20] [--interval 5] [--count 100]

- `sensor_tick_to_run_queued`: a sensor with `minimum_interval_seconds=--interval` requesting a
  run every tick; the duty polls as the daemon does (every 0.5 s); figure: from the moment the
  tick was due to the run being queued, over `--ticks` ticks.
- `idle_pass_cpu`: `--count` schedules and `--count` sensors in one location, none due; the
  CPU time (process time) of one pass of the duty.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

import freshet as fr
from freshet.daemon.duties import INSTIGATION_INTERVAL_SECONDS
from freshet.instance.instigation import InstigationDuty
from freshet.storage.records import RunsFilter
from freshet.workspace.host import WorkspaceHost
from freshet.workspace.origin import CodeLocationOrigin

SENSOR = """
import freshet as fr

@fr.asset
def table():
    return 1

@fr.sensor(target="table", minimum_interval_seconds={interval}, default_status="RUNNING")
def ticking(context):
    n = int(context.cursor or 0) + 1
    context.update_cursor(str(n))
    return fr.RunRequest(run_key=str(n))

defs = fr.Definitions(assets=[table], sensors=[ticking])
"""

MANY = """
import freshet as fr

@fr.asset
def table():
    return 1

job = fr.define_asset_job("load", selection="table")
schedules = [
    fr.ScheduleDefinition(name=f"s{{i}}", job=job, cron_schedule="0 3 * * *",
                          default_status="RUNNING")
    for i in range({count})
]
sensors = []
for i in range({count}):
    @fr.sensor(job=job, name=f"sensor{{i}}", minimum_interval_seconds=3600,
               default_status="RUNNING")
    def quiet(context):
        return fr.SkipReason("nothing")
    sensors.append(quiet)

defs = fr.Definitions(assets=[table], jobs=[job], schedules=schedules, sensors=sensors)
"""


def _host(folder: Path, name: str, source: str) -> tuple[WorkspaceHost, fr.Instance]:
    path = folder / name / f"{name}.py"
    path.parent.mkdir()
    path.write_text(textwrap.dedent(source))
    home = folder / f"{name}_home"
    instance = fr.Instance.from_home(home)
    origin = CodeLocationOrigin(location_name=name, python_file=path, working_directory=path.parent)
    return WorkspaceHost([origin], instance_home=home).start(), instance


def sensor_latency(folder: Path, ticks: int, interval: int) -> None:
    host, instance = _host(folder, "latency", SENSOR.format(interval=interval))
    duty = InstigationDuty(storage=instance.storage, host=host)
    latencies = []
    try:
        duty.run_once()
        while len(latencies) < ticks:
            time.sleep(INSTIGATION_INTERVAL_SECONDS)
            for tick in duty.run_once():
                due = tick.data["tick_time"]
                [run] = instance.storage.get_runs(RunsFilter(run_ids=list(tick.run_ids)))
                previous = instance.storage.get_ticks(tick.instigator_type, tick.instigator_name)
                earlier = [t for t in previous if t.tick.data.get("tick_time", 0) < due]
                if earlier:
                    was_due = earlier[0].tick.data["tick_time"] + interval
                    latencies.append(run.created_at - was_due)
    finally:
        duty.close()
        host.close()
        instance.close()
    print(
        json.dumps(
            {
                "bench": "sensor_tick_to_run_queued",
                "median_ms": round(statistics.median(latencies) * 1000, 1),
                "max_ms": round(max(latencies) * 1000, 1),
                "ticks": len(latencies),
                "interval_s": interval,
            }
        ),
        flush=True,
    )


def idle_pass(folder: Path, count: int) -> None:
    host, instance = _host(folder, "many", MANY.format(count=count))
    duty = InstigationDuty(storage=instance.storage, host=host)
    try:
        duty.run_once()  # first sight of the schedules; every sensor ticks once
        duty.run_once()
        samples = []
        for _ in range(20):
            started = time.process_time()
            assert duty.run_once() == []
            samples.append(time.process_time() - started)
    finally:
        duty.close()
        host.close()
        instance.close()
    print(
        json.dumps(
            {
                "bench": "idle_pass_cpu",
                "median_ms": round(statistics.median(samples) * 1000, 2),
                "schedules": count,
                "sensors": count,
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ticks", type=int, default=20)
    parser.add_argument("--interval", type=int, default=5)
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        idle_pass(Path(folder), args.count)
        sensor_latency(Path(folder), args.ticks, args.interval)


if __name__ == "__main__":
    main()
