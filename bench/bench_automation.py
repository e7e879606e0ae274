"""Automation ticks over N eager assets (random DAG, <= 3 parents, as in the peer workload),
and over 100 daily-partitioned assets with 10,000 partitions each.

    python bench/bench_automation.py --assets 1000 [--repeat 5]
    python bench/bench_automation.py --partitioned [--assets 100] [--days 10000]

Eager: tick 1 on an empty SQLite instance requests every asset (all missing, requested
together); everything is then materialized (untimed), one tick settles, and the idle tick
(nothing changed since the previous one) is timed `--repeat` times, each from the previous
cursor; then, in a process of its own, idle ticks as the daemon runs them
(`automation_recorded_idle_tick`: the stored cursor read, the tick and the next cursor
written; its peak RSS includes the first recorded tick, which stores every evaluation). Partitioned: the latest partition of every asset is materialized (untimed), then the
idle tick is timed. Peak RSS is that of the whole process.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta

from _shapes import report

import freshet as fr

AC = fr.AutomationCondition


def _eager_defs(n: int) -> fr.Definitions:
    import random

    rng = random.Random(7)
    assets = []
    for i in range(n):
        parents = rng.sample(range(i), k=min(i, rng.randint(0, 3))) if i else []
        assets.append(
            fr.asset(
                name=f"a{i}", deps=[f"a{p}" for p in parents], automation_condition=AC.eager()
            )(lambda: 1)
        )
    return fr.Definitions(assets=assets)


def _partitioned_defs(n: int, days: int, now: datetime) -> fr.Definitions:
    start = (now - timedelta(days=days)).strftime("%Y-%m-%d")
    daily = fr.DailyPartitionsDefinition(start_date=start)
    assets = [
        fr.asset(
            name=f"p{i}",
            deps=[f"p{i - 1}"] if i else [],
            partitions_def=daily,
            automation_condition=AC.eager(),
        )(lambda: 1)
        for i in range(n)
    ]
    return fr.Definitions(assets=assets)


def _peak_rss_mib() -> float:
    """This process's peak RSS: Linux's VmHWM where there is one (getrusage's maximum is
    carried over from the parent across fork and exec, so a child would report ours)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


CPU: list[float] = []
"""CPU time of each timed tick (the shared machine's load inflates wall time, not this)."""


def _tick(defs, instance, cursor, at=None):
    import time

    start, cpu = time.perf_counter(), time.process_time()
    result = fr.evaluate_automation_conditions(defs, instance, cursor=cursor, evaluation_time=at)
    CPU.append(time.process_time() - cpu)
    return result, time.perf_counter() - start


def eager(n: int, repeat: int) -> None:
    defs = _eager_defs(n)
    with tempfile.TemporaryDirectory() as home, fr.Instance.from_home(home) as instance:
        first, requesting = _tick(defs, instance, None)
        fr.materialize(defs, instance=instance)
        cursor = _tick(defs, instance, first.cursor)[0].cursor
        samples = []
        for _ in range(repeat):
            result, seconds = _tick(defs, instance, cursor)
            cursor = result.cursor
            samples.append(seconds)
        assert result.total_requested == 0
        idle_cpu, idle_rss = _cpu_median(repeat), _peak_rss_mib()
    report(
        "automation_requesting_tick",
        [requesting],
        assets=n,
        requested=first.total_requested,
        cpu_ms=round(CPU[0] * 1000, 1),
    )
    report(
        "automation_idle_tick",
        samples,
        assets=n,
        peak_rss_mib=idle_rss,
        cpu_median_ms=idle_cpu,
    )
    # in a process of its own, as a daemon's, so its peak RSS is its own
    subprocess.run(
        [sys.executable, __file__, "--assets", str(n), "--repeat", str(repeat), "--recorded"],
        check=True,
    )


def recorded(n: int, repeat: int) -> None:
    """Idle ticks as the daemon runs them: read the stored cursor, evaluate, store the tick,
    the changed evaluations and the next cursor. Everything materialized first (untimed), then
    the first recorded tick (it stores every evaluation) and the idle ones."""
    import time

    from freshet.instance.automation import run_automation_tick, set_automation_enabled

    defs = _eager_defs(n)
    with tempfile.TemporaryDirectory() as home, fr.Instance.from_home(home) as instance:
        fr.materialize(defs, instance=instance)
        set_automation_enabled(instance.storage, True)
        run_automation_tick(defs, instance)  # stores the cursor the idle ticks start from
        samples = []
        for _ in range(repeat):
            start, cpu = time.perf_counter(), time.process_time()
            outcome = run_automation_tick(defs, instance)
            CPU.append(time.process_time() - cpu)
            samples.append(time.perf_counter() - start)
            assert outcome.result is not None and outcome.result.total_requested == 0
    report(
        "automation_recorded_idle_tick",
        samples,
        assets=n,
        peak_rss_mib=_peak_rss_mib(),
        cpu_median_ms=_cpu_median(repeat),
    )


def partitioned(n: int, days: int, repeat: int) -> None:
    now = datetime.now(UTC)
    defs = _partitioned_defs(n, days, now)
    with tempfile.TemporaryDirectory() as home, fr.Instance.from_home(home) as instance:
        first, requesting = _tick(defs, instance, None, now)
        latest = next(iter(first.get_requested_partitions("p0")))
        fr.materialize(defs, instance=instance, partition_key=latest)
        cursor = _tick(defs, instance, first.cursor, now)[0].cursor
        samples = []
        for _ in range(repeat):
            result, seconds = _tick(defs, instance, cursor, now)
            cursor = result.cursor
            samples.append(seconds)
        assert result.total_requested == 0
    report(
        "automation_partitioned_requesting_tick",
        [requesting],
        assets=n,
        partitions_per_asset=days,
        requested=first.total_requested,
        cpu_ms=round(CPU[0] * 1000, 1),
    )
    report(
        "automation_partitioned_idle_tick",
        samples,
        assets=n,
        partitions_per_asset=days,
        peak_rss_mib=_peak_rss_mib(),
        cpu_median_ms=_cpu_median(repeat),
    )


def _cpu_median(repeat: int) -> float:
    import statistics

    return round(statistics.median(CPU[-repeat:]) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--partitioned", action="store_true")
    parser.add_argument("--days", type=int, default=10000)
    parser.add_argument("--recorded", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.recorded:
        recorded(args.assets or 1000, args.repeat)
    elif args.partitioned:
        partitioned(args.assets or 100, args.days, args.repeat)
    else:
        eager(args.assets or 1000, args.repeat)


if __name__ == "__main__":
    main()
