"""The SLA on the pages and the API: the settings page (everyone reads, admins edit), the
`/support/sla-policies` endpoints by role, the queue's countdown naming its target, the ticket
page's targets, and the dashboard's share within target per priority."""

import json
import re
from datetime import timedelta

import pytest

from conftest import signed_in
from opsroom.core import clock
from opsroom.core.models import AuditEntry
from opsroom.support.selectors.sla import sla_settings_get
from opsroom.support.services import ticket_reply
from opsroom.support.services.sla import tickets_sla_refresh
from opsroom.support.tests.factories import TicketFactory
from opsroom.support.tests.test_api import key_client

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "policies": [
        {"priority": "urgent", "first_reply_minutes": 30, "next_reply_minutes": 30,
         "resolution_minutes": 240},
        {"priority": "high", "first_reply_minutes": 120, "next_reply_minutes": 120,
         "resolution_minutes": 960, "business_hours": True},
        {"priority": "normal", "first_reply_minutes": 480, "next_reply_minutes": 480,
         "resolution_minutes": 2880},
        {"priority": "low", "first_reply_minutes": 960, "next_reply_minutes": 960,
         "resolution_minutes": 7200},
    ],
    "business_hours": {"timezone": "America/New_York", "hours": ["08:00-18:00"] * 5 + ["", ""]},
}  # fmt: skip


def put(client, payload):
    return client.put(
        "/api/v1/support/sla-policies", data=json.dumps(payload), content_type="application/json"
    )


@pytest.mark.parametrize("role", ["staff_admin", "staff_support", "staff_analyst"])
def test_every_role_reads_the_policies(request, role):
    response = signed_in(request.getfixturevalue(role)).get("/api/v1/support/sla-policies")
    assert response.status_code == 200
    body = response.json()
    assert [p["priority"] for p in body["policies"]] == ["urgent", "high", "normal", "low"]
    assert body["policies"][0]["first_reply_minutes"] == 60
    assert body["business_hours"] == {
        "timezone": "UTC",
        "hours": ["09:00-17:00"] * 5 + ["", ""],
        "holidays": [],
    }


def test_a_read_key_reads_the_policies(staff_admin):
    assert key_client(staff_admin, "read").get("/api/v1/support/sla-policies").status_code == 200
    assert signed_in_anonymous_status() in (401, 403)


def signed_in_anonymous_status() -> int:
    from django.test import Client

    return Client().get("/api/v1/support/sla-policies").status_code


def test_an_admin_replaces_the_policies_audited(staff_admin):
    response = put(signed_in(staff_admin), PAYLOAD)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["policies"][1]["business_hours"] is True
    assert body["business_hours"]["timezone"] == "America/New_York"
    assert body["updated_by"] == staff_admin.get_username()
    assert sla_settings_get().policies["urgent"].first_reply_minutes == 30
    entry = AuditEntry.objects.get(action="support.sla_set")
    assert entry.actor == staff_admin
    assert entry.params["to"]["timezone"] == "America/New_York"


def test_an_admin_key_replaces_the_policies(staff_admin):
    assert put(key_client(staff_admin, "admin"), PAYLOAD).status_code == 200
    assert AuditEntry.objects.filter(action="support.sla_set").exists()


@pytest.mark.parametrize("role", ["staff_support", "staff_billing", "staff_analyst"])
def test_other_roles_may_not_change_the_policies(request, role):
    response = put(signed_in(request.getfixturevalue(role)), PAYLOAD)
    assert response.status_code == 403
    assert sla_settings_get().policies["urgent"].first_reply_minutes == 60
    assert not AuditEntry.objects.filter(action="support.sla_set").exists()


def test_a_read_key_may_not_change_the_policies(staff_admin):
    assert put(key_client(staff_admin, "read"), PAYLOAD).status_code in (401, 403)


def _with(change):
    payload = json.loads(json.dumps(PAYLOAD))
    change(payload)
    return payload


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (_with(lambda p: p["policies"][0].update(first_reply_minutes=-1)), "between 1"),
        (_with(lambda p: p["policies"][2].update(resolution_minutes=0)), "between 1"),
        (_with(lambda p: p["policies"][3].update(next_reply_minutes=10**12)), "between 1"),
        (_with(lambda p: p["policies"].pop()), "missing low"),
        (_with(lambda p: p["policies"].append(dict(p["policies"][0]))), "twice"),
        (_with(lambda p: p["business_hours"].update(timezone="Nowhere/Land")), "IANA"),
        (_with(lambda p: p["business_hours"].update(timezone="Europe/\x00")), "NUL"),
        (_with(lambda p: p["business_hours"].update(hours=["18:00-08:00"] * 7)), "mon hours"),
        (_with(lambda p: p["business_hours"].update(hours=["09:00-17:00"])), "seven"),
        (_with(lambda p: p["business_hours"].update(hours=[""] * 7)), "working day"),
    ],
    ids=[
        "negative",
        "zero",
        "huge",
        "missing",
        "twice",
        "timezone",
        "nul",
        "backwards",
        "one-day",
        "no-day",
    ],
)
def test_bad_input_is_a_4xx_with_a_message(staff_admin, payload, message):
    response = put(signed_in(staff_admin), payload)
    # 400 from the service's checks; 422 from the schema (the NUL character)
    assert response.status_code == (422 if message == "NUL" else 400), response.content
    assert message in json.dumps(response.json())
    assert not AuditEntry.objects.filter(action="support.sla_set").exists()


