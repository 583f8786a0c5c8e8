"""Every detector on one meter."""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core import Episode, Meter, Tariff
from detect.burst import BurstSettings, detect_burst
from detect.continuous_flow import ContinuousFlowSettings, detect_continuous_flow
from detect.features import MeterSeries
from detect.flows import register_litres
from detect.meter_alarm import MeterAlarmSettings, detect_meter_alarm
from detect.no_data import NoDataSettings, detect_no_data
from detect.overconsumption import OverconsumptionSettings, detect_overconsumption
from detect.reverse_flow import ReverseFlowSettings, detect_reverse_flow
from detect.zero_consumption import ZeroConsumptionSettings, detect_zero_consumption


class DetectSettings(BaseModel):
    """Settings of every detector."""

    model_config = ConfigDict(frozen=True)

    continuous_flow: ContinuousFlowSettings = Field(
        default_factory=lambda: ContinuousFlowSettings(), description="Leak detector"
    )
    burst: BurstSettings = Field(
        default_factory=lambda: BurstSettings(), description="Burst detector"
    )
    overconsumption: OverconsumptionSettings = Field(
        default_factory=lambda: OverconsumptionSettings(), description="Over-consumption detector"
    )
    zero_consumption: ZeroConsumptionSettings = Field(
        default_factory=lambda: ZeroConsumptionSettings(), description="Zero-consumption detector"
    )
    reverse_flow: ReverseFlowSettings = Field(
        default_factory=lambda: ReverseFlowSettings(), description="Reverse-flow detector"
    )
    no_data: NoDataSettings = Field(
        default_factory=lambda: NoDataSettings(), description="Silence detector"
    )
    meter_alarm: MeterAlarmSettings = Field(
        default_factory=lambda: MeterAlarmSettings(), description="Meter event pass-through"
    )
    explained_overconsumption: bool = Field(
        default=True,
        description="Drop over-consumption a leak or burst already explains (never a legal notice)",
    )


def detect_all(
    reads: pd.DataFrame,
    *,
    meter: Meter,
    as_of: pd.Timestamp,
    findings: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    tariff: Tariff | None = None,
    settings: DetectSettings | None = None,
) -> list[Episode]:
    """Run every detector on one meter's validated reads, findings and events."""
    s = settings or DetectSettings()
    as_of = pd.Timestamp(as_of).tz_convert("UTC")
    # the register, cadence, resolution and daily volumes, once for every detector
    series = MeterSeries(register_litres(reads, meter, as_of), meter)
    leaks = detect_continuous_flow(
        reads, meter=meter, as_of=as_of, tariff=tariff, settings=s.continuous_flow, series=series
    )
    bursts = detect_burst(
        reads, meter=meter, as_of=as_of, tariff=tariff, settings=s.burst, series=series
    )
    over = detect_overconsumption(
        reads, meter=meter, as_of=as_of, tariff=tariff, settings=s.overconsumption, series=series
    )
    if s.explained_overconsumption:
        # the loi Warsmann notice is owed whatever explains the volume: a leak most of all
        over = [
            e
            for e in over
            if e.legally_notifiable or not any(e.overlaps(x, as_of) for x in leaks + bursts)
        ]
    return [
        *leaks,
        *bursts,
        *over,
        *detect_zero_consumption(
            reads, meter=meter, as_of=as_of, settings=s.zero_consumption, series=series
        ),
        *detect_reverse_flow(
            reads,
            meter=meter,
            as_of=as_of,
            findings=findings,
            events=events,
            settings=s.reverse_flow,
            series=series,
        ),
        *detect_no_data(reads, meter=meter, as_of=as_of, settings=s.no_data),
        *detect_meter_alarm(events, meter=meter, as_of=as_of, settings=s.meter_alarm),
    ]
