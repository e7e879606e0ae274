"""pandas DataFrames as Parquet files: `PandasParquetIOManager` (install ``freshet[pandas]``).

Each materialization records ``row_count`` and ``column_schema``; the data version is the
sha256 of the Parquet bytes written, so an unchanged frame does not make downstream stale.
"""

from __future__ import annotations

from typing import Any, ClassVar

import freshet as fr
from freshet.integrations._extras import require
from freshet.integrations._parquet import ParquetIOManagerBase

__all__ = ["PandasParquetIOManager", "pandas_table_schema"]


def _pd() -> Any:
    return require("pandas", "pandas", "freshet.integrations.pandas")


def pandas_table_schema(frame: Any) -> fr.TableSchema:
    """The column names and dtypes of a pandas DataFrame."""
    return fr.TableSchema(
        columns=[
            fr.TableColumn(name=str(name), type=str(dtype)) for name, dtype in frame.dtypes.items()
        ]
    )


class PandasParquetIOManager(ParquetIOManagerBase):
    """Stores each asset (each partition) as one Parquet file under ``base_path``, a local
    folder or any fsspec URL. A partitioned upstream loads as one concatenated frame, or as
    ``{partition_key: frame}`` when the input is annotated as a dict."""

    frame_kind: ClassVar[str] = "pandas.DataFrame"
    extra: ClassVar[str] = "pandas"

    def _to_parquet_bytes(self, obj: Any) -> tuple[Any, int, fr.TableSchema]:
        pd = _pd()
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(type(obj))
        pa = require("pyarrow", "pandas", "PandasParquetIOManager")
        # Arrow's own growing buffer: no copies as it grows, and a zero-copy view to hash.
        sink = pa.BufferOutputStream()
        obj.to_parquet(sink, engine="pyarrow")
        return sink.getvalue(), len(obj), pandas_table_schema(obj)

    def _read(self, file: Any) -> Any:
        return _pd().read_parquet(file, engine="pyarrow")

    def _concat(self, frames: list[Any]) -> Any:
        if not frames:
            return _pd().DataFrame()
        return _pd().concat(frames, ignore_index=True)

    def _adapt(self, frame: Any, annotation: Any) -> Any:
        return frame
