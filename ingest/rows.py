"""Rejected rows: the frame every input path hands to the quarantine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import pandas as pd

REJECT_COLUMNS = ["location", "raw", "reason", "reason_code"]
# A frame with REJECT_COLUMNS: one row per rejected item.
Rejections: TypeAlias = pd.DataFrame


def reject_rows(
    location: str,
    lines: pd.Series,
    raw: pd.Series,
    reasons: pd.Series | Sequence[str],
    codes: pd.Series | str,
) -> Rejections:
    """Rejected rows of a file, each located by its line number."""
    return pd.DataFrame(
        {
            "location": [f"{location}:{n}" for n in lines],
            "raw": list(raw),
            "reason": list(reasons),
            "reason_code": list(codes) if not isinstance(codes, str) else codes,
        },
        columns=REJECT_COLUMNS,
    )


def no_rejections() -> Rejections:
    """An empty rejection frame."""
    return pd.DataFrame(columns=REJECT_COLUMNS)
