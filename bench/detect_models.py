"""Learned over-consumption candidates, scored in ``detect_eval`` beside the rule.

Two scikit-learn models, pooled across meters and refitted walk-forward: at
every refit time ``T`` (each ``REFIT_DAYS``) a model is fitted on the rows of
the days before ``T`` only and scores the days of ``[T, T + REFIT_DAYS)``, so
no scored day, and nothing after it, is in the data a model learned from.
Every feature of a day uses that day and the days before it; the reference
levels stop ``LAG_DAYS`` before it, as the rule's do, so that an episode does
not become its own reference.

- ``huber 7d`` / ``huber 14d``: a learned daily baseline. A ``HuberRegressor``
  predicts a day's log volume from the meter's lagged levels, spread and day
  of the week; a 7- or 14-day window whose volume is ``RATIO`` times the
  predicted volume and ``MIN_EXCESS_L_PER_DAY`` a day above it is
  over-consumption (the rule's ratio and excess, with the learned reference
  in place of the median one).
- ``iforest``: an ``IsolationForest`` over the upward ratios and excesses of
  the 3-, 7- and 14-day mean volume to the lagged level; a day scored below
  the ``IFOREST_SHARE`` quantile of the training days, whose week is
  ``MIN_EXCESS_L_PER_DAY`` a day above its level, is over-consumption.

Flagged days become episodes as the rule's do: runs merged across a day,
starting with the window that first met the condition, confirmed the day
after it, and dropped when a leak or burst alert on the meter overlaps them
(``DetectSettings.explained_overconsumption``).
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Protocol

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.linear_model import HuberRegressor

from core import Meter
from detect.flows import daily_volumes, median_interval_h, register_litres, runs
from estimate import validate_reads
from releve.simulate.scenarios import Scenario, iter_meters

REFIT_DAYS = 28
MIN_TRAIN_ROWS = 500
MAX_TRAIN_ROWS = 5000
LAG_DAYS = 14
LEVEL_DAYS = 56
LEVEL_MIN_DAYS = 21
WINDOW_DAYS = 7
RATIO = 2.5
MIN_EXCESS_L_PER_DAY = 2000.0 / 14  # the rule's 2 m3 on 14 days
IFOREST_SHARE = 0.01
LEVEL_FEATURES = ["level", "long_level", "spread", "high"]
RATIO_FEATURES = ["ratio_3d", "ratio_7d", "ratio_14d", "excess_3d", "excess_7d", "excess_14d"]

Episode = tuple[str, pd.Timestamp, pd.Timestamp, pd.Timestamp]


class AlertLike(Protocol):
    """What the filter reads of a ``detect_eval.Alert``."""

    meter_id: str
    type: str
    start: pd.Timestamp
    end: pd.Timestamp | None


def model_alerts(
    scenario: Scenario, detected: Iterable[AlertLike], as_of: pd.Timestamp, timezone: str
) -> dict[str, list[Episode]]:
    """Over-consumption episodes (meter_id, start, end, confirmed_at) of each model."""
    dailies = meter_dailies(scenario, timezone)
    features = pd.concat(
        {m: daily_features(d) for m, d in dailies.items() if d.size}, names=["meter_id", "day"]
    )
    explained = defaultdict(list)
    for a in detected:
        if a.type in ("continuous_flow", "burst"):
            explained[a.meter_id].append((a.start, a.end or as_of))
    predicted = walk_forward(features, _huber_predict)
    found = {
        f"huber {days}d": _episodes(huber_flags(features, predicted, days), days)
        for days in (7, 14)
    }
    found["iforest"] = _episodes(iforest_flags(features), WINDOW_DAYS)
    return {
        name: [e for e in episodes if not any(e[1] <= b and a <= e[2] for a, b in explained[e[0]])]
        for name, episodes in found.items()
    }


def meter_dailies(scenario: Scenario, timezone: str) -> dict[str, pd.Series]:
    """Each meter's volume per local day [L], as the trade baseline computes it."""
    out = {}
    for row, reads, _ in iter_meters(scenario):
        validated = validate_reads(reads[["index"]], digits=int(row["digits"]))
        meter = Meter(meter_id=row["meter_id"], kind=row["kind"], unit="m3", timezone=timezone)
        register = register_litres(
            validated.reads, meter, reads.index.max() + pd.Timedelta(hours=1)
        )
        if register.size < 3:
            continue
        out[row["meter_id"]] = daily_volumes(
            register, timezone, max(48.0, 2.5 * median_interval_h(register))
        )
    return out


