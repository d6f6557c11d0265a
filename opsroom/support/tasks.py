"""Background work of the support app. Each task is safe to run twice."""

from typing import Any

from django_tasks import task

from opsroom.core.services.audit import AuditContext
from opsroom.support.services import ticket_category_model_train


@task()
def triage_model_train() -> dict[str, Any]:
    """Retrain the ticket category classifier on the labelled tickets (weekly, or on demand)."""
    outcome = ticket_category_model_train(audit=AuditContext.system("scheduler"))
    artifact = outcome.artifact
    return {
        "version": artifact.version if artifact else None,
        "active": artifact.is_active if artifact else False,
        "reason": outcome.reason,
    }
