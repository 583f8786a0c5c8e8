"""Meter alarms: events the meter reported (LEAK, BURST, DRY, TAMPER, ...), passed
through in the meter's own words."""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core import AnomalyType, Episode, Meter, Severity
from core.columns import CODE, TS
from detect.flows import runs

SEVERITIES = {
    "LEAK": Severity.WARNING,  # water has flowed every hour for a day
    "BURST": Severity.CRITICAL,  # a very high flow for a while
    "DRY": Severity.INFO,  # no water at the meter
    "TAMPER": Severity.WARNING,
    "REVERSE": Severity.WARNING,  # water flowing backwards
}


class MeterAlarmSettings(BaseModel):
    """How meter events become episodes."""

    model_config = ConfigDict(frozen=True)

    group_gap_h: float = Field(
        default=26.0, description="Repeats of a code closer than this are one [h]"
    )
    clear_after_h: float = Field(
        default=26.0, description="Silence of a code after which it ended [h]"
    )
    ignored_codes: tuple[str, ...] = Field(
        default=("OK", "REVERSE"), description="Codes not passed through (REVERSE is reverse_flow)"
    )


def detect_meter_alarm(
    events: pd.DataFrame | None,
    *,
    meter: Meter,
    as_of: pd.Timestamp,
    settings: MeterAlarmSettings | None = None,
) -> list[Episode]:
    """One episode per run of the same meter event code.

    events : DataFrame  Columns ts [UTC], code, raw (the meter's payload text).

    References
    ----------
    .. [1] wmbusmeters, meter status fields (``status``, ``current_status``,
       ``current_alarms``): LEAK, BURST, DRY, REVERSE, TAMPER, as the meter
       (Kamstrup MULTICAL 21, flowIQ) raises them.
    """
    s = settings or MeterAlarmSettings()
    if events is None or events.empty:
        return []
    frame = events.assign(
        **{TS: pd.to_datetime(events[TS], utc=True), CODE: events[CODE].astype(str).str.upper()}
    )
    frame = frame[(frame[TS] <= as_of) & ~frame[CODE].isin(s.ignored_codes)]
    episodes = []
    for code, group in frame.sort_values(TS).groupby(CODE):
        mask = pd.Series(True, index=pd.DatetimeIndex(group[TS]))
        for first, last in runs(mask, pd.Timedelta(hours=s.group_gap_h)):
            raw = str(group.loc[group[TS] == last, "raw"].iloc[-1])
            ended = as_of - last > pd.Timedelta(hours=s.clear_after_h)
            episodes.append(_episode(str(code), first, last if ended else None, raw, meter))
    return episodes


def _episode(
    code: str, first: pd.Timestamp, end: pd.Timestamp | None, raw: str, meter: Meter
) -> Episode:
    severity = SEVERITIES.get(code, Severity.WARNING)
    return Episode(
        meter_id=meter.meter_id,
        type=AnomalyType.METER_ALARM,
        severity=severity,
        start=first,
        end=end,
        confirmed_at=first,
        evidence={"code": code, "raw": raw},
    )
