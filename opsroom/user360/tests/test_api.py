import json
from datetime import timedelta

import pytest
from django.test import Client

from conftest import signed_in
from opsroom.core.models import AuditEntry
from opsroom.core.services.apikeys import api_key_create
from opsroom.core.services.audit import AuditContext
from opsroom.messaging.tests.factories import EmailTemplateFactory
from opsroom.people.tests.factories import PersonFactory
from opsroom.user360.models import Segment
from opsroom.user360.tests.world import jane

pytestmark = pytest.mark.django_db


def _key_client(staff_admin, *scopes):
    issued = api_key_create(
        name="integration", scopes=list(scopes), audit=AuditContext(actor=staff_admin, label="ada")
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}")


@pytest.fixture
def reader(staff_admin):
    return _key_client(staff_admin, "read")


@pytest.fixture
def world():
    return jane()  # relative to the real clock: requests run on it


def test_user_intelligence_with_a_read_key(world, reader):
    body = reader.get(f"/api/v1/people/{world.person.pk}/intelligence").json()
    assert body["external_id"] == "jane-1"
    assert body["lifetime_value"] == {"usd": 4 * 2900}
    assert body["subscription"]["plan"] == "Premium"
    assert body["subscription"]["mrr"] == 2900
    assert body["subscription"]["card"] == "Visa •••• 4242"
    assert body["support"] == {
        "open_tickets": 0,
        "total_tickets": 1,
        "average_resolution_hours": 4.0,
        "last_ticket_id": body["support"]["last_ticket_id"],
        "last_ticket_at": body["support"]["last_ticket_at"],
    }
    assert body["errors_7d"] == 3
    assert [
        (d["device"], d["os"], d["app_version"], d["api_calls_30d"]) for d in body["devices"]
    ] == [("iPhone", "iOS 17.2", "5.26.0", 1)]
    assert body["health"]["uncapped_score"] is None
    assert body["last_login"] == (world.now - timedelta(days=8)).date().isoformat()
    assert {f["key"]: f["is_on"] for f in body["flags"]} == {
        "ai_coach_v2": True,
        "grocery_integration": False,
        "new_recipe_ui": True,
    }
    assert [c["key"] for c in body["health"]["components"]] == [
        "engagement",
        "frequency",
        "adoption",
        "support",
        "payment",
    ]
    assert body["insights"][0]["key"] in {"inactivity", "repeated_errors", "renewal_low_engagement"}


def test_read_endpoints_refuse_no_key_and_a_key_without_read(world, staff_admin):
    ingest_only = _key_client(staff_admin, "ingest")
    for url in (
        f"/api/v1/people/{world.person.pk}/intelligence",
        f"/api/v1/people/{world.person.pk}/timeline",
        f"/api/v1/people/{world.person.pk}/insights",
        "/api/v1/people/search?q=jane",
        "/api/v1/segments",
    ):
        assert Client().get(url).status_code == 401, url
        assert ingest_only.get(url).status_code == 401, url


def test_the_timeline_pages_by_cursor(world, reader):
    first = reader.get(f"/api/v1/people/{world.person.pk}/timeline?limit=5").json()
    assert len(first["items"]) == 5
    second = reader.get(
        f"/api/v1/people/{world.person.pk}/timeline?limit=5&cursor={first['next_cursor']}"
    ).json()
    assert (
        first["items"][-1]["at"] > second["items"][0]["at"]
        or first["items"][-1] != second["items"][0]
    )
    only_errors = reader.get(f"/api/v1/people/{world.person.pk}/timeline?kind=error").json()
    assert {item["kind"] for item in only_errors["items"]} == {"error"}
    bad = reader.get(f"/api/v1/people/{world.person.pk}/timeline?cursor=zzz")
    assert bad.status_code == 400
    assert bad.json() == {"detail": "'zzz' is not a timeline cursor."}


def test_insights_each_carry_numbers_and_an_action(world, reader):
    insights = reader.get(f"/api/v1/people/{world.person.pk}/insights").json()
    assert insights
    for insight in insights:
        assert insight["numbers"], insight
        assert insight["evidence"], insight
        assert insight["action"], insight


def test_search_and_its_bad_input(world, reader):
    found = reader.get("/api/v1/people/search?q=jane@").json()
    assert [(r["external_id"], r["matched"]) for r in found["results"]] == [("jane-1", "email")]
    listed = reader.get(
        "/api/v1/people/search",
        {"conditions": json.dumps([{"field": "errors", "op": "gte", "value": 3, "days": 7}])},
    ).json()
    assert [r["external_id"] for r in listed["results"]] == ["jane-1"]
    bad_json = reader.get("/api/v1/people/search", {"conditions": "[{"})
    assert bad_json.status_code == 400
    assert bad_json.json()["detail"].startswith("'conditions' is not valid JSON")
    bad_field = reader.get("/api/v1/people/search", {"conditions": '[{"field": "x", "op": "eq"}]'})
    assert bad_field.status_code == 400
    assert bad_field.json()["detail"].startswith("Condition 1: unknown field 'x'")
    assert reader.get("/api/v1/people/search?quick=nope").status_code == 400
    assert reader.get("/api/v1/people/search?page=9").status_code == 400