def test_a_malformed_body_is_a_4xx(staff_admin):
    response = put(signed_in(staff_admin), {"policies": "all of them"})
    assert 400 <= response.status_code < 500
    bad_priority = _with(lambda p: p["policies"][0].update(priority="whenever"))
    assert 400 <= put(signed_in(staff_admin), bad_priority).status_code < 500


# The settings page.


def test_agents_read_the_settings_page_without_a_form(staff_support):
    page = signed_in(staff_support).get("/support/sla/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-sla-policy="urgent"' in html
    assert "1h" in html
    assert "data-sla-form" not in html
    assert "Admins change the SLA policies" in html


def test_an_admin_edits_the_policies_on_the_page(staff_admin):
    client = signed_in(staff_admin)
    assert "data-sla-form" in client.get("/support/sla/").content.decode()
    form = {"timezone": "Europe/Paris"}
    for policy in PAYLOAD["policies"]:
        for name in ("first_reply_minutes", "next_reply_minutes", "resolution_minutes"):
            form[f"{policy['priority']}-{name}"] = str(policy[name])
    form["high-business_hours"] = "1"
    for day, hours in zip(
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), ["10:00-16:00"] * 7, strict=True
    ):
        form[f"hours-{day}"] = hours
    response = client.post("/support/sla/set/", form)
    assert response.status_code == 302
    settings = sla_settings_get()
    assert settings.policies["high"].business_hours is True
    assert settings.policies["normal"].business_hours is False
    assert settings.calendar.timezone == "Europe/Paris"
    assert settings.hours_text == ["10:00-16:00"] * 7
    assert AuditEntry.objects.get(action="support.sla_set").actor == staff_admin


def test_bad_input_on_the_page_is_shown_and_nothing_changes(staff_admin):
    form = {"timezone": "UTC", "urgent-first_reply_minutes": "-3"}
    response = signed_in(staff_admin).post("/support/sla/set/", form)
    assert response.status_code == 400
    assert "whole number of minutes" in response.content.decode()
    assert not AuditEntry.objects.filter(action="support.sla_set").exists()


@pytest.mark.parametrize("role", ["staff_support", "staff_analyst"])
def test_others_may_not_post_the_settings(request, role):
    response = signed_in(request.getfixturevalue(role)).post("/support/sla/set/", {})
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="support.sla_set").exists()


# The queue, the ticket page and the dashboard.


def test_the_queue_shows_which_target_is_due(staff_support):
    now = clock.now()
    late = TicketFactory(created_at=now - timedelta(hours=13))  # first reply 12h: overdue
    answered = TicketFactory(created_at=now - timedelta(hours=2))
    ticket_reply(
        ticket=answered, body="Hello", author_kind="agent", audit=_audit(staff_support),
        at=now - timedelta(hours=1, minutes=30),
    )  # fmt: skip
    ticket_reply(
        ticket=answered, body="Still?", author_kind="customer", audit=_audit(staff_support),
        at=now - timedelta(hours=11, minutes=30) + timedelta(hours=11),
    )  # fmt: skip
    client = signed_in(staff_support)
    html = client.get("/support/").content.decode()
    assert 'data-sla-target="first_reply"' in html
    assert "overdue" in html
    assert 'data-sla-target="next_reply"' in html
    breaching = client.get("/support/", {"view": "breaching"}).content.decode()
    assert 'data-sla-target="first_reply"' in breaching
    assert 'data-sla-target="next_reply"' not in breaching  # due in 11h 30m
    listed = client.get("/api/v1/support/tickets", {"sla": "breached"}).json()["results"]
    assert [(t["id"], t["sla_target"]) for t in listed] == [(late.pk, "first_reply")]
    waiting = client.get("/api/v1/support/tickets", {"target": "next_reply"}).json()["results"]
    assert [(t["id"], t["reply_due_at"] is not None) for t in waiting] == [(answered.pk, True)]
    by_target = client.get("/support/", {"target": "next_reply"}).content.decode()
    assert 'data-sla-target="first_reply"' not in by_target
    assert client.get("/support/", {"target": "someday"}).status_code == 400


def _audit(user):
    from opsroom.core.services.audit import AuditContext

    return AuditContext(actor=user, label=user.get_username())


