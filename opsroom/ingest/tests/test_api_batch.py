"""The batch API's contract, shown on the events endpoint: auth, limits, per-item validation."""

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from opsroom.core import clock
from opsroom.ingest.batch import MAX_ITEMS
from opsroom.ingest.tests.conftest import IngestClient, key_issue
from opsroom.people.models import ActivityDaily, Event, Person
from opsroom.telemetry.models import IntegrationDelivery

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with clock.clock_frozen_at(NOW):
        yield


def event(i=0, user="u1", **fields):
    item = {
        "user_id": user,
        "name": "recipe_saved",
        "occurred_at": (NOW - timedelta(hours=1, minutes=i)).isoformat(),
        "idempotency_key": f"k{i}",
    }
    item.update(fields)
    return item


@pytest.mark.django_db
def test_a_batch_is_stored_and_answered_with_counts(ingest):
    answer = ingest.ok("events", [event(0), event(1), event(2, user="u2")])
    assert answer == {
        "counts": {
            "received": 3,
            "accepted": 3,
            "rejected": 0,
            "created": 3,
            "updated": 0,
            "unchanged": 0,
        },
        "accepted": [0, 1, 2],
        "rejected": [],
    }
    assert Event.objects.count() == 3
    assert ActivityDaily.objects.get(person__external_id="u1").count == 2


@pytest.mark.django_db
def test_resending_a_batch_changes_nothing(ingest):
    ingest.ok("events", [event(0), event(1)])
    answer = ingest.ok("events", [event(0), event(1)])
    assert answer["counts"]["created"] == 0
    assert answer["counts"]["unchanged"] == 2
    assert Event.objects.count() == 2
    assert ActivityDaily.objects.get().count == 2


@pytest.mark.django_db
def test_a_bad_item_is_refused_alone_with_its_index_field_and_reason(ingest):
    items = [
        event(0),
        event(1, occurred_at="2026-03-10T09:00:00"),  # no time zone
        event(2, occurred_at=(NOW + timedelta(days=2)).isoformat()),
        event(3, name=""),
        "not an object",
        event(5, colour="red"),
        event(6),
    ]
    answer = ingest.ok("events", items)
    assert answer["accepted"] == [0, 6]
    assert [(r["index"], r["field"]) for r in answer["rejected"]] == [
        (1, "occurred_at"),
        (2, "occurred_at"),
        (3, "name"),
        (4, ""),
        (5, "colour"),
    ]
    reasons = {r["index"]: r["reason"] for r in answer["rejected"]}
    assert "timezone" in reasons[1]
    assert reasons[2] == "is more than a day in the future"
    assert reasons[4] == "must be a JSON object"
    assert answer["counts"]["rejected"] == 5
    assert sorted(Event.objects.values_list("idempotency_key", flat=True)) == ["k0", "k6"]


@pytest.mark.django_db
def test_a_timestamp_up_to_a_day_ahead_is_accepted(ingest):
    answer = ingest.ok("events", [event(0, occurred_at=(NOW + timedelta(hours=23)).isoformat())])
    assert answer["accepted"] == [0]


@pytest.mark.django_db
def test_a_nul_character_anywhere_refuses_the_item(ingest):
    answer = ingest.ok("events", [event(0, properties={"a": {"b": ["ok", "x\x00"]}}), event(1)])
    assert answer["rejected"] == [
        {"index": 0, "field": "properties.a.b.1", "reason": "must not contain a NUL character"}
    ]
    assert answer["accepted"] == [1]


@pytest.mark.django_db
def test_an_unknown_user_becomes_a_placeholder(ingest):
    ingest.ok("events", [event(0, user="brand-new")])
    person = Person.objects.get(external_id="brand-new")
    assert person.is_placeholder
    assert person.last_seen_at == NOW - timedelta(hours=1)


@pytest.mark.django_db
def test_events_without_a_key_are_deduplicated_by_content(ingest):
    item = event(0)
    del item["idempotency_key"]
    ingest.ok("events", [item, item])
    ingest.ok("events", [item])
    assert Event.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (b"", 400, "JSON array"),
        (b"{not json", 400, "not valid JSON"),
        (b'{"user_id": "u1"}', 400, "must be a JSON array"),
        (b"[NaN]", 400, "not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, 400, "not valid JSON"),
    ],
    ids=["empty", "broken", "object", "nan", "too-deep"],
)
def test_a_body_that_is_not_a_json_array_is_refused(ingest, body, status, detail):
    response = ingest.post("events", body)
    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_more_than_the_item_limit_is_refused_with_413(ingest):
    response = ingest.post("events", [event(i) for i in range(MAX_ITEMS + 1)])
    assert response.status_code == 413
    assert "at most 10,000" in response.json()["detail"]
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_a_body_over_the_byte_limit_is_refused_before_it_is_parsed(ingest, settings):
    settings.OPSROOM_INGEST_MAX_BYTES = 1000
    response = ingest.post("events", [event(i) for i in range(20)])
    assert response.status_code == 413
    assert "at most 1,000 bytes" in response.json()["detail"]
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_a_batch_larger_than_the_page_upload_limit_is_read(ingest, settings):
    # Pages read at most DATA_UPLOAD_MAX_MEMORY_SIZE; a batch has its own, larger limit.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    answer = ingest.ok("events", [event(i) for i in range(20)])
    assert answer["counts"]["accepted"] == 20


@pytest.mark.django_db
@pytest.mark.parametrize("scopes", [None, ["read"]], ids=["no-key", "read-key"])
def test_only_a_key_with_the_ingest_scope_may_send(staff_admin, scopes):
    client = IngestClient(key_issue(staff_admin, scopes) if scopes else "opk_nope_nope")
    response = client.post("events", [event(0)])
    assert response.status_code == 401
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_an_admin_key_may_send(staff_admin):
    client = IngestClient(key_issue(staff_admin, ["admin"]))
    assert client.ok("events", [event(0)])["accepted"] == [0]


@pytest.mark.django_db
def test_a_staff_session_is_not_an_ingest_credential(staff_admin):
    from conftest import signed_in

    response = signed_in(staff_admin).post(
        "/api/v1/ingest/events", data=orjson.dumps([event(0)]), content_type="application/json"
    )
    assert response.status_code == 401


@pytest.mark.django_db
def test_each_batch_is_logged_as_a_delivery(ingest):
    ingest.ok("events", [event(0), event(1, name="")])
    delivery = IntegrationDelivery.objects.get()
    assert (delivery.source, delivery.event_type) == ("api", "events")
    assert delivery.outcome == "processed"
    assert delivery.payload["accepted"] == 1
    assert delivery.payload["rejections"][0]["field"] == "name"
