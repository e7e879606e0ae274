"""From the warehouse to a model: a pandas feature table per user, a small logistic
regression (numpy) telling premium listeners from free ones, and a markdown report."""

from __future__ import annotations

import numpy as np
import pandas as pd

import freshet as fr
from freshet.integrations.duckdb import DuckDBResource
from music.paths import DATA_DIR

FEATURES = ["listens_per_day", "avg_seconds", "skip_rate", "distinct_tracks"]


@fr.asset(
    io_manager_key="parquet",
    group_name="ml",
    kinds={"pandas", "parquet"},
    ins={"user_engagement": fr.AssetIn(key="user_engagement")},
)
def user_features(user_engagement: pd.DataFrame) -> pd.DataFrame:
    """One row per user: standardized listening features and the plan to predict."""
    frame = user_engagement.copy()
    frame["listens_per_day"] = frame["listens"] / frame["active_days"]
    out = frame[["user_id", "is_premium"]].copy()
    for column in FEATURES:
        values = frame[column].astype(float)
        out[column] = (values - values.mean()) / (values.std() or 1.0)
    return out


@fr.asset_check(asset=user_features, description="No feature is missing.")
def features_are_complete(user_features: pd.DataFrame) -> fr.AssetCheckResult:
    missing = int(user_features[FEATURES].isna().sum().sum())
    return fr.AssetCheckResult(passed=missing == 0, metadata={"missing_values": missing})


def _fit(x: np.ndarray, y: np.ndarray, steps: int = 2000, rate: float = 0.1) -> np.ndarray:
    """Logistic regression by gradient descent; returns the weights (bias first)."""
    x = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x @ w))
        w -= rate * x.T @ (p - y) / len(y)
    return w


@fr.asset(group_name="ml", kinds={"numpy"})
def plan_model(user_features: pd.DataFrame) -> fr.Output:
    """Weights of a logistic regression predicting a premium plan, with its accuracy on a
    held-out fifth of the users."""
    shuffled = user_features.sample(frac=1.0, random_state=3)
    test = shuffled.iloc[: len(shuffled) // 5]
    train = shuffled.iloc[len(shuffled) // 5 :]
    w = _fit(train[FEATURES].to_numpy(), train["is_premium"].to_numpy(dtype=float))
    x_test = np.hstack([np.ones((len(test), 1)), test[FEATURES].to_numpy()])
    predicted = (x_test @ w) > 0
    accuracy = float((predicted == test["is_premium"].to_numpy()).mean())
    model = {"features": FEATURES, "weights": w.tolist(), "accuracy": accuracy}
    return fr.Output(model, metadata={"accuracy": accuracy, "test_users": len(test)})


@fr.asset_check(asset=plan_model, description="The model beats guessing 'free' for everyone.")
def model_beats_the_baseline(plan_model: dict) -> fr.AssetCheckResult:
    return fr.AssetCheckResult(
        passed=plan_model["accuracy"] > 0.7, metadata={"accuracy": plan_model["accuracy"]}
    )


@fr.asset(group_name="reports", deps=["daily_track_plays"], kinds={"markdown"})
def weekly_report(duckdb: DuckDBResource, plan_model: dict) -> fr.MaterializeResult:
    """The week in one page: the top tracks and how well listening predicts the plan."""
    with duckdb.get_connection() as conn:
        top = conn.execute(
            "SELECT title, artist, sum(plays) AS plays FROM daily_track_plays "
            "GROUP BY title, artist ORDER BY plays DESC, title LIMIT 5"
        ).fetchall()
        days = conn.execute("SELECT count(DISTINCT day) FROM daily_track_plays").fetchone()[0]
    lines = [f"# Listening report ({days} days)", "", "## Top tracks", ""]
    lines += [
        f"{i}. {title} by {artist}: {plays} plays"
        for i, (title, artist, plays) in enumerate(top, 1)
    ]
    lines += ["", f"Plan model accuracy: {plan_model['accuracy']:.0%}"]
    text = "\n".join(lines) + "\n"
    path = DATA_DIR / "report.md"
    path.write_text(text, encoding="utf-8")
    return fr.MaterializeResult(
        metadata={"path": fr.MetadataValue.path(str(path)), "report": fr.MetadataValue.md(text)}
    )
