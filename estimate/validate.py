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
        Register size: the register rolls over at ``10**digits`` [meter unit]. A drop
        is a rollover when the reads after it go on from near zero; at the last read,
        when the consumption it makes is plausible.
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
    as_read = values[0] + np.nan_to_num(np.cumsum(np.nan_to_num(delta)))
    modulus = 10.0**digits if digits is not None else None
    placement = _placement(ts, as_read, restarts, modulus, max_rate_per_h, settings)
    excluded, register = _exclude_glitches(index, placement, settings.glitch_max_reads, found)
    if modulus is not None:
        _report_rollovers(index, as_read, register, excluded, modulus, found)
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


@dataclass(frozen=True)
class _Placement:
    """Where a read's register lies after a valid read: as read, or nearest around the dial.

    With a register size (``digits``) an index is only known modulo that size, so a read
    is placed at the register value nearest the valid read before it (no meter passes
    half its register between two reads). A rollover then adds the size only when the
    reads after go on from near zero: a zero or wild read is a spike or a dip around the
    dial that the next reads contradict, which the glitch logic excludes.
    """

    ts: np.ndarray
    as_read: np.ndarray  # the register from the indexes as read, replacements restarted
    restarted: np.ndarray  # replacements up to each read: no wrap is looked for across one
    modulus: float | None
    limit: float  # largest plausible consumption per hour [meter unit/h]

    def plausible(self, a: int, b: int, amount: float) -> bool:
        """Whether ``amount`` [meter unit] between reads ``a`` and ``b`` is a plausible flow."""
        hours = max((self.ts[b] - self.ts[a]) / HOUR_NS, 1.0)
        return abs(amount) <= self.limit * hours

    def step(self, ref: int, m: int) -> float:
        """Consumption from read ``ref`` to read ``m`` [meter unit].

        A rollover at the last read has no later read to confirm it (the reads after a
        true rollover go on from near zero): it is taken only when the consumption it
        makes is plausible; otherwise the read stays as read (a decrease, as without
        ``digits``).
        """
        gap = self.as_read[m] - self.as_read[ref]
        if self.modulus is None or self.restarted[m] != self.restarted[ref]:
            return float(gap)
        wrapped = float(_around(gap, self.modulus))
        # a wrap that still leaves a drop is for the glitch logic, even at the last read
        unconfirmed = m == self.as_read.size - 1 and wrapped > gap and wrapped >= 0
        if unconfirmed and not self.plausible(ref, m, wrapped):
            return float(gap)
        return float(wrapped)


def _placement(
    ts: np.ndarray,
    as_read: np.ndarray,
    restarts: set[int],
    modulus: float | None,
    max_rate_per_h: float | None,
    settings: ValidationSettings,
) -> _Placement:
    """The placement of one meter's reads, with the glitch limit from its own steps."""
    restarted = np.zeros(as_read.size, dtype=np.int64)
    restarted[sorted(restarts)] = 1
    restarted = np.cumsum(restarted)
    steps = _steps(as_read, restarted, modulus)
    limit = _jump_limit(ts, steps, max_rate_per_h, settings.glitch_rate_factor)
    return _Placement(ts, as_read, restarted, modulus, limit)


def _steps(as_read: np.ndarray, restarted: np.ndarray, modulus: float | None) -> np.ndarray:
    """Consumption between consecutive reads [meter unit], around the register when sized."""
    steps = np.diff(as_read)
    if modulus is not None:
        wrap = np.diff(restarted) == 0
        steps[wrap] = _around(steps[wrap], modulus)
    return steps


def _around(gap: np.ndarray | float, modulus: float) -> np.ndarray:
    """A change of the register [meter unit] taken around it: within half its size."""
    return gap - modulus * np.floor(gap / modulus + 0.5)


def _jump_limit(
    ts: np.ndarray, steps: np.ndarray, max_rate_per_h: float | None, factor: float
) -> float:
    """Largest plausible consumption per hour [meter unit/h] for telling glitches.

    The series' own median positive rate between consecutive reads (``steps``, wrapped
    around the register when it has a size) times ``factor`` (robust to the glitches
    themselves), capped by the meter's maximum rate when known.
    """
    hours = np.diff(ts) / HOUR_NS
    rates = steps / np.maximum(hours, 1.0)
    positive = rates[rates > 0]
    robust = factor * float(np.median(positive)) if positive.size >= 3 else np.inf
    return min(robust, max_rate_per_h if max_rate_per_h is not None else np.inf)


