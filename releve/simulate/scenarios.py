"""Labelled anomaly scenarios: household water and gas meters with anomalies
of every type injected at several sizes, on synthetic or real background.

Everything works on a meter's cumulative register [L] sampled at read times:
an anomaly is an adjustment of that register as a function of time (a leak
adds ``rate x hours``), plus reads removed (a silence) or meter events added
(an alarm). The same injector therefore serves the synthetic profiles and the
real DAIAD background.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import DEFAULT_TIMEZONE, AnomalyType
from core.columns import METER_ID, TS

CADENCES = {"1h": pd.Timedelta(hours=1), "12h": pd.Timedelta(hours=12), "1d": pd.Timedelta(days=1)}
LEAK_RATES_LPH = (2.0, 5.0, 10.0, 20.0, 50.0)
BURST_RATES_LPH = (400.0, 800.0, 1500.0)
HISTORY_DAYS = 35  # of normal use before a meter's first anomaly, at least
SPACING_DAYS = 50  # between the anomalies of one meter
TYPICAL_WEEKS = 4  # of use before an over-consumption, giving the home's usual hours
ANOMALY_CYCLE = tuple(AnomalyType)  # injected in this order, meter after meter


@dataclass(frozen=True)
class Label:
    """One injected anomaly: the truth a detector is scored against."""

    meter_id: str
    type: str
    start: pd.Timestamp
    end: pd.Timestamp
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The label as written to ``labels.json``."""
        out = asdict(self)
        out["start"], out["end"] = self.start.isoformat(), self.end.isoformat()
        return out


@dataclass(frozen=True)
class Scenario:
    """Meters, reads, meter events and labels of one generated set."""

    meters: pd.DataFrame  # meter_id, kind, unit, digits, timezone, q3_m3h, resolution_l
    readings: pd.DataFrame  # meter_id, ts [UTC], index [meter unit], unit, quality
    events: pd.DataFrame  # meter_id, ts, code, raw
    labels: list[Label]


# ---------------------------------------------------------------- background


def household_water_l(rng: np.random.Generator, hours: pd.DatetimeIndex, tz: str) -> np.ndarray:
    """Hourly water use of a household [L]: quiet nights, morning and evening peaks,
    weekends later, a summer rise, and some evening garden watering."""
    local = hours.tz_convert(tz)
    hour, dow, doy = (
        local.hour.to_numpy(),
        local.day_of_week.to_numpy(),
        local.day_of_year.to_numpy(),
    )
    shape = np.array([0, 0, 0, 0, 0, 0.2, 1.5, 2.5, 1.5, 0.8, 0.6, 0.7,
                      1.0, 0.8, 0.5, 0.5, 0.7, 1.0, 1.6, 2.0, 1.8, 1.2, 0.6, 0.2])  # fmt: skip
    weekend = np.isin(dow, (5, 6))
    weights = np.where(weekend, np.roll(shape, 1)[hour], shape[hour])
    daily = rng.uniform(180.0, 450.0)
    season = 1.0 + 0.25 * np.cos(2 * np.pi * (doy - 200) / 365.0)
    use = rng.random(hours.size) < np.clip(weights / 1.2, 0.0, 0.95)
    volume = use * rng.gamma(2.0, 1.0, hours.size) * weights * season * daily / 28.0
    return np.round(volume, 1)


def household_gas_l(rng: np.random.Generator, hours: pd.DatetimeIndex, tz: str) -> np.ndarray:
    """Hourly gas use of a heated household [L of gas]: heating in winter, hot water
    and cooking all year."""
    local = hours.tz_convert(tz)
    hour, doy = local.hour.to_numpy(), local.day_of_year.to_numpy()
    heating = np.clip(np.cos(2 * np.pi * (doy - 15) / 365.0), 0.0, None)
    day = ((hour >= 6) & (hour <= 22)).astype(float) + 0.3
    base = rng.uniform(400.0, 1200.0) * heating * day / 20.0
    cooking = np.isin(hour, (7, 12, 19)) * rng.uniform(50.0, 150.0)
    return np.round(np.clip(base + cooking + rng.normal(0, 20, hours.size), 0.0, None), 1)


