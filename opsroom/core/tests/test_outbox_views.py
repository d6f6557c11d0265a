"""The outbox page and API: entries with their attempts, errors and outcomes; operators with
`core.manage_outbox` (Admin) retry or cancel them, audited; others only look."""

import pytest
from django_tasks_db.models import DBTaskResult

from conftest import signed_in
from opsroom.core.models import AuditEntry, OutboxEntry
from opsroom.core.services.apikeys import api_key_create
from opsroom.core.services.audit import AuditContext

pytestmark = pytest.mark.django_db


def _entry(**fields) -> OutboxEntry:
    values = {
        "kind": "email.send",
        "payload": {"email_id": 1, "to": "jane@example.com", "api_key": "sk_live_secret"},
        "idempotency_key": f"k{OutboxEntry.objects.count()}",
        "actor_label": "sam",
        "target_type": "people.person",
        "target_id": "42",
        "target_label": "Jane Doe",
        **fields,
    }
    return OutboxEntry.objects.create(**values)


@pytest.fixture
def entries():
    return {
        "failed": _entry(
            status="failed", attempts=1, last_error="The mail server refused the email: 550"
        ),
        "dead": _entry(kind="stripe.comp_grant", status="dead", attempts=8, last_error="Timeout"),
        "done": _entry(status="done", attempts=1, outcome={"provider_message_id": "<m1@x>"}),
        "pending": _entry(status="pending", target_id="7", target_label="Bob"),
    }


def _rows(response) -> list[int]:
    return [entry.pk for entry in response.context["page"]]


def test_the_page_lists_entries_with_their_attempts_errors_and_outcomes(entries, staff_support):
    response = signed_in(staff_support).get("/outbox/")
    assert response.status_code == 200
    assert len(_rows(response)) == 4
    body = response.content.decode()
    assert "The mail server refused the email: 550" in body
    assert "&lt;m1@x&gt;" in body
    assert response.context["counts"]["failed"] == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "failed"}, ["failed"]),
        ({"kind": "stripe.comp_grant"}, ["dead"]),
        ({"target_type": "people.person", "target_id": "7"}, ["pending"]),
        ({"status": "done", "kind": "stripe.comp_grant"}, []),
    ],
    ids=["status", "kind", "target", "nothing"],
)
def test_the_filters(entries, staff_support, query, expected):
    response = signed_in(staff_support).get("/outbox/", query)
    assert _rows(response) == [entries[name].pk for name in expected]


def test_an_unknown_status_filter_is_a_400(entries, staff_support):
    response = signed_in(staff_support).get("/outbox/", {"status": "exploded"})
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content


