"""The bridge's request and response bodies: every answer is one of these typed models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core import (
    AlertStatus,
    AnomalyType,
    Channel,
    Language,
    MeterKind,
    Method,
    Resolution,
    Severity,
)
from core.units import Unit

CurveQuality = Literal["actual", "estimated"]
# a Method, as a plain string: curves carry thousands and the store already spells them
MethodName = Annotated[str, Field(json_schema_extra={"enum": [str(m) for m in Method]})]
ReadQuality = Literal["actual", "customer", "estimated"]


class Model(BaseModel):
    """Base of the bodies: unknown fields in a request are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class LastRead(Model):
    """A meter's last read."""

    timestamp: datetime = Field(description="When it was read, with the meter's offset")
    index: float = Field(description="The register as read [meter unit]")
    unit: str
    quality: ReadQuality = Field(description="actual, customer (submitted) or estimated")


class PeriodOut(Model):
    """When an account may read a meter: the span of one contract."""

    contract_id: str | None
    start: datetime | None = Field(description="Start; null: since the meter's first read")
    end: datetime | None = Field(description="End (exclusive); null: still running")


class MeterOut(Model):
    """One meter of an account."""

    meter_id: str
    kind: MeterKind
    unit: str
    site_id: str | None
    timezone: str
    periods: list[PeriodOut] = Field(description="When this account may read the meter")
    active: bool = Field(description="Whether one of the periods is running now")
    last_read: LastRead | None = Field(description="The last read inside those periods")


class ContractOut(Model):
    """A contract of the account: active, or archived once ended."""

    contract_id: str
    site_id: str | None
    start: datetime | None
    end: datetime | None
    status: Literal["active", "archived", "future"]


class AccountMeters(Model):
    """An account's sites, contracts and meters."""

    account_id: str
    sites: list[str]
    contracts: list[ContractOut]
    meters: list[MeterOut]


class CurvePoint(Model):
    """One period of a curve (PRODUCT.md curve contract)."""

    start: datetime = Field(description="Start of the local calendar period, with its offset")
    volume: float = Field(description="Consumption over the period [unit]")
    unit: str
    energy_kwh: float | None = Field(None, description="Gas energy over the period [kWh]")
    quality: CurveQuality
    estimated_share: float = Field(ge=0, le=1, description="Part of the volume estimated [0-1]")
    method: MethodName = Field(description="How the volume was measured or estimated")
    partial: bool = Field(False, description="Cut at a contract boundary: part of the period")


class ComparePoint(CurvePoint):
    """A period a year earlier, with the start of the period it compares with."""

    aligned_start: datetime = Field(description="This start a year later, local calendar")


class Curve(Model):
    """A meter's curve over ``[from, to)``, one page of it."""

    meter_id: str
    resolution: Resolution
    unit: str
    timezone: str
    from_: datetime = Field(alias="from", description="Start of this page")
    to: datetime = Field(description="End (exclusive) of this page")
    points: list[CurvePoint]
    next_cursor: str | None = Field(description="Pass as cursor= for the next page; null: last")
    previous_year: list[ComparePoint] | None = Field(
        None, description="With compare=previous_year: the same periods a year earlier"
    )


class SiteCurve(Model):
    """The part of an account curve on one site."""

    site_id: str | None
    meters: list[str]
    points: list[CurvePoint]


class AccountCurve(Model):
    """An account's meters of one kind summed, in m3 (and kWh for gas)."""

    account_id: str
    kind: MeterKind
    resolution: Resolution
    unit: Literal["m3"]
    timezone: str
    from_: datetime = Field(alias="from")
    to: datetime
    meters: list[str]
    points: list[CurvePoint]
    next_cursor: str | None
    previous_year: list[ComparePoint] | None = None
    sites: list[SiteCurve] | None = Field(None, description="With by=site: each site's part")


class AlertOut(Model):
    """An alert (PRODUCT.md alert contract) with its message in the account's language."""

    id: int
    meter_id: str
    type: AnomalyType
    severity: Severity
    status: AlertStatus
    start: datetime
    end: datetime | None
    detected_at: datetime
    evidence: dict[str, Any] = Field(description="The numbers behind the alert, as stored")
    message: str | None = Field(description="The alert told in `language`")
    language: Language
    estimated_volume_m3: float | None
    estimated_cost_eur: float | None
    legally_notifiable: bool


