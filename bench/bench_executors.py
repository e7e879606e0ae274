"""Executors: what running steps in other processes costs, and the parallelism it buys.

    python bench/bench_executors.py [--steps 200] [--repeat 3] [--skip-dask]

- multiprocess, 200 independent trivial steps, max_concurrent 2, SQLite instance: wall time
  per step (pool start included), for workers forked from the calling process (the default:
  `materialize(...)`, and a run of a code location as a run worker makes it) and for
  spawned workers that load the code location from its origin;
- multiprocess fan-out of 4 steps that each sleep 1 s, max_concurrent 2: wall time and each
  step's start/end (from its STEP_START/STEP_SUCCESS events), showing two at a time;
- Dask, a LocalCluster of 2 single-threaded workers started beforehand, 200 trivial steps:
  wall time per step (workers load the code location once per run).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import textwrap
import time
from pathlib import Path

from _shapes import report, timed

import freshet as fr
from freshet.instance.inprocess import run_assets
from freshet.instance.run_loader import OriginRunLoader
from freshet.storage.records import EventType
from freshet.workspace.loader import load_definitions
from freshet.workspace.origin import CodeLocationOrigin

PROJECT = textwrap.dedent(
    """
    import freshet as fr

    def _trivial(name):
        return fr.asset(name=name)(lambda: 1)

    defs = fr.Definitions(assets=[_trivial(f"t{i}") for i in range({n})])
    """
)


def _independent(n: int) -> list:
    return [fr.asset(name=f"t{i}")(lambda: 1) for i in range(n)]


def _sleeper(name: str):
    @fr.asset(name=name)
    def _asset() -> int:
        time.sleep(1)
        return 1

    return _asset


def _origin(folder: Path, n: int) -> CodeLocationOrigin:
    file = folder / "project.py"
    file.write_text(PROJECT.replace("{n}", str(n)))
    return CodeLocationOrigin(location_name="project", python_file=file, working_directory=folder)


def _run_origin(origin, instance, execution) -> fr.RunStatus:
    defs = load_definitions(origin)
    result = run_assets(
        defs,
        defs.get_asset_graph().materializable_keys,
        instance=instance,
        run_config={"execution": execution},
        loader=OriginRunLoader.of(origin),
    )
    assert result.success
    return result


def bench_multiprocess(n: int, repeat: int) -> None:
    two = fr.multiprocess_executor(max_concurrent=2)
    defs = fr.Definitions(assets=_independent(n), executor=two)
    with tempfile.TemporaryDirectory() as home, fr.Instance.from_home(home) as instance:
        fr.materialize(defs, instance=instance)  # warm: schema, imports
        inproc = timed(
            lambda: fr.materialize(defs, instance=instance, run_config={"execution": {"in_process": {}}}),
            repeat,
        )
        samples = timed(lambda: fr.materialize(defs, instance=instance), repeat)
        origin = _origin(Path(home), n)
        execution = {"multiprocess": {"max_concurrent": 2}}
        forked = timed(lambda: _run_origin(origin, instance, execution), repeat)
        spawn = {"multiprocess": {"max_concurrent": 2, "start_method": "spawn"}}
        spawned = timed(lambda: _run_origin(origin, instance, spawn), repeat)
    per_step = sorted(samples)[len(samples) // 2] * 1000 / n
    report("in_process_independent", inproc, steps=n, ms_per_step=_per(inproc, n))
    report("multiprocess_fork_independent", samples, steps=n, max_concurrent=2, ms_per_step=round(per_step, 2))
    report("multiprocess_fork_origin_independent", forked, steps=n, max_concurrent=2, ms_per_step=_per(forked, n))
    report("multiprocess_spawn_origin_independent", spawned, steps=n, max_concurrent=2, ms_per_step=_per(spawned, n))


def _per(samples: list[float], n: int) -> float:
    return round(sorted(samples)[len(samples) // 2] * 1000 / n, 2)


def bench_fan_out(repeat: int) -> None:
    defs = fr.Definitions(
        assets=[_sleeper(f"sleep{i}") for i in range(4)],
        executor=fr.multiprocess_executor(max_concurrent=2),
    )
    with tempfile.TemporaryDirectory() as home, fr.Instance.from_home(home) as instance:
        results = []
        samples = timed(lambda: results.append(fr.materialize(defs, instance=instance)), repeat)
        last = results[-1]
        events = [r.event for r in instance.get_event_records(run_id=last.run_id)]
    origin_time = min(e.timestamp for e in events)
    spans = {}
    for e in events:
        if e.event_type in (EventType.STEP_START, EventType.STEP_SUCCESS):
            spans.setdefault(e.step_key, {})[e.event_type.value] = round(e.timestamp - origin_time, 3)
    timeline = {k: [v["STEP_START"], v["STEP_SUCCESS"]] for k, v in sorted(spans.items())}
    report("multiprocess_fan_out_4x1s", samples, max_concurrent=2, steps_start_end_s=timeline)


def bench_dask(n: int, repeat: int) -> None:
    from dask.distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    try:
        with tempfile.TemporaryDirectory() as home, fr.Instance.from_home(home) as instance:
            origin = _origin(Path(home), n)
            execution = {"dask": {"address": cluster.scheduler_address}}
            _run_origin(origin, instance, execution)  # warm: the workers import freshet
            samples = timed(lambda: _run_origin(origin, instance, execution), repeat)
    finally:
        cluster.close(timeout=30)
    report("dask_local_cluster_2_workers", samples, steps=n, ms_per_step=_per(samples, n))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    bench_multiprocess(args.steps, args.repeat)
    bench_fan_out(args.repeat)
    if not args.skip_dask:
        bench_dask(args.steps, args.repeat)


if __name__ == "__main__":
    main()
