"""Sign-in, sessions, the API's answer without credentials, role and permission changes, the
role table in the docs, and the development server: what an outside test of main found."""

import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from conftest import STAFF_PASSWORD, signed_in
from opsroom.core import roles
from opsroom.core.models import AuditEntry, User
from opsroom.core.roles import ANALYST, roles_sync
from opsroom.people.models import Note
from opsroom.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _sign_in(client, username, password=STAFF_PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


# 2. The throttle counts the name the form signs in with.


@pytest.mark.parametrize(
    "variant",
    ["\uff54hrottle_user", "THROTTLE_USER", " throttle_user ", "throttle\u005fuser"],
    ids=["fullwidth-t", "upper-case", "spaces", "plain"],
)
def test_a_look_alike_name_is_throttled_as_the_name_it_signs_in_as(settings, variant):
    settings.OPSROOM_LOGIN_MAX_FAILURES = 5
    user = User.objects.create_user(
        username="throttle_user", password=STAFF_PASSWORD, is_staff=True
    )
    user.groups.set([Group.objects.get(name=ANALYST)])
    client = Client()
    for _ in range(5):
        assert _sign_in(client, "throttle_user", "wrong").status_code == 200
    response = _sign_in(client, variant)
    assert response.status_code == 429
    assert not AuditEntry.objects.filter(action="auth.login").exists()


# 3. Both session limits hold on every path, the API included.


def _aged(client, **ago):
    session = client.session
    now = int(time.time())
    for key, seconds in ago.items():
        session[key] = now - seconds
    session.save()


def test_the_absolute_limit_does_not_slide_with_activity(staff_analyst):
    client = Client()
    assert _sign_in(client, "ann").status_code == 302
    expiry = client.session.get_expiry_date()
    assert client.get("/").status_code == 200
    _aged(client, opsroom_last_active=120)  # the idle clock is written again
    assert client.get("/").status_code == 200
    assert client.session.get_expiry_date() == expiry  # not moved by the requests
    _aged(client, opsroom_signed_in_at=12 * 3600 + 60, opsroom_last_active=30)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_session_idle_for_three_hours_cannot_write_through_the_api(staff_support):
    person = PersonFactory()
    client = Client()
    _sign_in(client, "sam")
    _aged(client, opsroom_last_active=3 * 3600)
    response = client.post(
        f"/api/v1/people/{person.pk}/actions",
        data={"action": "note", "body": "written while away"},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert not Note.objects.exists()


def test_a_session_past_twelve_hours_cannot_read_the_api(staff_analyst):
    client = Client()
    _sign_in(client, "ann")
    assert client.get("/api/v1/whoami").status_code == 200
    _aged(client, opsroom_signed_in_at=13 * 3600, opsroom_last_active=10)
    assert client.get("/api/v1/whoami").status_code == 401


# 11. A mutating API call without credentials is a 401, not a CSRF 403.


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/segments"),
        ("post", "/api/v1/people/1/actions"),
        ("delete", "/api/v1/segments/1"),
        ("post", "/api/v1/people/1/ask"),
    ],
)
def test_a_mutating_api_call_without_credentials_is_a_401(method, path):
    response = getattr(Client(enforce_csrf_checks=True), method)(
        path, data={}, content_type="application/json"
    )
    assert response.status_code == 401
    assert "Authentication required" in response.json()["detail"]


def test_a_signed_in_session_is_still_held_to_the_csrf_check(staff_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_admin)
    response = client.post("/api/v1/segments", data={"name": "x"}, content_type="application/json")
    assert response.status_code == 403


def test_pages_refuse_a_body_larger_than_the_upload_limit():
    body = "username=a&password=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    response = Client().post("/login/", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


# 7. Every permission and role change is audited; the roles themselves come from the code.


def _permission(name):
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def test_a_group_permission_change_in_the_admin_is_audited(admin_client_):
    group = Group.objects.create(name="Contractors")
    group.permissions.set([_permission("people.view_person")])
    response = admin_client_.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": "Contractors", "permissions": [_permission("people.add_note").pk]},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="role.permissions_set")
    assert entry.actor.username == "ada"
    assert entry.params == {"added": ["people.add_note"], "removed": ["people.view_person"]}


def test_the_roles_are_read_only_in_the_admin(admin_client_):
    analyst = Group.objects.get(name=ANALYST)
    response = admin_client_.post(
        f"/admin/auth/group/{analyst.pk}/change/",
        {"name": ANALYST, "permissions": [_permission("people.add_note").pk]},
    )
    assert response.status_code == 403
    assert not analyst.permissions.filter(codename="add_note").exists()
    assert admin_client_.post(f"/admin/auth/group/{analyst.pk}/delete/").status_code == 403


def test_a_staff_user_permission_change_in_the_admin_is_audited(admin_client_, staff_analyst):
    page = admin_client_.get(f"/admin/core/user/{staff_analyst.pk}/change/")
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if value is not None and key not in ("password", "groups", "user_permissions")
    }
    data.update(
        {
            "username": "ann",
            "is_active": "on",
            "is_staff": "on",
            "groups": [Group.objects.get(name=ANALYST).pk],
            "user_permissions": [_permission("people.add_note").pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        }
    )
    data.pop("last_login", None)
    response = admin_client_.post(f"/admin/core/user/{staff_analyst.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    entry = AuditEntry.objects.get(action="staff.permissions_set")
    assert entry.params == {"added": ["people.add_note"], "removed": []}


def test_roles_sync_audits_what_it_changes():
    analyst = Group.objects.get(name=ANALYST)
    analyst.permissions.add(_permission("people.add_note"))  # e.g. by hand in the database
    roles_sync()
    entry = AuditEntry.objects.get(action="role.permissions_set")
    assert (entry.actor_label, entry.target_label) == ("roles sync", ANALYST)
    assert entry.params == {"added": [], "removed": ["people.add_note"]}
    roles_sync()
    assert AuditEntry.objects.filter(action="role.permissions_set").count() == 1


# 8. The role table in the operator docs is the one the code enforces.


def test_the_role_table_in_the_docs_is_generated_from_the_code():
    docs = (Path(settings.BASE_DIR) / "docs" / "operating.md").read_text()
    block = re.search(
        r"<!-- role table: generated.*?-->\n(.*?)<!-- end of role table -->", docs, re.S
    )
    assert block is not None, "docs/operating.md lost its role table markers"
    assert block.group(1) == roles.role_table(), "run: manage.py opsroom_roles_doc"


@pytest.mark.parametrize(
    ("fixture", "permission", "held"),
    [
        ("staff_analyst", "user360.share_segment", False),
        ("staff_analyst", "people.export_people", False),
        ("staff_billing", "people.export_people", True),
        ("staff_support", "people.export_people", True),
        ("staff_support", "user360.share_segment", True),
    ],
)
def test_roles_hold_what_the_table_says(request, fixture, permission, held):
    assert request.getfixturevalue(fixture).has_perm(permission) is held


# 11. `make run`'s development server does not start in production mode.


def test_the_development_server_refuses_to_start_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="gunicorn"):
        call_command("opsroom_serve")


def test_signed_in_staff_keep_working(staff_analyst):
    assert signed_in(staff_analyst).get("/").status_code == 200
