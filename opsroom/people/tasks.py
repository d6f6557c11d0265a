"""Background work of the people app: daily health scores and feature lift, the hourly
error spread, and bulk emails. Each task is safe to run twice."""

from typing import Any

from django_tasks import task

from opsroom.core.models import User
from opsroom.core.services.audit import AuditContext


@task()
def health_scores_daily() -> dict[str, Any]:
    """Score everyone's health for today and extend their history."""
    from opsroom.people.services.health import health_scores_compute

    run = health_scores_compute()
    return {"people": run.people, "bands": run.bands, "seconds": run.seconds}


@task()
def feature_lift_daily() -> dict[str, Any]:
    """Recompute which early-adopted features go with staying active."""
    from opsroom.people.services.lift import feature_lift_compute

    return {"rows": feature_lift_compute()}


@task()
def error_spread_hourly() -> dict[str, Any]:
    """Recompute how far each recent error fingerprint reached, and what stopped it."""
    from opsroom.people.services.spread import error_spread_refresh

    return {"fingerprints": error_spread_refresh()}


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
    from opsroom.messaging.selectors import template_get
    from opsroom.people.models import Person
    from opsroom.people.services.actions import EmailDraft, email_draft, person_email

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    audit = AuditContext(actor=actor, label=f"{actor_label} (bulk email)", ip=ip)
    if template_get(key=template_key) is None:
        return {"sent": 0, "skipped": len(person_ids), "error": f"no template {template_key}"}
    sent = skipped = 0
    for person in Person.objects.filter(id__in=person_ids).order_by("id").iterator(chunk_size=500):
        try:
            draft: EmailDraft = email_draft(person=person, template_key=template_key)
            person_email(person=person, draft=draft, audit=audit)
        except ValueError:
            skipped += 1  # no email address, or not an active account
        else:
            sent += 1
    return {"sent": sent, "skipped": skipped}
