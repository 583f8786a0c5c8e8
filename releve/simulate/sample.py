"""The small sample shipped in ``data/sample``: a few water and gas meters over some weeks.

Regenerate with ``releve simulate sample --out data/sample``. One water meter
has a slow leak from day 10; a few rows are deliberately bad, to show the
quarantine at work.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core import DEFAULT_TIMEZONE
from core.columns import METER_ID

# Share of a household's daily water use in each local hour (sums to 1).
WATER_DAY_SHAPE = np.array(
    [1, 0.5, 0.3, 0.3, 0.5, 1.5, 5, 9, 8, 6, 5, 5, 6, 5, 4, 4, 5, 6, 8, 9, 8, 6, 4, 2], dtype=float
)
WATER_DAY_SHAPE /= WATER_DAY_SHAPE.sum()

METERS = pd.DataFrame(
    [
        ("W-1001", "water", "m3", 5, "A-1", "C-1", "S-1", "Europe/Paris", "", 2.5, ""),
        ("W-1002", "water", "m3", 5, "A-1", "C-2", "S-2", "Europe/Paris", "", 2.5, ""),
        ("W-1003", "water", "L", 8, "A-2", "C-3", "S-3", "Europe/Paris", "", 2.5, ""),
        ("G-2001", "gas", "m3", 6, "A-1", "C-4", "S-1", "Europe/Paris", "", "", 11.2),
        ("G-2002", "gas", "m3", 6, "A-2", "C-5", "S-3", "Europe/Paris", "", "", 10.9),
    ],
    columns=[
        METER_ID,
        "kind",
        "unit",
        "digits",
        "account_id",
        "contract_id",
        "site_id",
        "timezone",
        "replaces",
        "q3_m3h",
        "conversion_kwh_per_m3",
    ],
)

BAD_ROWS = [
    "W-1001,2026-01-05T25:00:00+01:00,12.5,m3,actual",  # impossible hour
    "W-1002,2026-01-06T08:00:00+01:00,-3,m3,actual",  # negative index
    "W-1003,2026-01-06T08:00:00+01:00,1200,gallons,actual",  # unknown unit
    "bad meter!,2026-01-06T08:00:00+01:00,1,m3,actual",  # bad meter id
    "G-2001,2026-01-07T00:00:00+01:00,oops,m3,actual",  # not a number
]


def sample_readings(*, start: str = "2026-01-01", days: int = 28, seed: int = 7) -> pd.DataFrame:
    """Readings of the sample meters: hourly water, daily gas, in each meter's unit."""
    rng = np.random.default_rng(seed)
    tz = DEFAULT_TIMEZONE
    hours = pd.date_range(start, periods=days * 24, freq="h", tz=tz)
    frames = []
    for meter, litres_per_day, leak_l_per_h in (
        ("W-1001", 350, 0.0),
        ("W-1002", 180, 12.0),
        ("W-1003", 250, 0.0),
    ):
        use = litres_per_day * WATER_DAY_SHAPE[hours.hour] * rng.gamma(2.0, 0.5, len(hours))
        use += np.where(np.arange(len(hours)) >= 10 * 24, leak_l_per_h, 0.0)
        index_l = 1_000_000 * rng.random() + np.cumsum(use)
        unit = "L" if meter == "W-1003" else "m3"
        index = np.round(index_l, 0) if unit == "L" else np.round(index_l / 1000, 3)
        frames.append(
            pd.DataFrame({METER_ID: meter, "timestamp": hours, "index": index, "unit": unit})
        )
    days_index = pd.date_range(start, periods=days, freq="D", tz=tz)
    for meter, kwh_per_day in (("G-2001", 60.0), ("G-2002", 35.0)):
        m3 = kwh_per_day / 11 * rng.gamma(8.0, 1 / 8, days)
        index = np.round(5000 * rng.random() + np.cumsum(m3), 2)
        frames.append(
            pd.DataFrame({METER_ID: meter, "timestamp": days_index, "index": index, "unit": "m3"})
        )
    readings = pd.concat(frames, ignore_index=True)
    readings["timestamp"] = readings["timestamp"].map(lambda t: t.isoformat())
    readings["quality"] = "actual"
    return readings


def write_sample(out: Path, *, seed: int = 7) -> tuple[Path, Path]:
    """Write ``meters.csv`` and ``readings.csv`` (with a few bad rows and a repeated one)."""
    out.mkdir(parents=True, exist_ok=True)
    meters_path, readings_path = out / "meters.csv", out / "readings.csv"
    METERS.to_csv(meters_path, index=False)
    readings = sample_readings(seed=seed)
    lines = readings.to_csv(index=False, lineterminator="\n").splitlines()
    lines += [lines[5]] + BAD_ROWS  # a duplicate of an earlier row, then the bad rows
    readings_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return meters_path, readings_path
