import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from conftest import signed_in
from opsroom.core import clock
from opsroom.core.models import AuditEntry
from opsroom.core.services.apikeys import api_key_create
from opsroom.core.services.audit import AuditContext
from opsroom.people.impersonation_token import (
    InvalidToken,
    impersonation_token_encode,
    impersonation_token_verify,
)
from opsroom.people.models import ImpersonationGrant
from opsroom.people.services.impersonation import (
    ImpersonationRefused,
    impersonation_redeem,
    impersonation_revoke,
    impersonation_start,
)
from opsroom.people.tests.factories import PersonFactory

SECRET = "shared-with-the-host-app-0123456789"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _claims(**overrides):
    claims = {
        "iss": "opsroom",
        "aud": "host-app",
        "purpose": "impersonation",
        "sub": "user-1",
        "act": {"sub": "sam"},
        "jti": "abc",
        "iat": 1000,
        "nbf": 1000,
        "exp": 1900,
    }
    return {**claims, **overrides}


def test_the_helper_verifies_a_good_token():
    token = impersonation_token_encode(_claims(), secret=SECRET)
    claims = impersonation_token_verify(token, secret=SECRET, audience="host-app", now=1500)
    assert (claims["sub"], claims["act"]["sub"], claims["jti"]) == ("user-1", "sam", "abc")


def _tampered(token):
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _alg_none(token):
    _header, payload, _signature = token.split(".")
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    return f"{header}.{payload}."


@pytest.mark.parametrize(
    ("make", "now", "message"),
    [
        (lambda t: _tampered(t), 1500, "signature does not match"),
        (lambda t: _alg_none(t), 1500, "signature does not match|only HS256"),
        (lambda t: t, 1931, "expired"),
        (lambda t: t, 969, "not valid yet"),
        (lambda t: t + "x", 1500, "signature does not match|base64url"),
        (lambda t: "a.b", 1500, "three dot-separated parts"),
    ],
    ids=["tampered", "alg-none", "expired", "early", "bad-signature", "malformed"],
)
def test_the_helper_refuses_bad_tokens(make, now, message):
    token = impersonation_token_encode(_claims(), secret=SECRET)
    with pytest.raises(InvalidToken, match=message):
        impersonation_token_verify(make(token), secret=SECRET, audience="host-app", now=now)


def test_the_helper_checks_secret_audience_and_claims():
    token = impersonation_token_encode(_claims(), secret=SECRET)
    with pytest.raises(InvalidToken, match="signature"):
        impersonation_token_verify(token, secret="other", audience="host-app", now=1500)
    with pytest.raises(InvalidToken, match="another audience"):
        impersonation_token_verify(token, secret=SECRET, audience="billing-app", now=1500)
    bare = impersonation_token_encode(_claims(act="sam"), secret=SECRET)
    with pytest.raises(InvalidToken, match="actor"):
        impersonation_token_verify(bare, secret=SECRET, audience="host-app", now=1500)


@pytest.fixture
def configured(settings):
    settings.OPSROOM_IMPERSONATION_SECRET = SECRET
    settings.OPSROOM_IMPERSONATION_URL = "https://app.example.com/opsroom-login?token={token}"
    settings.OPSROOM_STAFF_EMAIL_DOMAINS = ["mealplanner.app"]
    return settings


def _audit(user):
    return AuditContext(actor=user, label=user.username, ip="10.0.0.9")


@pytest.mark.django_db
def test_a_grant_is_audited_with_both_identities_and_its_token_verifies(configured, staff_support):
    person = PersonFactory(external_id="u-42", email="jane@example.com")
    with clock.clock_frozen_at(NOW):
        started = impersonation_start(
            person=person,
            staff=staff_support,
            reason="Reproduce the recipe timeout",
            audit=_audit(staff_support),
        )
    claims = impersonation_token_verify(
        started.token, secret=SECRET, audience="host-app", now=NOW.timestamp() + 60
    )
    assert claims["sub"] == "u-42"
    assert claims["act"] == {"sub": "sam"}
    assert claims["exp"] - claims["iat"] == 15 * 60  # the default 15 minutes
    assert started.login_url.startswith("https://app.example.com/opsroom-login?token=eyJ")
    entry = AuditEntry.objects.get(action="person.impersonate_start")
    assert (entry.actor_label, entry.acting_as) == ("sam", "person u-42 <jane@example.com>")
    assert entry.params["reason"] == "Reproduce the recipe timeout"
    assert started.token not in json.dumps(entry.params)  # the token itself is never stored


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"email": "ops@mealplanner.app"}, "staff domain"),
        ({"email": "lead@eu.mealplanner.app"}, "staff domain"),
        ({"attributes": {"is_admin": True}}, "attribute is_admin"),
        ({"attributes": {"role": "Support"}}, "role 'support'"),
    ],
)
def test_staff_and_admin_accounts_cannot_be_targeted(configured, staff_support, fields, why):
    person = PersonFactory(**fields)
    with pytest.raises(ImpersonationRefused, match=why):
        impersonation_start(
            person=person,
            staff=staff_support,
            reason="Checking their view",
            audit=_audit(staff_support),
        )
    assert not ImpersonationGrant.objects.exists()
    refusal = AuditEntry.objects.get(action="person.impersonate_refused")
    assert why.split()[0] in refusal.params["why"]


