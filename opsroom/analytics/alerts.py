"""Alerts: one row per fact, told to staff by email and to an alert URL by signed webhook,
both through the outbox after commit.

Recipients: OPSROOM_ALERT_EMAILS (comma-separated), else every active staff user holding
`analytics.manage_alerts` with an email address. The webhook goes to OPSROOM_ALERT_WEBHOOK_URL,
signed like the host app's webhooks (Opsroom-Signature, HMAC-SHA256 with
OPSROOM_ALERT_WEBHOOK_SECRET); both are off when unset.
"""

import json
import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q

from opsroom.analytics.models import Alert
from opsroom.core import clock
from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.host_webhook import SIGNATURE_HEADER, host_webhook_sign
from opsroom.core.outbox.registry import OutboxPermanentError, Outcome, Performer
from opsroom.core.outbox.services import outbox_enqueue
from opsroom.core.services.audit import AuditContext, audit_record

ALERT_EMAIL_KIND = "email.staff_alert"
ALERT_WEBHOOK_KIND = "webhook.alert"


def alert_recipients() -> list[str]:
    """Who gets alert emails."""
    if settings.OPSROOM_ALERT_EMAILS:
        return list(settings.OPSROOM_ALERT_EMAILS)
    users = get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="")
    holders = users.filter(
        Q(is_superuser=True)
        | Q(groups__permissions__codename="manage_alerts")
        | Q(user_permissions__codename="manage_alerts")
    )
    return sorted(set(holders.values_list("email", flat=True)))


def alert_raise(
    *, kind: str, title: str, body: str, url: str, dedupe_key: str, audit: AuditContext
) -> Alert | None:
    """Record an alert and queue its email and webhook; None when this fact was raised before."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=kind,
                title=title[:300],
                body=body,
                url=url[:300],
                dedupe_key=dedupe_key[:200],
                created_at=clock.now(),
            )
    except IntegrityError:
        return None
    payload = {"alert_id": alert.pk}
    recipients = alert_recipients()
    if recipients:
        outbox_enqueue(
            kind=ALERT_EMAIL_KIND,
            payload={**payload, "to": recipients},
            idempotency_key=f"{ALERT_EMAIL_KIND}:{alert.pk}",
            audit=audit,
            target=alert,
        )
    if settings.OPSROOM_ALERT_WEBHOOK_URL and settings.OPSROOM_ALERT_WEBHOOK_SECRET:
        outbox_enqueue(
            kind=ALERT_WEBHOOK_KIND,
            payload=payload,
            idempotency_key=f"{ALERT_WEBHOOK_KIND}:{alert.pk}",
            audit=audit,
            target=alert,
        )
    audit_record(audit, action="alert.raise", target=alert, params={"kind": kind})
    return alert


@transaction.atomic
def alert_acknowledge(*, alert: Alert, audit: AuditContext) -> Alert:
    """Mark an alert as seen by someone."""
    if alert.acknowledged_at is None:
        alert.acknowledged_at = clock.now()
        alert.acknowledged_by = audit.label[:150]
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit_record(audit, action="alert.acknowledge", target=alert)
    return alert


def _alert_of(entry: OutboxEntry) -> Alert:
    alert = Alert.objects.filter(pk=entry.payload.get("alert_id")).first()
    if alert is None:
        raise OutboxPermanentError("The alert no longer exists.")
    return alert


def _absolute(url: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{url}" if url.startswith("/") else url


def alert_email_perform(entry: OutboxEntry) -> Outcome:
    """Email the alert to staff."""
    alert = _alert_of(entry)
    body = f"{alert.body}\n\n{_absolute(alert.url)}\n" if alert.url else alert.body
    sent = send_mail(
        subject=f"[Opsroom] {alert.title}",
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=list(entry.payload.get("to", [])),
    )
    return {"sent": sent}


def alert_webhook_perform(entry: OutboxEntry) -> Outcome:
    """POST the alert, signed, to the alert URL; a 2xx answer delivers it."""
    if not (settings.OPSROOM_ALERT_WEBHOOK_URL and settings.OPSROOM_ALERT_WEBHOOK_SECRET):
        raise OutboxPermanentError("The alert webhook is not set up any more.")
    alert = _alert_of(entry)
    data: dict[str, Any] = {
        "id": f"alert_{alert.pk}",
        "type": f"alert.{alert.kind}",
        "created": int(alert.created_at.timestamp()),
        "data": {"title": alert.title, "body": alert.body, "url": _absolute(alert.url)},
    }
    body = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    signature = host_webhook_sign(
        body, secret=settings.OPSROOM_ALERT_WEBHOOK_SECRET, at=int(time.time())
    )
    request = urllib.request.Request(  # noqa: S310 - the operator's configured URL
        settings.OPSROOM_ALERT_WEBHOOK_URL,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return {"status": response.status}
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise RuntimeError(f"The alert URL answered {exc.code}") from exc
        raise OutboxPermanentError(f"The alert URL refused it ({exc.code})") from exc


ALERT_EMAIL = Performer(
    kind=ALERT_EMAIL_KIND, label="Email an alert to staff", perform=alert_email_perform
)
ALERT_WEBHOOK = Performer(
    kind=ALERT_WEBHOOK_KIND, label="Send a signed alert webhook", perform=alert_webhook_perform
)
