"""Items about errors and API calls the host app served."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic import StringConstraints as S

from opsroom.ingest.schemas.fields import (
    Count,
    Currency,
    Happened,
    HttpMethod,
    ItemIn,
    Key,
    Milliseconds,
    Required100,
    Required200,
    Required500,
    Text64,
    Text100,
    Text128,
    Text200,
    Text300,
    Text500,
    TextLong,
)


class ErrorIn(ItemIn):
    """One occurrence of an error, by its event id."""

    event_id: Key
    title: Required500
    occurred_at: Happened
    fingerprint: Text200 | None = Field(
        default=None, description="Groups occurrences of one bug; defaults to issue_id or title."
    )
    issue_id: Text128 | None = None
    message: TextLong | None = None
    level: Literal["debug", "info", "warning", "error", "fatal"] | None = None
    endpoint: Text200 | None = None
    release: Text100 | None = None
    environment: Text64 | None = None
    user_id: Key | None = None
    tags: dict[str, Any] | None = None


SPANS_MAX = 200  # telemetry.spans.SPANS_MAX


class QuerySpanIn(BaseModel):
    """One database query a request ran: its SQL (Opsroom replaces the values) or your own
    fingerprint of it, and how long it took."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sql: Annotated[str, S(min_length=1, max_length=2000)] | None = Field(
        default=None, description="The query, normalised or as run; values are replaced by ?"
    )
    fingerprint: Annotated[str, S(min_length=1, max_length=64)] | None = Field(
        default=None, description="Your id for similar queries; else computed from `sql`"
    )
    duration_ms: Milliseconds

    @model_validator(mode="after")
    def _sql_or_fingerprint(self) -> "QuerySpanIn":
        if self.sql is None and self.fingerprint is None:
            raise ValueError("a span needs `sql` or `fingerprint`")
        return self


class ApiRequestIn(ItemIn):
    """One API call the host app served, by its request id. Bodies are stored redacted."""

    request_id: Key
    method: HttpMethod
    route: Required200
    status: Annotated[int, Field(ge=100, le=599)]
    duration_ms: Milliseconds
    occurred_at: Happened
    user_id: Key | None = None
    path: Text500 | None = None
    query_count: Count | None = Field(
        default=None, description="Queries the request ran; defaults to the spans sent"
    )
    db_time_ms: Milliseconds | None = None
    external_time_ms: Milliseconds | None = Field(
        default=None, description="Time spent calling other services (HTTP, cache, queues)"
    )
    action: Text100 | None = Field(
        default=None, description="The user action or screen behind the call, e.g. checkout.pay"
    )
    spans: Annotated[list[QuerySpanIn], Field(max_length=SPANS_MAX)] | None = Field(
        default=None, description=f"Up to {SPANS_MAX} of the request's database queries"
    )
    request_body: str | dict[str, Any] | list[Any] | None = None
    response_body: str | dict[str, Any] | list[Any] | None = None
    user_agent: Text300 | None = None
    release: Text100 | None = None

    @field_validator("spans")
    @classmethod
    def _no_more_spans_than_queries(
        cls, spans: list[QuerySpanIn] | None, info: ValidationInfo
    ) -> list[QuerySpanIn] | None:
        count = info.data.get("query_count")
        if spans and count is not None and count < len(spans):
            raise ValueError(f"holds {len(spans)} spans but query_count is {count}")
        return spans


class AiUsageIn(ItemIn):
    """One call the host app made to an AI model, by its usage id: tokens and cost."""

    usage_id: Key
    occurred_at: Happened
    model: Required100 = Field(description="The AI model called, e.g. gpt-4o-mini")
    cost: Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)] = Field(
        description="What the call cost, in `currency` units (not minor units): 0.0042"
    )
    currency: Currency = "usd"
    input_tokens: Count = 0
    output_tokens: Count = 0
    endpoint: Text200 | None = Field(
        default=None, description="The host app's route that made the call (method and path)"
    )
    feature: Text100 | None = None
    user_id: Key | None = None
