"""Background work of the People section: daily health scores and feature lift, the weekly
validation of the health score, bulk emails. Each task is safe to run twice."""

from typing import Any

from django_tasks import task

from opsroom.core.errors import DomainError
from opsroom.core.models import User
from opsroom.core.services.audit import AuditContext
from opsroom.messaging.selectors import template_get
from opsroom.people.models import Person
from opsroom.user360.services.actions import EmailDraft, email_draft, person_email
from opsroom.user360.services.health import feature_lift_refresh, health_scores_compute
from opsroom.user360.services.health_validation import health_validation_run


@task()
def health_scores_daily() -> dict[str, Any]:
    """Score everyone's health for today and extend their history."""
    run = health_scores_compute()
    return {"people": run.people, "bands": run.bands, "seconds": run.seconds}


@task()
def feature_lift_daily() -> dict[str, Any]:
    """Recompute which early-adopted core features go with staying active."""
    return {"rows": feature_lift_refresh()}


@task()
def health_validation_weekly() -> dict[str, Any]:
    """Check the health score against the churn of the past months; fit weights to it."""
    try:
        run = health_validation_run()
    except DomainError as exc:  # no paying customers yet: nothing to validate
        return {"error": exc.message}
    return {"samples": run.report.samples, "auc": run.report.auc, "seconds": run.seconds}


@task()
def bulk_email_send(
    *,
    person_ids: list[int],
    template_key: str,
    actor_id: int | None,
    actor_label: str,
    ip: str | None,
) -> dict[str, Any]:
    """Send a confirmed bulk email, one audited message per person; skip who cannot get one."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    audit = AuditContext(actor=actor, label=f"{actor_label} (bulk email)", ip=ip)
    if template_get(key=template_key) is None:
        return {"sent": 0, "skipped": len(person_ids), "error": f"no template {template_key}"}
    sent = skipped = 0
    for person in Person.objects.filter(id__in=person_ids).order_by("id").iterator(chunk_size=500):
        try:
            draft: EmailDraft = email_draft(person=person, template_key=template_key)
            person_email(person=person, draft=draft, audit=audit)
        except DomainError:
            skipped += 1  # no email address, or not an active account
        else:
            sent += 1
    return {"sent": sent, "skipped": skipped}


@task()
def announcement_emails_send(
    *, announcement_id: int, actor_id: int | None, actor_label: str
) -> dict[str, Any]:
    """Email an announcement to everyone it reaches who has not had it yet (safe to rerun)."""
    from opsroom.user360.models import Announcement
    from opsroom.user360.services.announcements import announcement_emails_deliver

    announcement = Announcement.objects.filter(pk=announcement_id).first()
    if announcement is None:
        return {"sent": 0, "error": "no such announcement"}
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    audit = AuditContext(actor=actor, label=f"{actor_label} (announcement)", ip=None)
    return {"sent": announcement_emails_deliver(announcement=announcement, audit=audit)}
