"""The request inspector's filters, and replay's refusals: off, production hosts, non-admins."""

import time

import pytest

from conftest import signed_in
from opsroom.core import clock
from opsroom.core.errors import Conflict, Forbidden
from opsroom.core.models import AuditEntry
from opsroom.core.services.audit import AuditContext
from opsroom.core.tests.http_stub import http_stub
from opsroom.telemetry.models import ApiRequest
from opsroom.telemetry.replay import api_request_curl, api_request_replay
from opsroom.telemetry.services import api_request_record_many
from opsroom.telemetry.tests.factories import ApiRequestFactory

pytestmark = pytest.mark.django_db


def test_filters_narrow_the_list_and_bad_filters_are_a_400(staff_analyst):
    slow = ApiRequestFactory(route="/api/recipes/generate", status=504, duration_ms=30000)
    ApiRequestFactory(route="/api/me", status=200, duration_ms=20)
    client = signed_in(staff_analyst)

    page = client.get("/debug/requests/", {"status": "5xx", "min_ms": 1000})
    bad = client.get("/debug/requests/", {"status": "abc", "person": "nobody"})

    assert [r.pk for r in page.context["requests"]] == [slow.pk]
    assert bad.status_code == 400
    assert "No person with this user id or email" in bad.content.decode()


def test_curl_carries_the_method_path_and_redacted_body():
    api_request_record_many(
        rows=[{"request_id": "r1", "method": "POST", "route": "/api/auth/login",
               "path": "/api/auth/login", "status": 200, "duration_ms": 12.0,
               "occurred_at": clock.now(),
               "request_body": '{"email": "a@b.c", "password": "hunter22"}'}]
    )  # fmt: skip
    request = ApiRequest.objects.get(request_id="r1")

    curl = api_request_curl(request, base_url="https://staging.example.com")

    assert curl.startswith("curl -X POST https://staging.example.com/api/auth/login")
    assert "hunter22" not in curl


def test_replay_is_off_without_a_staging_url(staff_admin):
    with pytest.raises(Conflict, match="Replay is off"):
        api_request_replay(api_request=ApiRequestFactory(), audit=AuditContext(actor=staff_admin))


def test_replay_refuses_a_production_host(settings, staff_admin):
    settings.OPSROOM_HOST_WEBHOOK_URL = "https://app.littlebites.example/hooks/opsroom"
    settings.OPSROOM_REPLAY_BASE_URL = "https://app.littlebites.example/"

    with pytest.raises(Conflict, match="production host"):
        api_request_replay(api_request=ApiRequestFactory(), audit=AuditContext(actor=staff_admin))


def test_replay_is_for_admins_only(settings, staff_support):
    settings.OPSROOM_REPLAY_BASE_URL = "http://127.0.0.1:9/"

    with pytest.raises(Forbidden):
        api_request_replay(api_request=ApiRequestFactory(), audit=AuditContext(actor=staff_support))
    refused = signed_in(staff_support).post(f"/debug/requests/{ApiRequestFactory().pk}/replay/")
    assert refused.status_code == 403


def test_a_replay_that_times_out_is_recorded_and_audited(settings, staff_admin):
    def slow(method, path, body):
        time.sleep(2)
        return 200, {}

    with http_stub(slow) as stub:
        settings.OPSROOM_REPLAY_BASE_URL = stub.url
        settings.OPSROOM_REPLAY_TIMEOUT = 1
        replay = api_request_replay(
            api_request=ApiRequestFactory(), audit=AuditContext(actor=staff_admin)
        )

    assert replay.status is None
    assert "timed out" in replay.error.lower() or "Timeout" in replay.error
    assert AuditEntry.objects.filter(action="api_request.replay").count() == 1
