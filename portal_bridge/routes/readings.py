"""``POST /v1/meters/{meter_id}/readings``: a manual index read, validated, stored through
the one write path, and the meter re-estimated at once."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from fastapi import Response

from core import Meter, Quality, Resolution
from core.columns import ESTIMATED_SHARE, START, VOLUME
from core.contracts import Period
from core.units import conversion_factor
from ingest.load import INDEX_DECIMALS, store_readings
from ingest.rows import no_rejections
from portal_bridge.access import MeterAccess, MeterScope
from portal_bridge.manual_reads import judge_read
from portal_bridge.models import CurveChange, Finding, LastRead, ReadingIn, ReadingResult
from portal_bridge.problems import ApiError, unprocessable
from portal_bridge.responses import json_response
from portal_bridge.routing import v1_router
from portal_bridge.times import local, required_local
from portal_bridge.windows import period_ceil, period_floor
from store.audit import durable
from store.bridge import fetch_last_reads, fetch_reads_around
from store.curves import fetch_curve

router = v1_router("readings")
FUTURE_TOLERANCE = pd.Timedelta(minutes=5)  # a phone's clock a little ahead is not the future
NEIGHBOURS = pd.Timedelta(days=120)  # reads around a manual read that validation looks at
SOURCE = "portal"


@router.post("/meters/{meter_id}/readings", response_model=ReadingResult, status_code=201,
             responses={200: {"model": ReadingResult, "description": "Already stored (replay)"},
                        409: {"description": "Another index is stored at that time"}})  # fmt: skip
def submit_reading(scope: MeterAccess, body: ReadingIn) -> Response:
    """Submit the index the customer read; it adjusts the estimated curve at once.

    Refused (422) when below the previous read, contradicted by later reads, in the
    future, outside the token's contract, or in a unit the meter cannot count in;
    accepted but flagged for review when implausibly high for the time elapsed.
    Sending the same read again changes nothing (200).
    """
    meter, now = scope.grant.meter, scope.installation.clock()
    at, index = _checked(scope, body, now)
    around = fetch_reads_around(scope.conn, meter.meter_id, at, NEIGHBOURS)
    stored = around[around["ts"] == at]
    if len(stored):
        return _replay(scope, at, index, float(stored["index"].iloc[0]))
    judgement = judge_read(around, meter, at, index, scope.installation.validation)
    period = next(p for p in scope.periods if p.holds(at))
    window = _window(meter, around, at, now, period)
    before = fetch_curve(scope.conn, meter, Resolution.DAY, start=window[0], end=window[1])
    with durable(scope.conn):
        _store(scope, meter, at, index, body)
        reestimated = scope.installation.reestimate(scope.conn, meter.meter_id, now)
    after = fetch_curve(scope.conn, meter, Resolution.DAY, start=window[0], end=window[1])
    result = ReadingResult(
        meter_id=meter.meter_id, status="stored",
        reading=LastRead(timestamp=required_local(at, meter.timezone), index=index, unit=meter.unit,
                         quality=Quality.CUSTOMER),
        flagged_for_review=judgement.flagged,
        findings=[Finding(code=c, detail=d) for c, d in judgement.findings],
        reestimated=reestimated, last_read=_last_read(scope),
        window_from=local(window[0], meter.timezone), window_to=local(window[1], meter.timezone),
        **_totals(before, "before"), **_totals(after, "after"),
        days=_days(before, after),
    )  # fmt: skip
    return json_response(result, status_code=201)


def _checked(scope: MeterScope, body: ReadingIn, now: pd.Timestamp) -> tuple[pd.Timestamp, float]:
    """The read's instant [UTC] and index in the meter's unit, or a 422 saying what is wrong."""
    meter = scope.grant.meter
    at = pd.Timestamp(body.timestamp)
    at = (
        at.tz_localize(meter.timezone, ambiguous=True, nonexistent="shift_forward")
        if at.tz is None
        else at
    )
    at = at.tz_convert("UTC")
    if at > now + FUTURE_TOLERANCE:
        raise unprocessable("body.timestamp", f"{at.tz_convert(meter.timezone).isoformat()} is in the "
                            "future; give the time the meter was read")  # fmt: skip
    if not any(p.holds(at) for p in scope.periods):
        raise unprocessable("body.timestamp", "is outside your contract period for this meter; "
                            "give a time while the contract runs")  # fmt: skip
    factor = conversion_factor(body.unit, meter.unit)
    if factor is None:
        raise unprocessable("body.unit", f"the meter counts in {meter.unit}; {body.unit} cannot be "
                            f"converted to it: send the index in {meter.unit}")  # fmt: skip
    index = round(body.index * factor, INDEX_DECIMALS)
    if meter.digits is not None and index >= 10.0**meter.digits:
        raise unprocessable("body.index", f"the register has {meter.digits} digits, so the index is "
                            f"below {10**meter.digits:g} {meter.unit}; check the digits you read")  # fmt: skip
    return at, index


def _replay(scope: MeterScope, at: pd.Timestamp, index: float, stored: float) -> Response:
    """The same read again changes nothing (200); another index at that time is a conflict."""
    meter = scope.grant.meter
    if not np.isclose(index, stored, rtol=0, atol=10.0**-INDEX_DECIMALS):
        raise ApiError(409, "Conflict", f"meter {meter.meter_id} already has index {stored:g} "
                       f"{meter.unit} at {at.tz_convert(meter.timezone).isoformat()}; a read cannot "
                       "be replaced: ask the utility to correct it", extra={"stored_index": stored})  # fmt: skip
    last = _last_read(scope)
    result = ReadingResult(
        meter_id=meter.meter_id, status="duplicate",
        reading=LastRead(timestamp=required_local(at, meter.timezone), index=stored,
                         unit=meter.unit, quality=Quality.CUSTOMER),
        flagged_for_review=False, findings=[], reestimated=False, last_read=last,
        window_from=None, window_to=None, volume_before=0.0, volume_after=0.0,
        estimated_share_before=0.0, estimated_share_after=0.0, days=[],
    )  # fmt: skip
    return json_response(result, status_code=200)


def _store(
    scope: MeterScope, meter: Meter, at: pd.Timestamp, index: float, body: ReadingIn
) -> None:
    """Through the one write path, with the quality of a customer's read."""
    raw = json.dumps(body.model_dump(mode="json"))
    frame = pd.DataFrame({"meter_id": [meter.meter_id], "ts": [at], "index": [index],
                          "unit": [meter.unit], "quality": [Quality.CUSTOMER], "source": [SOURCE],
                          "location": [f"{SOURCE}:{meter.meter_id}"], "raw": [raw]})  # fmt: skip
    result = store_readings(scope.conn, frame, no_rejections(), source=SOURCE, location=SOURCE)
    if result.quarantined_total:  # another read landed at that instant meanwhile
        raise ApiError(409, "Conflict", f"meter {meter.meter_id} got another index at "
                       f"{at.tz_convert(meter.timezone).isoformat()} meanwhile; reload and check")  # fmt: skip


