"""The model cards (pages and API): every role reads them, only model managers switch models."""

import pytest
from django.test import Client

from conftest import signed_in
from opsroom.core.ml.cache import model_cache_clear
from opsroom.core.models import AuditEntry, ModelArtifact
from opsroom.core.services.apikeys import api_key_create
from opsroom.core.services.audit import AuditContext
from opsroom.core.tests.ml_data import stored

pytestmark = pytest.mark.django_db
ROLES = ["staff_admin", "staff_support", "staff_billing", "staff_analyst"]
NOT_MANAGERS = ["staff_support", "staff_billing", "staff_analyst"]


@pytest.fixture(autouse=True)
def _empty_model_cache():
    model_cache_clear()
    yield
    model_cache_clear()


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_model_list(request, role):
    artifact = stored()
    response = signed_in(request.getfixturevalue(role)).get("/models/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "support.triage.category" in body
    assert artifact.get_absolute_url() in body


def test_the_list_says_when_nothing_was_trained(staff_analyst):
    response = signed_in(staff_analyst).get("/models/")
    assert "No model has been trained yet" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_a_model_card(request, role):
    artifact = stored()
    response = signed_in(request.getfixturevalue(role)).get(artifact.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("Macro-F1", "0.900", "0.600", "billing", "Calibration", "Confusion", "In use"):
        assert text in body, text
    assert "320 to train, 80 held out" in body
    can_manage = role == "staff_admin"
    assert ('id="deactivate-form"' in body) is can_manage


def test_a_card_says_why_a_model_is_not_used(staff_analyst):
    artifact = stored(score=0.5, baseline=0.6)
    body = signed_in(staff_analyst).get(artifact.get_absolute_url()).content.decode()
    assert "Not in use" in body
    assert "the rules stay in use" in body


def test_an_unknown_model_is_a_404_page(staff_analyst):
    response = signed_in(staff_analyst).get("/models/999999/")
    assert response.status_code == 404
    assert "There is no stored model 999999." in response.content.decode()


def test_an_admin_switches_to_a_better_version_and_it_is_audited(staff_admin):
    first = stored()
    second = stored(seed=1, activate=False)
    response = signed_in(staff_admin).post(f"/models/{second.pk}/activate/")
    assert response.status_code == 302
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.is_active
    assert not first.is_active
    entry = AuditEntry.objects.get(action="model.activate")
    assert entry.actor == staff_admin
    assert entry.target_id == str(second.pk)


def test_forcing_a_worse_version_needs_a_reason(staff_admin):
    worse = stored(score=0.5, baseline=0.6)
    client = signed_in(staff_admin)
    response = client.post(f"/models/{worse.pk}/activate/", follow=True)
    assert "does not beat its rule baseline" in response.content.decode()
    worse.refresh_from_db()
    assert not worse.is_active
    client.post(f"/models/{worse.pk}/activate/", {"reason": "Rules are down for a rewrite."})
    worse.refresh_from_db()
    assert worse.is_active
    assert worse.is_forced


def test_an_admin_stops_using_a_model(staff_admin):
    artifact = stored()
    signed_in(staff_admin).post(f"/models/{artifact.pk}/deactivate/", {"reason": "drift"})
    artifact.refresh_from_db()
    assert not artifact.is_active
    assert AuditEntry.objects.get(action="model.deactivate").params == {"reason": "drift"}


def test_a_too_long_reason_is_refused_with_a_message(staff_admin):
    worse = stored(score=0.5, baseline=0.6)
    response = signed_in(staff_admin).post(
        f"/models/{worse.pk}/activate/", {"reason": "x" * 501}, follow=True
    )
    assert "too long" in response.content.decode()
    worse.refresh_from_db()
    assert not worse.is_active


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_other_roles_cannot_switch_models(request, role):
    active = stored()
    other = stored(seed=1, activate=False)
    client = signed_in(request.getfixturevalue(role))
    assert client.post(f"/models/{other.pk}/activate/").status_code == 403
    assert client.post(f"/models/{active.pk}/deactivate/").status_code == 403
    assert ModelArtifact.objects.get(is_active=True).pk == active.pk
    assert not AuditEntry.objects.filter(action__in=["model.activate", "model.deactivate"]).exists()


def test_switching_an_unknown_model_is_a_404(staff_admin):
    client = signed_in(staff_admin)
    assert client.post("/models/999999/activate/").status_code == 404
    assert client.post("/models/999999/deactivate/").status_code == 404


def test_the_pages_refuse_get_on_actions_and_post_on_reads(staff_admin):
    artifact = stored()
    client = signed_in(staff_admin)
    assert client.get(f"/models/{artifact.pk}/activate/").status_code == 405
    assert client.post("/models/").status_code == 405


# The JSON API


def test_the_api_lists_and_gets_models_for_a_signed_in_user(staff_analyst):
    artifact = stored()
    stored(name="revenue.churn", score=0.5)
    client = signed_in(staff_analyst)
    listed = client.get("/api/v1/models").json()
    assert [(m["name"], m["version"]) for m in listed] == [
        ("revenue.churn", 1),
        ("support.triage.category", 1),
    ]
    assert (
        client.get("/api/v1/models", {"name": "revenue.churn"}).json()[0]["beats_baseline"] is False
    )
    card = client.get(f"/api/v1/models/{artifact.pk}").json()
    assert card["score"] == 0.9
    assert card["baseline_score"] == 0.6
    assert card["is_active"] is True
    assert card["metrics"]["confusion"] == [[40, 2], [3, 35]]
    assert "artifact" not in card


def test_the_api_takes_a_read_key(staff_admin):
    artifact = stored()
    issued = api_key_create(
        name="dash", scopes=["read"], audit=AuditContext(actor=staff_admin, label="ada")
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}")
    assert client.get(f"/api/v1/models/{artifact.pk}").status_code == 200
    assert Client().get(f"/api/v1/models/{artifact.pk}").status_code == 401


def test_the_api_answers_404_for_an_unknown_model(staff_analyst):
    response = signed_in(staff_analyst).get("/api/v1/models/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no stored model 999999."}
    assert signed_in(staff_analyst).get("/api/v1/models/not-a-number").status_code == 422


def test_an_id_beyond_any_database_integer_is_a_404(staff_admin):
    client = signed_in(staff_admin)
    huge = 10**20
    assert client.get(f"/api/v1/models/{huge}").status_code == 404
    assert client.get(f"/models/{huge}/").status_code == 404
    assert client.post(f"/models/{huge}/activate/").status_code == 404


def test_a_name_with_a_nul_character_is_refused_not_a_500(staff_analyst):
    response = signed_in(staff_analyst).get("/api/v1/models", {"name": "a\x00b"})
    assert response.status_code == 422