class Alerts(Model):
    """A meter's alerts."""

    meter_id: str
    alerts: list[AlertOut]


class Acknowledged(Model):
    """An alert after acknowledgement."""

    alert: AlertOut
    previous_status: AlertStatus


class ReadingIn(Model):
    """A manual index read: what the customer saw on the meter."""

    timestamp: datetime = Field(
        description="When it was read, ISO 8601 (without an offset: the meter's local time)"
    )
    index: float = Field(ge=0, le=1e15, allow_inf_nan=False, description="The register [unit]")
    unit: Unit = Field(description="m3, L, kWh or Wh")


class Finding(Model):
    """What validation found about the read."""

    code: str
    detail: str


class CurveChange(Model):
    """One day's consumption before and after the read was taken into account."""

    start: datetime
    volume_before: float
    volume_after: float
    estimated_share_before: float
    estimated_share_after: float


class ReadingResult(Model):
    """What became of a manual read, and what it changed."""

    meter_id: str
    status: Literal["stored", "duplicate"]
    reading: LastRead
    flagged_for_review: bool = Field(description="Accepted, but a person will check it")
    findings: list[Finding]
    reestimated: bool = Field(description="Whether the curve was re-estimated at once")
    last_read: LastRead | None
    window_from: datetime | None = Field(description="Start of the days the read reshaped")
    window_to: datetime | None
    volume_before: float = Field(description="Consumption of the window before [meter unit]")
    volume_after: float
    estimated_share_before: float = Field(ge=0, le=1)
    estimated_share_after: float = Field(ge=0, le=1)
    days: list[CurveChange]


class IndexOut(Model):
    """A meter's register at an instant, as read or estimated from the curve."""

    meter_id: str
    at: datetime
    index: float = Field(description="The register [unit], as the meter would have shown it")
    unit: str
    quality: Literal["actual", "estimated"]
    method: Method
    read_before: datetime | None
    read_after: datetime | None


class MeterProjection(Model):
    """One meter's contract year, projected."""

    meter_id: str
    unit: str
    year_start: datetime
    year_end: datetime
    consumed: float = Field(description="From the year start to now [unit]")
    remaining: float = Field(description="Projected to the year end [unit]")
    total: float
    cost_eur: float
    monthly_instalment_eur: float = Field(description="The equal instalment covering the year")
    method: str = Field(description="previous_year or seasonal_adl")
    estimated_share: float = Field(ge=0, le=1, description="Part of the total resting on estimates")


class Projection(Model):
    """An account's projected contract years and the instalments that avoid an adjustment."""

    account_id: str
    as_of: datetime
    meters: list[MeterProjection]
    cost_eur: float
    monthly_instalment_eur: float
    estimated_share: float = Field(ge=0, le=1)
    refused: dict[str, str] = Field(description="Meters without a projection, and why")


class PreferenceIn(Model):
    """How the account wants to be told on one channel."""

    channel: Channel
    address: str = Field(min_length=1, max_length=2048, description="e-mail, +E.164 or https URL")
    language: Language = Language.FR
    min_severity: Severity = Severity.INFO
    quiet_hours: str | None = Field(None, description="Local HH:MM-HH:MM, e.g. 22:00-07:00")
    opt_out: list[AnomalyType] = Field(default_factory=list, description="Types not wanted")


class Preferences(Model):
    """An account's notification preferences, one per channel."""

    account_id: str | None = None
    preferences: list[PreferenceIn] = Field(max_length=len(Channel))


class ErasureOut(Model):
    """The record of an account's erasure."""

    account_id: str
    erased_at: datetime
    requested_by: str
    meters_unlinked: int
    contracts_anonymised: int
    preferences_deleted: int
    already_erased: bool = Field(description="True when this request found it already done")


class Health(Model):
    """Whether the bridge can serve."""

    status: Literal["ok", "unavailable"]
    store: bool = Field(description="The store answered")
    migrations_current: bool
    missing_migrations: list[int]
