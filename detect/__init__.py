"""Anomaly detectors: pure functions from a meter's reads, findings and events to
anomaly episodes, and the alert lifecycle that turns episodes into alerts."""

from detect.all import DetectSettings, detect_all
from detect.burst import BurstSettings, detect_burst
from detect.continuous_flow import ContinuousFlowSettings, detect_continuous_flow
from detect.episode import ANOMALY_TYPES, CUSTOMER_FACING, Episode, Meter, Tariff
from detect.lifecycle import Alert, AlertChange, LifecycleSettings, plan_alerts
from detect.meter_alarm import MeterAlarmSettings, detect_meter_alarm
from detect.no_data import NoDataSettings, detect_no_data
from detect.overconsumption import OverconsumptionSettings, detect_overconsumption
from detect.reverse_flow import ReverseFlowSettings, detect_reverse_flow
from detect.zero_consumption import ZeroConsumptionSettings, detect_zero_consumption

__all__ = [
    "ANOMALY_TYPES",
    "Alert",
    "AlertChange",
    "LifecycleSettings",
    "plan_alerts",
    "CUSTOMER_FACING",
    "BurstSettings",
    "ContinuousFlowSettings",
    "DetectSettings",
    "Episode",
    "Meter",
    "MeterAlarmSettings",
    "NoDataSettings",
    "OverconsumptionSettings",
    "ReverseFlowSettings",
    "Tariff",
    "ZeroConsumptionSettings",
    "detect_all",
    "detect_burst",
    "detect_continuous_flow",
    "detect_meter_alarm",
    "detect_no_data",
    "detect_overconsumption",
    "detect_reverse_flow",
    "detect_zero_consumption",
]
