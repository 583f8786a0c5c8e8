"""Over-consumption: a period far above the home's usual level.

Two rules, told apart in the evidence by ``reference_kind``:

- **The early alert**, judged every day on a rolling period. With less than
  a year of history the reference is the meter's own recent weeks
  (``recent_weeks``): the median of the 14-day periods of the 8 weeks before,
  never below the median of the longer history, abnormal from 2.5 times. With
  a year or more it is the mean of the same 30 days of the previous (up to)
  three years (``previous_years``), abnormal from twice that. Periods holding a
  day of an absence (five days or more in a row of near-zero use) are left out
  of both references, as the leak detector leaves out the windows of an empty
  home: a holiday does not become the baseline, and a home back from weeks
  away is judged against the weeks it was lived in, while a weekend away stays
  part of its usual level. This alert comes days or weeks before the month is
  over, and is never legally notifiable by itself.
- **The legal notice** (``same_month_previous_years``, loi Warsmann [1]_ [2]_):
  a calendar month's volume, in the meter's local time, against the mean volume
  of the same month in each of the previous three years the meter's history
  covers. Above twice that mean, a water meter's episode is
  ``legally_notifiable``. The law's reference is the subscriber's average over
  the same period of the previous three years or, failing that, the average of
  comparable homes in the area; Relevé has only the meter's own history, so it
  averages the years available (``reference_years``, one or two when the
  history is shorter), which the notice says. As the law does, it keeps
  the months the home stood empty. A month still going on is notified as soon
  as its volume so far is above twice the reference, since it can only grow.
  An early alert overlapping a notified month becomes one episode with it,
  carrying the month's evidence.

Days of stale reads (a register that stood still, then caught up) are
unknown, as in a silence.

References
----------
.. [1] Code général des collectivités territoriales, article L2224-12-4 III bis,
   as amended by loi n° 2011-525 du 17 mai 2011 de simplification et
   d'amélioration de la qualité du droit (« loi Warsmann »): an increase is
   abnormal when the volume since the last reading exceeds twice the
   subscriber's average volume over an equivalent period of the previous
   three years, and the subscriber must be told without delay.
.. [2] Décret n° 2012-1078 du 24 septembre 2012 relatif à la facturation en cas
   de fuites sur les canalisations d'eau potable après compteur (CGCT
   R2224-20-1).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core import AnomalyType, Episode, Meter, MeterKind, Severity, Tariff
from detect.features import MeterSeries, meter_series
from detect.flows import NS_PER_HOUR, daily_volumes, runs

LEGAL_KIND = "same_month_previous_years"


class OverconsumptionSettings(BaseModel):
    """Thresholds of the over-consumption detector."""

    model_config = ConfigDict(frozen=True)

    legal_period_days: int = Field(
        default=30, description="Rolling period of the early alert against previous years [d]"
    )
    legal_ratio: float = Field(
        default=2.0, description="Ratio to the previous years that is abnormal (the law's twice)"
    )
    legal_years: int = Field(default=3, description="Previous years averaged for the reference")
    recent_period_days: int = Field(
        default=14, description="Period compared with the meter's own recent weeks [d]"
    )
    recent_baseline_days: int = Field(
        default=56, description="Recent history giving the seasonal reference [d]"
    )
    recent_min_days: int = Field(
        default=21, description="Lived-in periods needed for a reference [d]"
    )
    long_baseline_days: int = Field(
        default=365,
        description="Longer history whose usual level the reference never falls below [d]",
    )
    recent_ratio: float = Field(
        default=2.5, description="Ratio to the meter's recent weeks that is abnormal"
    )
    empty_day_m3: float = Field(default=0.02, description="Daily use of an empty home [m3]")
    away_days: int = Field(
        default=5,
        description="Empty days in a row that make an absence, left out of the references [d]",
    )
    min_excess_m3: float = Field(
        default=2.0, description="Smallest excess volume of an early alert [m3]"
    )
    coverage: float = Field(default=0.9, description="Share of a period's days that must be known")
    catch_up_days: float = Field(
        default=2.0,
        description="Jump after a register still beyond a silence, in median days of use, "
        "from which its reads were stale and its days are unknown [d]",
    )
    critical_ratio: float = Field(default=4.0, description="Ratio from which the alert is critical")


def detect_overconsumption(
    reads: pd.DataFrame,
    *,
    meter: Meter,
    as_of: pd.Timestamp,
    tariff: Tariff | None = None,
    settings: OverconsumptionSettings | None = None,
    series: MeterSeries | None = None,
) -> list[Episode]:
    """Episodes of a period's volume far above the home's usual level, and
    the calendar months a water customer must be told of (loi Warsmann)."""
    s = settings or OverconsumptionSettings()
    daily = _daily_m3(meter_series(reads, meter, as_of, series), s.catch_up_days)
    if daily.size < s.recent_period_days + s.recent_min_days:
        return []
    early = _early_episodes(daily, meter, tariff, s)
    if meter.kind != MeterKind.WATER or daily.size <= 365:
        return early
    return _joined(early + _notices(daily, meter, tariff, s), as_of)


def _daily_m3(prepared: MeterSeries, catch_up_days: float) -> pd.Series:
    """Volume per local day [m3], unknown (NaN) through a catch-up as through a
    silence: taken as they are, stale reads put weeks of use on one day and
    zeros in the reference."""
    daily = prepared.daily_l
    if prepared.register.size < 3 or daily.isna().all():
        return daily / 1000.0
    gap_h = max(48.0, 2.5 * prepared.cadence_h)
    usual_l = float(np.nanmedian(daily.to_numpy()))
    stale = _stale_reads(prepared.register, gap_h, catch_up_days * usual_l)
    if not stale.any():
        return daily / 1000.0
    # without its stale reads the stretch is one interval longer than a silence
    return daily_volumes(prepared.register[~stale], prepared.meter.timezone, gap_h) / 1000.0


def _stale_reads(register: pd.Series, gap_h: float, jump_l: float) -> np.ndarray:
    """Reads repeating an unchanged register for more than ``gap_h`` [h] before
    it jumps by more than ``jump_l`` [L]: a head-end that kept the last index
    and then caught up."""
    steps = np.diff(register.to_numpy(dtype=float))
    edges = np.diff(np.concatenate([[0], (steps == 0).astype(np.int8), [0]]))
    # reads a + 1 .. b repeat read a; the step after read b ends the stretch
    a, b = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    hours = register.index.as_unit("ns").asi8 / NS_PER_HOUR
    jump = np.append(steps, 0.0)[b]
    caught_up = (b < steps.size) & (hours[b] - hours[a] > gap_h) & (jump > jump_l)
    mark = np.zeros(register.size + 1, dtype=np.int64)
    np.add.at(mark, a[caught_up] + 1, 1)
    np.add.at(mark, b[caught_up] + 1, -1)
    return np.cumsum(mark)[:-1] > 0


# ---------------------------------------------------------------- early alert


def _early_episodes(
    daily: pd.Series, meter: Meter, tariff: Tariff | None, s: OverconsumptionSettings
) -> list[Episode]:
    """The rolling periods far above their reference, as episodes."""
    volume = _period_sum(daily, s.recent_period_days, s.coverage)
    lived = _lived_in(daily, s.recent_period_days, s.empty_day_m3, s.away_days)
    reference = _baseline(np.where(lived, volume, np.nan), s)
    cond = _abnormal(volume, reference, s.recent_ratio, s.min_excess_m3)
    days = np.full(daily.size, s.recent_period_days)
    years = np.zeros(daily.size, dtype=np.int64)
    if daily.size > 365 + s.legal_period_days:
        legal_volume = _period_sum(daily, s.legal_period_days, s.coverage)
        legal_lived = _lived_in(daily, s.legal_period_days, s.empty_day_m3, s.away_days)
        legal_reference, years = _previous_years(
            np.where(legal_lived, legal_volume, np.nan), s.legal_years
        )
        has = years > 0
        legal = _abnormal(legal_volume, legal_reference, s.legal_ratio, s.min_excess_m3)
        cond = np.where(has, legal, cond)
        volume = np.where(has, legal_volume, volume)
        reference = np.where(has, legal_reference, reference)
        days = np.where(has, s.legal_period_days, days)
    if not cond.any():
        return []
    table = _table(daily.index, volume, reference, days, years)
    mask = pd.Series(cond, index=daily.index)
    return [
        _early_episode(table, first, last, daily, meter, tariff, s)
        for first, last in runs(mask, pd.Timedelta(days=2))
    ]


def _period_sum(daily: pd.Series, days: int, coverage: float) -> np.ndarray:
    """Volume of the ``days`` days ending with each day [m3], scaled up for
    missing days; NaN when fewer than ``coverage`` of them are known."""
    values = daily.to_numpy(dtype=float)
    known = ~np.isnan(values)
    total = np.concatenate([[0.0], np.cumsum(np.where(known, values, 0.0))])
    count = np.concatenate([[0], np.cumsum(known)])
    k = np.arange(values.size)
    lo = np.maximum(k + 1 - days, 0)
    have = count[k + 1] - count[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        sums = (total[k + 1] - total[lo]) / have * days
    return np.where(have >= max(1, int(coverage * days)), sums, np.nan)


def _lived_in(daily: pd.Series, days: int, empty_m3: float, away_days: int) -> np.ndarray:
    """Whether the ``days`` days ending with each day hold no day of an
    absence: ``away_days`` days or more in a row of less than ``empty_m3``
    [m3] each. An empty home says nothing of its usual level; a weekend away
    is part of it."""
    with np.errstate(invalid="ignore"):
        empty = daily.to_numpy(dtype=float) < empty_m3
    edges = np.diff(np.concatenate([[0], empty.astype(np.int8), [0]]))
    first, stop = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    long = stop - first >= away_days
    mark = np.zeros(empty.size + 1, dtype=np.int64)
    np.add.at(mark, first[long], 1)
    np.add.at(mark, stop[long], -1)
    away = np.concatenate([[0], np.cumsum(np.cumsum(mark)[:-1] > 0)])
    k = np.arange(empty.size)
    return away[k + 1] == away[np.maximum(k + 1 - days, 0)]


def _baseline(volume: np.ndarray, s: OverconsumptionSettings) -> np.ndarray:
    """The meter's own reference for each period [m3]: the median of the
    lived-in periods (the others NaN in ``volume``) of the recent weeks before
    it, never below the median of those of the longer history."""
    before = pd.Series(volume).shift(s.recent_period_days)
    recent = before.rolling(s.recent_baseline_days, min_periods=s.recent_min_days).median()
    longer = before.rolling(s.long_baseline_days, min_periods=s.recent_min_days).median()
    return np.fmax(recent.to_numpy(), longer.to_numpy())


def _previous_years(volume: np.ndarray, years: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean volume of the same period over the previous ``years`` years [m3]
    (NaN where none is known), and which years are known: bit ``y - 1`` for
    ``y`` years back."""
    past = np.column_stack(
        [pd.Series(volume).shift(365 * y).to_numpy() for y in range(1, years + 1)]
    )
    known = ~np.isnan(past)
    count = known.sum(axis=1)
    total = np.where(known, past, 0.0).sum(axis=1)
    mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return mean, known.astype(np.int64) @ (1 << np.arange(years))


