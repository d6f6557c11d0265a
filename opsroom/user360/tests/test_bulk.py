"""Bulk actions on a filtered set: count and confirmation first, permissions, one audit entry."""

import csv
import io

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from conftest import signed_in
from opsroom.core.models import AuditEntry
from opsroom.messaging.tests.factories import EmailTemplateFactory
from opsroom.people.models import Note, Person
from opsroom.people.tests.factories import PersonFactory
from opsroom.user360.tasks import bulk_email_send

pytestmark = pytest.mark.django_db
QUERY = {"field": "vip", "op": "is", "value": "yes", "days": "", "key": ""}


@pytest.fixture
def vips():
    PersonFactory(is_vip=False)
    return [PersonFactory(is_vip=True, name=f"Vip {i}") for i in range(3)]


def _payload(action, **extra):
    base = {
        "tag": {"tags": "vip-care"},
        "note": {"note": "Call before renewal."},
        "email": {"template": "we-miss-you"},
        "export": {},
    }[action]
    return {**QUERY, "action": action, **base, **extra}


AUDITED = {
    "tag": "people.bulk_tag",
    "note": "people.bulk_note",
    "email": "people.bulk_email",
    "export": "people.bulk_export",
}


@pytest.mark.parametrize("action", ["tag", "note", "email", "export"])
def test_the_count_comes_first_then_the_action_and_one_audit_entry(
    vips, staff_support, action, django_capture_on_commit_callbacks
):
    EmailTemplateFactory(key="we-miss-you")
    client = signed_in(staff_support)
    review = client.post("/people/bulk/", _payload(action))
    assert review.status_code == 200
    assert b'data-bulk-count="3"' in review.content
    assert not AuditEntry.objects.filter(action=AUDITED[action]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/people/bulk/", _payload(action, confirm_count="3"))
    entry = AuditEntry.objects.get(action=AUDITED[action])
    assert entry.actor == staff_support
    assert entry.params["count"] == 3
    assert entry.params["query"]["conditions"] == [{"field": "vip", "op": "is", "value": True}]
    assert entry.target_label == "VIP is yes"
    if action == "export":
        rows = list(csv.reader(io.StringIO(b"".join(done.streaming_content).decode())))
        assert rows[0][:3] == ["external_id", "email", "name"]
        assert sorted(row[2] for row in rows[1:]) == ["Vip 0", "Vip 1", "Vip 2"]
        return
    assert done.status_code == 302
    if action == "tag":
        assert Person.objects.filter(tags__name="vip-care").count() == 3
    elif action == "note":
        assert Note.objects.filter(body="Call before renewal.").count() == 3
    else:
        # Queued on commit; run what was queued, as the worker would.
        queued = DBTaskResult.objects.get(task_path="opsroom.user360.tasks.bulk_email_send")
        assert mail.outbox == []
        outcome = bulk_email_send.call(**queued.args_kwargs["kwargs"])
        assert outcome == {"sent": 3, "skipped": 0}
        assert len(mail.outbox) == 3
        assert AuditEntry.objects.filter(action="person.email_send").count() == 3


@pytest.mark.parametrize(
    ("action", "role"),
    [
        ("tag", "staff_billing"),
        ("note", "staff_analyst"),
        ("email", "staff_billing"),
        ("export", "staff_analyst"),
    ],
)
def test_a_refused_role_cannot_even_see_the_count(request, vips, action, role):
    EmailTemplateFactory(key="we-miss-you")
    client = signed_in(request.getfixturevalue(role))
    assert client.post("/people/bulk/", _payload(action)).status_code == 403
    assert client.post("/people/bulk/", _payload(action, confirm_count="3")).status_code == 403
    assert not AuditEntry.objects.filter(action=AUDITED[action]).exists()
    assert not Note.objects.exists()


def test_billing_may_export(vips, staff_billing):
    response = signed_in(staff_billing).post("/people/bulk/", _payload("export", confirm_count="3"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_a_set_that_changed_since_the_review_is_shown_again(vips, staff_support):
    client = signed_in(staff_support)
    PersonFactory(is_vip=True)
    response = client.post("/people/bulk/", _payload("tag", confirm_count="3"))
    assert response.status_code == 200
    assert b"The set changed since you reviewed it (it was 3)" in response.content
    assert not AuditEntry.objects.filter(action="people.bulk_tag").exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({**QUERY, "action": "tag", "tags": ""}, b"Give at least one tag to add."),
        (
            {**QUERY, "action": "email", "template": "nope", "confirm_count": "3"},
            b"no active email template",
        ),
        (
            {"field": "mrr", "op": "gt", "value": "lots", "action": "tag", "tags": "x"},
            b"is not an amount",
        ),
        ({"field": "vip", "op": "is", "value": "no", "action": "launch"}, b"Choose a bulk action."),
    ],
)
def test_bad_bulk_input_is_a_clear_400(vips, staff_support, payload, message):
    response = signed_in(staff_support).post("/people/bulk/", payload)
    assert response.status_code == 400
    assert message in response.content


def test_sets_over_the_limit_are_refused(vips, staff_support, settings):
    settings.OPSROOM_BULK_MAX = 2
    response = signed_in(staff_support).post("/people/bulk/", _payload("tag"))
    assert response.status_code == 400
    assert b"more than the 2 a bulk tag may cover" in response.content


def test_the_bulk_email_task_skips_who_cannot_get_one(vips, staff_support):
    EmailTemplateFactory(key="we-miss-you")
    vips[0].email = ""
    vips[0].save()
    outcome = bulk_email_send.call(
        person_ids=[p.pk for p in vips],
        template_key="we-miss-you",
        actor_id=staff_support.pk,
        actor_label="sam",
        ip=None,
    )
    assert outcome == {"sent": 2, "skipped": 1}


def test_the_bulk_bar_sits_above_the_list_with_each_actions_inputs(vips, staff_support):
    page = signed_in(staff_support).get("/people/", QUERY).content.decode()
    assert page.index("data-bulk-form") < page.index("people-table")  # with the count, on top
    assert page.index("segment-save") < page.index("people-table")
    assert 'value="export" data-fields=""' in page
    assert 'value="tag" data-fields="tags"' in page
    assert 'data-bulk-field="template"' in page


def test_the_confirmation_says_what_will_happen_and_previews_the_email(vips, staff_support):
    EmailTemplateFactory(key="we-miss-you", subject="We miss you, {{ first_name }}")
    client = signed_in(staff_support)
    review = client.post("/people/bulk/", _payload("email")).content.decode()
    assert "This will <strong>email 3 people</strong>" in review
    first = min(vips, key=lambda person: person.pk)
    assert "data-bulk-preview" in review
    assert f"We miss you, {first.name.split()[0]}" in review
    export = client.post("/people/bulk/", _payload("export")).content.decode()
    assert "This will <strong>export 3 people</strong>" in export
    assert "Confirm: export 3 people" in export
    assert "This will <strong>export csv" not in export


def test_analysts_are_told_why_there_is_no_bulk_bar(vips, staff_analyst):
    page = signed_in(staff_analyst).get("/people/", QUERY).content.decode()
    assert "data-bulk-form" not in page
    assert (
        "No bulk actions: Analysts can read but not run bulk actions on a set of people and "
        "export people as CSV; support agents and admins can."
    ) in page
