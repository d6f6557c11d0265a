"""The support API: tickets (list, filter, get, create, update), replies, analysis and its
corrections, similar tickets, the suggested reply; auth, roles and bad input."""

import json

import pytest
from django.test import Client

from conftest import signed_in
from opsroom.core.models import AuditEntry
from opsroom.core.services.apikeys import api_key_create
from opsroom.core.services.audit import AuditContext
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.models import AnalysisCorrection, ReplySuggestion, Ticket
from opsroom.support.tests.factories import TicketFactory
from opsroom.support.tests.triage_worker import triage_tasks_run
from opsroom.user360.tests.world import jane

pytestmark = pytest.mark.django_db


def key_client(admin, scope: str) -> Client:
    issued = api_key_create(
        name=f"{scope} key", scopes=[scope], audit=AuditContext(actor=admin, label="ada")
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}")


def send(client: Client, method: str, path: str, data=None):
    return getattr(client, method)(
        f"/api/v1/support{path}", data=json.dumps(data or {}), content_type="application/json"
    )


def test_the_host_app_opens_a_ticket_with_an_ingest_key_and_triage_follows(staff_admin):
    world = jane()
    client = key_client(staff_admin, "ingest")
    response = send(
        client,
        "post",
        "/tickets",
        {"requester_id": "jane-1", "subject": "Recipe generation is broken", "body": "It fails."},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["person_id"] == world.person.pk
    assert body["channel"] == "api"
    assert body["reply_due_at"] is not None
    reader = key_client(staff_admin, "read")
    assert reader.get(f"/api/v1/support/tickets/{body['id']}/analysis").status_code == 404
    triage_tasks_run()
    analysis = reader.get(f"/api/v1/support/tickets/{body['id']}/analysis").json()
    assert analysis["category"] == "bug"
    assert analysis["alternatives"][0]["category"] == "bug"
    assert analysis["feature"] == "POST /api/recipes/generate"
    suggestion = reader.get(f"/api/v1/support/tickets/{body['id']}/suggested-reply").json()
    assert suggestion["body"].startswith("Hi Jane,")


@pytest.mark.parametrize(
    ("data", "status", "detail"),
    [
        ({"subject": "x", "body": "y"}, 400, "Name the requester"),
        ({"requester_id": "nobody", "subject": "x", "body": "y"}, 404, "No such person"),
        ({"person_id": 10**30, "subject": "x", "body": "y"}, 422, None),
        ({"person_id": 2**62, "subject": "x", "body": "y"}, 404, "No such person"),
        ({"requester_id": "p-1", "subject": "  ", "body": "y"}, 400, "needs a subject and a body"),
        ({"requester_id": "p-1", "subject": "x", "body": "y", "channel": "fax"}, 422, None),
        ({"requester_id": "p-1", "subject": "x\x00", "body": "y"}, 422, None),
    ],
    ids=["no-requester", "unknown", "huge-id", "big-id", "blank", "channel", "nul"],
)
def test_bad_tickets_are_refused_with_the_reason(admin_client_, data, status, detail):
    PersonFactory(external_id="p-1")
    response = send(admin_client_, "post", "/tickets", data)
    assert response.status_code == status
    if detail:
        assert detail in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_list_filter_and_get(staff_admin):
    a = TicketFactory(category="billing", priority="urgent")
    b = TicketFactory(category="bug", status="solved")
    reader = key_client(staff_admin, "read")
    everything = reader.get("/api/v1/support/tickets").json()
    assert [t["id"] for t in everything["results"]] == [a.pk, b.pk]
    assert everything["count"] == 2
    assert [t["id"] for t in reader.get("/api/v1/support/tickets?view=open").json()["results"]] == [
        a.pk
    ]
    assert [
        t["id"] for t in reader.get("/api/v1/support/tickets?category=bug").json()["results"]
    ] == [b.pk]
    assert reader.get(f"/api/v1/support/tickets/{a.pk}").json()["priority"] == "urgent"
    bad = reader.get("/api/v1/support/tickets?status=done")
    assert bad.status_code == 400
    assert "status 'done' is unknown" in bad.json()["detail"]
    assert reader.get("/api/v1/support/tickets?page=7").status_code == 400
    assert reader.get("/api/v1/support/tickets/999999").status_code == 404
    assert reader.get(f"/api/v1/support/tickets/{2**70}").status_code in (404, 422)
    assert Client().get("/api/v1/support/tickets").status_code == 401


def test_update_by_staff_with_the_permission(staff_support, staff_analyst):
    ticket = TicketFactory()
    response = send(
        signed_in(staff_support),
        "patch",
        f"/tickets/{ticket.pk}",
        {"status": "pending", "priority": "high", "assignee_id": staff_support.pk},
    )
    assert response.status_code == 200
    assert response.json()["assignee_id"] == staff_support.pk
    assert AuditEntry.objects.filter(action="ticket.update", actor=staff_support).exists()
    refused = send(signed_in(staff_analyst), "patch", f"/tickets/{ticket.pk}", {"status": "closed"})
    assert refused.status_code == 403
    assert "Analysts can read but not" in refused.json()["detail"]
    ticket.refresh_from_db()
    assert ticket.status == "pending"


def test_update_refuses_nonsense(staff_support):
    ticket = TicketFactory()
    client = signed_in(staff_support)
    assert send(client, "patch", f"/tickets/{ticket.pk}", {}).status_code == 400
    assert send(client, "patch", f"/tickets/{ticket.pk}", {"status": "done"}).status_code == 422
    unknown = send(client, "patch", f"/tickets/{ticket.pk}", {"assignee_id": 424242})
    assert unknown.status_code == 400
    assert "not an active staff user" in unknown.json()["detail"]


def test_a_read_key_cannot_write(staff_admin):
    ticket = TicketFactory()
    reader = key_client(staff_admin, "read")
    assert send(reader, "patch", f"/tickets/{ticket.pk}", {"status": "closed"}).status_code == 401
    assert (
        send(
            reader, "post", "/tickets", {"requester_id": "x", "subject": "s", "body": "b"}
        ).status_code
        == 401
    )
    assert send(reader, "post", f"/tickets/{ticket.pk}/messages", {"body": "hi"}).status_code == 401


def test_reply_and_note_through_the_api(staff_support, staff_analyst):
    ticket = TicketFactory(requester=PersonFactory(email="kim@example.com"))
    client = signed_in(staff_support)
    sent = send(
        client, "post", f"/tickets/{ticket.pk}/messages", {"body": "Done!", "status": "solved"}
    )
    assert sent.status_code == 201
    assert sent.json()["ticket_status"] == "solved"
    note = send(client, "post", f"/tickets/{ticket.pk}/messages", {"body": "fyi", "internal": True})
    assert note.json()["is_internal"] is True
    empty = send(client, "post", f"/tickets/{ticket.pk}/messages", {"body": "   "})
    assert empty.status_code == 400
    refused = send(
        signed_in(staff_analyst), "post", f"/tickets/{ticket.pk}/messages", {"body": "x"}
    )
    assert refused.status_code == 403


def test_corrections_through_the_api(staff_support, staff_analyst):
    ticket = TicketFactory(category="")
    client = signed_in(staff_support)
    ok = send(
        client,
        "post",
        f"/tickets/{ticket.pk}/analysis/corrections",
        {"field": "category", "value": "billing"},
    )
    assert ok.status_code == 201
    ticket.refresh_from_db()
    assert ticket.category == "billing"
    bad = send(
        client,
        "post",
        f"/tickets/{ticket.pk}/analysis/corrections",
        {"field": "category", "value": "cake"},
    )
    assert bad.status_code == 400
    assert "'cake' is not a category" in bad.json()["detail"]
    refused = send(
        signed_in(staff_analyst),
        "post",
        f"/tickets/{ticket.pk}/analysis/corrections",
        {"field": "category", "value": "bug"},
    )
    assert refused.status_code == 403
    assert AnalysisCorrection.objects.count() == 1


def test_suggestions_through_the_api(staff_support, staff_analyst):
    ticket = TicketFactory(requester=PersonFactory(email="kim@example.com", name="Kim Park"))
    client = signed_in(staff_support)
    assert client.get(f"/api/v1/support/tickets/{ticket.pk}/suggested-reply").status_code == 404
    drafted = send(client, "post", f"/tickets/{ticket.pk}/suggested-reply")
    assert drafted.status_code == 201
    suggestion_id = drafted.json()["id"]
    assert drafted.json()["body"].startswith("Hi Kim,")
    path = f"/tickets/{ticket.pk}/suggested-reply/{suggestion_id}/decision"
    assert send(signed_in(staff_analyst), "post", path, {"outcome": "use"}).status_code == 403
    assert send(client, "post", path, {"outcome": "maybe"}).status_code == 422
    used = send(client, "post", path, {"outcome": "use", "status": "solved"})
    assert used.status_code == 200
    assert used.json()["outcome"] == "used"
    assert Ticket.objects.get(pk=ticket.pk).status == "solved"
    assert send(client, "post", path, {"outcome": "reject"}).status_code == 409
    other = TicketFactory()
    wrong = send(
        client,
        "post",
        f"/tickets/{other.pk}/suggested-reply/{suggestion_id}/decision",
        {"outcome": "reject"},
    )
    assert wrong.status_code == 404
    assert ReplySuggestion.objects.get(pk=suggestion_id).outcome == "used"


def test_similar_through_the_api(staff_admin):
    past = TicketFactory(
        subject="Meal plan export fails", body="Export of my meal plan fails.", status="solved"
    )
    now = TicketFactory(subject="Meal plan export broken", body="The meal plan export fails again.")
    reader = key_client(staff_admin, "read")
    found = reader.get(f"/api/v1/support/tickets/{now.pk}/similar").json()
    assert [t["ticket_id"] for t in found["resolved"]] == [past.pk]
    assert reader.get(f"/api/v1/support/tickets/{now.pk}/similar?limit=0").status_code == 400
