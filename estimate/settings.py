"""Thresholds of validation and estimation: explicit, described, overridable."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ValidationSettings(BaseModel):
    """How an index series is checked before consumption is derived from it."""

    model_config = ConfigDict(frozen=True)

    glitch_max_reads: int = Field(
        default=6,
        ge=1,
        description="Longest run of reads [reads] that may be excluded as one glitch.",
    )
    glitch_rate_factor: float = Field(
        default=50.0,
        gt=0,
        description="Multiple of the series' median hourly rate above which a jump is implausible",
    )
    off_cadence_ratio: float = Field(
        default=0.2,
        gt=0,
        lt=1,
        description="An interval shorter than this fraction of the usual interval is reported.",
    )
    min_reads_for_cadence: int = Field(
        default=10, ge=3, description="Reads [reads] needed before cadence problems are reported."
    )


class EstimationSettings(BaseModel):
    """How consumption is apportioned over hours and gaps are filled."""

    model_config = ConfigDict(frozen=True)

    measured_max_gap_h: float = Field(
        default=1.5,
        gt=0,
        description="Intervals between reads up to this length [h] count as measured.",
    )
    on_edge_s: float = Field(
        default=60.0,
        ge=0,
        lt=1800,
        description="Reads this close to an hour's edge count as on it [s]",
    )
    short_gap_max_h: float = Field(
        default=3.0,
        gt=0,
        description="Gaps up to this length [h] are filled linearly in the index.",
    )
    profile_lookback_days: int = Field(
        default=28,
        ge=1,
        description="History [d] on each side of a gap used for the like-day profile.",
    )
    profile_min_days: float = Field(
        default=7.0,
        gt=0,
        description="Measured history [d] needed before the meter's own profile is used.",
    )
    profile_sharpness: float = Field(
        default=1.0,
        gt=0,
        description="Exponent of the like-day profile: above 1 concentrates a gap in the usual hours",
    )
    profile_clip_quantile: float = Field(
        default=0.95,
        gt=0,
        le=1,
        description="Quantile of the history's hourly volumes above which they are clipped [0-1]",
    )
    profile_recency_days: float | None = Field(
        default=None,
        gt=0,
        description="Half-life of a history hour's weight by its distance to the gap [d]; None: even",
    )
    weekday_shrink: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Pull of each weekday-and-hour cell towards the all-days average of its hour.",
    )
    weekday_level_shrink: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Pull of each weekday's daily total towards the all-days average.",
    )
    neighbour_level_weight: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Weight of the ramp between the levels around a gap against the like-day level [0-1]",
    )
    neighbour_days: float = Field(
        default=2.0, gt=0, description="Days [d] before and after a gap giving its levels."
    )
    seasonal_min_gap_days: float = Field(
        default=28.0,
        gt=0,
        description="Gaps longer than this [d] are also shaped by the seasonal profile.",
    )
    prospective_lookback_days: int = Field(
        default=28,
        ge=1,
        description="History [d] before the last read used for the prospective estimate.",
    )