def sample_register(
    cumulative: pd.Series,
    cadence: pd.Timedelta,
    tz: str,
    *,
    reading: ReadTimes | None = None,
    rng: np.random.Generator | None = None,
) -> pd.Series:
    """The register read at a cadence [L]: at a utility's fixed times, 06:00 and
    18:00 local for twice-daily, 06:00 local for daily, every hour otherwise;
    each read is the last value known at that time.

    reading : minutes of jitter around the fixed times and the share of reads
        missed (drawn from ``rng``); exact times and no miss by default.

    The coarse grid is always the utility's clock. It used to be the hourly
    background's own reads that fell at minute 0 of 06:00 and 18:00 when there
    were any: on the real DAIAD registers, whose read times drift, that kept a
    handful of reads a year on most homes (see bench/README.md, coarse cadences).
    """
    if cadence >= pd.Timedelta(hours=12):
        hours = (6,) if cadence >= pd.Timedelta(days=1) else (6, 18)
        grid = _grid(cumulative, cadence, tz, hours)
        if reading is not None and rng is not None:
            grid = _jittered(grid, reading, rng, cumulative.index[-1])
    else:
        grid = pd.date_range(cumulative.index[0].ceil(cadence), cumulative.index[-1], freq=cadence)
    values = cumulative.reindex(cumulative.index.union(grid)).ffill().reindex(grid)
    return values.dropna()


@dataclass(frozen=True)
class ReadTimes:
    """How a utility's reads fall around their fixed times."""

    jitter_min: float = 5.0  # reads fall up to this many minutes either side [min]
    miss_share: float = 0.02  # share of reads that never arrive


def _jittered(
    grid: pd.DatetimeIndex, reading: ReadTimes, rng: np.random.Generator, last: pd.Timestamp
) -> pd.DatetimeIndex:
    minutes = rng.uniform(-reading.jitter_min, reading.jitter_min, grid.size)
    moved = grid + pd.to_timedelta(np.round(minutes * 60.0), unit="s")
    kept = (rng.random(grid.size) >= reading.miss_share) & (moved <= last)
    return moved[kept]


def _grid(cumulative: pd.Series, cadence: pd.Timedelta, tz: str, hours: tuple[int, ...]):
    days = pd.date_range(
        cumulative.index[0].tz_convert(tz).normalize(),
        cumulative.index[-1].tz_convert(tz),
        freq="D",
    )
    times = [d + pd.Timedelta(hours=h) for d in days for h in hours]
    idx = pd.DatetimeIndex(times).tz_convert("UTC")
    return idx[(idx >= cumulative.index[0]) & (idx <= cumulative.index[-1])]


# ---------------------------------------------------------------- injection


@dataclass(frozen=True)
class Injection:
    """One anomaly to inject: its type, when, and its parameters."""

    type: str
    start: pd.Timestamp
    end: pd.Timestamp
    parameters: dict[str, Any] = field(default_factory=dict)


def inject(
    register: pd.Series, injection: Injection, background: pd.Series | None = None
) -> tuple[pd.Series, list[tuple[pd.Timestamp, str, str]]]:
    """Apply one anomaly to a read register [L]; returns the register and meter events.

    background : the register before any injection, hourly even when ``register``
        is read coarser; needed for over-consumption.
    """
    t, p = register.index, injection.parameters
    hours_in = _overlap_h(t, injection.start, injection.end)
    events: list[tuple[pd.Timestamp, str, str]] = []
    kind = injection.type
    if kind in ("continuous_flow", "burst"):
        return register + p["rate_lph"] * hours_in, events
    if kind == "reverse_flow":
        return register - p["rate_lph"] * hours_in, events
    if kind == "overconsumption":
        base = background if background is not None else register
        return register + _more_uses(base, t, injection, p["factor"]), events
    if kind == "zero_consumption":
        at = register.reindex(register.index.union([injection.start, injection.end]))
        at = at.interpolate("time").bfill()
        s0, s1 = float(at[injection.start]), float(at[injection.end])
        frozen = np.clip(register.to_numpy(), s0, s1) - s0
        return register - frozen, events
    if kind == "no_data":
        inside = (t > injection.start) & (t < injection.end)
        return register[~inside], events
    if kind == "meter_alarm":
        code = p["code"]
        raw = f'{{"status":"{code}"}}'
        times = pd.date_range(injection.start, injection.end, freq="6h")
        return register, [(ts, code, raw) for ts in times]
    raise ValueError(f"unknown anomaly type {kind!r}; use one of {', '.join(ANOMALY_CYCLE)}")


