"""The hindsight bound of bench/detect_bound.py: a rise after a known start is
found, a steady home is not."""

from __future__ import annotations

import numpy as np

from tests.bench.conftest import load_bench

db = load_bench("detect_bound")


def test_a_lasting_rise_passes_and_steady_use_does_not():
    rng = np.random.default_rng(42)
    volumes = rng.normal(150.0, 20.0, 2 * 120).clip(0)
    z = db.excess(volumes, 2, 14, 1.0)
    assert db.first_firing(z[100:101], 6.0)[0] == 0
    leaking = volumes.copy()
    leaking[100:] += 20.0 * 12  # 20 L/h over 12 h intervals
    z = db.excess(leaking, 2, 14, 1.0)
    assert 1 <= db.first_firing(z[100:101], 6.0)[0] <= 3


def test_calibration_keeps_the_budget():
    rng = np.random.default_rng(7)
    clean = [db.excess(rng.gamma(2.0, 80.0, 2 * 200), 2, 14, 1.0) for _ in range(5)]
    threshold, rate = db.calibrate(clean, 5 * 200 / 30.44, 14)
    assert rate <= db.BOUND_BUDGET
    assert (
        db.false_alerts_per_100_months(clean, 5 * 200 / 30.44, threshold - 0.25, 14) > rate
        or threshold == db.THRESHOLDS[0]
    )
