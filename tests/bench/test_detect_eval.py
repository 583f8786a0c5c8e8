"""The scorer of bench/detect_eval.py: what counts as found, false or set apart,
the split of the homes, and the background's own index decreases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from releve.simulate.scenarios import Label
from tests.bench.conftest import load_bench

de = load_bench("detect_eval")

T = pd.Timestamp("2026-03-02", tz="UTC")
H = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)
AS_OF = T + 20 * DAY
DEADLINE = pd.Timedelta(hours=48)


def leak(start: pd.Timestamp, days: float = 10) -> Label:
    return Label("M1", "continuous_flow", start, start + days * DAY, {"rate_lph": 5.0})


def alert(start: pd.Timestamp, end: pd.Timestamp | None, confirmed: pd.Timestamp):
    return de.Alert("M1", "continuous_flow", start, end, confirmed)


def scored(alerts, labels, natural=None):
    return de.score(alerts, labels, "continuous_flow", AS_OF, DEADLINE, natural)


def test_alert_confirmed_before_its_label_finds_nothing():
    # an alert already open for an earlier flow spans the label: not a detection
    s = scored([alert(T - 2 * DAY, T + 5 * DAY, T - DAY)], [leak(T)])
    assert (s.true, s.false, s.found, s.in_time) == (0, 1, 0, 0)


def test_alert_confirmed_after_its_label_starts_is_found_with_its_delay():
    s = scored([alert(T, T + 5 * DAY, T + 30 * H)], [leak(T)])
    assert (s.true, s.false, s.found, s.in_time) == (1, 0, 1, 1)
    assert s.delays_h == (30.0,)


@pytest.mark.parametrize(
    ("label_start", "found"),
    [
        pytest.param(T, 1, id="label_under_the_open_alert"),
        pytest.param(T + 12 * H, 0, id="label_after_its_confirmation"),
        pytest.param(AS_OF + H, 0, id="label_after_as_of"),
    ],
)
def test_open_alert_lasts_to_as_of(label_start, found):
    s = scored([alert(T, None, T + 2 * H)], [leak(label_start)])
    assert (s.true, s.found, s.false) == (found, found, 1 - found)


def test_open_alert_overlaps_up_to_as_of_only():
    open_alert = alert(T, None, T + 2 * H)
    assert de.overlaps(open_alert, AS_OF, AS_OF + DAY, AS_OF)
    assert not de.overlaps(open_alert, AS_OF + H, AS_OF + DAY, AS_OF)


def test_false_alert_in_a_counted_apart_window_is_counted_apart():
    natural = {"M1": [(T + 40 * DAY, T + 45 * DAY)]}
    inside = alert(T + 41 * DAY, T + 42 * DAY, T + 42 * DAY)
    outside = alert(T + 50 * DAY, T + 51 * DAY, T + 51 * DAY)
    s = scored([inside, outside], [leak(T)], natural)
    assert (s.true, s.false, s.ignored) == (0, 1, 1)
    fa = de.false_alerts([inside, outside], "continuous_flow", 10.0, natural, AS_OF)
    assert (fa.false, fa.apart, fa.per_100_months) == (1, 1, 10.0)


def test_alert_on_a_label_no_read_shows_is_counted_apart_with_it():
    hidden = leak(T + 30 * DAY)
    on_hidden = alert(T + 30 * DAY, T + 33 * DAY, T + 31 * DAY)
    s = de.score([on_hidden], [leak(T)], "continuous_flow", AS_OF, DEADLINE, None, [hidden])
    assert (s.true, s.false, s.ignored, s.found) == (0, 0, 1, 0)


def test_hash_split_is_fixed_and_puts_each_home_in_one_half():
    # md5, not the per-process salted hash(): these never change
    assert [de.home_half(m) for m in ("DAIAD000", "DAIAD001", "DAIAD008")] == [
        "evaluation",
        "tuning",
        "tuning",
    ]
    homes = {f"DAIAD{k:03d}": pd.Series(dtype=float) for k in range(92)}
    evaluation = de.select_homes(homes, "evaluation")
    tuning = de.select_homes(homes, "tuning")
    assert (len(evaluation), len(tuning)) == (51, 41)
    assert evaluation.keys().isdisjoint(tuning.keys())
    assert evaluation.keys() | tuning.keys() == homes.keys() == de.select_homes(homes, "all").keys()


def test_real_decreases_leave_out_glitches_not_small_falls():
    litres = [100, 103, 101, 102, 94, 102, 103, 131, 103, 105, 104, 104, 106]
    # steps:    +3,  -2,  +1,  -8, +8,  +1, +28, -28,  +2,  -1,   0,  +2
    # -2 and -1 are real (below the detector's 5 L, still counted); -8 is a read
    # below the series and the same jump back, -28 the same drop back after a jump
    register = pd.Series(litres, index=pd.date_range(T, periods=len(litres), freq="h"), dtype=float)
    t = register.index
    assert de.natural_decreases({"M1": register})["M1"] == [(t[1], t[2]), (t[9], t[10])]
    every = de.natural_decreases({"M1": register}, glitches=True)["M1"]
    assert every == [(t[1], t[2]), (t[3], t[4]), (t[7], t[8]), (t[9], t[10])]


def test_real_falls_on_a_register_that_only_rises_is_empty():
    steps = np.diff(np.cumsum(np.random.default_rng(42).integers(0, 5, 200)).astype(float))
    assert not de.real_falls(steps).any()
