import pytest
from django.test import Client

from conftest import STAFF_PASSWORD
from opsroom.core.models import AuditEntry


def _post(client, username, password, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


@pytest.mark.django_db
def test_signing_in_is_audited_and_lands_on_home(staff_support):
    client = Client()
    response = _post(client, "sam", STAFF_PASSWORD, REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 302
    assert response["Location"] == "/"
    entry = AuditEntry.objects.get(action="auth.login")
    assert (entry.actor, entry.ip) == (staff_support, "10.0.0.7")


@pytest.mark.django_db
def test_a_wrong_password_is_refused_and_audited(staff_support):
    response = _post(Client(), "sam", "wrong")
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert (entry.target_type, entry.target_id, entry.actor) == ("username", "sam", None)


@pytest.mark.django_db
def test_failed_sign_ins_are_throttled_even_for_the_right_password(staff_support, settings):
    settings.OPSROOM_LOGIN_MAX_FAILURES = 3
    client = Client()
    for _ in range(3):
        assert _post(client, "sam", "wrong").status_code == 200
    response = _post(client, "sam", STAFF_PASSWORD)
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert AuditEntry.objects.filter(action="auth.login_throttled").count() == 1
    assert not AuditEntry.objects.filter(action="auth.login").exists()


@pytest.mark.django_db
def test_one_address_trying_many_accounts_is_throttled(staff_support, settings):
    settings.OPSROOM_LOGIN_MAX_FAILURES = 1  # four failures per address
    client = Client()
    for name in ("a", "b", "c", "d"):
        _post(client, name, "wrong", REMOTE_ADDR="10.9.9.9")
    assert _post(client, "sam", STAFF_PASSWORD, REMOTE_ADDR="10.9.9.9").status_code == 429
    assert _post(client, "sam", STAFF_PASSWORD, REMOTE_ADDR="10.1.1.1").status_code == 302


@pytest.mark.django_db
def test_a_non_staff_account_cannot_sign_in(django_user_model):
    django_user_model.objects.create_user(username="cust", password=STAFF_PASSWORD)
    response = _post(Client(), "cust", STAFF_PASSWORD)
    assert response.status_code == 200
    assert b"not a staff account" in response.content


@pytest.mark.django_db
def test_next_is_followed_only_within_the_site(staff_support):
    inside = Client().post(
        "/login/", {"username": "sam", "password": STAFF_PASSWORD, "next": "/audit/"}
    )
    outside = Client().post(
        "/login/", {"username": "sam", "password": STAFF_PASSWORD, "next": "https://evil.example/"}
    )
    assert inside["Location"] == "/audit/"
    assert outside["Location"] == "/"


@pytest.mark.django_db
def test_signing_out_is_audited(staff_support):
    client = Client()
    client.force_login(staff_support)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="auth.logout", actor=staff_support).count() == 1
    assert client.get("/").status_code == 302