def test_the_detail_shows_the_payload_redacted(entries, staff_support):
    response = signed_in(staff_support).get(f"/outbox/{entries['failed'].pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "sk_live_secret" not in body
    assert "[redacted]" in body
    assert "jane@example.com" in body


def test_only_admins_see_the_buttons(entries, staff_admin, staff_support):
    admin_page = signed_in(staff_admin).get("/outbox/").content
    assert f'data-outbox-retry="{entries["failed"].pk}"'.encode() in admin_page
    assert f'data-outbox-cancel="{entries["pending"].pk}"'.encode() in admin_page
    assert f'data-outbox-retry="{entries["done"].pk}"'.encode() not in admin_page
    assert b"data-outbox-retry" not in signed_in(staff_support).get("/outbox/").content


def test_an_admin_retries_from_the_page_and_it_is_audited(entries, staff_admin, settings):
    settings.OPSROOM_OUTBOX_INLINE = False
    failed = entries["failed"]
    response = signed_in(staff_admin).post(
        f"/outbox/{failed.pk}/retry/", {"next": "/outbox/?status=failed"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/outbox/?status=failed"
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("pending", 0)
    assert DBTaskResult.objects.filter(task_path__endswith="outbox_entry_perform").count() == 1
    audit = AuditEntry.objects.get(action="outbox.retry")
    assert (audit.actor, audit.target_id) == (staff_admin, str(failed.pk))
    assert audit.params["concerns"] == "people.person:42"


def test_an_admin_cancels_and_a_wrong_state_is_explained(entries, staff_admin):
    client = signed_in(staff_admin)
    client.post(f"/outbox/{entries['pending'].pk}/cancel/")
    entries["pending"].refresh_from_db()
    assert entries["pending"].status == "canceled"
    response = client.post(f"/outbox/{entries['done'].pk}/retry/", follow=True)
    assert b"This entry is done; only pending, failed, given-up or canceled" in response.content
    assert AuditEntry.objects.filter(action="outbox.cancel").count() == 1
    assert not AuditEntry.objects.filter(action="outbox.retry").exists()


def test_an_offsite_next_is_ignored(entries, staff_admin):
    response = signed_in(staff_admin).post(
        f"/outbox/{entries['failed'].pk}/retry/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == f"/outbox/{entries['failed'].pk}/"


@pytest.mark.parametrize("role", ["staff_support", "staff_billing", "staff_analyst"])
def test_other_roles_may_not_retry_or_cancel(request, entries, role):
    client = signed_in(request.getfixturevalue(role))
    assert client.post(f"/outbox/{entries['failed'].pk}/retry/").status_code == 403
    assert client.post(f"/outbox/{entries['pending'].pk}/cancel/").status_code == 403
    entries["failed"].refresh_from_db()
    assert entries["failed"].status == "failed"


def _key(staff, scope):
    issued = api_key_create(name=scope, scopes=[scope], audit=AuditContext(actor=staff))
    return {"HTTP_AUTHORIZATION": f"Bearer {issued.raw_key}"}


def test_the_api_lists_with_filters_and_redacts(entries, staff_admin, client):
    response = client.get("/api/v1/outbox", {"status": "failed"}, **_key(staff_admin, "read"))
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    assert data["status_counts"]["dead"] == 1
    (item,) = data["results"]
    assert (item["id"], item["attempts"], item["kind"]) == (entries["failed"].pk, 1, "email.send")
    assert item["payload"]["api_key"] == "[redacted]"
    assert item["last_error"] == "The mail server refused the email: 550"


def test_the_api_refuses_bad_filters_clearly(staff_admin, client):
    response = client.get("/api/v1/outbox", {"status": "exploded"}, **_key(staff_admin, "read"))
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Unknown status 'exploded'; use one of: pending")
    assert client.get("/api/v1/outbox/999", **_key(staff_admin, "read")).status_code == 404
    # A NUL character cannot be stored in PostgreSQL's text: refused before any query.
    for name in ("kind", "target_type", "target_id", "status"):
        response = client.get("/api/v1/outbox", {name: "a\x00b"}, **_key(staff_admin, "read"))
        assert response.status_code == 422, name


def test_the_api_retry_needs_an_admin_key_or_the_permission(
    entries, staff_admin, staff_support, client, settings
):
    settings.OPSROOM_OUTBOX_INLINE = False
    url = f"/api/v1/outbox/{entries['dead'].pk}/retry"
    assert client.post(url, **_key(staff_admin, "read")).status_code == 401
    refused = signed_in(staff_support).post(url)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "You may not do this (needs core.manage_outbox)."
    done = signed_in(staff_admin).post(url)
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["attempts"]) == ("pending", 0)
    again = signed_in(staff_admin).post(f"/api/v1/outbox/{entries['done'].pk}/retry")
    assert again.status_code == 409
    assert "This entry is done" in again.json()["detail"]


def test_the_api_cancels_with_an_admin_key(entries, staff_admin, client):
    url = f"/api/v1/outbox/{entries['pending'].pk}/cancel"
    response = client.post(url, **_key(staff_admin, "admin"))
    assert response.status_code == 200
    assert response.json()["status"] == "canceled"
    audit = AuditEntry.objects.get(action="outbox.cancel")
    assert audit.actor_label.startswith("api key ")
