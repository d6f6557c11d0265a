import pytest
from django.db import DatabaseError, connection, transaction

from conftest import signed_in
from opsroom.core import sqlite_functions
from opsroom.core.models import AuditEntry
from opsroom.core.services.audit import AuditContext, audit_record


def _entry(**overrides):
    values = {"action": "person.note_add", "target_type": "people.person", "target_id": "7"}
    values.update(overrides)
    return audit_record(AuditContext.system("tests"), **values)


@pytest.mark.django_db
def test_an_entry_cannot_be_changed_through_the_model():
    entry = _entry()
    entry.action = "forged"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


@pytest.mark.django_db
def test_the_database_refuses_updates_even_in_raw_sql():
    entry = _entry()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action = 'forged' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "person.note_add"


@pytest.mark.django_db
def test_the_database_refuses_deletes_even_in_raw_sql(monkeypatch):
    # The test suite lets Django's flush empty the table on SQLite; production does not.
    monkeypatch.setattr(sqlite_functions, "audit_purge_allowed", False)
    entry = _entry()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "delete",
    [
        lambda: AuditEntry._base_manager.all().delete(),
        lambda: AuditEntry._base_manager.filter(action="person.note_add").update(action="x"),
        lambda: AuditEntry.objects.all()._raw_delete(using="default"),
        lambda: AuditEntry._base_manager.all()._raw_delete(using="default"),
        lambda: AuditEntry._default_manager.all()._update({"action": "x"}),
        lambda: AuditEntry.objects.bulk_update(list(AuditEntry.objects.all()), ["action"]),
    ],
    ids=[
        "base-manager-delete",
        "base-manager-update",
        "raw-delete",
        "base-raw-delete",
        "internal-update",
        "bulk-update",
    ],
)
def test_no_orm_path_changes_or_deletes_entries(delete):
    entry = _entry()
    with pytest.raises(PermissionError), transaction.atomic():
        delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "person.note_add"


@pytest.mark.django_db
def test_the_audit_page_filters_by_action_and_target(staff_analyst):
    _entry(action="person.note_add", target_id="7")
    _entry(action="person.email_send", target_id="8")
    client = signed_in(staff_analyst)
    response = client.get("/audit/", {"action": "person.email_send"})
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert [row.action for row in rows] == ["person.email_send"]
    response = client.get("/audit/", {"target_id": "7"})
    assert [row.target_id for row in response.context["page"]] == ["7"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "2026-13-40"}, b"Enter a valid date"),
        ({"ip": "not-an-ip"}, b"Enter a valid IPv4 or IPv6 address"),
        ({"since": "2026-05-02", "until": "2026-05-01"}, b"must not be before"),
    ],
    ids=["bad-date", "bad-ip", "until-before-since"],
)
def test_bad_audit_filters_get_a_clear_400(staff_analyst, query, message):
    response = signed_in(staff_analyst).get("/audit/", query)
    assert response.status_code == 400
    assert message in response.content


@pytest.mark.django_db
def test_the_client_ip_comes_from_the_trusted_proxy_hop(rf, settings):
    settings.OPSROOM_TRUSTED_PROXIES = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.1")
    assert AuditContext.from_request(request).ip == "203.0.113.9"
    settings.OPSROOM_TRUSTED_PROXIES = 0
    assert AuditContext.from_request(request).ip == "10.0.0.1"


@pytest.mark.django_db
def test_the_audit_page_opens_on_the_latest_entries_with_readable_parameters(staff_analyst):
    _entry(action="person.tag_add", target_id="7", params={"tags": ["bug-3481", "vip"]})
    _entry(
        action="people.health_settings_change",
        params={"from": {"healthy_min": 70}, "to": {"healthy_min": 75}},
    )
    response = signed_in(staff_analyst).get("/audit/")
    assert response.status_code == 200
    assert [row.action for row in response.context["page"]] == [
        "people.health_settings_change",
        "person.tag_add",
    ]
    page = response.content.decode()
    assert "<dt>Tags</dt><dd>bug-3481, vip</dd>" in page
    assert "<dt>Healthy min</dt><dd>70 → 75</dd>" in page
    assert "{&#x27;" not in page  # no Python dict
