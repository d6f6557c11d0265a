"""API requests with the time split, the user action and per-query spans: stored fingerprinted,
optional (items without them still work), and every bad part rejected with its field."""

from datetime import UTC, datetime, timedelta

import pytest

from opsroom.core import clock
from opsroom.telemetry.models import ApiRequest
from opsroom.telemetry.spans import sql_fingerprint

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock():
    with clock.clock_frozen_at(NOW):
        yield


def _request(request_id="req_1", **extra):
    return {
        "request_id": request_id,
        "method": "GET",
        "route": "/api/feed",
        "status": 200,
        "duration_ms": 180.0,
        "occurred_at": (NOW - timedelta(hours=1)).isoformat(),
        **extra,
    }


def _rejected(answer):
    return [(r["index"], r["field"], r["reason"]) for r in answer["rejected"]]


def test_the_split_action_and_spans_are_stored(ingest):
    template = "SELECT * FROM recipe WHERE author_id = {0} AND email = 'p{0}@x.io'"
    spans = [{"sql": template.format(i), "duration_ms": 2.5} for i in range(11)]
    spans.append({"fingerprint": "feed.count", "duration_ms": 4.0})
    answer = ingest.ok(
        "api-requests",
        [
            _request(
                db_time_ms=31.5,
                external_time_ms=90.0,
                action="feed.open",
                spans=spans,
            )
        ],
    )
    assert answer["counts"]["created"] == 1
    stored = ApiRequest.objects.get()
    assert (stored.db_time_ms, stored.external_time_ms, stored.action) == (31.5, 90.0, "feed.open")
    assert stored.other_time_ms == pytest.approx(180.0 - 31.5 - 90.0)
    assert stored.query_count == 12  # none sent: the spans counted
    assert stored.repeated_queries == 11
    normalised = "SELECT * FROM recipe WHERE author_id = ? AND email = ?"
    assert stored.repeated_fingerprint == sql_fingerprint(normalised)
    assert stored.spans[0] == {"fp": sql_fingerprint(normalised), "sql": normalised, "ms": 2.5}
    assert "p1@x.io" not in str(stored.spans)  # the values never reach the database
    assert stored.spans[-1] == {"fp": "feed.count", "sql": "", "ms": 4.0}


def test_items_without_the_new_fields_are_stored_as_before(ingest):
    ingest.ok("api-requests", [_request(query_count=7, db_time_ms=12.0)])
    stored = ApiRequest.objects.get()
    assert (stored.query_count, stored.spans, stored.repeated_queries) == (7, [], None)
    assert (stored.external_time_ms, stored.action) == (None, "")
    assert stored.other_time_ms == 168.0


def test_a_sent_query_count_may_exceed_the_spans_sent(ingest):
    ingest.ok(
        "api-requests", [_request(query_count=500, spans=[{"sql": "SELECT 1", "duration_ms": 1}])]
    )
    assert ApiRequest.objects.get().query_count == 500


@pytest.mark.parametrize(
    ("extra", "field", "reason"),
    [
        (
            {"spans": [{"sql": "SELECT 1", "duration_ms": 1}] * 201},
            "spans",
            "List should have at most 200 items after validation, not 201",
        ),
        ({"spans": [{"duration_ms": 1}]}, "spans.0", "a span needs `sql` or `fingerprint`"),
        (
            {"spans": [{"sql": "SELECT 1", "duration_ms": -1}]},
            "spans.0.duration_ms",
            "Input should be greater than or equal to 0",
        ),
        ({"spans": [{"sql": "SELECT 1"}]}, "spans.0.duration_ms", "Field required"),
        (
            {"spans": [{"sql": "SELECT 1", "duration_ms": 1, "rows": 3}]},
            "spans.0.rows",
            "Extra inputs are not permitted",
        ),
        (
            {"spans": [{"sql": "x" * 2001, "duration_ms": 1}]},
            "spans.0.sql",
            "String should have at most 2000 characters",
        ),
        (
            {"spans": [{"fingerprint": "f" * 65, "duration_ms": 1}]},
            "spans.0.fingerprint",
            "String should have at most 64 characters",
        ),
        ({"spans": {"sql": "SELECT 1"}}, "spans", "Input should be a valid list"),
        (
            {"query_count": 1, "spans": [{"sql": "SELECT 1", "duration_ms": 1}] * 2},
            "spans",
            "holds 2 spans but query_count is 1",
        ),
        (
            {"external_time_ms": -5},
            "external_time_ms",
            "Input should be greater than or equal to 0",
        ),
        (
            {"external_time_ms": "slow"},
            "external_time_ms",
            "Input should be a valid number, unable to parse string as a number",
        ),
        ({"action": "a" * 101}, "action", "String should have at most 100 characters"),
    ],
    ids=[
        "too-many-spans",
        "span-without-query",
        "negative-span",
        "span-without-duration",
        "unknown-span-field",
        "long-sql",
        "long-fingerprint",
        "spans-not-a-list",
        "more-spans-than-queries",
        "negative-external",
        "external-not-a-number",
        "long-action",
    ],
)
def test_bad_performance_data_rejects_the_item_with_its_field(ingest, extra, field, reason):
    answer = ingest.ok("api-requests", [_request(**extra), _request("req_ok")])
    assert _rejected(answer) == [(0, field, reason)]
    assert list(ApiRequest.objects.values_list("request_id", flat=True)) == ["req_ok"]


def test_a_span_with_a_nul_character_is_rejected(ingest):
    answer = ingest.ok("api-requests", [_request(spans=[{"sql": "SELECT \x00", "duration_ms": 1}])])
    assert answer["counts"]["rejected"] == 1
    assert not ApiRequest.objects.exists()


def test_a_body_that_is_not_a_list_is_a_400(ingest):
    response = ingest.post("api-requests", _request(spans=[]))
    assert response.status_code == 400
