"""Burst: flow far above what the meter normally does, sustained.

The threshold is a fraction of the meter's permanent flow Q3 when known (the
Kamstrup BURST rule), raised to a multiple of the meter's own usual peak once
there is history, so a garden watered every night at full tap is not a burst.
The usual peak is the highest flow the meter held for the minimum duration
over a season, compared like with like: a bath filled in an hour says nothing
about a hose left open for two, and a home's highest two hours say little of
its highest four. The flow must be able to have held the
threshold for the whole minimum duration, counted from each interval's volume;
on reads too far apart to show a duration, only a volume no household tap
gives counts, and a volume after days of a still register first loses what
the register may have held back.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core import AnomalyType, Episode, Meter, Severity, Tariff
from core.units import LITRES_PER_M3
from detect.features import MeterSeries, meter_series
from detect.flows import NS_PER_HOUR, interval_flows, runs


class BurstSettings(BaseModel):
    """Thresholds of the burst detector."""

    model_config = ConfigDict(frozen=True)

    min_duration_h: float = Field(
        default=2.0,
        description="Time the flow must stay high [h]",
    )
    longer_holds_h: tuple[float, ...] = Field(
        default=(4.0,),
        description="Longer durations, each judged against the meter's usual peak held that long [h]",
    )
    read_drift_h: float = Field(
        default=0.02,
        description="How much shorter than its duration a burst may be, as reads drift [h]",
    )
    q3_fraction: float = Field(default=0.1, description="Fraction of Q3 that counts as a burst")
    min_flow_lph: float = Field(default=300.0, description="Lowest flow ever called a burst [L/h]")
    max_cadence_h: float = Field(
        default=13.0,
        description="Meters read less often than this are not checked [h]",
    )
    no_history_flow_lph: float = Field(
        default=1000.0, description="Burst flow before there is history, when Q3 is unknown [L/h]"
    )
    history_days: int = Field(
        default=90,
        description="History giving the meter's usual peak [d]",
    )
    history_min_days: int = Field(
        default=7, description="History needed before the usual peak counts [d]"
    )
    history_quantile: float = Field(
        default=1.0,
        description="Quantile of the past held flows taken as the usual peak [0-1]",
    )
    history_factor: float = Field(
        default=2.5, description="Multiple of the usual peak that is a burst"
    )
    still_days: float = Field(
        default=2.0,
        description="A register still this long may be stale, and its next volume a catch-up [d]",
    )
    catch_up_factor: float = Field(
        default=2.0,
        description="Multiple of the home's usual flow over the stillness taken out of the volume after it",
    )
    edge_share: float = Field(
        default=0.4,
        description="Share of the threshold from which an interval next to a burst is part of it [0-1]",
    )
    sustained_share: float = Field(
        default=1.0,
        description="Share of the minimum duration the flow must be able to have held the threshold [0-1]",
    )
    coarse_interval_h: float = Field(
        default=6.0,
        description="Read intervals longer than this cannot show how long a flow lasted [h]",
    )
    coarse_flow_lph: float = Field(
        default=600.0,
        description="Lowest burst flow on long intervals, judged from their volume alone [L/h]",
    )
    max_interval_h: float = Field(
        default=24.0,
        description="Longer read intervals are unknown; a shorter one's mean flow counts [h]",
    )


def detect_burst(
    reads: pd.DataFrame,
    *,
    meter: Meter,
    as_of: pd.Timestamp,
    tariff: Tariff | None = None,
    settings: BurstSettings | None = None,
    series: MeterSeries | None = None,
) -> list[Episode]:
    """Episodes of flow above the burst threshold for at least ``min_duration_h``,
    or for one of ``longer_holds_h`` above the threshold of that duration.

    References
    ----------
    .. [1] Kamstrup, MULTICAL 21 / flowIQ info codes: BURST when the flow stays
       above a configured 5-20 % of Q3 for 30 minutes.
    """
    s = settings or BurstSettings()
    prepared = meter_series(reads, meter, as_of, series)
    register = prepared.register
    if register.size < 3:
        return []
    cadence = prepared.cadence_h
    if cadence > s.max_cadence_h:
        return []
    hours = np.diff(register.index.as_unit("ns").asi8) / NS_PER_HOUR
    with np.errstate(divide="ignore", invalid="ignore"):
        highest = np.diff(register.to_numpy()) / hours
    if not (highest > _lowest(hours, s.min_duration_h, meter, s)).any():
        # nothing ever reaches the lowest threshold (a longer hold's is no lower):
        # most meters stop here, cheaply
        return []
    flows = interval_flows(register, max(s.max_interval_h, 2.5 * cadence))
    flows = _without_catch_up(flows, s)
    episodes: list[Episode] = []
    for hold_h in (s.min_duration_h, *s.longer_holds_h):
        found = _held_bursts(flows, hold_h, cadence, meter, as_of, tariff, s)
        # a burst held long is usually held briefly too: it is reported once
        episodes += [e for e in found if not any(e.overlaps(x, as_of) for x in episodes)]
    return sorted(episodes, key=lambda e: e.start)


def _held_bursts(
    flows: pd.DataFrame,
    hold_h: float,
    cadence: float,
    meter: Meter,
    as_of: pd.Timestamp,
    tariff: Tariff | None,
    s: BurstSettings,
) -> list[Episode]:
    """Episodes of flow above the meter's usual peak held ``hold_h`` hours, for as long."""
    threshold = _threshold(flows, hold_h, meter, s)
    long_enough = flows["hours"] >= min(s.min_duration_h, cadence) * 0.5
    high = (flows["flow"] > threshold) & long_enough
    dilution = (hold_h / flows["hours"]).clip(upper=1.0)
    # an interval too long to tell a duration in (reads missing beside the
    # burst) shows a volume used at any time in it: it neither edges nor extends one
    alongside = long_enough & (flows["hours"] <= max(s.coarse_interval_h, 2.5 * cadence))
    episodes = []
    until = None
    for first, last in runs(high, pd.Timedelta(hours=1.5 * cadence)):
        if until is not None and first <= until:
            continue
        # once held, the burst's own flow enters the history and raises the
        # threshold: it is judged throughout against the one it began against
        began = float(threshold.loc[first] / dilution.loc[first]) * dilution
        until = _held_until((flows["flow"] > began) & alongside, last)
        # reads do not fall on the burst's edges: the intervals it began and
        # ended in hold part of it, and count when they are well above usual
        edge = (flows["flow"] > s.edge_share * began) & alongside
        part = _with_edges(flows, edge, first, until)
        start, end = part["start"].iloc[0], part.index[-1]
        held = _hours_at(part, began, hold_h)
        needed = s.sustained_share * hold_h - s.read_drift_h
        if held[-1] < needed:
            continue
        # known for a burst once it has held long enough
        confirmed = part.index[int(np.argmax(held >= needed))]
        usual = float(threshold.loc[first])
        episodes.append(
            _episode(part, start, end, confirmed, flows, usual, hold_h, meter, as_of, tariff)
        )
    return episodes


