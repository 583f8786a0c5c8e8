"""Anomaly detectors: pure functions from a meter's validated reads, findings and
events to anomaly episodes (``core.Episode``), and the alert lifecycle that turns
episodes into alerts (``core.Alert``)."""

from detect.all import DetectSettings, detect_all
from detect.burst import BurstSettings, detect_burst
from detect.continuous_flow import ContinuousFlowSettings, detect_continuous_flow
from detect.lifecycle import LifecycleSettings, plan_alerts
from detect.meter_alarm import MeterAlarmSettings, detect_meter_alarm
from detect.no_data import NoDataSettings, detect_no_data
from detect.overconsumption import OverconsumptionSettings, detect_overconsumption
from detect.reverse_flow import ReverseFlowSettings, detect_reverse_flow
from detect.zero_consumption import ZeroConsumptionSettings, detect_zero_consumption

__all__ = [
    "BurstSettings",
    "ContinuousFlowSettings",
    "DetectSettings",
    "LifecycleSettings",
    "MeterAlarmSettings",
    "NoDataSettings",
    "OverconsumptionSettings",
    "ReverseFlowSettings",
    "ZeroConsumptionSettings",
    "detect_all",
    "detect_burst",
    "detect_continuous_flow",
    "detect_meter_alarm",
    "detect_no_data",
    "detect_overconsumption",
    "detect_reverse_flow",
    "detect_zero_consumption",
    "plan_alerts",
]
