"""Backfill of 365 daily partitions through a chain of 3 trivial assets, in process, with a
persistent SQLite instance: total time, and the overhead per partition beyond user code
(planning, runs, events, IO manager, the backfill record written after every run). For
comparison, the same partitions materialized by a plain loop of `materialize` calls: the
difference is the backfill's own bookkeeping.

    python bench/bench_backfill.py [--days 365] [--repeat 3]
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from datetime import date, timedelta

from _shapes import report

import freshet as fr

START = date(2023, 1, 1)


class UserClock:
    """Time spent inside the asset functions themselves."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def timed(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return wrapper


def chain(days: int, clock: UserClock) -> fr.Definitions:
    daily = fr.DailyPartitionsDefinition(
        start_date=START.isoformat(), end_date=(START + timedelta(days=days)).isoformat()
    )

    def raw(context: fr.AssetExecutionContext):
        return context.partition_key

    def cleaned(raw):
        return raw

    def report_(cleaned):
        return len(cleaned)

    assets = [
        fr.asset(name="raw", partitions_def=daily)(clock.timed(raw)),
        fr.asset(name="cleaned", partitions_def=daily)(clock.timed(cleaned)),
        fr.asset(name="report", partitions_def=daily)(clock.timed(report_)),
    ]
    return fr.Definitions(assets=assets)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    first = START.isoformat()
    last = (START + timedelta(days=args.days - 1)).isoformat()
    clock = UserClock()
    defs = chain(args.days, clock)
    samples, user, planning, loops = [], [], [], []
    keys = [(START + timedelta(days=i)).isoformat() for i in range(args.days)]
    with tempfile.TemporaryDirectory() as home, fr.Instance.from_home(home) as instance:
        fr.backfill(defs, partition_range=(first, first), instance=instance)  # warm: schema
        for _ in range(args.repeat):
            clock.seconds = 0.0
            planned: list[float] = []

            def on_progress(progress, planned=planned):
                if progress.outcome is None:
                    planned.append(time.perf_counter())

            start = time.perf_counter()
            result = fr.backfill(
                defs, partition_range=(first, last), instance=instance, on_progress=on_progress
            )
            samples.append(time.perf_counter() - start)
            assert result.success, result.counts()
            user.append(clock.seconds)
            planning.append(planned[0] - start)
            start = time.perf_counter()
            for key in keys:
                fr.materialize(defs, partition_key=key, instance=instance)
            loops.append(time.perf_counter() - start)
    median = sorted(samples)[len(samples) // 2]
    median_user = sorted(user)[len(user) // 2]
    report(
        "backfill_sqlite",
        samples,
        partitions=args.days,
        assets=3,
        runs=len(result.run_ids),
        plan_ms=round(sorted(planning)[len(planning) // 2] * 1000, 2),
        user_ms=round(median_user * 1000, 2),
        overhead_ms_per_partition=round((median - median_user) * 1000 / args.days, 3),
        materialize_loop_ms=round(sorted(loops)[len(loops) // 2] * 1000, 2),
        bookkeeping_ms_per_partition=round(
            (median - sorted(loops)[len(loops) // 2]) * 1000 / args.days, 3
        ),
    )


if __name__ == "__main__":
    main()