def _held_until(above: pd.Series, last: pd.Timestamp) -> pd.Timestamp:
    """End of the run of ``above`` intervals that goes on from ``last``."""
    values = above.to_numpy()
    k = above.index.get_loc(last)
    assert isinstance(k, int)
    while k + 1 < values.size and values[k + 1]:
        k += 1
    return above.index[k]


def _without_catch_up(flows: pd.DataFrame, s: BurstSettings) -> pd.DataFrame:
    """``flows`` less what a still register may have held back.

    A register that does not move for days and then jumps is as often a stale
    reading catching up (or a home coming back) as a burst; the volume after
    the stillness loses ``catch_up_factor`` times what the home usually uses
    over that time, so only what no catch-up explains remains.
    """
    if s.still_days <= 0:
        return flows
    litres = flows["litres"]
    moved = litres > 0
    last_move = pd.Series(flows.index.where(moved), index=flows.index).ffill().shift(1)
    still_h = (flows["start"] - last_move.fillna(flows["start"].iloc[0])) / pd.Timedelta(hours=1)
    window = pd.Timedelta(days=s.history_days)
    usual = litres.rolling(window).sum() / flows["hours"].rolling(window).sum()
    # the usual flow up to the last move: a long stillness must not lower it
    usual_then = usual.where(moved).ffill().shift(1).fillna(0.0)
    stale = (still_h >= 24.0 * s.still_days) & (flows["hours"] > s.coarse_interval_h)
    held_back = (s.catch_up_factor * usual_then * still_h).where(stale, 0.0)
    litres = (litres - held_back).clip(lower=0.0)
    return flows.assign(litres=litres, flow=(litres / flows["hours"]).where(flows["flow"].notna()))


def _hours_at(part: pd.DataFrame, threshold: pd.Series, hold_h: float) -> np.ndarray:
    """Most hours the flow can have stayed at the threshold in ``part``, by the
    end of each of its intervals [h].

    An interval holds at most its own length, and at most its volume over the
    threshold flow: one very high hour beside two ordinary ones is a big use,
    not a sustained flow, though its total volume looks like one.
    """
    hours = part["hours"]
    # a long interval's threshold is diluted; the flow to hold is the undiluted one
    rate = threshold.loc[part.index] / (hold_h / hours).clip(upper=1.0)
    return np.cumsum(np.minimum(hours, part["litres"] / rate).to_numpy())


