"""Raw listening events: the app exports one CSV per day (generated here, reproducibly), and
each day's rows are loaded into the warehouse table ``raw.listens``."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

import freshet as fr
from music.paths import DATA_DIR

DAYS = fr.DailyPartitionsDefinition(start_date="2024-06-01", end_date="2024-06-08")
USERS = 120
TRACKS = 40


def _user_rates() -> np.ndarray:
    """Listens per day of each user; premium users (every third) listen more."""
    rng = np.random.default_rng(7)
    base = rng.gamma(shape=2.0, scale=4.0, size=USERS)
    premium = np.arange(USERS) % 3 == 0
    return np.where(premium, base * 2.5, base)


def export_day(day: str) -> pd.DataFrame:
    """The app's export for ``day``, written to ``data/listens/<day>.csv`` and read back."""
    rng = np.random.default_rng(zlib.crc32(day.encode()))
    counts = rng.poisson(_user_rates())
    user_ids = np.repeat(np.arange(1, USERS + 1), counts)
    n = len(user_ids)
    premium = (user_ids - 1) % 3 == 0
    frame = pd.DataFrame(
        {
            "listen_id": [f"{day}-{i:05d}" for i in range(n)],
            "day": day,
            "user_id": user_ids,
            "track_id": rng.integers(1, TRACKS + 1, n),
            "seconds": np.round(rng.uniform(5, 240, n) * np.where(premium, 1.3, 1.0)).clip(5, 300),
        }
    )
    frame["skipped"] = frame["seconds"] < 30
    path = DATA_DIR / "listens" / f"{day}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return pd.read_csv(path, dtype={"day": "string"})


@fr.asset(
    key_prefix=["raw"],
    partitions_def=DAYS,
    # one run over a range of days: the function returns a frame per day of the range
    backfill_policy=fr.BackfillPolicy.single_run(),
    metadata={"partition_expr": "day"},
    io_manager_key="warehouse",
    group_name="raw",
    kinds={"csv", "duckdb"},
)
def listens(context: fr.AssetExecutionContext) -> dict[str, pd.DataFrame]:
    """Listening events of each day of the run, one partition per day."""
    return {day: export_day(day) for day in context.partition_keys}


@fr.asset_check(asset=listens, description="Every listen lasts between 5 s and 5 min.")
def listen_durations_are_plausible(listens: pd.DataFrame) -> fr.AssetCheckResult:
    bad = int((~listens["seconds"].between(5, 300)).sum())
    return fr.AssetCheckResult(passed=bad == 0, metadata={"implausible_rows": bad})