@pytest.mark.django_db
def test_an_opsroom_staff_email_cannot_be_targeted(configured, staff_support, staff_admin):
    staff_admin.email = "ada@example.com"
    staff_admin.save()
    person = PersonFactory(email="ADA@example.com")
    with pytest.raises(ImpersonationRefused, match="Opsroom staff account"):
        impersonation_start(
            person=person,
            staff=staff_support,
            reason="Checking their view",
            audit=_audit(staff_support),
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"reason": "because"}, "at least 10 characters"), ({"minutes": 61}, "1 to 60 minutes")],
)
def test_a_reason_is_required_and_time_is_limited(configured, staff_support, kwargs, message):
    arguments = {"reason": "Reproduce the bug", "minutes": 15, **kwargs}
    with pytest.raises(ImpersonationRefused, match=message):
        impersonation_start(
            person=PersonFactory(), staff=staff_support, audit=_audit(staff_support), **arguments
        )


@pytest.mark.django_db
def test_without_a_secret_nothing_is_issued(settings, staff_support):
    settings.OPSROOM_IMPERSONATION_SECRET = ""
    with pytest.raises(ImpersonationRefused, match="not set up"):
        impersonation_start(
            person=PersonFactory(),
            staff=staff_support,
            reason="Reproduce the bug",
            audit=_audit(staff_support),
        )


@pytest.fixture
def host_app(db, staff_admin):
    """The host app's API key (ingest scope) and a client sending it."""
    from django.test import Client

    issued = api_key_create(name="host app", scopes=["ingest"], audit=_audit(staff_admin))
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}")


@pytest.mark.django_db
def test_the_host_app_redeems_a_token_once_and_each_use_is_audited(
    configured, staff_support, host_app
):
    person = PersonFactory(external_id="u-7")
    started = impersonation_start(
        person=person, staff=staff_support, reason="Reproduce the bug", audit=_audit(staff_support)
    )
    first = host_app.post(
        "/api/v1/impersonations/redeem", {"token": started.token}, content_type="application/json"
    )
    assert first.status_code == 200
    assert first.json()["state"] == "active"
    assert first.json()["person_external_id"] == "u-7"
    use = AuditEntry.objects.get(action="person.impersonate_use")
    assert use.actor == staff_support
    assert use.actor_label.startswith("sam (via api key ")
    assert use.acting_as.startswith("person u-7")
    again = host_app.post(
        "/api/v1/impersonations/redeem", {"token": started.token}, content_type="application/json"
    )
    assert again.status_code == 400
    assert again.json()["detail"] == "This token is already used."
    assert AuditEntry.objects.filter(
        action="person.impersonate_refused", params__why="already used"
    ).exists()


@pytest.mark.django_db
def test_a_revoked_token_is_refused_and_its_status_says_so(configured, staff_support, host_app):
    started = impersonation_start(
        person=PersonFactory(),
        staff=staff_support,
        reason="Reproduce the bug",
        audit=_audit(staff_support),
    )
    impersonation_revoke(grant=started.grant, audit=_audit(staff_support))
    refused = host_app.post(
        "/api/v1/impersonations/redeem", {"token": started.token}, content_type="application/json"
    )
    assert refused.json() == {"detail": "This token is revoked."}
    status = host_app.get(f"/api/v1/impersonations/{started.grant.token_id}")
    assert status.json()["state"] == "revoked"
    assert AuditEntry.objects.filter(action="person.impersonate_revoke").count() == 1


@pytest.mark.django_db
def test_an_expired_or_forged_token_is_refused(configured, staff_support):
    with clock.clock_frozen_at(NOW):
        started = impersonation_start(
            person=PersonFactory(),
            staff=staff_support,
            reason="Reproduce the bug",
            audit=_audit(staff_support),
        )
    host = AuditContext(label="api key host")
    with (
        clock.clock_frozen_at(NOW + timedelta(minutes=16)),
        pytest.raises(ImpersonationRefused, match="expired"),
    ):
        impersonation_redeem(token=started.token, audit=host)
    with clock.clock_frozen_at(NOW), pytest.raises(ImpersonationRefused, match="signature"):
        impersonation_redeem(token=_tampered(started.token), audit=host)
    assert AuditEntry.objects.filter(action="person.impersonate_refused").count() == 2


@pytest.mark.django_db
def test_the_page_flow_for_an_allowed_role(configured, staff_support):
    person = PersonFactory()
    client = signed_in(staff_support)
    url = f"/people/{person.pk}/actions/impersonate/"
    assert client.get(url).status_code == 200
    review = client.post(url, {"reason": "Reproduce the recipe bug", "minutes": 10})
    assert review.status_code == 200
    assert b"Check, then confirm" in review.content
    assert not ImpersonationGrant.objects.exists()
    done = client.post(url, {"reason": "Reproduce the recipe bug", "minutes": 10, "confirm": "yes"})
    assert done.status_code == 200
    assert b"https://app.example.com/opsroom-login?token=" in done.content
    grant = ImpersonationGrant.objects.get()
    assert grant.expires_at - grant.created_at == timedelta(minutes=10)
    revoke = client.post(f"/people/impersonations/{grant.pk}/revoke/")
    assert revoke.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("fixture", ["staff_billing", "staff_analyst"])
def test_roles_without_the_permission_are_refused(configured, request, fixture):
    user = request.getfixturevalue(fixture)
    person = PersonFactory()
    url = f"/people/{person.pk}/actions/impersonate/"
    client = signed_in(user)
    assert client.get(url).status_code == 403
    assert (
        client.post(
            url, {"reason": "Reproduce the recipe bug", "minutes": 10, "confirm": "yes"}
        ).status_code
        == 403
    )
    assert not ImpersonationGrant.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="person.impersonate").exists()


@pytest.mark.django_db
def test_the_page_refuses_a_staff_target_and_audits_it(configured, staff_support):
    person = PersonFactory(email="ops@mealplanner.app")
    client = signed_in(staff_support)
    url = f"/people/{person.pk}/actions/impersonate/"
    assert b"cannot be impersonated" in client.get(url).content
    response = client.post(url, {"reason": "Reproduce the recipe bug", "minutes": 10})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action="person.impersonate_refused").count() == 1
