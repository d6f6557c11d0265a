"""The weekly digest: the overview's headline figures, churn risk and payment health, emailed
(Django's email API) to the staff the operators chose, once per week."""

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.revenue.churn.selectors import risk_bands
from opsroom.revenue.metrics.selectors import overview_latest
from opsroom.revenue.models import RevenueSettings
from opsroom.revenue.recovery.selectors import payment_health

logger = logging.getLogger(__name__)


@transaction.atomic
def revenue_digest_recipients_set(*, user_ids: list[int], audit: AuditContext) -> list[int]:
    """Choose the staff who get the weekly digest (active staff with an email); audited."""
    users = list(
        get_user_model()
        .objects.filter(pk__in=user_ids, is_staff=True, is_active=True)
        .exclude(email="")
        .values_list("pk", flat=True)
    )
    unknown = sorted(set(user_ids) - set(users))
    if unknown:
        raise InvalidInput(
            f"Not active staff with an email address: {', '.join(map(str, unknown))}."
        )
    config, _ = RevenueSettings.objects.get_or_create(pk=1)
    before = sorted(config.digest_recipients.values_list("pk", flat=True))
    config.digest_recipients.set(users)
    audit_record(
        audit,
        action="revenue.digest_recipients_set",
        target=config,
        params={"before": before, "after": sorted(users)},
    )
    return sorted(users)


@dataclass(frozen=True)
class DigestRun:
    week: date
    sent: int
    skipped: str  # why nothing went, or ""


def _context(today: date) -> dict[str, Any]:
    overview = overview_latest()
    bands = risk_bands()
    return {
        "today": today,
        "figures": overview.figures if overview else None,
        "currency": str(settings.OPSROOM_CURRENCY),
        "high": bands["high"],
        "medium": bands["medium"],
        "payments": payment_health(),
        "url": f"{str(settings.SITE_URL).rstrip('/')}/revenue/",
    }


def revenue_digest_send(*, today: date | None = None) -> DigestRun:
    """Email this week's digest to the chosen staff, once per week (Monday to Sunday)."""
    today = today or clock.now().date()
    week = today - timedelta(days=today.weekday())
    config = RevenueSettings.objects.filter(pk=1).first()
    if config is None:
        return DigestRun(week=week, sent=0, skipped="nobody chosen")
    recipients = list(
        config.digest_recipients.filter(is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return DigestRun(week=week, sent=0, skipped="nobody chosen")
    # Claim the week first, so two runs never both send it.
    claimed = RevenueSettings.objects.filter(
        Q(digest_sent_week__isnull=True) | Q(digest_sent_week__lt=week), pk=1
    ).update(digest_sent_week=week)
    if not claimed:
        return DigestRun(week=week, sent=0, skipped="already sent this week")
    context = _context(today)
    subject = f"Revenue digest, week of {week:%Y-%m-%d}"
    text = render_to_string("revenue/email/digest.txt", context)
    html = render_to_string("revenue/email/digest.html", context)
    try:
        for address in recipients:
            message = EmailMultiAlternatives(
                subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[address]
            )
            message.attach_alternative(html, "text/html")
            message.send()
    except Exception:
        # Give the week back so the next run tries again.
        RevenueSettings.objects.filter(pk=1, digest_sent_week=week).update(
            digest_sent_week=config.digest_sent_week
        )
        raise
    return DigestRun(week=week, sent=len(recipients), skipped="")
