from datetime import datetime

from ninja import Schema


class ReasonOut(Schema):
    code: str
    bucket: str
    cases: int


class RetryStepOut(Schema):
    retry: int
    day: int | None
    reached: int
    recovered: int


class DunningStepOut(Schema):
    template: str
    day: int
    sent: int
    opened: int
    updated: int


class CaseOut(Schema):
    person_id: int
    first_failed_at: datetime
    decline_code: str
    bucket: str
    failures: int
    amount: int
    mrr: int
    currency: str


class PaymentHealthOut(Schema):
    since: datetime
    failures: int
    failed_attempts: int
    reasons: list[ReasonOut]
    buckets: dict[str, int]
    open_cases: int
    mrr_at_risk: dict[str, int]
    recovered: int
    lost: int
    recovery_rate: float | None
    recovered_amount: dict[str, int]
    retries: list[RetryStepOut]
    dunning: list[DunningStepOut]
    retry_days: list[int]
    opsroom_retries: bool
    manual_cases: list[CaseOut]
