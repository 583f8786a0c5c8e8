"""Line numbering of the streaming splitter across many blocks."""

from __future__ import annotations

import io

import pandas as pd

from ingest.csv_fields import read_field_batches
from ingest.csv_files import CsvHeader


def test_line_numbers_stay_exact_when_bad_lines_fall_in_later_blocks() -> None:
    # pyarrow parses ahead, on its own threads, and may report a later block's
    # bad lines before the current batch is handed over.
    header = CsvHeader(columns=("meter_id", "line"), delimiter=",")
    lines = [
        f"M,{n}" if n % 97 else f"M,{n},extra" for n in range(2, 20_002)
    ]  # line n of the file holds n
    data = ("\n".join(lines) + "\n").encode()
    batches = read_field_batches(io.BytesIO(data), header, location="f.csv", block_bytes=1 << 12)
    parts = list(batches)
    assert len(parts) > 20
    fields = pd.concat([f for f, _ in parts])
    rejects = pd.concat([r for _, r in parts])
    assert (fields[1].astype(int) == fields["line"]).all()
    rejected = sorted(int(loc.rsplit(":", 1)[1]) for loc in rejects["location"])
    assert rejected == [n for n in range(2, 20_002) if n % 97 == 0]
    assert len(fields) + len(rejects) == 20_000
