"""Bulk writes: a frame goes into a temporary staging table through COPY."""

from __future__ import annotations

import io

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv


def copy_frame(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    """COPY ``frame`` (its columns named as the table's) into ``table`` as CSV."""
    if frame.empty:
        return
    buffer = io.BytesIO()
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    pacsv.write_csv(arrow, buffer, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    columns = ", ".join(frame.columns)
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy:  # type: ignore[arg-type]
        copy.write(buffer.getvalue())


def timestamps_us(ts: pd.Series) -> pd.Series:
    """UTC timestamps as integer microseconds since the epoch: exact through COPY."""
    return ts.dt.tz_convert("UTC").dt.as_unit("us").astype("int64")


# SQL turning a column of epoch microseconds back into timestamptz.
FROM_US = "timestamptz 'epoch' + {column} * interval '1 microsecond'"