def _abnormal(volume: np.ndarray, reference: np.ndarray, ratio: float, excess: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (reference > 0) & (volume >= ratio * reference) & (volume - reference >= excess)


def _table(
    index: pd.Index, volume: np.ndarray, reference: np.ndarray, days: np.ndarray, years: np.ndarray
) -> pd.DataFrame:
    ref = np.where(reference > 0, reference, np.nan)
    return pd.DataFrame(
        {"volume": volume, "reference": ref, "ratio": volume / ref, "days": days, "years": years},
        index=index,
    )


def _early_episode(
    table: pd.DataFrame,
    first: pd.Timestamp,
    last: pd.Timestamp,
    daily: pd.Series,
    meter: Meter,
    tariff: Tariff | None,
    s: OverconsumptionSettings,
) -> Episode:
    run = table.loc[first:last]
    peak = run.loc[run["ratio"].idxmax()]
    days = int(peak["days"])
    start = first - pd.Timedelta(days=days - 1)
    ongoing = last == daily.index[-1]
    excess = round(float(peak["volume"] - peak["reference"]), 3)
    cost = None if tariff is None else tariff.cost_eur(meter, excess)
    end_day = pd.Timestamp(peak.name)
    year = end_day.tz_convert(meter.timezone).year
    years = [year - y for y in range(s.legal_years, 0, -1) if int(peak["years"]) >> (y - 1) & 1]
    evidence = {
        "volume_m3": round(float(peak["volume"]), 3),
        "reference_m3": round(float(peak["reference"]), 3),
        "ratio": round(float(peak["ratio"]), 2),
        "period": _iso_days(end_day, days, meter),
        "period_days": days,
        "reference_kind": "previous_years" if years else "recent_weeks",
        "reference_years": years,
        "excess_m3": excess,
        "cost_eur": cost,
    }
    return Episode(
        meter_id=meter.meter_id,
        type=AnomalyType.OVERCONSUMPTION,
        severity=Severity.CRITICAL if peak["ratio"] >= s.critical_ratio else Severity.WARNING,
        start=start,
        end=None if ongoing else last + pd.Timedelta(days=1),
        confirmed_at=first + pd.Timedelta(days=1),
        evidence=evidence,
        estimated_volume_m3=excess,
        estimated_cost_eur=cost,
    )


def _iso_days(last: pd.Timestamp, days: int, meter: Meter) -> str:
    """The ``days`` local days to ``last`` as an ISO 8601 interval of dates."""
    end = last.tz_convert(meter.timezone)
    return f"{end - pd.DateOffset(days=days - 1):%Y-%m-%d}/{end:%Y-%m-%d}"


# ---------------------------------------------------------------- legal notice


def _months(daily: pd.Series, timezone: str, coverage: float) -> pd.DataFrame:
    """One row per local calendar month of ``daily`` [m3], indexed by (year,
    month): its first day ``start`` [UTC], its length ``days`` [d], whether it
    is ``over``, the volume of its known days ``to_date`` [m3], and ``volume``
    [m3] when it is over and ``coverage`` of its days are known (scaled up for
    the missing ones), else NaN."""
    local = daily.index.tz_convert(timezone)
    frame = pd.DataFrame(
        {
            "year": local.year,
            "month": local.month,
            "start": daily.index,
            "days": local.days_in_month,
            "m3": daily.to_numpy(),
        }
    )
    months = frame.groupby(["year", "month"]).agg(
        start=("start", "first"),
        days=("days", "first"),
        seen=("m3", "size"),
        known=("m3", "count"),
        to_date=("m3", "sum"),
    )
    # every month but the last is over; the last when its last day is in
    over = np.arange(len(months)) < len(months) - 1
    over[-1] = months["seen"].iat[-1] == months["days"].iat[-1]
    covered = (
        over & (months["seen"] == months["days"]) & (months["known"] >= coverage * months["days"])
    )
    scaled = months["to_date"] * months["days"] / months["known"].clip(lower=1)
    return months.assign(over=over, volume=scaled.where(covered))


def _notices(
    daily: pd.Series, meter: Meter, tariff: Tariff | None, s: OverconsumptionSettings
) -> list[Episode]:
    """The calendar months above ``legal_ratio`` times the mean of the same
    month over the previous ``legal_years`` years known (loi Warsmann)."""
    months = _months(daily, meter.timezone, s.coverage)
    volumes = months["volume"].dropna()
    out = []
    for (year, month), row in months.iterrows():
        years = [int(year) - y for y in range(s.legal_years, 0, -1) if (year - y, month) in volumes]
        if not years:
            continue
        reference = float(np.mean([volumes[y, month] for y in years]))
        volume = float(row["to_date"] if np.isnan(row["volume"]) else row["volume"])
        if volume > s.legal_ratio * reference:
            out.append(_notice(daily, row, years, volume, reference, meter, tariff, s))
    return out


def _notice(
    daily: pd.Series,
    row: pd.Series,
    years: list[int],
    volume: float,
    reference: float,
    meter: Meter,
    tariff: Tariff | None,
    s: OverconsumptionSettings,
) -> Episode:
    """The legal notice of one month: the episode runs over the month, from the
    day its volume so far passed the threshold (or its end, when only the
    volume scaled up for missing days did)."""
    start = pd.Timestamp(row["start"])
    month = start.tz_convert(meter.timezone)
    end = (month + pd.DateOffset(months=1)).tz_convert("UTC")
    in_month = daily[(daily.index >= start) & (daily.index < end)]
    passed = np.flatnonzero(np.nancumsum(in_month.to_numpy()) > s.legal_ratio * reference)
    ratio = volume / reference if reference > 0 else None
    excess = round(volume - reference, 3)
    cost = None if tariff is None else tariff.cost_eur(meter, excess)
    evidence = {
        "volume_m3": round(volume, 3),
        "reference_m3": round(reference, 3),
        "ratio": None if ratio is None else round(ratio, 2),
        "period": f"{month:%Y-%m}",
        "period_days": int(row["days"]),
        "month_over": bool(row["over"]),
        "known_days": int(row["known"]),
        "reference_kind": LEGAL_KIND,
        "reference_years": years,
        "legal_years": s.legal_years,
        "threshold_m3": round(s.legal_ratio * reference, 3),
        "excess_m3": excess,
        "cost_eur": cost,
    }
    critical = ratio is not None and ratio >= s.critical_ratio
    return Episode(
        meter_id=meter.meter_id,
        type=AnomalyType.OVERCONSUMPTION,
        severity=Severity.CRITICAL if critical else Severity.WARNING,
        start=start,
        end=end if row["over"] else None,
        confirmed_at=in_month.index[passed[0]] + pd.Timedelta(days=1) if passed.size else end,
        evidence=evidence,
        estimated_volume_m3=excess,
        estimated_cost_eur=cost,
        legally_notifiable=True,
    )


def _joined(episodes: list[Episode], as_of: pd.Timestamp) -> list[Episode]:
    """Episodes with the legal notices they overlap joined into them: one
    episode, notifiable, with the evidence of its notice of highest ratio."""
    out: list[Episode] = []
    for episode in sorted(episodes, key=lambda e: e.start):
        last = out[-1] if out else None
        notice = last is not None and (last.legally_notifiable or episode.legally_notifiable)
        if last is not None and notice and last.overlaps(episode, as_of):
            out[-1] = _union(last, episode)
        else:
            out.append(episode)
    return out


def _union(a: Episode, b: Episode) -> Episode:
    """One episode over both; the figures of the notice, or of the notice of
    highest ratio when both are."""
    ranked = sorted((a, b), key=lambda e: (e.legally_notifiable, e.evidence.get("ratio") or 0.0))
    main = ranked[-1]
    return replace(
        main,
        severity=Severity.CRITICAL
        if Severity.CRITICAL in (a.severity, b.severity)
        else Severity.WARNING,
        start=min(a.start, b.start),
        end=None if a.end is None or b.end is None else max(a.end, b.end),
        confirmed_at=min(a.confirmed_at, b.confirmed_at),
        legally_notifiable=a.legally_notifiable or b.legally_notifiable,
    )
