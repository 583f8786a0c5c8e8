"""Curves at local resolutions, and gas energy."""

import numpy as np
import pandas as pd
import pytest

from core import Meter, MeterKind, UnitError
from estimate import add_energy, estimate_hourly, resample_curve, validate_reads

TZ = "Europe/Paris"


def hourly_curve(start_local, days, volume=1.0):
    start = pd.Timestamp(start_local, tz=TZ).tz_convert("UTC")
    ts = pd.date_range(start, start + pd.Timedelta(days=days), freq="h", inclusive="left")
    return pd.DataFrame(
        {
            "volume": volume,
            "quality": "actual",
            "estimated_share": 0.0,
            "method": "measured",
        },
        index=ts.rename("ts"),
    )


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        pytest.param("2026-03-29", 23, id="spring_forward"),
        pytest.param("2026-10-25", 25, id="fall_back"),
    ],
)
def test_days_are_local_calendar_days(day, hours):
    curve = resample_curve(hourly_curve("2026-03-27", 220), "day", TZ)
    assert curve.loc[pd.Timestamp(day, tz=TZ), "volume"] == hours
    assert curve.index[0] == pd.Timestamp("2026-03-27", tz=TZ)
    assert (curve["volume"].drop(pd.Timestamp(day, tz=TZ)) % 1 == 0).all()


def test_months_and_years_sum_local_days():
    hourly = hourly_curve("2026-01-01", 365)
    monthly = resample_curve(hourly, "month", TZ)
    assert len(monthly) == 12
    assert monthly.loc[pd.Timestamp("2026-03-01", tz=TZ), "volume"] == 31 * 24 - 1
    assert monthly.loc[pd.Timestamp("2026-10-01", tz=TZ), "volume"] == 31 * 24 + 1
    yearly = resample_curve(hourly, "year", TZ)
    assert yearly["volume"].tolist() == [365 * 24]


def test_estimated_share_is_volume_weighted_and_method_dominant():
    hourly = hourly_curve("2026-05-04", 1)
    hourly.iloc[:6, hourly.columns.get_loc("volume")] = 0.0
    hourly.iloc[6:9] = [10.0, "estimated", 1.0, "profile"]
    hourly.iloc[9:10] = [2.0, "estimated", 1.0, "linear"]
    day = resample_curve(hourly, "day", TZ).iloc[0]
    total = 6 * 0 + 3 * 10 + 2 + 14 * 1
    assert day["volume"] == total
    assert day["estimated_share"] == pytest.approx(32 / total)
    assert day["quality"] == "estimated"
    assert day["method"] == "profile"


def test_fully_measured_period_is_actual():
    day = resample_curve(hourly_curve("2026-05-04", 1), "day", TZ).iloc[0]
    assert (day["quality"], day["method"], day["estimated_share"]) == ("actual", "measured", 0)


def test_hour_resolution_is_local():
    curve = resample_curve(hourly_curve("2026-05-04", 1), "hour", TZ)
    assert curve.index[0] == pd.Timestamp("2026-05-04 00:00", tz=TZ)
    assert curve.index.name == "start"


def test_unknown_resolution_is_refused():
    with pytest.raises(ValueError, match="resolution 'week'"):
        resample_curve(hourly_curve("2026-05-04", 1), "week", TZ)


@pytest.mark.parametrize(
    ("unit", "factor", "expected"),
    [
        pytest.param("m3", 11.0, 22.0, id="m3"),
        pytest.param("L", 11.0, 0.022, id="litres"),
        pytest.param("kWh", None, 2.0, id="kwh_meter"),
    ],
)
def test_gas_energy(unit, factor, expected):
    meter = Meter("G", kind=MeterKind.GAS, unit=unit, conversion_kwh_per_m3=factor)
    curve = add_energy(hourly_curve("2026-05-04", 1, volume=2.0), meter)
    assert curve["energy_kwh"].iloc[0] == pytest.approx(expected)
    daily = resample_curve(curve, "day", TZ)
    assert daily["energy_kwh"].iloc[0] == pytest.approx(24 * expected)


