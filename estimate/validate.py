"""Validation of a meter's index series: a clean register and the findings.

Reads arrive at any cadence, twice, late and out of order; registers roll
over, meters are replaced and some reads are glitches. ``validate_reads``
turns the raw reads of one meter into an ordered, continuous register with a
consumption delta per valid read, and reports every oddity with a short code:

``duplicate``, ``conflicting_duplicate``, ``out_of_order``, ``rollover``,
``replacement``, ``glitch`` (excluded), ``decrease`` (kept: reverse flow or an
error, the amount is in ``amount`` and ``detail``), ``implausible_rate`` and
``off_cadence``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from core import FindingCode
from core.columns import AMOUNT, CODE, DELTA, DETAIL, EXCLUDED, INDEX, QUALITY, REGISTER, TS
from estimate.settings import ValidationSettings

FINDING_COLUMNS = [TS, CODE, DETAIL, AMOUNT]
# Shared by every validated frame, so that the lookup table of their names is built once.
_READ_COLUMNS = pd.Index([INDEX, REGISTER, DELTA, EXCLUDED])
HOUR_NS = 3_600_000_000_000


@dataclass(frozen=True)
class ValidatedReads:
    """A meter's reads after validation.

    reads : DataFrame indexed by ``ts`` [UTC] with ``index`` (as read),
        ``register`` (continuous: rollovers and replacements unwrapped),
        ``delta`` (consumption since the previous valid read, NaN first and on
        excluded reads) and ``excluded`` (bool), all in the meter's unit; plus
        ``quality`` when the input had it.
    findings : DataFrame with ``ts``, ``code``, ``detail`` and ``amount``
        (the delta involved [meter unit], NaN when none).
    """

    reads: pd.DataFrame
    findings: pd.DataFrame

    @cached_property
    def valid(self) -> pd.DataFrame:
        """The reads that consumption is derived from."""
        excluded = self.reads[EXCLUDED].to_numpy()
        return self.reads[~excluded] if excluded.any() else self.reads


_EMPTY_FINDINGS = pd.DataFrame(
    {
        TS: pd.DatetimeIndex([], tz="UTC"),
        CODE: pd.Series([], dtype=str),
        DETAIL: pd.Series([], dtype=str),
        AMOUNT: pd.Series([], dtype=float),
    }
)


class _Findings:
    """Collects findings while the series is checked."""

    def __init__(self) -> None:
        self.rows: list[tuple[pd.Timestamp, str, str, float]] = []

    def add(self, ts: pd.Timestamp, code: str, detail: str, amount: float = np.nan) -> None:
        self.rows.append((ts, code, detail, float(amount)))

    def frame(self) -> pd.DataFrame:
        if not self.rows:
            return _EMPTY_FINDINGS.copy(deep=False)  # copied on write
        frame = pd.DataFrame(self.rows, columns=FINDING_COLUMNS)
        frame[TS] = pd.to_datetime(frame[TS], utc=True)
        return frame.sort_values(TS, kind="stable").reset_index(drop=True)


def validate_reads(
    reads: pd.DataFrame,
    *,
    digits: int | None = None,
    replacements: Iterable[pd.Timestamp | tuple[pd.Timestamp, float]] = (),
    max_rate_per_h: float | None = None,
    settings: ValidationSettings | None = None,
) -> ValidatedReads:
    """Order, de-duplicate and unwrap one meter's index reads and report what is odd.

    Parameters
    ----------
    reads : DataFrame
        ``ts`` (column or index, tz-aware) and ``index`` [meter unit], any order;
        ``quality`` is carried along when present.
    digits : int, optional
        Register size: the register rolls over at ``10**digits`` [meter unit].
    replacements : iterable
        Times the meter was replaced, or ``(time, start index)`` pairs; the first
        read at or after each time restarts the register (from 0 by default).
    max_rate_per_h : float, optional
        The most the meter can pass in an hour [meter unit/h] (its Q3);
        faster consumption is reported as ``implausible_rate``.
    settings : ValidationSettings, optional
        Thresholds.
    """
    settings = settings or ValidationSettings()
    found = _Findings()
    index, values, quality = _ordered(reads, found)
    if index.empty:
        return ValidatedReads(_empty_reads(index), found.frame())
    ts = index.asi8
    delta = np.diff(values, prepend=np.nan)
    restarts = _apply_replacements(index, values, delta, replacements, found)
    if digits is not None:
        _unwrap_rollovers(index, delta, 10.0**digits, restarts, found)
    register = values[0] + np.nan_to_num(np.cumsum(np.nan_to_num(delta)))
    excluded = _exclude_glitches(index, ts, register, max_rate_per_h, settings, found)
    valid_delta = _valid_deltas(register, excluded)
    _check_rates(index, ts, valid_delta, excluded, max_rate_per_h, found)
    _check_cadence(index, ts, excluded, settings, found)
    out = pd.DataFrame(
        {INDEX: values.copy(), REGISTER: register, DELTA: valid_delta, EXCLUDED: excluded},
        index=index,
        copy=False,  # new arrays (values may be a view of the input): nothing more to copy
    )
    out.columns = _READ_COLUMNS
    if quality is not None:
        out[QUALITY] = quality
    return ValidatedReads(out, found.frame())


def _empty_reads(index: pd.DatetimeIndex) -> pd.DataFrame:
    out = pd.DataFrame(
        {INDEX: [], REGISTER: [], DELTA: [], EXCLUDED: np.array([], dtype=bool)},
        index=index,
    )
    return out.astype({INDEX: float, REGISTER: float, DELTA: float})


# A meter's reads as arrays: their times, indexes and qualities (None when not given).
_Ordered = tuple[pd.DatetimeIndex, np.ndarray, ExtensionArray | None]


def _ordered(reads: pd.DataFrame, found: _Findings) -> _Ordered:
    """Reads sorted by time, one per timestamp, with duplicates and disorder reported."""
    fast = _already_ordered(reads)
    if fast is not None:
        return fast
    frame = reads.reset_index() if TS not in reads.columns else reads
    columns = [TS, INDEX] + ([QUALITY] if QUALITY in frame.columns else [])
    frame = frame[columns].copy()
    frame[TS] = pd.to_datetime(frame[TS], utc=True)
    frame = frame.dropna(subset=[TS, INDEX])
    backwards = frame[TS] < frame[TS].cummax()
    for ts in frame.loc[backwards, TS]:
        found.add(
            ts, FindingCode.OUT_OF_ORDER, f"read at {ts.isoformat()} arrived after a later read"
        )
    frame = frame.sort_values(TS, kind="stable")
    dup = frame.duplicated(TS, keep=False)
    for ts, group in frame[dup].groupby(TS):
        values = group[INDEX].unique()
        if len(values) == 1:
            found.add(
                ts, FindingCode.DUPLICATE, f"{len(group)} identical reads at {ts.isoformat()}"
            )
        else:
            kept = group[INDEX].iloc[-1]
            found.add(
                ts,
                FindingCode.CONFLICTING_DUPLICATE,
                f"reads {sorted(values.tolist())} at {ts.isoformat()}; kept the last, {kept}",
            )
    frame = frame.drop_duplicates(TS, keep="last").set_index(TS)
    quality = frame[QUALITY].array if QUALITY in frame.columns else None
    return frame.index.as_unit("ns"), frame[INDEX].to_numpy(dtype=float), quality


def _already_ordered(frame: pd.DataFrame) -> _Ordered | None:
    """The reads as they are when strictly increasing in time and complete (the store's order)."""
    if TS in frame.columns:
        index = pd.DatetimeIndex(frame[TS])
    elif isinstance(frame.index, pd.DatetimeIndex) and frame.index.name == TS:
        index = frame.index
        if index.freq is not None:
            index = pd.DatetimeIndex(index, freq=None)  # as a column of times has it
    else:
        return None
    if index.tz is None:
        return None
    index = index.tz_convert("UTC").as_unit("ns")
    values = frame[INDEX].to_numpy(dtype=float)
    stamps = index.asi8
    if np.isnan(values).any() or index.hasnans or (np.diff(stamps) <= 0).any():
        return None
    quality = frame[QUALITY].array if QUALITY in frame.columns else None
    return index.rename(TS), values, quality


def _apply_replacements(
    index: pd.DatetimeIndex,
    values: np.ndarray,
    delta: np.ndarray,
    replacements: Iterable[pd.Timestamp | tuple[pd.Timestamp, float]],
    found: _Findings,
) -> set[int]:
    """Restart the register at each replacement; the positions restarted."""
    restarts: set[int] = set()
    for item in replacements:
        when, start = item if isinstance(item, tuple) else (item, 0.0)
        pos = int(index.searchsorted(pd.Timestamp(when), side="left"))
        if pos == 0 or pos >= len(values):
            continue
        delta[pos] = values[pos] - start
        restarts.add(pos)
        found.add(
            index[pos],
            FindingCode.REPLACEMENT,
            f"meter replaced: index restarts at {values[pos]} from {start}",
            delta[pos],
        )
    return restarts


def _unwrap_rollovers(
    index: pd.DatetimeIndex,
    delta: np.ndarray,
    modulus: float,
    restarts: set[int],
    found: _Findings,
) -> None:
    """A drop of more than half the register is a rollover: add the register size."""
    for pos in np.flatnonzero(delta < -modulus / 2):
        if int(pos) in restarts:
            continue
        delta[pos] += modulus
        found.add(
            index[pos], FindingCode.ROLLOVER, f"register rolled over at {modulus:g}", delta[pos]
        )


def _jump_limit(
    ts: np.ndarray, register: np.ndarray, max_rate_per_h: float | None, factor: float
) -> float:
    """Largest plausible consumption per hour [meter unit/h] for telling glitches.

    The series' own median positive rate times ``factor`` (robust to the
    glitches themselves), capped by the meter's maximum rate when known.
    """
    hours = np.diff(ts) / HOUR_NS
    rates = np.diff(register) / np.maximum(hours, 1.0)
    positive = rates[rates > 0]
    robust = factor * float(np.median(positive)) if positive.size >= 3 else np.inf
    return min(robust, max_rate_per_h if max_rate_per_h is not None else np.inf)


def _exclude_glitches(
    index: pd.DatetimeIndex,
    ts: np.ndarray,
    register: np.ndarray,
    max_rate_per_h: float | None,
    settings: ValidationSettings,
    found: _Findings,
) -> np.ndarray:
    """Exclude short runs of reads far off the series that the next reads contradict.

    Every drop is explained, in this order, as the end of a run of high reads
    (a spike and the same drop back), the start of a run of low reads, or a
    genuine decrease (kept and reported).
    """
    excluded = np.zeros(len(register), dtype=bool)
    if not (np.diff(register) < 0).any():
        return excluded
    limit = _jump_limit(ts, register, max_rate_per_h, settings.glitch_rate_factor)
    window = settings.glitch_max_reads

    def implausible(a: int, b: int) -> bool:
        hours = max((ts[b] - ts[a]) / HOUR_NS, 1.0)
        return abs(register[b] - register[a]) > limit * hours

    prev = 0
    for j in range(1, len(register)):
        if excluded[j]:
            continue
        if register[j] >= register[prev]:
            prev = j
            continue
        run = _high_run(register, excluded, j, window)
        if run and implausible(run[0] - 1, run[0]):
            for pos in run:
                excluded[pos] = True
                found.add(index[pos], FindingCode.GLITCH, _glitch_detail(register, pos, j, "above"))
            prev = j
            continue
        end = _low_run_end(register, prev, j, window)
        if end is not None and implausible(prev, j):
            for pos in range(j, end):
                excluded[pos] = True
                found.add(
                    index[pos], FindingCode.GLITCH, _glitch_detail(register, pos, prev, "below")
                )
            continue
        amount = register[j] - register[prev]
        found.add(
            index[j],
            FindingCode.DECREASE,
            f"index fell by {-amount:g} since {index[prev].isoformat()}: reverse flow or error",
            amount,
        )
        prev = j
    return excluded


def _high_run(register: np.ndarray, excluded: np.ndarray, j: int, window: int) -> list[int]:
    """Valid reads just before ``j`` that all sit above it, if the series below resumes."""
    run: list[int] = []
    k = j - 1
    while k >= 0 and (excluded[k] or register[k] > register[j]):
        if not excluded[k]:
            run.append(k)
        if len(run) > window:
            return []
        k -= 1
    if k < 0:
        return []
    return run[::-1]


def _low_run_end(register: np.ndarray, prev: int, j: int, window: int) -> int | None:
    """First read after ``j`` back at or above the read before the drop, if soon."""
    for m in range(j + 1, min(j + window + 1, len(register))):
        if register[m] >= register[prev]:
            return m
    return None


def _glitch_detail(register: np.ndarray, pos: int, ref: int, side: str) -> str:
    gap = abs(register[pos] - register[ref])
    return f"index {gap:g} {side} the series and contradicted by the next reads; excluded"


def _valid_deltas(register: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    """Consumption since the previous valid read; NaN first and on excluded reads."""
    delta = np.full(len(register), np.nan)
    valid = np.flatnonzero(~excluded)
    delta[valid[1:]] = np.diff(register[valid])
    return delta


def _check_rates(
    index: pd.DatetimeIndex,
    ts: np.ndarray,
    delta: np.ndarray,
    excluded: np.ndarray,
    max_rate_per_h: float | None,
    found: _Findings,
) -> None:
    """Report consumption faster than the meter can pass."""
    if max_rate_per_h is None:
        return
    valid = np.flatnonzero(~excluded)
    hours = np.diff(ts[valid]) / HOUR_NS
    rates = delta[valid[1:]] / hours
    fast = rates > max_rate_per_h
    for pos, rate in zip(valid[1:][fast], rates[fast], strict=True):
        found.add(
            index[pos],
            FindingCode.IMPLAUSIBLE_RATE,
            f"{rate:g}/h since the previous read exceeds the meter's {max_rate_per_h:g}/h",
            delta[pos],
        )


def _check_cadence(
    index: pd.DatetimeIndex,
    ts: np.ndarray,
    excluded: np.ndarray,
    settings: ValidationSettings,
    found: _Findings,
) -> None:
    """Report reads much closer to the previous one than the meter's usual cadence."""
    valid = np.flatnonzero(~excluded)
    if valid.size < settings.min_reads_for_cadence:
        return
    gaps = np.diff(ts[valid])
    usual = float(np.median(gaps))
    for pos in valid[1:][gaps < settings.off_cadence_ratio * usual]:
        found.add(
            index[pos],
            FindingCode.OFF_CADENCE,
            f"read {pd.Timedelta(int(ts[pos] - ts[valid[valid < pos][-1]]))} after the previous "
            f"one, usual cadence {pd.Timedelta(int(usual))}: check the meter clock",
        )
