"""Schemas of the experiments API."""

from datetime import datetime

from ninja import Schema


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
