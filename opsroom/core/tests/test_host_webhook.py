"""Signed webhooks to the host app go through the outbox: signed, retried, refused clearly."""

import json
import time

import pytest

from opsroom.core.errors import Conflict
from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.host_webhook import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    host_webhook_enqueue,
    host_webhook_sign,
    host_webhook_signature_check,
)
from opsroom.core.services.audit import AuditContext
from opsroom.core.tests.http_stub import http_stub
from opsroom.core.tests.outbox_worker import outbox_tasks_run

pytestmark = pytest.mark.django_db
SECRET = "whsec_test_host"


@pytest.fixture
def host(settings):
    answers = []

    def handle(method, path, body):
        return answers.pop(0) if answers else (200, {"ok": True})

    with http_stub(handle) as stub:
        settings.OPSROOM_HOST_WEBHOOK_URL = f"{stub.url}/opsroom/webhook"
        settings.OPSROOM_HOST_WEBHOOK_SECRET = SECRET
        settings.OPSROOM_OUTBOX_INLINE = False
        stub.answers = answers
        yield stub


def _send(key="reset-1"):
    return host_webhook_enqueue(
        event_type="password_reset.requested",
        data={"user_id": "u_1", "ticket": 12},
        idempotency_key=key,
        audit=AuditContext.system("test"),
    )


def test_a_webhook_is_signed_and_delivered_once(host):
    entry = _send()
    outbox_tasks_run()
    [request] = host.requests
    body = request["body"]
    assert json.loads(body)["type"] == "password_reset.requested"
    assert json.loads(body)["data"] == {"user_id": "u_1", "ticket": 12}
    assert host_webhook_signature_check(
        body, request["headers"][SIGNATURE_HEADER], secret=SECRET, now=time.time()
    )
    assert request["headers"][EVENT_ID_HEADER] == json.loads(body)["id"]
    entry.refresh_from_db()
    assert entry.status == "done"
    assert _send().pk == entry.pk  # the same key is the same intent: nothing new is sent
    outbox_tasks_run()
    assert len(host.requests) == 1


def test_a_host_error_is_retried_with_the_same_event_id_and_a_refusal_is_not(host, settings):
    settings.OPSROOM_OUTBOX_BACKOFF_SECONDS = 0
    host.answers += [(503, {"error": "down"}), (200, {"ok": True})]
    entry = _send("reset-2")
    outbox_tasks_run()
    first, second = host.requests
    assert first["headers"][EVENT_ID_HEADER] == second["headers"][EVENT_ID_HEADER]
    entry.refresh_from_db()
    assert (entry.status, entry.attempts) == ("done", 2)

    host.answers.append((400, {"error": "unknown user"}))
    refused = _send("reset-3")
    outbox_tasks_run()
    refused.refresh_from_db()
    assert refused.status == OutboxEntry.Status.FAILED
    assert "refused it (400)" in refused.last_error


def test_without_a_url_it_is_refused_up_front(settings):
    settings.OPSROOM_HOST_WEBHOOK_URL = ""
    with pytest.raises(Conflict, match="not set up"):
        _send()


def test_a_signature_is_refused_when_tampered_or_stale():
    body = b'{"id":"evt_1"}'
    header = host_webhook_sign(body, secret=SECRET, at=1_000_000)
    assert host_webhook_signature_check(body, header, secret=SECRET, now=1_000_100)
    assert not host_webhook_signature_check(body + b" ", header, secret=SECRET, now=1_000_100)
    assert not host_webhook_signature_check(body, header, secret="other", now=1_000_100)
    assert not host_webhook_signature_check(body, header, secret=SECRET, now=1_000_400)
    assert not host_webhook_signature_check(body, "v1=abc", secret=SECRET, now=1_000_100)
