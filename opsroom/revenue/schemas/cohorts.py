from ninja import Schema


class CohortOut(Schema):
    cohort: str  # YYYY-MM
    size: int
    start_mrr: int
    customer_retention: list[float | None]  # M0..M12, None where the month has not ended
    mrr_retention: list[float | None]
    retained: list[int | None]
    ltv: int


class CohortInsightOut(Schema):
    cohort: str
    age: int
    retention: float
    trend: float
    difference: float
    p_value: float
    test: str
    size: int
    context: list[str]
    action: str


class CohortsOut(Schema):
    basis: str
    channel: str
    plan: str
    currency: str
    cohorts: list[CohortOut]
    insights: list[CohortInsightOut]