def test_the_ticket_page_lists_the_targets_and_their_state(staff_support):
    now = clock.now()
    ticket = TicketFactory(
        created_at=now - timedelta(hours=3), first_response_at=now - timedelta(hours=2)
    )
    html = signed_in(staff_support).get(f"/support/tickets/{ticket.pk}/").content.decode()
    first = re.search(r'data-sla-target="first_reply">(.*?)</tr>', html, re.S)
    resolution = re.search(r'data-sla-target="resolution">(.*?)</tr>', html, re.S)
    assert first is not None
    assert resolution is not None
    assert '<span class="sla-ok">met</span>' in first.group(1)
    assert re.search(r"2d 2[01]h left", resolution.group(1))  # 3 days from arrival, 3h ago


def test_the_dashboard_shows_the_share_within_target_per_priority(staff_analyst):
    now = clock.now()
    quick = TicketFactory(
        priority="high",
        created_at=now - timedelta(days=2),
        first_response_at=now - timedelta(days=2) + timedelta(hours=1),
        status="solved",
        resolved_at=now - timedelta(days=2) + timedelta(hours=5),
        sla=False,
    )
    slow = TicketFactory(
        priority="high",
        created_at=now - timedelta(days=3),
        first_response_at=now - timedelta(days=3) + timedelta(hours=6),
        status="solved",
        resolved_at=now - timedelta(days=1),
        sla=False,
    )
    tickets_sla_refresh(tickets=[quick, slow])
    response = signed_in(staff_analyst).get("/support/dashboard/", {"days": "7"})
    high = next(row for row in response.context["current"].by_priority if row.priority == "high")
    assert (high.first_response_met, high.resolution_met) == (0.5, 0.5)
    assert high.first_reply_target_hours == 4
    html = response.content.decode()
    assert 'data-sla-priority="high"' in html
    assert "50%" in html


def test_holidays_through_the_api_and_the_page(staff_admin, staff_analyst):
    with_holidays = _with(
        lambda p: p["business_hours"].update(
            holidays=[{"date": "2026-12-25", "name": "Christmas Day"}]
        )
    )
    response = put(signed_in(staff_admin), with_holidays)
    assert response.status_code == 200, response.content
    assert response.json()["business_hours"]["holidays"] == [
        {"date": "2026-12-25", "name": "Christmas Day"}
    ]
    # A PUT without holidays keeps them.
    assert put(signed_in(staff_admin), PAYLOAD).json()["business_hours"]["holidays"] == [
        {"date": "2026-12-25", "name": "Christmas Day"}
    ]
    page = signed_in(staff_analyst).get("/support/sla/").content.decode()
    assert "Christmas Day" in page
    assert "data-holidays" in page
    form = signed_in(staff_admin).get("/support/sla/").content.decode()
    assert "2026-12-25 Christmas Day</textarea>" in form


@pytest.mark.parametrize(
    ("holidays", "status", "message"),
    [
        ([{"date": "2026-02-30", "name": "Nope"}], 422, "date"),
        ([{"date": "1900-01-01", "name": "Old"}], 400, "outside"),
        ([{"date": "2026-12-25", "name": ""}], 400, "needs a name"),
        ([{"date": "2026-12-25", "name": "A\x00"}], 422, "NUL"),
        ([{"date": "2026-12-25", "name": "A"}, {"date": "2026-12-25", "name": "B"}], 400, "twice"),
    ],
    ids=["no-such-day", "too-old", "no-name", "nul", "twice"],
)
def test_bad_holidays_are_a_4xx(staff_admin, holidays, status, message):
    payload = _with(lambda p: p["business_hours"].update(holidays=holidays))
    response = put(signed_in(staff_admin), payload)
    assert response.status_code == status, response.content
    assert message in json.dumps(response.json())
    assert not AuditEntry.objects.filter(action="support.sla_set").exists()


def _form(**changes):
    form = {"timezone": "UTC", "holidays": "2026-12-25 Christmas Day\n\n2027-01-01 New Year"}
    for priority, minutes in (("urgent", 60), ("high", 240), ("normal", 720), ("low", 1440)):
        for name in ("first_reply_minutes", "next_reply_minutes", "resolution_minutes"):
            form[f"{priority}-{name}"] = str(minutes)
    for day in ("mon", "tue", "wed", "thu", "fri"):
        form[f"hours-{day}"] = "09:00-17:00"
    return form | changes


def test_the_page_saves_holidays_one_a_line(staff_admin, staff_support):
    response = signed_in(staff_admin).post("/support/sla/set/", _form())
    assert response.status_code == 302
    assert [name for _day, name in sla_settings_get().holidays] == ["Christmas Day", "New Year"]
    bad = signed_in(staff_admin).post("/support/sla/set/", _form(holidays="25/12/2026 Xmas"))
    assert bad.status_code == 400
    assert "Holiday line 1" in bad.content.decode()
    assert signed_in(staff_support).post("/support/sla/set/", _form()).status_code == 403
