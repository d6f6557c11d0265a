"""Background work of the support app. Each task is safe to run twice."""

from typing import Any

from django_tasks import task

from opsroom.core.services.audit import AuditContext
from opsroom.support.models import ReplySuggestion, Ticket
from opsroom.support.services.analysis import ticket_analyse
from opsroom.support.services.automations import automation_apply
from opsroom.support.services.calibration import triage_confidences_calibrate
from opsroom.support.services.replies import reply_suggestion_draft
from opsroom.support.services.sla import tickets_sla_backfill
from opsroom.support.services.tickets import ticket_category_model_train

# New tickets are triaged in batches of at most this many per task.
TRIAGE_BATCH = 200


@task()
def triage_model_train() -> dict[str, Any]:
    """Retrain the ticket category classifier on the labelled tickets, and recalibrate the
    severity, feature and blocking confidences on the reviewed ones (weekly, or on demand)."""
    audit = AuditContext.system("scheduler")
    outcome = ticket_category_model_train(audit=audit)
    artifact = outcome.artifact
    calibrations = triage_confidences_calibrate(audit=audit)
    return {
        "version": artifact.version if artifact else None,
        "active": artifact.is_active if artifact else False,
        "reason": outcome.reason,
        "confidences": {
            c.field: {
                "version": c.artifact.version if c.artifact else None,
                "active": c.artifact.is_active if c.artifact else False,
                "labels": c.labels,
                "reason": c.reason,
            }
            for c in calibrations
        },
    }


@task()
def tickets_triage(*, ticket_ids: list[int]) -> dict[str, Any]:
    """Analyse new tickets (category, severity, feature, impact), let the automations resolve
    the eligible ones, and draft a reply for the rest; gone tickets are skipped, and a ticket
    with an undecided draft keeps it."""
    done = []
    for ticket in Ticket.objects.filter(pk__in=ticket_ids).select_related("requester"):
        ticket.analysis = ticket_analyse(ticket=ticket)
        run = automation_apply(ticket=ticket, analysis=ticket.analysis)
        if run is not None and run.outcome == "resolved":
            done.append(ticket.pk)
            continue
        pending = ReplySuggestion.objects.filter(
            ticket=ticket, outcome=ReplySuggestion.Outcome.PENDING
        )
        if not pending.exists():
            reply_suggestion_draft(ticket=ticket)
        done.append(ticket.pk)
    return {"analysed": done}


@task()
def tickets_sla_recompute() -> dict[str, Any]:
    """Recompute every open ticket's SLA due time (after the policies or hours changed)."""
    return {"changed": tickets_sla_backfill(open_only=True)}
