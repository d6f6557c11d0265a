"""The batch API at its edges: nesting and size limits per item, secrets redacted on the way
in, and the API key behind each write on its delivery."""

from datetime import UTC, datetime, timedelta

import pytest

from opsroom.core import clock
from opsroom.core.redaction import REDACTED
from opsroom.ingest.tests.conftest import IngestClient, key_issue
from opsroom.people.models import Event, Person
from opsroom.telemetry.models import ApiRequest, ErrorEvent, IntegrationDelivery

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
AT = (NOW - timedelta(hours=1)).isoformat()
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock():
    with clock.clock_frozen_at(NOW):
        yield


def nested(levels: int) -> str:
    """JSON text of an object nested `levels` deep (orjson refuses to write one this deep)."""
    return '{"a":' * (levels - 1) + '{"leaf":1}' + "}" * (levels - 1)


def raw_batch(items: list[str]) -> bytes:
    return ("[" + ",".join(items) + "]").encode()


@pytest.mark.parametrize("levels", [25, 400, 900, 1010], ids=lambda n: f"{n}-levels")
def test_a_too_deep_item_is_refused_alone_and_the_rest_of_the_batch_lands(ingest, levels):
    items = [
        '{"user_id": "ok1", "attributes": ' + nested(5) + "}",
        '{"user_id": "deep", "attributes": ' + nested(levels) + "}",
        '{"user_id": "ok2"}',
    ]
    answer = ingest.ok("people", raw_batch(items))
    assert answer["accepted"] == [0, 2]
    assert answer["rejected"] == [
        {"index": 1, "field": "attributes", "reason": "nests deeper than 20 levels"}
    ]
    assert set(Person.objects.values_list("external_id", flat=True)) == {"ok1", "ok2"}


def test_an_item_with_too_many_values_is_refused_alone(ingest):
    items = [
        {
            "user_id": "u1",
            "name": "x",
            "occurred_at": AT,
            "properties": {"big": list(range(20_000))},
        },
        {"user_id": "u1", "name": "y", "occurred_at": AT},
    ]
    answer = ingest.ok("events", items)
    assert answer["accepted"] == [1]
    assert answer["rejected"][0]["reason"] == "holds more than 10,000 values"


def test_a_body_nested_past_what_json_parsers_allow_is_a_clear_400(ingest):
    body = b'[{"user_id": "u", "attributes": ' + b"[" * 1100 + b"]" * 1100 + b"}]"
    response = ingest.post("people", body)
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]


def test_each_batch_delivery_names_its_api_key(staff_admin):
    raw = key_issue(staff_admin, ["ingest"])
    IngestClient(raw).ok("people", [{"user_id": "u1"}])
    delivery = IntegrationDelivery.objects.get(source="api")
    assert delivery.api_key is not None
    assert raw.startswith(f"opk_{delivery.api_key.prefix}_")


# 5. Secrets are redacted on the way in, in every free-form field.


def test_error_messages_and_tags_are_redacted(ingest):
    ingest.ok(
        "errors",
        [
            {
                "event_id": "e1",
                "title": "Login failed for password=hunter2",
                "message": "POST /login body: username=ann&password=hunter2&otp=123456 "
                "card 4111.1111.1111.1111",
                "occurred_at": AT,
                "tags": {"pin": 1234, "token_id": "abc", "url": "/cb?token=s3cr3t&x=1"},
            }
        ],
    )
    error = ErrorEvent.objects.get()
    for secret in ("hunter2", "123456", "4111", "s3cr3t"):
        assert secret not in f"{error.title} {error.message} {error.tags}"
    assert error.tags["pin"] == REDACTED
    assert error.tags["url"] == f"/cb?token={REDACTED}&x=1"


def test_event_properties_are_redacted_and_metrics_kept(ingest):
    ingest.ok(
        "events",
        [
            {
                "user_id": "u1",
                "name": "ai_request",
                "occurred_at": AT,
                "properties": {
                    "prompt_tokens": 1200,
                    "id_jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc",
                    "otp": 123456,
                    "card": 4242424242424242,
                    "note": "paid with 4242-4242-4242-4242",
                    "password_set": True,
                },
            }
        ],
    )
    properties = Event.objects.get().properties
    assert properties == {
        "prompt_tokens": 1200,
        "id_jwt": REDACTED,
        "otp": REDACTED,
        "card": REDACTED,
        "note": f"paid with {REDACTED}",
        "password_set": True,
    }


def test_api_request_paths_and_form_bodies_are_redacted(ingest):
    ingest.ok(
        "api-requests",
        [
            {
                "request_id": "r1",
                "method": "POST",
                "route": "/api/login",
                "path": "/api/login?token=s3cr3t-value&next=/home",
                "status": 200,
                "duration_ms": 12,
                "occurred_at": AT,
                "request_body": "username=ann&password=hunter2",
                "response_body": "Token 9f8e7d6c5b4a3f2e",
            }
        ],
    )
    call = ApiRequest.objects.get()
    assert call.path == f"/api/login?token={REDACTED}&next=/home"
    assert call.request_body == f"username=ann&password={REDACTED}"
    assert call.response_body == f"Token {REDACTED}"


def test_profile_attributes_are_redacted(ingest):
    ingest.ok("people", [{"user_id": "u1", "attributes": {"pin": "0000", "kids": 2}}])
    assert Person.objects.get().attributes == {"pin": REDACTED, "kids": 2}


def test_a_deep_body_is_refused_by_every_json_endpoint(staff_admin):
    from django.test import Client

    client = Client()
    client.force_login(staff_admin)
    person = Person.objects.create(external_id="p1")
    body = b'{"action": "note", "body": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = client.post(
        f"/api/v1/people/{person.pk}/actions", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]
    body = ('{"action": "note", "body": ' + nested(50) + "}").encode()
    response = client.post(
        f"/api/v1/people/{person.pk}/actions", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nests deeper than 20 levels" in response.json()["detail"]
