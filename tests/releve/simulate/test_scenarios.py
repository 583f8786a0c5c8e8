"""Labelled scenario generator and injector."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from releve.simulate.scenarios import (
    Injection,
    generate_scenarios,
    inject,
    inject_on_background,
    quantize,
)

T0 = pd.Timestamp("2026-01-01", tz="UTC")


def flat_register(days: int = 30, litres_per_hour: float = 10.0) -> pd.Series:
    times = pd.date_range(T0, periods=days * 24, freq="h")
    return pd.Series(np.arange(times.size) * litres_per_hour, index=times, dtype=float)


def test_deterministic_by_seed():
    a = generate_scenarios(4, 90, seed=5)
    b = generate_scenarios(4, 90, seed=5)
    c = generate_scenarios(4, 90, seed=6)
    pd.testing.assert_frame_equal(a.readings, b.readings)
    assert a.labels == b.labels
    assert not a.readings["index"].equals(c.readings["index"])


@pytest.mark.parametrize(
    ("kind", "parameters", "added_l"),
    [
        pytest.param("continuous_flow", {"rate_lph": 5.0}, 5.0 * 48, id="leak_5lph_48h"),
        pytest.param("burst", {"rate_lph": 800.0}, 800.0 * 48, id="burst"),
        pytest.param("reverse_flow", {"rate_lph": 10.0}, -10.0 * 48, id="reverse"),
        pytest.param("overconsumption", {"factor": 3.0}, 2 * 10.0 * 48, id="tripled"),
        pytest.param("zero_consumption", {}, -10.0 * 48, id="stopped"),
    ],
)
def test_injection_adds_what_the_label_says(kind, parameters, added_l):
    register = flat_register(40)
    # over-consumption repeats the uses of the weeks before: there are two
    injection = Injection(kind, T0 + pd.Timedelta(days=20), T0 + pd.Timedelta(days=22), parameters)
    out, events = inject(register, injection, register)
    diff = out - register
    assert diff[: injection.start].abs().max() == 0
    assert diff.iloc[-1] == pytest.approx(added_l)
    assert events == []


def test_overconsumption_adds_uses_not_faster_flows():
    # 10 L every daytime hour, none at night, and a 150 L shower hour on day
    # 40: four times the use from day 35 to 42 adds three times the period's
    # use, evenly over the hours in use; the nights stay quiet
    times = pd.date_range(T0, periods=60 * 24, freq="h")
    use = np.where((times.hour >= 6) & (times.hour < 22), 10.0, 0.0)
    shower = T0 + pd.Timedelta(days=40, hours=19)
    use[times.get_loc(shower)] = 150.0
    register = pd.Series(np.cumsum(use), index=times)
    start, end = T0 + pd.Timedelta(days=35), T0 + pd.Timedelta(days=42)
    injection = Injection("overconsumption", start, end, {"factor": 4.0})
    out, _ = inject(register, injection, register)
    period_use = 7 * 16 * 10.0 + 140.0
    assert (out - register).iloc[-1] == pytest.approx(3 * period_use)
    extra = (out - register).diff()[start + pd.Timedelta(hours=1) : end]
    per_hour = 3 * period_use / (7 * 16)
    assert extra[shower] == pytest.approx(per_hour)
    assert extra[extra.index.hour == 3].abs().max() == 0
    # read twice a day, the register shows the same hourly uses
    coarse = register.iloc[::12]
    coarse_out, _ = inject(coarse, injection, register)
    pd.testing.assert_series_equal(coarse_out, out.reindex(coarse.index))


def test_silence_removes_reads_and_alarm_adds_events():
    register = flat_register()
    silence = Injection("no_data", T0 + pd.Timedelta(days=10), T0 + pd.Timedelta(days=13))
    out, _ = inject(register, silence)
    gap = out.index.to_series().diff().max()
    assert gap == pd.Timedelta(days=3)
    alarm = Injection("meter_alarm", T0, T0 + pd.Timedelta(hours=12), {"code": "LEAK"})
    _, events = inject(register, alarm)
    assert [code for _, code, _ in events] == ["LEAK"] * 3


def test_every_type_is_labelled_with_sizes():
    scenario = generate_scenarios(14, 400, seed=1)
    types = {label.type for label in scenario.labels}
    assert types == {
        "continuous_flow",
        "burst",
        "overconsumption",
        "zero_consumption",
        "reverse_flow",
        "no_data",
        "meter_alarm",
    }
    leaks = {lb.parameters["rate_lph"] for lb in scenario.labels if lb.type == "continuous_flow"}
    assert len(leaks) >= 3
    assert set(scenario.meters["kind"]) == {"water", "gas"}


@pytest.mark.parametrize(
    ("cadence", "step"),
    [
        pytest.param("12h", pd.Timedelta(hours=12), id="12h"),
        pytest.param("1d", pd.Timedelta(days=1), id="1d"),
    ],
)
def test_cadence_of_reads(cadence, step):
    scenario = generate_scenarios(1, 60, seed=2, cadence=cadence)
    ts = scenario.readings["ts"]
    assert ts.diff().dropna().mode()[0] == step


def test_injector_on_a_background_keeps_it_outside_anomalies():
    backgrounds = {"B1": flat_register(200), "B2": flat_register(200, 3.0)}
    scenario = inject_on_background(backgrounds, seed=3, tz="UTC")
    assert scenario.labels
    for meter_id, reads in scenario.readings.groupby("meter_id"):
        first = min(lb.start for lb in scenario.labels if lb.meter_id == meter_id)
        before = reads[reads["ts"] < first].set_index("ts")["index"] * 1000.0
        background = backgrounds[meter_id].reindex(before.index)
        assert np.allclose(before, background)


def test_injector_seeds_place_anomalies_apart():
    """Seeds differ in which meter gets which anomaly and on which days, not
    only in the hour: seven seeds are seven draws of the evaluation."""
    backgrounds = {f"B{k}": flat_register(400) for k in range(8)}

    def placed(seed):
        labels = inject_on_background(backgrounds, seed=seed, tz="UTC").labels
        return {(lb.meter_id, lb.type, lb.start.floor("D")) for lb in labels}

    assert placed(1) == placed(1)
    assert len(placed(1) & placed(2)) < len(placed(1)) / 2


def test_quantize_floors_to_the_register_step():
    register = pd.Series([0.0, 9.9, 10.0, 25.0])
    assert quantize(register, 10.0).tolist() == [0.0, 0.0, 10.0, 20.0]


def test_command_writes_the_files(tmp_path):
    out = tmp_path / "scenario"
    cmd = [sys.executable, "-m", "releve.cli", "simulate", "scenarios", "--meters", "3",
           "--days", "100", "--seed", "4", "--cadence", "12h", "--out", str(out)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, cwd=tmp_path)
    readings = pd.read_csv(out / "readings.csv")
    assert list(readings.columns) == ["meter_id", "timestamp", "index", "unit", "quality"]
    meters = pd.read_csv(out / "meters.csv")
    assert list(meters.columns[:4]) == ["meter_id", "kind", "unit", "digits"]
    labels = json.loads((out / "labels.json").read_text())
    assert labels and set(labels[0]) == {"meter_id", "type", "start", "end", "parameters"}
    assert set(readings["meter_id"]) == set(meters["meter_id"])


def test_read_daiad_format(tmp_path):
    import gzip

    from releve.simulate.scenarios import read_daiad

    path = tmp_path / "daiad.csv.gz"
    rows = ["user key;datetime;meter reading;diff", "u2;01/03/2016 00:28:55;100;0",
            "u1;01/03/2016 01:19:43;68321;10", "u1;01/03/2016 00:19:43;68311;0"]  # fmt: skip
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(rows) + "\n")
    registers = read_daiad(path)
    assert list(registers) == ["DAIAD000", "DAIAD001"]
    first = registers["DAIAD000"]
    assert first.tolist() == [68311.0, 68321.0]
    assert str(first.index.tz) == "UTC" and first.index[0].hour == 23  # Madrid is UTC+1 in March


def test_coarse_reads_follow_the_utility_clock_on_drifting_reads():
    """Hourly reads a few minutes off the hour (as DAIAD's drift) are still read
    twice a day at 06:00 and 18:00: the grid is the utility's, not the reads'."""
    from releve.simulate.scenarios import ReadTimes, sample_register

    hours = pd.date_range("2026-01-01", periods=24 * 30, freq="h", tz="UTC")
    times = (hours + pd.Timedelta(minutes=7)).insert(0, hours[6])  # one read at 06:00 sharp
    drifting = pd.Series(np.arange(times.size, dtype=float), index=times).sort_index()
    exact = sample_register(drifting, pd.Timedelta(hours=12), "UTC")
    assert len(exact) >= 58
    assert set(exact.index.hour) == {6, 18}
    rng = np.random.default_rng(1)
    jittered = sample_register(
        drifting, pd.Timedelta(hours=12), "UTC", reading=ReadTimes(5.0, 0.1), rng=rng
    )
    offsets = (jittered.index - jittered.index.round("h")).total_seconds().to_numpy()
    assert np.abs(offsets).max() <= 300
    assert 45 <= len(jittered) < len(exact)


def test_hard_injection_adds_a_late_short_leak_per_meter():
    backgrounds = {f"B{k}": flat_register(200) for k in range(3)}
    scenario = inject_on_background(backgrounds, seed=2, cadence="12h", tz="UTC", hard=True)
    late = [lb for lb in scenario.labels if lb.parameters.get("late")]
    assert len(late) == 3
    last = scenario.readings["ts"].max()
    for lb in late:
        assert last - lb.start <= pd.Timedelta(days=50)
        assert lb.end - lb.start <= pd.Timedelta(days=7)