def _more_uses(
    base: pd.Series, t: pd.DatetimeIndex, injection: Injection, factor: float
) -> np.ndarray:
    """Extra use of a period ``factor`` times the usual, by each of ``t`` [L]:
    ``factor - 1`` times the period's use, spread over the hours the home used
    water in, as the home usually uses them (its mean use of the same hour of
    the week over the ``TYPICAL_WEEKS`` before).

    More people or more watering means more of the home's usual uses, not the
    same uses at a faster flow: multiplying every hour's volume turned a 150 L/h
    shower hour into a 600 L/h flow no household fixture gives. Hours without
    use stay without, and a night's 1 L drip stays a drip. The hours are those
    of ``base`` (hourly), whatever the cadence ``t`` reads them at.
    """
    hours = base.index[(base.index > injection.start) & (base.index <= injection.end)]
    hours = hours.union([injection.start, injection.end])
    used = _used(base, hours, injection.start, injection.end)
    typical = np.zeros(hours.size)
    for week in range(1, TYPICAL_WEEKS + 1):
        back = pd.Timedelta(weeks=week)
        before = _used(base, hours - back, injection.start - back, injection.end - back)
        typical += np.diff(before, prepend=0.0) / TYPICAL_WEEKS
    weight = np.where(np.diff(used, prepend=0.0) > 0, typical, 0.0)
    if weight.sum() <= 0:
        return np.zeros(t.size)
    extra = np.cumsum((factor - 1.0) * used[-1] * weight / weight.sum())
    return np.interp(t.as_unit("ns").asi8, hours.as_unit("ns").asi8, extra, left=0.0)


def _used(base: pd.Series, t: pd.DatetimeIndex, start: pd.Timestamp, end: pd.Timestamp):
    """Use of ``base`` from ``start`` to each of ``t``, within [start, end] [L]."""
    at = base.reindex(base.index.union(t).union([start, end])).interpolate("time").bfill()
    s0, s1 = float(at[start]), float(at[end])
    # use only: a decrease already in the background is not repeated
    return np.maximum.accumulate(np.clip(at.reindex(t).to_numpy(), s0, s1)) - s0


