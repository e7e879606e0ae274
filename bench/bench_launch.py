"""Launched runs: latency from queued to the first step started, and how fast a killed worker
is detected.

    python bench/bench_launch.py [--assets 1000] [--repeat 7]

Figures:
- `queued_to_first_step_started`: RUN_ENQUEUED to the first STEP_START of a run of one asset of
  an N-asset code location, dequeued by a running daemon whose spare worker is ready (runs
  launched 2 s apart; the worker imports the user's module, builds Definitions and the plan);
- `queued_to_first_step_started_in_process_executor`: the same with run config
  `execution: {in_process: {}}` (steps in the run worker itself; the default for launched
  runs is the multiprocess executor, whose step processes load the code location again);
- `queued_to_first_step_back_to_back`: the same with each run launched as soon as the last
  ended (the spare may still be starting up);
- `killed_worker_detected_by_exit`: kill -9 of a worker the daemon started, to RUN_FAILURE;
- `killed_worker_detected_by_heartbeat`: the same for a worker another daemon started (this
  daemon only sees its heartbeats stop; worker_heartbeat_timeout_seconds 3).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _daemon import daemon, launch, wait_finished
from _shapes import report
from bench_workspace import definitions_source

from freshet.instance.instance import Instance
from freshet.storage.records import EventType, RunStatus
from freshet.storage.state_records import HeartbeatKind

HEARTBEAT_TIMEOUT = 3
SPACING_SECONDS = 2.0
SLOW_ASSET = """

@fr.asset
def sleeper():
    from pathlib import Path
    import os, time
    Path(__file__).with_name("sleeper.pid").write_text(str(os.getpid()))
    time.sleep(120)
"""


IN_PROCESS = {"execution": {"in_process": {}}}


def first_step_latency(
    instance: Instance, defs: Path, selection: str, run_config: dict | None = None
) -> float:
    run_id = launch(instance, defs, selection, run_config=run_config)
    wait_finished(instance, [run_id], timeout=300)
    [queued] = instance.get_event_records(EventType.RUN_ENQUEUED, run_id=run_id)
    starts = instance.get_event_records(EventType.STEP_START, run_id=run_id)
    return starts[0].timestamp - queued.timestamp


def kill_and_time(instance: Instance, defs: Path) -> tuple[float, str]:
    pid_file = defs.with_name("sleeper.pid")
    pid_file.unlink(missing_ok=True)
    run_id = launch(instance, defs, "sleeper")
    deadline = time.monotonic() + 300
    while not pid_file.exists() or not pid_file.read_text():
        if time.monotonic() > deadline:
            raise SystemExit("the sleeper step never started")
        time.sleep(0.02)
    os.kill(_run_worker_pid(instance, run_id), signal.SIGKILL)
    killed = time.time()
    [run] = wait_finished(instance, [run_id], timeout=120)
    assert run.status is RunStatus.FAILURE, run
    [failure] = instance.get_event_records(EventType.RUN_FAILURE, run_id=run_id)
    return failure.timestamp - killed, failure.event.message


def _run_worker_pid(instance: Instance, run_id: str) -> int:
    """The run worker (its heartbeat names it), not the step's process: with the multiprocess
    executor steps run in processes of their own, which end with the run worker."""
    [beat] = instance.storage.get_heartbeats(HeartbeatKind.RUN_WORKER, [run_id])
    return int(beat.data["pid"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        home = root / "home"
        home.mkdir()
        (home / "freshet.yaml").write_text(
            f"run_monitoring: {{worker_heartbeat_timeout_seconds: {HEARTBEAT_TIMEOUT}}}\n"
        )
        defs = root / "bench_launch_defs.py"
        defs.write_text(
            definitions_source(args.assets, "a")
            .replace("defs = fr.Definitions(assets=[", "defs = fr.Definitions(assets=[sleeper, ")
            .replace("import freshet as fr\n", "import freshet as fr\n" + SLOW_ASSET, 1)
        )
        with Instance.from_home(home) as instance:
            with daemon(home, root):
                first_step_latency(instance, defs, "a0")  # warm-up: bytecode caches
                spaced = []
                for _ in range(args.repeat):
                    time.sleep(SPACING_SECONDS)  # the daemon's spare worker is ready
                    spaced.append(first_step_latency(instance, defs, "a0"))
                report(
                    "queued_to_first_step_started",
                    spaced,
                    assets=args.assets,
                    launched_seconds_apart=SPACING_SECONDS,
                )
                back_to_back = [
                    first_step_latency(instance, defs, "a0") for _ in range(args.repeat)
                ]
                report("queued_to_first_step_back_to_back", back_to_back, assets=args.assets)
                in_process = []
                for _ in range(args.repeat):
                    time.sleep(SPACING_SECONDS)
                    in_process.append(first_step_latency(instance, defs, "a0", IN_PROCESS))
                report(
                    "queued_to_first_step_started_in_process_executor",
                    in_process,
                    assets=args.assets,
                    launched_seconds_apart=SPACING_SECONDS,
                )
                exits = [kill_and_time(instance, defs) for _ in range(3)]
                report(
                    "killed_worker_detected_by_exit",
                    [seconds for seconds, _ in exits],
                    reason=exits[0][1],
                )
            # A worker started by one daemon, watched by another: only heartbeats tell.
            beats = []
            for _ in range(3):
                with daemon(home, root) as first:
                    pid_file = defs.with_name("sleeper.pid")
                    pid_file.unlink(missing_ok=True)
                    run_id = launch(instance, defs, "sleeper")
                    while not pid_file.exists() or not pid_file.read_text():
                        time.sleep(0.02)
                    os.kill(first.pid, signal.SIGKILL)
                    first.wait(timeout=30)
                with daemon(home, root):
                    os.kill(_run_worker_pid(instance, run_id), signal.SIGKILL)
                    killed = time.time()
                    [run] = wait_finished(instance, [run_id], timeout=120)
                    assert run.status is RunStatus.FAILURE, run
                    [failure] = instance.get_event_records(EventType.RUN_FAILURE, run_id=run_id)
                    beats.append(failure.timestamp - killed)
            report(
                "killed_worker_detected_by_heartbeat",
                beats,
                timeout_seconds=HEARTBEAT_TIMEOUT,
                reason=failure.event.message,
            )


if __name__ == "__main__":
    main()
