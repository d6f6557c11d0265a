"""Sentry integration-platform webhooks: signed error and issue events become ErrorEvents."""

import hashlib
import hmac
import json

import pytest
from django.test import Client

from opsroom.people.tests.factories import PersonFactory
from opsroom.telemetry.models import ErrorEvent, IntegrationDelivery

SECRET = "sentry-client-secret-0123456789"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.SENTRY_CLIENT_SECRET = SECRET


def error_payload(event_id="a2d0b0c4d5b84f4f8d1c2e3f4a5b6c7d", user=None, **extra):
    error = {
        "event_id": event_id,
        "issue_id": "1170820242",
        "title": "TimeoutError: recipe generation took longer than 30s",
        "message": "recipe generation took longer than 30s",
        "level": "error",
        "culprit": "opsroom_host.recipes in generate",
        "release": "2026.11.1",
        "environment": "production",
        "datetime": "2026-03-10T09:00:00.123000Z",
        "timestamp": 1773133200.123,
        "user": user if user is not None else {"id": "u1", "email": "ann@example.com"},
        "tags": [["environment", "production"], ["transaction", "POST /api/recipes/generate"]],
        "fingerprint": ["{{ default }}"],
        "web_url": "https://sentry.io/organizations/acme/issues/1170820242/events/a2d0/",
        **extra,
    }
    return {
        "action": "created",
        "installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9"},
        "data": {"error": error},
        "actor": {"type": "application", "id": "sentry", "name": "Sentry"},
    }


def issue_payload(action="created"):
    return {
        "action": action,
        "installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9"},
        "data": {
            "issue": {
                "id": "1170820242",
                "shortId": "HOST-1A",
                "title": "TimeoutError: recipe generation took longer than 30s",
                "culprit": "POST /api/recipes/generate",
                "level": "error",
                "status": "unresolved",
                "firstSeen": "2026-03-10T08:59:00.000000Z",
                "lastSeen": "2026-03-10T09:00:00.000000Z",
                "metadata": {"type": "TimeoutError", "value": "took longer than 30s"},
            }
        },
        "actor": {"type": "application", "id": "sentry", "name": "Sentry"},
    }


def post(payload, resource="error", secret=SECRET, tamper=None):
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if tamper:
        body = tamper(body)
    return Client().post(
        "/webhooks/sentry/",
        data=body,
        content_type="application/json",
        HTTP_SENTRY_HOOK_RESOURCE=resource,
        HTTP_SENTRY_HOOK_SIGNATURE=signature,
        HTTP_REQUEST_ID="req-1",
    )


def test_an_error_event_becomes_an_error_linked_to_its_person_by_user_id():
    person = PersonFactory(external_id="u1")
    assert post(error_payload()).status_code == 200
    error = ErrorEvent.objects.get()
    assert (error.person, error.issue_id, error.fingerprint) == (person, "1170820242", "1170820242")
    assert (error.endpoint, error.environment) == ("POST /api/recipes/generate", "production")
    assert error.tags["transaction"] == "POST /api/recipes/generate"
    assert IntegrationDelivery.objects.get().person == person


def test_a_person_is_found_by_email_when_the_user_id_is_unknown():
    person = PersonFactory(email="ann@example.com")
    post(error_payload(user={"id": "sentry-anon-1", "email": "ANN@example.com"}))
    assert ErrorEvent.objects.get().person == person


def test_an_error_of_an_unknown_user_is_kept_without_a_person():
    post(error_payload(user={"id": "nobody"}))
    assert ErrorEvent.objects.get().person is None


def test_a_repeated_error_is_stored_once():
    post(error_payload())
    post(error_payload())
    assert ErrorEvent.objects.count() == 1
    outcomes = list(IntegrationDelivery.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["processed", "duplicate"]


def test_a_new_issue_becomes_its_first_occurrence_and_other_actions_are_acknowledged():
    assert post(issue_payload(), resource="issue").status_code == 200
    assert post(issue_payload("resolved"), resource="issue").status_code == 200
    error = ErrorEvent.objects.get()
    assert (error.event_id, error.endpoint) == ("issue-1170820242", "POST /api/recipes/generate")
    outcome = IntegrationDelivery.objects.order_by("id").last()
    assert (outcome.outcome, outcome.event_type) == ("ignored", "issue.resolved")


@pytest.mark.parametrize(
    ("secret", "tamper"),
    [
        ("another-secret", None),
        (SECRET, lambda body: body.replace(b"production", b"staging")),
    ],
    ids=["wrong-secret", "tampered"],
)
def test_a_bad_signature_is_refused_and_changes_nothing(secret, tamper):
    response = post(error_payload(), secret=secret, tamper=tamper)
    assert response.status_code == 401
    assert ErrorEvent.objects.count() == 0
    assert IntegrationDelivery.objects.get().outcome == "rejected"


def test_a_signed_payload_without_a_time_zone_is_a_400():
    response = post(error_payload(datetime="2026-03-10T09:00:00", timestamp=None))
    assert response.status_code == 400
    assert ErrorEvent.objects.count() == 0