def _exclude_glitches(
    index: pd.DatetimeIndex, placement: _Placement, window: int, found: _Findings
) -> tuple[np.ndarray, np.ndarray]:
    """Exclude short runs of reads far off the series that the next reads contradict.

    Each read is placed after the last valid read (``_Placement``). Every drop is then
    explained, in this order, as the end of a run of high reads (a spike and the same
    drop back), the start of a run of low reads, or a genuine decrease (kept and
    reported). Returns the excluded reads and the register [meter unit].
    """
    size = placement.as_read.size
    excluded = np.zeros(size, dtype=bool)
    register = _consecutive(placement)
    if not (np.diff(register) < 0).any():
        return excluded, register

    def place(m: int, ref: int) -> float:
        if placement.modulus is None:
            return placement.as_read[m]  # exactly as read
        return register[ref] + placement.step(ref, m)

    def implausible(a: int, b: int) -> bool:
        return not placement.plausible(a, b, register[b] - register[a])

    def detail(pos: int, ref: int, side: str) -> str:
        wraps = register[[pos, ref]] - placement.as_read[[pos, ref]]
        dial = f" (around the {placement.modulus:g} register)" if wraps[0] != wraps[1] else ""
        return _glitch_detail(register, pos, ref, side, dial)

    prev = 0
    for j in range(1, size):
        if excluded[j]:
            continue
        if placement.modulus is not None:
            register[j] = place(j, prev)
        if register[j] < register[prev]:
            run, before = _high_run(register, excluded, j, window)
            if run and implausible(before, run[0]):
                for pos in run:
                    excluded[pos] = True
                    found.add(index[pos], FindingCode.GLITCH, detail(pos, j, "above"))
                # around a register the read may sit differently after the read before the run
                prev, register[j] = before, place(j, before)
        if register[j] < register[prev]:
            ahead = [place(m, prev) for m in range(j + 1, min(j + window + 1, size))]
            end = _low_run_end(ahead, register[prev])
            if end is not None and implausible(prev, j):
                for pos in range(j, j + 1 + end):
                    excluded[pos] = True
                    register[pos] = place(pos, prev)
                    found.add(index[pos], FindingCode.GLITCH, detail(pos, prev, "below"))
                continue
            amount = register[j] - register[prev]
            found.add(
                index[j],
                FindingCode.DECREASE,
                f"index fell by {-amount:g} since {index[prev].isoformat()}: reverse flow or error",
                amount,
            )
        prev = j
    return excluded, register


def _consecutive(placement: _Placement) -> np.ndarray:
    """The register with each read placed after the one before it."""
    size = placement.as_read.size
    if placement.modulus is None or size < 2:
        return placement.as_read.copy()
    steps = _steps(placement.as_read, placement.restarted, placement.modulus)
    steps[-1] = placement.step(size - 2, size - 1)  # the last read's rollover, if plausible
    return placement.as_read[0] + np.concatenate(([0.0], np.cumsum(steps)))


def _high_run(
    register: np.ndarray, excluded: np.ndarray, j: int, window: int
) -> tuple[list[int], int]:
    """Valid reads just before ``j`` that all sit above it, if the series below resumes,
    and the valid read before them."""
    run: list[int] = []
    k = j - 1
    while k >= 0 and (excluded[k] or register[k] > register[j]):
        if not excluded[k]:
            run.append(k)
        if len(run) > window:
            return [], k
        k -= 1
    if k < 0:
        return [], k
    return run[::-1], k


def _low_run_end(ahead: list[float], level: float) -> int | None:
    """Position among the next reads (``ahead``) of the first back at ``level``, if any."""
    for count, value in enumerate(ahead):
        if value >= level:
            return count
    return None


def _report_rollovers(
    index: pd.DatetimeIndex,
    as_read: np.ndarray,
    register: np.ndarray,
    excluded: np.ndarray,
    modulus: float,
    found: _Findings,
) -> None:
    """Report each valid read the register rolled over to since the valid read before."""
    valid = np.flatnonzero(~excluded)
    delta = np.diff(register[valid])
    wraps = np.rint((delta - np.diff(as_read[valid])) / modulus)
    for pos, amount in zip(valid[1:][wraps > 0], delta[wraps > 0], strict=True):
        found.add(index[pos], FindingCode.ROLLOVER, f"register rolled over at {modulus:g}", amount)


def _glitch_detail(register: np.ndarray, pos: int, ref: int, side: str, dial: str = "") -> str:
    gap = abs(register[pos] - register[ref])
    return f"index {gap:g} {side} the series{dial} and contradicted by the next reads; excluded"


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
