import hashlib

import pytest
from django.test import Client

from conftest import signed_in
from opsroom.core.models import ApiKey, AuditEntry
from opsroom.core.services.apikeys import api_key_authenticate, api_key_create, api_key_revoke
from opsroom.core.services.audit import AuditContext


def _issue(user, scopes=("read",)):
    return api_key_create(
        name="backend", scopes=list(scopes), audit=AuditContext(actor=user, label=user.username)
    )


@pytest.mark.django_db
def test_a_key_is_stored_only_as_a_hash(staff_admin):
    issued = _issue(staff_admin)
    stored = ApiKey.objects.get()
    assert issued.raw_key.startswith(f"opk_{stored.prefix}_")
    assert stored.key_hash == hashlib.sha256(issued.raw_key.encode()).hexdigest()
    assert issued.raw_key not in str(ApiKey.objects.values().get())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scopes", "asked", "allowed"),
    [
        (["read"], "read", True),
        (["read"], "ingest", False),
        (["ingest"], "read", False),
        (["admin"], "ingest", True),
        (["admin"], "read", True),
    ],
    ids=["read-read", "read-ingest", "ingest-read", "admin-ingest", "admin-read"],
)
def test_keys_hold_only_their_scopes(staff_admin, scopes, asked, allowed):
    issued = _issue(staff_admin, scopes)
    assert (api_key_authenticate(raw_key=issued.raw_key, scope=asked) is not None) is allowed


@pytest.mark.django_db
def test_a_revoked_or_altered_key_is_refused(staff_admin):
    issued = _issue(staff_admin)
    assert api_key_authenticate(raw_key=issued.raw_key[:-1] + "x", scope="read") is None
    api_key_revoke(api_key=issued.api_key, audit=AuditContext(actor=staff_admin, label="ada"))
    assert api_key_authenticate(raw_key=issued.raw_key, scope="read") is None
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["api_key.create", "api_key.revoke"]


@pytest.mark.django_db
def test_the_api_answers_to_a_key_a_session_or_nobody(staff_admin, staff_analyst):
    issued = _issue(staff_admin)
    by_key = Client().get("/api/v1/whoami", HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}")
    assert by_key.json() == {"kind": "api_key", "name": "backend", "scopes": ["read"]}
    assert signed_in(staff_analyst).get("/api/v1/whoami").json()["kind"] == "staff"
    anonymous = Client().get("/api/v1/whoami")
    assert anonymous.status_code == 401
    assert "Authorization: Bearer" in anonymous.json()["detail"]


@pytest.mark.django_db
def test_the_page_shows_a_new_key_once(staff_admin):
    client = signed_in(staff_admin)
    response = client.post("/api-keys/", {"name": "ingest from app", "scopes": ["ingest"]})
    assert response.status_code == 200
    raw_key = response.context["issued"].raw_key
    assert raw_key.encode() in response.content
    assert raw_key.encode() not in client.get("/api-keys/").content


@pytest.mark.django_db
def test_the_page_rejects_a_key_without_scopes(staff_admin):
    response = signed_in(staff_admin).post("/api-keys/", {"name": "x"})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


@pytest.mark.django_db
def test_only_admins_manage_keys(staff_support, staff_analyst):
    for user in (staff_support, staff_analyst):
        client = signed_in(user)
        assert client.get("/api-keys/").status_code == 403
        assert client.post("/api-keys/", {"name": "x", "scopes": ["admin"]}).status_code == 403
    assert not ApiKey.objects.exists()