def _with_edges(
    flows: pd.DataFrame, edge: pd.Series, first: pd.Timestamp, last: pd.Timestamp
) -> pd.DataFrame:
    """The intervals from ``first`` to ``last``, with the one before and the one
    after when they are edges of the burst."""
    lo, hi = flows.index.get_loc(first), flows.index.get_loc(last)
    assert isinstance(lo, int) and isinstance(hi, int)
    if lo > 0 and edge.iloc[lo - 1]:
        lo -= 1
    if hi + 1 < len(flows) and edge.iloc[hi + 1]:
        hi += 1
    return flows.iloc[lo : hi + 1]


def _threshold(flows: pd.DataFrame, hold_h: float, meter: Meter, s: BurstSettings) -> pd.Series:
    """Threshold of a burst held ``hold_h`` hours at each interval [L/h], from Q3
    and the trailing history.

    Computed twice: the second time without the high intervals of the first,
    so a long burst does not raise its own threshold and cut itself short.
    """
    first = _threshold_from(flows["flow"], flows, hold_h, meter, s)
    return _threshold_from(flows["flow"].where(flows["flow"] <= first), flows, hold_h, meter, s)


def _lowest(hours: np.ndarray, hold_h: float, meter: Meter, s: BurstSettings) -> np.ndarray:
    """The lowest threshold of a burst held ``hold_h`` hours, for each interval of
    ``hours`` [h], whatever the history [L/h]."""
    floor_flow = s.min_flow_lph
    if meter.q3_m3h:
        floor_flow = max(floor_flow, s.q3_fraction * meter.q3_m3h * LITRES_PER_M3)
    # a long interval dilutes a burst: its mean need only hold the burst's
    # volume over the minimum duration
    # a long interval shows a volume, not how long it took: only a volume no
    # household tap gives in the minimum duration is a burst there
    floor = np.where(hours > s.coarse_interval_h, max(floor_flow, s.coarse_flow_lph), floor_flow)
    return floor * np.minimum(hold_h / np.maximum(hours, 1e-9), 1.0)


def _threshold_from(
    flow: pd.Series, flows: pd.DataFrame, hold_h: float, meter: Meter, s: BurstSettings
) -> pd.Series:
    index = flows.index
    floor = pd.Series(_lowest(flows["hours"].to_numpy(), hold_h, meter, s), index=index)
    dilution = (hold_h / flows["hours"]).clip(upper=1.0)
    # the usual peak is a flow held as long as the burst: the lowest of the
    # intervals ending within its duration (a long interval alone)
    held = flow.rolling(pd.Timedelta(hours=hold_h)).min()
    past = held.rolling(pd.Timedelta(days=s.history_days), min_periods=1)
    high = past.max() if s.history_quantile >= 1.0 else past.quantile(s.history_quantile)
    peak = high.shift(1)
    enough = (index - index[0]) >= pd.Timedelta(days=s.history_min_days)
    from_history = (s.history_factor * peak).where(enough)
    # no history and no Q3: only a flow no household tap gives is a burst
    unknown = floor if meter.q3_m3h else np.maximum(floor, s.no_history_flow_lph * dilution)
    return from_history.fillna(unknown).clip(lower=floor)


def _episode(
    part: pd.DataFrame,
    start: pd.Timestamp,
    last: pd.Timestamp,
    confirmed: pd.Timestamp,
    flows: pd.DataFrame,
    usual: float,
    hold_h: float,
    meter: Meter,
    as_of: pd.Timestamp,
    tariff: Tariff | None,
) -> Episode:
    litres = float(part["litres"].sum())
    hours = float(part["hours"].sum())
    peak = float(part["flow"].max())
    ongoing = last == flows.index[-1]
    volume_m3 = round(litres / LITRES_PER_M3, 3)
    cost = None if tariff is None else tariff.cost_eur(meter, volume_m3)
    evidence = {
        "peak_flow_lph": round(peak, 1),
        "mean_flow_lph": round(litres / hours, 1) if hours > 0 else math.nan,
        "threshold_lph": round(usual, 1),
        "held_h": hold_h,
        "duration_h": round(hours, 2),
        "volume_m3": volume_m3,
        "cost_eur": cost,
    }
    return Episode(
        meter_id=meter.meter_id,
        type=AnomalyType.BURST,
        severity=Severity.CRITICAL,
        start=start,
        end=None if ongoing else last,
        confirmed_at=confirmed,
        evidence=evidence,
        estimated_volume_m3=volume_m3,
        estimated_cost_eur=cost,
    )
