"""polars DataFrames as Parquet files: `PolarsParquetIOManager` (install ``freshet[polars]``).

Each materialization records ``row_count`` and ``column_schema``; the data version is the
sha256 of the Parquet bytes written, so an unchanged frame does not make downstream stale.
"""

from __future__ import annotations

import io
from typing import Any, ClassVar

import freshet as fr
from freshet.integrations._extras import require
from freshet.integrations._parquet import ParquetIOManagerBase

__all__ = ["PolarsParquetIOManager", "polars_table_schema"]


def _pl() -> Any:
    return require("polars", "polars", "freshet.integrations.polars")


def polars_table_schema(frame: Any) -> fr.TableSchema:
    """The column names and dtypes of a polars DataFrame."""
    return fr.TableSchema(
        columns=[fr.TableColumn(name=name, type=str(dtype)) for name, dtype in frame.schema.items()]
    )


class PolarsParquetIOManager(ParquetIOManagerBase):
    """Stores each asset (each partition) as one Parquet file under ``base_path``, a local
    folder or any fsspec URL. Accepts a DataFrame or a LazyFrame (collected). A partitioned
    upstream loads as one concatenated frame, or as ``{partition_key: frame}`` when the input
    is annotated as a dict; an input annotated ``pl.LazyFrame`` gets a LazyFrame."""

    frame_kind: ClassVar[str] = "polars.DataFrame"
    extra: ClassVar[str] = "polars"

    def _to_parquet_bytes(self, obj: Any) -> tuple[Any, int, fr.TableSchema]:
        pl = _pl()
        if isinstance(obj, pl.LazyFrame):
            obj = obj.collect()
        if not isinstance(obj, pl.DataFrame):
            raise TypeError(type(obj))
        buffer = io.BytesIO()
        obj.write_parquet(buffer)
        return buffer.getbuffer(), obj.height, polars_table_schema(obj)

    def _read(self, file: Any) -> Any:
        return _pl().read_parquet(file)

    def _concat(self, frames: list[Any]) -> Any:
        if not frames:
            return _pl().DataFrame()
        return _pl().concat(frames, how="vertical_relaxed")

    def _adapt(self, frame: Any, annotation: Any) -> Any:
        pl = _pl()
        return frame.lazy() if annotation is pl.LazyFrame else frame