def test_actions_check_permissions_and_audit(world, staff_analyst, staff_support, staff_admin):
    EmailTemplateFactory(key="we-miss-you")
    url = f"/api/v1/people/{world.person.pk}/actions"
    note = {"action": "note", "body": "Checked the logs."}
    refused = signed_in(staff_analyst).post(url, note, content_type="application/json")
    assert refused.status_code == 403
    done = signed_in(staff_support).post(url, note, content_type="application/json")
    assert done.status_code == 200
    assert done.json()["ok"]
    assert AuditEntry.objects.filter(action="person.note_add", actor=staff_support).exists()
    admin_key = _key_client(staff_admin, "admin")
    emailed = admin_key.post(
        url, {"action": "email", "template": "we-miss-you"}, content_type="application/json"
    )
    assert emailed.json()["detail"] == "sent"
    assert AuditEntry.objects.get(action="person.email_send").actor_label.startswith("api key ")
    keyed_note = admin_key.post(url, note, content_type="application/json")
    assert keyed_note.status_code == 400
    reader = _key_client(staff_admin, "read")
    assert reader.post(url, note, content_type="application/json").status_code == 401
    invalid = signed_in(staff_support).post(
        url, {"action": "explode"}, content_type="application/json"
    )
    assert invalid.status_code == 422


def test_segments_private_shared_and_their_people(world, staff_support, staff_analyst, staff_admin):
    url = "/api/v1/segments"
    mine = signed_in(staff_support).post(
        url,
        {
            "name": "Error-prone",
            "conditions": [{"field": "errors", "op": "gte", "value": 3, "days": 7}],
        },
        content_type="application/json",
    )
    assert mine.status_code == 201
    shared = signed_in(staff_support).post(
        url, {"name": "VIPs", "quick": "vip", "is_shared": True}, content_type="application/json"
    )
    assert shared.status_code == 201
    seen_by_analyst = [s["name"] for s in signed_in(staff_analyst).get(url).json()]
    assert seen_by_analyst == ["VIPs"]
    segment_id = mine.json()["id"]
    people = signed_in(staff_support).get(f"{url}/{segment_id}/people").json()
    assert [r["external_id"] for r in people["results"]] == ["jane-1"]
    assert signed_in(staff_analyst).get(f"{url}/{segment_id}/people").status_code == 404
    assert signed_in(staff_analyst).delete(f"{url}/{shared.json()['id']}").status_code == 403
    assert signed_in(staff_support).delete(f"{url}/{segment_id}").status_code == 204
    bad = signed_in(staff_support).post(
        url,
        {"name": "Bad", "conditions": [{"field": "mrr", "op": "gt", "value": "x"}]},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "'x' is not an amount" in bad.json()["detail"]
    keyed = _key_client(staff_admin, "admin").post(
        url, {"name": "From CI"}, content_type="application/json"
    )
    assert keyed.json()["is_shared"] is True
    assert Segment.objects.get(name="From CI").owner is None


def test_ask_through_the_api(world, reader, settings):
    settings.OPSROOM_LLM_BASE_URL = ""
    answer = reader.post(
        f"/api/v1/people/{world.person.pk}/ask",
        {"question": "any errors?"},
        content_type="application/json",
    ).json()
    assert answer["used_model"] is False
    assert any("TimeoutError" in source["text"] for source in answer["sources"])


def test_the_operations_have_explicit_ids(admin_client_):
    schema = admin_client_.get("/api/v1/openapi.json").json()
    operation_ids = {
        operation["operationId"] for path in schema["paths"].values() for operation in path.values()
    }
    assert {
        "people_search",
        "people_intelligence",
        "people_timeline",
        "people_insights",
        "people_actions",
        "people_ask",
        "segments_list",
        "segments_create",
        "segments_people",
        "segments_delete",
        "impersonation_redeem",
        "impersonation_status",
    } <= operation_ids


def test_an_unknown_person_is_404(reader):
    PersonFactory()
    assert reader.get("/api/v1/people/999999/intelligence").status_code == 404


def test_text_with_nul_characters_is_refused_not_a_500(world, staff_support):
    client = signed_in(staff_support)
    note = client.post(
        f"/api/v1/people/{world.person.pk}/actions",
        {"action": "note", "body": "bad\x00byte"},
        content_type="application/json",
    )
    assert note.status_code == 422
    segment = client.post("/api/v1/segments", {"name": "a\x00"}, content_type="application/json")
    assert segment.status_code == 422