def _window(
    meter: Meter, around: pd.DataFrame, at: pd.Timestamp, now: pd.Timestamp, period: Period
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The local days the read reshapes: from the read before it (or the period's start)
    to today, inside the period."""
    earlier = around.loc[around["ts"] < at, "ts"]
    lo = earlier.iloc[-1] if len(earlier) else at
    lo = max(lo, period.start) if period.start is not None else lo
    hi = now if period.end is None else min(now, period.end)
    return (period_floor(lo, Resolution.DAY, meter.timezone),
            period_ceil(max(hi, at), Resolution.DAY, meter.timezone))  # fmt: skip


def _totals(curve: pd.DataFrame, when: str) -> dict[str, float]:
    volume = float(curve[VOLUME].sum())
    estimated = float((curve[VOLUME] * curve[ESTIMATED_SHARE]).sum())
    share = min(max(estimated / volume, 0.0), 1.0) if abs(volume) > 1e-12 else 0.0
    return {f"volume_{when}": volume, f"estimated_share_{when}": round(share, 9)}


def _days(before: pd.DataFrame, after: pd.DataFrame) -> list[CurveChange]:
    merged = before.merge(after, on=START, how="outer", suffixes=("_before", "_after")).fillna(
        {f"{VOLUME}_before": 0.0, f"{VOLUME}_after": 0.0, f"{ESTIMATED_SHARE}_before": 0.0,
         f"{ESTIMATED_SHARE}_after": 0.0})  # fmt: skip
    return [
        CurveChange(
            start=row[START].to_pydatetime(),
            volume_before=row[f"{VOLUME}_before"],
            volume_after=row[f"{VOLUME}_after"],
            estimated_share_before=row[f"{ESTIMATED_SHARE}_before"],
            estimated_share_after=row[f"{ESTIMATED_SHARE}_after"],
        )  # fmt: skip
        for _, row in merged.sort_values(START).iterrows()
    ]


def _last_read(scope: MeterScope) -> LastRead | None:
    meter = scope.grant.meter
    last = fetch_last_reads(scope.conn, meter.meter_id, scope.periods)
    if last is None:
        return None
    return LastRead(timestamp=required_local(last[0], meter.timezone), index=last[1],
                    unit=meter.unit, quality=last[2])  # fmt: skip
