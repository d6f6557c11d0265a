"""Announcements to a People segment: by email (a background task, one audited email each)
and in the host app (its inbox endpoint and events), with their figures; roles and bad input."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django_tasks_db.models import DBTaskResult

from conftest import signed_in
from opsroom.core import clock
from opsroom.core.models import AuditEntry
from opsroom.core.services.apikeys import api_key_create
from opsroom.core.services.audit import AuditContext
from opsroom.messaging.models import EmailMessage
from opsroom.people.models import Person
from opsroom.people.tests.factories import PersonFactory
from opsroom.user360.models import Announcement, AnnouncementDelivery, Segment
from opsroom.user360.tasks import announcement_emails_send

pytestmark = pytest.mark.django_db


def _world():
    for n in range(3):
        PersonFactory(external_id=f"u-vip-{n}", is_vip=True, email=f"vip{n}@example.com")
    PersonFactory(external_id="u-vip-gone", is_vip=True, status="deleted")
    PersonFactory(external_id="u-other", is_vip=False)
    return Segment.objects.create(
        name="VIPs", is_shared=True, conditions=[{"field": "vip", "op": "is", "value": True}]
    )


def _run_queued_emails():
    queued = DBTaskResult.objects.get(task_path="opsroom.user360.tasks.announcement_emails_send")
    return announcement_emails_send.call(**queued.args_kwargs["kwargs"])


def _key(staff_admin, scope):
    key = api_key_create(
        name=f"app {scope}", scopes=[scope], audit=AuditContext(actor=staff_admin, label="ada")
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")


def test_an_admin_writes_sends_and_follows_an_announcement(staff_admin):
    segment = _world()
    client = signed_in(staff_admin)
    made = client.post(
        "/people/announcements/",
        {
            "segment": str(segment.pk),
            "title": "Meal plans got faster",
            "body": "We rebuilt the planner.",
            "link_url": "https://littlebites.app/whats-new",
            "by_email": "1",
            "in_app": "1",
            "expires_days": "7",
        },
    )
    announcement = Announcement.objects.get()
    assert made["Location"] == f"/people/announcements/{announcement.pk}/"
    assert announcement.status == "draft"
    sent = client.post(f"/people/announcements/{announcement.pk}/send/", follow=True)
    assert "Sent to 3 people." in sent.content.decode()
    announcement.refresh_from_db()
    assert (announcement.status, announcement.audience_count) == ("sent", 3)
    assert announcement.expires_at is not None
    # Active people only; the emails go from the worker, one audited email each.
    assert AnnouncementDelivery.objects.count() == 3
    assert mail.outbox == []
    assert _run_queued_emails() == {"sent": 3}
    assert len(mail.outbox) == 3
    assert "https://littlebites.app/whats-new" in mail.outbox[0].body
    assert _run_queued_emails() == {"sent": 0}  # safe to run again
    EmailMessage.objects.filter(to_email="vip0@example.com").update(
        opened_at=clock.now(), status="opened"
    )
    page = client.get(f"/people/announcements/{announcement.pk}/").content.decode()
    assert 'data-figure="audience">3<' in page
    assert 'data-figure="opened">1' in page
    again = client.post(f"/people/announcements/{announcement.pk}/send/")
    assert again.status_code == 409
    assert AuditEntry.objects.filter(action="people.announcement_send").count() == 1


def test_the_host_app_reads_and_reports_in_app_announcements(staff_admin):
    segment = _world()
    admin = signed_in(staff_admin)
    made = admin.post(
        "/api/v1/announcements",
        json.dumps(
            {"segment_id": segment.pk, "title": "New recipes", "body": "50 new!", "by_email": False}
        ),
        "application/json",
    )
    assert made.status_code == 201
    announcement_id = made.json()["id"]
    assert admin.post(f"/api/v1/announcements/{announcement_id}/send").status_code == 200
    assert not DBTaskResult.objects.exists()  # no email
    reader, reporter = _key(staff_admin, "read"), _key(staff_admin, "ingest")
    inbox = reader.get("/api/v1/people/u-vip-0/announcements").json()
    assert [(m["id"], m["seen"]) for m in inbox] == [(announcement_id, False)]
    assert reader.get("/api/v1/people/u-other/announcements").json() == []
    assert reader.get("/api/v1/people/nobody/announcements").json() == []
    for event in ("seen", "clicked"):
        response = reporter.post(
            f"/api/v1/announcements/{announcement_id}/events",
            json.dumps({"user_id": "u-vip-0", "event": event}),
            "application/json",
        )
        assert response.status_code == 204
    assert reader.get("/api/v1/people/u-vip-0/announcements").json()[0]["seen"] is True
    reporter.post(
        f"/api/v1/announcements/{announcement_id}/events",
        json.dumps({"user_id": "u-vip-0", "event": "dismissed"}),
        "application/json",
    )
    assert reader.get("/api/v1/people/u-vip-0/announcements").json() == []
    figures = admin.get(f"/api/v1/announcements/{announcement_id}").json()["figures"]
    assert (figures["audience"], figures["seen"], figures["clicked"], figures["dismissed"]) == (
        3,
        1,
        1,
        1,
    )
    wrong = reporter.post(
        f"/api/v1/announcements/{announcement_id}/events",
        json.dumps({"user_id": "u-other", "event": "seen"}),
        "application/json",
    )
    assert wrong.status_code == 404
    bad = reporter.post(
        f"/api/v1/announcements/{announcement_id}/events",
        json.dumps({"user_id": "u-vip-1", "event": "liked"}),
        "application/json",
    )
    assert bad.status_code in (400, 422)
    # Expired: gone from the inbox.
    Announcement.objects.update(expires_at=clock.now() - timedelta(minutes=1))
    assert reader.get("/api/v1/people/u-vip-1/announcements").json() == []


def test_roles_and_bad_input(staff_admin, staff_support, staff_analyst):
    segment = _world()
    for staff in (staff_support, staff_analyst):
        refused = signed_in(staff).post(
            "/people/announcements/", {"segment": str(segment.pk), "title": "t", "body": "b"}
        )
        assert refused.status_code == 403
    assert (
        "New announcement"
        not in signed_in(staff_support).get("/people/announcements/").content.decode()
    )
    admin = signed_in(staff_admin)
    cases = [
        ({"title": " ", "body": "b", "by_email": "1"}, "needs a title"),
        ({"title": "t", "body": "b", "by_email": "1", "link_url": "javascript:x"}, "http(s)"),
        ({"title": "t", "body": "b"}, "by email, in the app, or both"),
        ({"title": "t", "body": "b", "in_app": "1", "expires_days": "400"}, "1 to 90 days"),
    ]
    for form, message in cases:
        response = admin.post("/people/announcements/", {"segment": str(segment.pk), **form})
        assert response.status_code == 400
        assert message in response.content.decode()
    no_segment = admin.post(
        "/people/announcements/", {"segment": "999", "title": "t", "body": "b", "by_email": "1"}
    )
    assert "Choose a segment you can see" in no_segment.content.decode()
    assert not Announcement.objects.exists()
    assert admin.get("/people/announcements/99999999999999999999/").status_code == 404


def test_nobody_active_in_the_segment_means_nothing_is_sent(staff_admin):
    segment = Segment.objects.create(
        name="Nobody", is_shared=True, conditions=[{"field": "vip", "op": "is", "value": True}]
    )
    admin = signed_in(staff_admin)
    admin.post(
        "/people/announcements/",
        {"segment": str(segment.pk), "title": "t", "body": "b", "by_email": "1"},
    )
    announcement = Announcement.objects.get()
    response = admin.post(f"/people/announcements/{announcement.pk}/send/")
    assert response.status_code == 409
    announcement.refresh_from_db()
    assert announcement.status == "draft"


def test_the_email_figures_of_a_large_audience_are_one_subquery(staff_admin):
    # A list of ids would be one SQL parameter per person: SQLite stops at 32,766.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opsroom.user360.selectors.announcements import announcement_figures

    segment = _world()
    announcement = Announcement.objects.create(
        title="Hello", body="Hi", segment=segment, status="sent", audience_count=3
    )
    for n, person in enumerate(Person.objects.filter(is_vip=True, status="active")):
        AnnouncementDelivery.objects.create(announcement=announcement, person=person, email_id=n)
    with CaptureQueriesContext(connection) as queries:
        figures = announcement_figures(announcement=announcement)
    assert figures.audience == 3
    email_reads = [
        q["sql"] for q in queries.captured_queries if "messaging_emailmessage" in q["sql"]
    ]
    assert len(email_reads) == 1
    assert "IN (SELECT" in email_reads[0].upper()
