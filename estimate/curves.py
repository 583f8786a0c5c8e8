"""Curves at the portal's resolutions, in the meter's local calendar, and gas energy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import Meter, MeterKind, Method, Quality, Resolution
from core.columns import ENERGY_KWH, ESTIMATED_SHARE, METHOD, QUALITY, START, VOLUME
from estimate.consumption import GAP_SHARE, KNOWN_END, KNOWN_START

RESOLUTIONS: tuple[Resolution, ...] = tuple(Resolution)
DAY_NS = 86_400_000_000_000
_KEY_SPAN = 1_000_000  # period keys stay below it: meter code * span + key is unique
_FOR_ROLLUPS = [KNOWN_START, KNOWN_END, GAP_SHARE]  # columns of the hourly curve for rollups


def resample_curve(
    hourly: pd.DataFrame, resolution: str, timezone: str, *, by: str | None = None
) -> pd.DataFrame:
    """Sum an hourly curve into local hours, days, months or years.

    Parameters
    ----------
    hourly : DataFrame
        Output of ``estimate_hourly`` (UTC hour starts), optionally with ``energy_kwh``.
    resolution : str
        ``hour``, ``day``, ``month`` or ``year``; days and months are local
        calendar periods, so a DST day has 23 or 25 hours.
    timezone : str
        The meter's timezone.
    by : str, optional
        A column (``meter_id``) telling several meters' curves apart, each in
        time order: they are resampled at once and the column is kept.

    Returns
    -------
    DataFrame indexed by ``start`` (local, tz-aware) with ``volume`` (and
    ``energy_kwh``) summed, ``estimated_share`` weighted by volume,
    ``quality`` ``estimated`` when any part is estimated, and ``method`` the
    estimation method carrying most of the estimated volume. With
    ``known_start``/``known_end`` columns, a period whose register is known at
    both ends is measured (share 0) even if its hours were shaped; with
    ``gap_share``, the hours' gap shares are weighted instead (inside a
    period the split of close reads across its hours' edges is measured).
    """
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution {resolution!r} is not one of {', '.join(RESOLUTIONS)}")
    local = hourly.index.tz_convert(timezone)
    if resolution == Resolution.HOUR:
        out = hourly.drop(columns=_FOR_ROLLUPS, errors="ignore")
        out.index = local.rename(START)
        return out
    if hourly.empty:
        empty = hourly.drop(columns=_FOR_ROLLUPS, errors="ignore").iloc[:0]
        return empty.set_axis(local.rename(START))
    keys = _period_keys(local, resolution)
    names: pd.Index | None = None
    if by is not None:
        codes, names = pd.factorize(hourly[by])
        keys = codes.astype(np.int64) * _KEY_SPAN + keys
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    last = len(keys) - 1 - np.unique(keys[::-1], return_index=True)[1]
    volume = hourly[VOLUME].to_numpy(dtype=float)
    share_h = hourly[GAP_SHARE if GAP_SHARE in hourly else ESTIMATED_SHARE].to_numpy(dtype=float)
    total = np.bincount(inverse, volume, minlength=uniq.size)
    estimated = np.bincount(inverse, volume * share_h, minlength=uniq.size)
    mean_share = np.bincount(inverse, share_h, minlength=uniq.size) / np.bincount(inverse)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(np.abs(total) > 1e-12, estimated / total, mean_share)
    share = np.round(np.clip(share, 0.0, 1.0), 9)
    if KNOWN_START in hourly and KNOWN_END in hourly:
        # a total between two known register values is measured, whatever its hours' shape
        known = hourly[KNOWN_START].to_numpy()[first] & hourly[KNOWN_END].to_numpy()[last]
        share = np.where(known, 0.0, share)
    starts = _period_starts(uniq % _KEY_SPAN, resolution, timezone)
    out = pd.DataFrame({VOLUME: total}, index=starts)
    if names is not None:
        out.insert(0, str(by), np.asarray(names, dtype=object)[uniq // _KEY_SPAN])
    if ENERGY_KWH in hourly:
        energy = hourly[ENERGY_KWH].to_numpy(dtype=float)
        out[ENERGY_KWH] = np.bincount(inverse, energy, minlength=uniq.size)
    out[QUALITY] = np.where(share > 0, Quality.ESTIMATED, Quality.ACTUAL)
    out[ESTIMATED_SHARE] = share
    methods = _dominant_method(hourly, inverse, uniq.size, share_h, volume * share_h)
    out[METHOD] = np.where(share > 0, methods, Method.MEASURED)
    return out


def _period_keys(local: pd.DatetimeIndex, resolution: str) -> np.ndarray:
    """An integer per local day (days since 1970), month (year*12+month-1) or year."""
    if resolution == Resolution.DAY:
        return local.tz_localize(None).as_unit("ns").asi8 // DAY_NS
    if resolution == Resolution.MONTH:
        return local.year.to_numpy() * 12 + local.month.to_numpy() - 1
    return local.year.to_numpy()


def _period_starts(keys: np.ndarray, resolution: str, timezone: str) -> pd.DatetimeIndex:
    """Local start of each period key (midnight; it exists in all but a few timezones)."""
    if resolution == Resolution.DAY:
        naive = pd.DatetimeIndex((keys * DAY_NS).astype("datetime64[ns]"))
    elif resolution == Resolution.MONTH:
        naive = pd.to_datetime(pd.DataFrame({"year": keys // 12, "month": keys % 12 + 1, "day": 1}))
        naive = pd.DatetimeIndex(naive)
    else:
        naive = pd.to_datetime(pd.DataFrame({"year": keys, "month": 1, "day": 1}))
        naive = pd.DatetimeIndex(naive)
    starts = naive.tz_localize(
        timezone, ambiguous=np.ones(keys.size, dtype=bool), nonexistent="shift_forward"
    )
    return starts.rename(START)


def _dominant_method(
    hourly: pd.DataFrame,
    inverse: np.ndarray,
    periods: int,
    share: np.ndarray,
    estimated: np.ndarray,
) -> np.ndarray:
    """Per period, the method of the estimated hours carrying most estimated volume."""
    codes, names = pd.factorize(hourly[METHOD])
    weight = np.where(share > 0, np.abs(estimated) + 1e-9, 0.0)
    table = np.bincount(
        inverse * len(names) + codes, weight, minlength=periods * len(names)
    ).reshape(periods, len(names))
    return np.asarray(names, dtype=object)[table.argmax(axis=1)]


def add_energy(curve: pd.DataFrame, meter: Meter) -> pd.DataFrame:
    """The curve with ``energy_kwh`` [kWh] when the meter is gas; others unchanged.

    ``volume`` [meter unit] becomes kWh through ``Meter.kwh_per_unit``: the
    unit, then the meter's conversion coefficient for a gas meter counting
    volume (which raises ``core.UnitError`` when it is unknown).
    """
    if meter.kind != MeterKind.GAS:
        return curve
    return curve.assign(**{ENERGY_KWH: curve[VOLUME] * meter.kwh_per_unit})
