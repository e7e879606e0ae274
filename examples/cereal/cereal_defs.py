"""The cereal example: load a CSV of breakfast cereals, compute sugar per cup, and find the
sugariest ones. Run it with `freshet materialize` from this folder."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path
from typing import Any

import freshet as fr

CSV_PATH = Path(__file__).with_name("cereal.csv")
TEXT_COLUMNS = frozenset({"name", "mfr", "type"})
INTEGER_COLUMNS = frozenset(
    {"calories", "protein", "fat", "sodium", "sugars", "potass", "vitamins", "shelf"}
)

Rows = list[dict[str, Any]]


def _parse(row: dict[str, str]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for column, text in row.items():
        if column in TEXT_COLUMNS:
            parsed[column] = text
        elif column in INTEGER_COLUMNS:
            parsed[column] = int(text)
        else:
            parsed[column] = float(text)
    return parsed


@fr.asset(group_name="cereal", kinds={"python", "csv"})
def cereals():
    """Every cereal of cereal.csv, with numeric columns as numbers."""
    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        rows = [_parse(row) for row in csv.DictReader(handle)]
    return fr.Output(rows, metadata={"row_count": len(rows), "source": str(CSV_PATH)})


@fr.asset(group_name="cereal", kinds={"python"})
def sugar_per_cup(cereals: Rows):
    """Grams of sugar in one cup of each cereal (a serving is not always one cup)."""
    rows = [
        {"name": row["name"], "sugar_per_cup": round(row["sugars"] / row["cups"], 2)}
        for row in cereals
        if row["cups"] > 0
    ]
    return fr.Output(rows, metadata={"row_count": len(rows)})


@fr.asset(group_name="cereal", kinds={"python"})
def sugar_cutoff(sugar_per_cup: Rows) -> float:
    """The 75th percentile of sugar per cup: above it, a cereal is among the sugariest."""
    values = [row["sugar_per_cup"] for row in sugar_per_cup]
    return statistics.quantiles(values, n=4)[2]


@fr.asset(group_name="cereal", kinds={"python"})
def sugariest_cereals(sugar_per_cup: Rows, sugar_cutoff: float):
    """Cereals above the sugar cutoff, sugariest first."""
    rows = sorted(
        (row for row in sugar_per_cup if row["sugar_per_cup"] > sugar_cutoff),
        key=lambda row: (-row["sugar_per_cup"], row["name"]),
    )
    top = "\n".join(f"- {row['name']}: {row['sugar_per_cup']} g" for row in rows[:5])
    return fr.Output(
        rows,
        metadata={
            "row_count": len(rows),
            "cutoff": sugar_cutoff,
            "top_five": fr.MetadataValue.md(top),
        },
    )


@fr.asset_check(asset=sugar_per_cup, description="No cereal has a negative sugar content.")
def no_negative_sugar(sugar_per_cup: Rows):
    negative = [row["name"] for row in sugar_per_cup if row["sugar_per_cup"] < 0]
    return fr.AssetCheckResult(passed=not negative, metadata={"negative_rows": len(negative)})


defs = fr.Definitions(
    assets=[cereals, sugar_per_cup, sugar_cutoff, sugariest_cereals],
    asset_checks=[no_negative_sugar],
)
