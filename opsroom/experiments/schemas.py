"""Schemas of the experiments API."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class ComparisonOut(Schema):
    lift: float
    ci_low: float
    ci_high: float
    p_value: float
    chance_to_win: float
    sequential_low: float
    sequential_high: float
    significant_sequentially: bool


class VariantOut(Schema):
    key: str
    is_control: bool
    units: int
    conversions: int
    conversion_rate: float
    per_unit: float
    enough_data: bool
    conversion: ComparisonOut | None
    per_unit_comparison: ComparisonOut | None


class ExperimentOut(Schema):
    key: str
    name: str
    flag: str
    status: str
    primary_metric: str
    control_variant: str
    started_at: datetime | None
    computed_at: datetime | None
    variants: list[VariantOut]
    sample_ratio_p_value: float | None
    sample_ratio_mismatch: bool
    multiple_exposures: int
    units_per_day: float
    days_to_decision: float | None
    decided: bool


class SampleSizeOut(Schema):
    per_variant: int
    total: int
    days: int | None


class FlagOut(Schema):
    key: str
    enabled: bool
    variants: list[dict[str, Any]]
    default_variant: str
    rules: list[dict[str, Any]]
    rollout_percent: int
    version: int
    updated_at: str


class FlagsOut(Schema):
    etag: str
    flags: list[FlagOut]


class FlagChangeIn(Schema):
    enabled: bool | None = None
    rollout_percent: int | None = Field(default=None, ge=0, le=100)
    rules: list[dict[str, Any]] | None = None
    default_variant: str | None = Field(default=None, max_length=64)


class RolloutIn(Schema):
    stages: list[int] = Field(default=[10, 25, 50, 100], min_length=1, max_length=10)
    stage_minutes: int = Field(ge=5, le=43200)
    alpha: float = Field(default=0.05, gt=0, le=0.2)


class RolloutOut(Schema):
    id: int
    flag: str
    status: str
    stages: list[int]
    percent: int
    stage_minutes: int
    started_at: datetime
    finished_at: datetime | None
    reason: str
    guardrail: dict[str, Any]


class FlagSimulateIn(Schema):
    user_id: str = Field(min_length=1, max_length=128)
    enabled: bool | None = None
    rollout_percent: int | None = Field(default=None, ge=0, le=100)
    rules: list[dict[str, Any]] | None = None
    default_variant: str | None = Field(default=None, max_length=64)


class EvaluationOut(Schema):
    variant: str
    reason: str


class FlagSimulationOut(Schema):
    user_id: str
    current: EvaluationOut
    proposed: EvaluationOut | None
    changes: bool