def _overlap_h(t: pd.DatetimeIndex, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """Hours of [start, end] before each time [h]."""
    s, e = start.as_unit("ns").value, end.as_unit("ns").value
    return np.clip(t.as_unit("ns").asi8, s, e).astype(float) / 3.6e12 - s / 3.6e12


def plan_injections(
    rng: np.random.Generator,
    register: pd.Series,
    number: int,
    *,
    slot: int,
    history_days: int = HISTORY_DAYS,
    spacing_days: int = SPACING_DAYS,
) -> list[Injection]:
    """Anomalies placed one per ``spacing_days`` after ``history_days`` of normal use.

    ``slot`` picks where in the cycle of types and sizes this meter starts, so a
    set of meters covers every type at every size. An anomaly is moved on, a
    day at a time, until the background has reads all around it: one put in a
    real silence could not be seen, and silences are scored as ``no_data``.
    """
    out = []
    first, last = register.index[0], register.index[-1]
    t = first + pd.Timedelta(days=history_days)
    for k in range(number):
        i = slot + k
        injection = _injection(ANOMALY_CYCLE[i % len(ANOMALY_CYCLE)], i, t, rng)
        for _ in range(20):
            if _covered(register, injection):
                break
            injection = _shifted(injection, pd.Timedelta(days=1))
        if injection.end + pd.Timedelta(days=5) > last:
            break
        if _covered(register, injection):
            out.append(injection)
        t = max(t + pd.Timedelta(days=spacing_days), injection.end + pd.Timedelta(days=20))
    return out


def _covered(register: pd.Series, injection: Injection) -> bool:
    """Whether the background has reads at its usual cadence around the anomaly."""
    margin = pd.Timedelta(days=1)
    index = register.index
    # the reads just outside the window too: a silence may run past its edges
    lo = max(int(index.searchsorted(injection.start - margin, side="left")) - 1, 0)
    hi = int(index.searchsorted(injection.end + margin, side="right")) + 1
    ts = index[lo:hi]
    if ts.size < 3 or ts[0] > injection.start - margin or ts[-1] < injection.end + margin:
        return False
    cadence = float(np.median(np.diff(index.as_unit("ns").asi8)))
    return float(np.diff(ts.as_unit("ns").asi8).max()) <= max(6 * 3.6e12, 2.5 * cadence)


def _shifted(injection: Injection, by: pd.Timedelta) -> Injection:
    return Injection(injection.type, injection.start + by, injection.end + by, injection.parameters)


def _injection(kind: str, i: int, t: pd.Timestamp, rng: np.random.Generator) -> Injection:
    start = (t + pd.Timedelta(hours=int(rng.integers(0, 24)))).floor("h")
    cycle = i // len(ANOMALY_CYCLE)
    if kind == "continuous_flow":
        rate = LEAK_RATES_LPH[cycle % len(LEAK_RATES_LPH)]
        return Injection(kind, start, start + pd.Timedelta(days=10), {"rate_lph": rate})
    if kind == "burst":
        rate = BURST_RATES_LPH[cycle % len(BURST_RATES_LPH)]
        hours = int(rng.integers(2, 7))
        return Injection(kind, start, start + pd.Timedelta(hours=hours), {"rate_lph": rate})
    if kind == "overconsumption":
        factor = (3.0, 4.0)[cycle % 2]
        return Injection(kind, start, start + pd.Timedelta(days=21), {"factor": factor})
    if kind == "zero_consumption":
        return Injection(kind, start, start + pd.Timedelta(days=(18, 25)[cycle % 2]))
    if kind == "reverse_flow":
        rate = (10.0, 30.0)[cycle % 2]
        return Injection(kind, start, start + pd.Timedelta(hours=3), {"rate_lph": rate})
    if kind == "no_data":
        return Injection(kind, start, start + pd.Timedelta(days=(4, 7)[cycle % 2]))
    code = ("LEAK", "BURST", "DRY", "TAMPER")[cycle % 4]
    return Injection(kind, start, start + pd.Timedelta(days=1), {"code": code})


def apply_injections(
    meter_id: str,
    register: pd.Series,
    injections: list[Injection],
    resolution_l: float = 1.0,
    background: pd.Series | None = None,
) -> tuple[pd.Series, pd.DataFrame, list[Label]]:
    """Apply anomalies one after another; returns register [L], events and labels
    (whose parameters also carry the meter's resolution).

    background : the hourly register ``register`` was read from, when coarser.
    """
    background = register if background is None else background
    events: list[tuple[pd.Timestamp, str, str]] = []
    labels = []
    for injection in injections:
        register, more = inject(register, injection, background)
        events += more
        parameters = {**injection.parameters, "resolution_l": resolution_l}
        labels.append(Label(meter_id, injection.type, injection.start, injection.end, parameters))
    frame = pd.DataFrame(events, columns=[TS, "code", "raw"]).assign(meter_id=meter_id)
    return register, frame, labels


def quantize(register: pd.Series, resolution_l: float) -> pd.Series:
    """The register as a meter with ``resolution_l`` steps shows it [L]."""
    return np.floor(register / resolution_l + 1e-9) * resolution_l


# ---------------------------------------------------------------- synthetic set


def generate_scenarios(
    meters: int,
    days: int,
    *,
    seed: int,
    cadence: str = "1h",
    tz: str = DEFAULT_TIMEZONE,
    start: str = "2025-01-01",
    inject_anomalies: bool = True,
) -> Scenario:
    """A synthetic set: ``meters`` household meters (one in five gas, one in four
    with a 10 L register) over ``days`` days, read at ``cadence``, with anomalies
    of every type injected. Deterministic for a given seed."""
    if cadence not in CADENCES:
        raise ValueError(f"cadence {cadence!r} is not one of {', '.join(CADENCES)}")
    rng = np.random.default_rng(seed)
    hours = pd.date_range(pd.Timestamp(start, tz=tz).tz_convert("UTC"), periods=days * 24, freq="h")
    parts = [_synthetic_meter(rng, k, hours, cadence, tz, inject_anomalies) for k in range(meters)]
    return _combine(parts)


def _synthetic_meter(rng, k, hours, cadence, tz, inject_anomalies):
    meter_id = f"SIM{k:05d}"
    kind = "gas" if k % 5 == 4 else "water"
    profile = household_gas_l if kind == "gas" else household_water_l
    volume = profile(rng, hours, tz)
    cumulative = pd.Series(
        np.cumsum(volume) + rng.uniform(1e4, 5e6), index=hours + pd.Timedelta(hours=1)
    )
    register = sample_register(cumulative, CADENCES[cadence], tz)
    resolution = 10.0 if k % 4 == 3 else 1.0
    plan = []
    if inject_anomalies:
        plan = plan_injections(rng, register, 8, slot=k)
        if kind == "gas":
            plan = [p for p in plan if p.type not in ("burst",)]
    register, events, labels = apply_injections(meter_id, register, plan, resolution, cumulative)
    register = quantize(register, resolution)
    meter = {METER_ID: meter_id, "kind": kind, "unit": "m3", "digits": 8, "timezone": tz,
             "q3_m3h": 2.5 if kind == "water" else None, "resolution_l": resolution}  # fmt: skip
    return meter, register, events, labels


def _combine(parts) -> Scenario:
    meters = pd.DataFrame([p[0] for p in parts])
    frames = [
        pd.DataFrame(
            {
                METER_ID: m[METER_ID],
                TS: reg.index,
                "index": reg.to_numpy() / 1000.0,
                "unit": "m3",
                "quality": "actual",
            }
        )  # fmt: skip
        for m, reg, _, _ in parts
    ]
    events = [p[2] for p in parts if not p[2].empty]
    return Scenario(
        meters=meters,
        readings=pd.concat(frames, ignore_index=True),
        events=pd.concat(events, ignore_index=True)
        if events
        else pd.DataFrame(columns=[TS, "code", "raw", METER_ID]),
        labels=[label for p in parts for label in p[3]],
    )


# ---------------------------------------------------------------- real background


DAIAD_TIMEZONE = "Europe/Madrid"  # the DAIAD smart-water-meter trial ran in Alicante


def read_daiad(path: str | Path, timezone: str = DAIAD_TIMEZONE) -> dict[str, pd.Series]:
    """The DAIAD trial file as one register per household [L], indexed by UTC time
    (its local times are read in ``timezone``; ambiguous and missing DST hours dropped)."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        frame = pd.read_csv(handle, sep=";", names=["meter", TS, "index", "diff"], header=0)
    ts = pd.to_datetime(frame[TS], format="%d/%m/%Y %H:%M:%S")
    frame[TS] = ts.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    frame = frame.dropna(subset=[TS])
    frame[TS] = frame[TS].dt.tz_convert("UTC")
    out = {}
    for k, (_, group) in enumerate(sorted(frame.groupby("meter"), key=lambda g: g[0])):
        series = group.set_index(TS)["index"].astype(float).sort_index()
        out[f"DAIAD{k:03d}"] = series[~series.index.duplicated(keep="last")]
    return out


def inject_on_background(
    backgrounds: dict[str, pd.Series],
    *,
    seed: int,
    cadence: str = "1h",
    tz: str = DAIAD_TIMEZONE,
    inject_anomalies: bool = True,
    coarse_share: float = 0.0,
    hard: bool = False,
) -> Scenario:
    """Anomalies injected on real registers [L] (e.g. :func:`read_daiad`), read at
    ``cadence`` (``1h`` keeps the real read times).

    The seed places them: where the cycle of types and sizes starts (which
    meter gets which anomaly), how many days of normal use each meter has
    before its first one, their hours, and which meters have coarse registers.

    hard : the coarse case as utilities see it: reads at the fixed times with
        minutes of jitter and a few missed (:class:`ReadTimes`), and besides the
        cycle's 10-day leaks, one leak of 4 to 7 days per meter starting anywhere
        in its last ``LATE_LEAK_DAYS`` days (the cycle stops before them).
    """
    rng = np.random.default_rng(seed)
    # resolutions from their own stream: the same meters are coarse with or without injections
    coarse = np.random.default_rng(seed + 1).random(len(backgrounds)) < coarse_share
    place = np.random.default_rng(seed + 2)
    cycle_start = int(place.integers(len(ANOMALY_CYCLE) * len(LEAK_RATES_LPH)))
    parts = []
    for k, (meter_id, background) in enumerate(sorted(backgrounds.items())):
        register = background
        # read times and late leaks from the meter's own streams: the same with or
        # without injections, and the cycle stays as it was
        times, late = (np.random.default_rng([seed, n, k]) for n in (3, 4))
        if cadence != "1h":
            reading = ReadTimes() if hard else None
            register = sample_register(
                background, CADENCES[cadence], tz, reading=reading, rng=times
            )
        resolution = 10.0 if coarse[k] else 1.0
        plan = []
        if inject_anomalies and register.size > 2:
            history = HISTORY_DAYS + int(place.integers(SPACING_DAYS))
            cut = register.index[-1] - pd.Timedelta(days=LATE_LEAK_DAYS) if hard else None
            planned = register if cut is None else register[register.index <= cut]
            plan = plan_injections(rng, planned, 8, slot=cycle_start + k, history_days=history)
            if hard:
                plan += _late_leak(late, register, cycle_start + k)
        register, events, labels = apply_injections(
            meter_id, register, plan, resolution, background
        )
        meter = {METER_ID: meter_id, "kind": "water", "unit": "m3", "digits": 8, "timezone": tz,
                 "q3_m3h": None, "resolution_l": resolution}  # fmt: skip
        parts.append((meter, quantize(register, resolution), events, labels))
    return _combine(parts)


LATE_LEAK_DAYS = 50  # a late leak starts anywhere in a meter's last days [d]
LATE_LEAK_LENGTH_DAYS = (4.0, 7.0)  # [d]


def _late_leak(rng: np.random.Generator, register: pd.Series, slot: int) -> list[Injection]:
    """One leak of 4 to 7 days starting anywhere in the register's last
    ``LATE_LEAK_DAYS`` days (it may still run at the last read), its rate
    taken in turn from ``LEAK_RATES_LPH``."""
    last = register.index[-1]
    if last - register.index[0] < pd.Timedelta(days=HISTORY_DAYS + LATE_LEAK_DAYS):
        return []
    start = (last - pd.Timedelta(days=float(rng.uniform(1.0, LATE_LEAK_DAYS)))).floor("h")
    length = pd.Timedelta(days=float(rng.uniform(*LATE_LEAK_LENGTH_DAYS))).round("h")
    rate = LEAK_RATES_LPH[slot % len(LEAK_RATES_LPH)]
    return [
        Injection(
            "continuous_flow", start, min(start + length, last), {"rate_lph": rate, "late": True}
        )
    ]


# ---------------------------------------------------------------- files


def write_scenario(scenario: Scenario, out: Path) -> dict[str, Path]:
    """Write readings.csv, meters.csv, events.csv and labels.json into ``out``."""
    import json

    out.mkdir(parents=True, exist_ok=True)
    paths = {
        name: out / name for name in ("readings.csv", "meters.csv", "events.csv", "labels.json")
    }
    readings = scenario.readings.assign(
        timestamp=scenario.readings[TS].map(lambda t: t.isoformat())
    )
    readings[[METER_ID, "timestamp", "index", "unit", "quality"]].to_csv(
        paths["readings.csv"], index=False, float_format="%.4f"
    )
    columns = [METER_ID, "kind", "unit", "digits", "timezone", "q3_m3h"]
    scenario.meters[columns].to_csv(paths["meters.csv"], index=False)
    events = scenario.events.assign(ts=scenario.events[TS].map(lambda t: t.isoformat()))
    events.reindex(columns=[METER_ID, TS, "code", "raw"]).to_csv(paths["events.csv"], index=False)
    text = json.dumps([label.to_json() for label in scenario.labels], indent=1)
    paths["labels.json"].write_text(text, encoding="utf-8")
    return paths


def iter_meters(scenario: Scenario) -> Iterator[tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]]:
    """Each meter's row, its reads (indexed by ts) and its events."""
    reads = dict(tuple(scenario.readings.groupby(METER_ID)))
    events = dict(tuple(scenario.events.groupby(METER_ID))) if not scenario.events.empty else {}
    for row in scenario.meters.to_dict("records"):
        frame = reads.get(row[METER_ID], scenario.readings.iloc[:0]).set_index(TS)
        yield row, frame, events.get(row[METER_ID], scenario.events.iloc[:0])