def test_gas_volume_without_conversion_is_refused_and_water_has_no_energy():
    curve = hourly_curve("2026-05-04", 1)
    with pytest.raises(UnitError, match="conversion_kwh_per_m3"):
        add_energy(curve, Meter("G", kind=MeterKind.GAS, unit="m3"))
    assert "energy_kwh" not in add_energy(curve, Meter("W", unit="L"))


def test_a_gap_day_in_the_curve_tells_real_from_estimated():
    ts = pd.date_range("2026-05-01", periods=24 * 20 + 1, freq="h", tz="UTC")
    rng = np.random.default_rng(42)
    reads = pd.DataFrame({"ts": ts, "index": np.cumsum(rng.poisson(5, ts.size)).astype(float)})
    gapped = reads[(reads["ts"] <= "2026-05-10 12:00Z") | (reads["ts"] >= "2026-05-12 12:00Z")]
    hourly = estimate_hourly(validate_reads(gapped), as_of=ts[-1], timezone=TZ)
    daily = resample_curve(hourly, "day", TZ)
    gap_day = daily.loc[pd.Timestamp("2026-05-11", tz=TZ)]
    assert gap_day["estimated_share"] == 1.0
    assert gap_day["method"] == "profile"
    assert daily.loc[pd.Timestamp("2026-05-05", tz=TZ), "quality"] == "actual"
    edge = daily.loc[pd.Timestamp("2026-05-10", tz=TZ), "estimated_share"]
    assert 0 < edge < 1


def test_days_between_daily_reads_are_measured_though_their_hours_are_shaped():
    ts = pd.date_range("2026-01-05", periods=6, freq="D", tz=TZ)
    reads = pd.DataFrame({"ts": ts, "index": [0, 30, 55, 90, 120, 150.0]})
    hourly = estimate_hourly(validate_reads(reads), as_of=ts[-1] + pd.Timedelta(hours=12),
                             timezone=TZ, kind="gas")  # fmt: skip
    assert (hourly.loc[: ts[-1] - pd.Timedelta(hours=1), "quality"] == "estimated").all()
    daily = resample_curve(hourly, "day", TZ)
    assert daily["volume"].iloc[:5].tolist() == pytest.approx([30, 25, 35, 30, 30])
    assert (daily["quality"].iloc[:5] == "actual").all()
    assert (daily["method"].iloc[:5] == "measured").all()
    assert daily["quality"].iloc[5] == "estimated"
    assert daily["method"].iloc[5] == "prospective_adl"
    assert "known_start" not in resample_curve(hourly, "hour", TZ)


def test_empty_curve_resamples_to_empty():
    assert resample_curve(hourly_curve("2026-05-04", 0), "month", TZ).empty


def test_many_meters_at_once_match_one_by_one():
    one = hourly_curve("2026-03-20", 15, volume=1.0)
    two = hourly_curve("2026-03-25", 15, volume=2.0)
    two.iloc[5:30] = [3.0, "estimated", 1.0, "linear"]
    both = pd.concat([one.assign(meter_id="A"), two.assign(meter_id="B")])
    together = resample_curve(both, "day", TZ, by="meter_id")
    for meter, curve in (("A", one), ("B", two)):
        alone = resample_curve(curve, "day", TZ)
        mine = together[together["meter_id"] == meter].drop(columns="meter_id")
        pd.testing.assert_frame_equal(mine, alone)


def test_days_ending_on_a_read_estimated_elsewhere_are_estimated():
    """A read estimated elsewhere is no known register value: the days it bounds are not
    measured, though it falls on their midnight."""
    ts = pd.date_range("2026-01-05", periods=6, freq="D", tz="UTC")
    quality = ["actual", "actual", "estimated", "actual", "actual", "actual"]
    reads = pd.DataFrame({"ts": ts, "index": [0, 30, 55, 90, 120, 150.0], "quality": quality})
    hourly = estimate_hourly(validate_reads(reads), as_of=ts[-1], timezone="UTC", kind="gas")
    daily = resample_curve(hourly, "day", "UTC")
    assert daily["quality"].tolist() == ["actual", "estimated", "estimated", "actual", "actual"]
    assert daily["method"].iloc[1:3].tolist() == ["external_estimate"] * 2
    assert daily["volume"].sum() == pytest.approx(150)