def daily_features(daily: pd.Series) -> pd.DataFrame:
    """A meter's features per day, from that day and the days before it.

    ``level`` and ``long_level`` are log medians of the daily volume over the
    ``LEVEL_DAYS`` and 365 days ending ``LAG_DAYS`` before; ``spread`` and
    ``high`` the log spread and 90th percentile above the level over the
    same days; ``ratio_<n>d`` the log ratio of the mean of the last n days
    to the level and ``excess_<n>d`` the log of the litres a day above it.
    """
    y = daily.clip(lower=0.0)
    past = y.shift(LAG_DAYS)
    base = past.rolling(LEVEL_DAYS, min_periods=LEVEL_MIN_DAYS)
    long_level = past.rolling(365, min_periods=LEVEL_MIN_DAYS).median()
    # as in the rule, a home back from weeks away is measured against its usual level
    level = np.fmax(base.median(), long_level)
    f = pd.DataFrame(index=y.index)
    f["level"] = np.log1p(level)
    f["long_level"] = np.log1p(long_level)
    f["spread"] = np.log1p(past).rolling(LEVEL_DAYS, min_periods=LEVEL_MIN_DAYS).std()
    f["high"] = np.log1p(base.quantile(0.9)) - f["level"]
    for days in (1, 3, 7, 14):
        mean = y.rolling(days, min_periods=max(1, int(0.85 * days))).mean()
        f[f"ratio_{days}d"] = np.log1p(mean) - f["level"]
        f[f"excess_{days}d"] = np.log1p((mean - level).clip(lower=0.0))
    f["volume"] = y
    f["log_volume"] = np.log1p(y)
    f["dow"] = y.index.dayofweek
    return f


def walk_forward(
    features: pd.DataFrame, score: Callable[[pd.DataFrame, pd.DataFrame], pd.Series]
) -> pd.Series:
    """``score(train, test)`` on each block of ``REFIT_DAYS`` days, fitted on
    the rows of every meter before the block; concatenated over the blocks."""
    days = features.index.get_level_values("day").tz_convert("UTC")
    parts = []
    at = days.min() + pd.Timedelta(days=LAG_DAYS + LEVEL_MIN_DAYS + REFIT_DAYS)
    while at <= days.max():
        train = features[days < at]
        test = features[(days >= at) & (days < at + pd.Timedelta(days=REFIT_DAYS))]
        if len(train) >= MIN_TRAIN_ROWS and len(test):
            parts.append(score(train, test))
        at += pd.Timedelta(days=REFIT_DAYS)
    return pd.concat(parts) if parts else pd.Series(dtype=float)


def huber_flags(features: pd.DataFrame, predicted: pd.Series, days: int) -> pd.Series:
    """Days ending a window of ``days`` days ``RATIO`` times above the
    ``predicted`` daily volumes [L] and ``MIN_EXCESS_L_PER_DAY`` a day above them."""
    frame = features.assign(predicted=predicted)
    flags = []
    for _, g in frame.groupby(level="meter_id", sort=False):
        known = g["predicted"].notna() & g["volume"].notna()
        volume = g["volume"].where(known).rolling(days, min_periods=int(0.85 * days)).mean()
        reference = g["predicted"].where(known).rolling(days, min_periods=int(0.85 * days)).mean()
        flags.append((volume >= RATIO * reference) & (volume - reference >= MIN_EXCESS_L_PER_DAY))
    return pd.concat(flags)


def _huber_predict(train: pd.DataFrame, test: pd.DataFrame) -> pd.Series:
    """Predicted daily volume [L] of the test rows."""
    train = train.dropna(subset=[*LEVEL_FEATURES, "log_volume"])
    if len(train) > MAX_TRAIN_ROWS:  # a fixed-size sample keeps each refit fast
        train = train.sample(MAX_TRAIN_ROWS, random_state=0)
    test = test.dropna(subset=LEVEL_FEATURES)
    with warnings.catch_warnings():
        # lbfgs may stop at max_iter on a block; the fit is still usable
        warnings.simplefilter("ignore")
        model = HuberRegressor(max_iter=200).fit(_design(train), train["log_volume"])
    return pd.Series(np.expm1(model.predict(_design(test))), index=test.index)


def _design(f: pd.DataFrame) -> pd.DataFrame:
    dow = pd.get_dummies(f["dow"]).reindex(columns=range(6), fill_value=False).astype(float)
    dow.columns = [f"dow_{k}" for k in dow.columns]
    return pd.concat([f[LEVEL_FEATURES], dow], axis=1).to_numpy()


def iforest_flags(features: pd.DataFrame) -> pd.Series:
    """Days the isolation forest finds among the rarest upward departures."""
    return walk_forward(features, _iforest_flag).reindex(features.index, fill_value=False)


def _iforest_flag(train: pd.DataFrame, test: pd.DataFrame) -> pd.Series:
    train = train.dropna(subset=RATIO_FEATURES)
    known = test[RATIO_FEATURES].notna().all(axis=1)
    model = IsolationForest(n_estimators=50, max_samples=256, random_state=0)
    model.fit(train[RATIO_FEATURES].clip(lower=0.0))
    cut = np.quantile(model.score_samples(train[RATIO_FEATURES].clip(lower=0.0)), IFOREST_SHARE)
    scores = pd.Series(np.inf, index=test.index)
    scores[known] = model.score_samples(test.loc[known, RATIO_FEATURES].clip(lower=0.0))
    excess = np.expm1(test[f"excess_{WINDOW_DAYS}d"])
    return (scores < cut) & (excess >= MIN_EXCESS_L_PER_DAY)


def _episodes(flags: pd.Series, window_days: int) -> list[Episode]:
    out = []
    for meter_id, mask in flags.fillna(False).astype(bool).groupby(level="meter_id", sort=False):
        for first, last in runs(mask.droplevel("meter_id"), pd.Timedelta(days=2)):
            start = first - pd.Timedelta(days=window_days - 1)
            out.append(
                (str(meter_id), start, last + pd.Timedelta(days=1), first + pd.Timedelta(days=1))
            )
    return out
