"""A manual index read judged with the estimation step's own validation.

The read is validated among its neighbours by ``estimate.validate_meter``, the call
every job makes, so the portal refuses what estimation would exclude or call a
decrease, and flags what it would call implausible: nothing here is a second rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core import FindingCode, Meter
from core.columns import CODE, DETAIL, INDEX, QUALITY, TS
from estimate import ValidationSettings, validate_meter
from portal_bridge.problems import ApiError

REFUSED = {FindingCode.DECREASE, FindingCode.GLITCH}
FLAGGED = {FindingCode.IMPLAUSIBLE_RATE}


@dataclass(frozen=True)
class Judgement:
    """What validation says of an accepted read: its findings, and whether a person
    should check it."""

    findings: list[tuple[str, str]]
    flagged: bool


def judge_read(
    reads: pd.DataFrame, meter: Meter, at: pd.Timestamp, index: float,
    settings: ValidationSettings,
) -> Judgement:  # fmt: skip
    """Judge the read ``index`` [meter unit] at ``at`` among the stored ``reads``
    (``ts, index, quality``); raises a 422 problem when validation would refuse it."""
    new = pd.DataFrame({TS: [at], INDEX: [index], QUALITY: ["customer"]})
    before = validate_meter(reads, meter, settings=settings).findings
    candidate = pd.concat([reads, new], ignore_index=True).sort_values(TS, ignore_index=True)
    after = validate_meter(candidate, meter, settings=settings).findings
    own = after[after[TS] == at]
    refused = own[own[CODE].isin(REFUSED)]
    if len(refused):
        raise _refusal(reads, meter, at, index)
    known = set(zip(before[TS], before[CODE], strict=True))
    caused = [(ts, code) for ts, code in zip(after[TS], after[CODE], strict=True)
              if code in REFUSED and ts != at and (ts, code) not in known]  # fmt: skip
    if caused:
        raise _refusal(reads, meter, at, index)
    findings = [(str(c), str(d)) for c, d in zip(own[CODE], own[DETAIL], strict=True)]
    return Judgement(findings, bool(own[CODE].isin(FLAGGED).any()))


def _refusal(reads: pd.DataFrame, meter: Meter, at: pd.Timestamp, index: float) -> ApiError:
    """The 422 of a refused read, naming the read it contradicts and what to do."""
    earlier, later = reads[reads[TS] < at], reads[reads[TS] > at]
    unit, told = (
        meter.unit,
        f"meter {meter.meter_id} index {index:g} {meter.unit} at {_iso(at, meter)}",
    )
    digits = f" (the register has {meter.digits} digits)" if meter.digits else ""
    if len(earlier) and index < earlier[INDEX].iloc[-1]:
        prev = earlier.iloc[-1]
        detail = (f"{told} is below the previous read {prev[INDEX]:g} {unit} at "
                  f"{_iso(prev[TS], meter)}; check the digits you read{digits}, or if the meter "
                  "was replaced, declare the meter change to the utility")  # fmt: skip
        return ApiError(422, "Index below the previous read", detail,
                        extra={"previous_index": float(prev[INDEX]),
                               "previous_timestamp": _iso(prev[TS], meter)})  # fmt: skip
    if len(later) and index > later[INDEX].iloc[0]:
        nxt = later.iloc[0]
        detail = (f"{told} is above the later read {nxt[INDEX]:g} {unit} at {_iso(nxt[TS], meter)}; "
                  f"check the digits you read{digits}")  # fmt: skip
        return ApiError(422, "Index above a later read", detail,
                        extra={"next_index": float(nxt[INDEX]), "next_timestamp": _iso(nxt[TS], meter)})  # fmt: skip
    detail = (f"{told} does not fit the reads around it (validation excludes it as a glitch); "
              f"check the digits you read{digits}")  # fmt: skip
    return ApiError(422, "Index contradicted by the reads around it", detail)


def _iso(ts: pd.Timestamp, meter: Meter) -> str:
    return pd.Timestamp(ts).tz_convert(meter.timezone).isoformat()
