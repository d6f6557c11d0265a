"""Reads of the audit log, API keys and background jobs."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django_tasks_db.models import DBTaskResult

from opsroom.core.models import ApiKey, AuditEntry, ScheduleSlot


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    ip: str = ""
    since: datetime | None = None
    until: datetime | None = None


def audit_entry_list(*, filters: AuditFilter) -> QuerySet[AuditEntry]:
    """Audit entries matching the filters, newest first."""
    entries = AuditEntry.objects.select_related("actor")
    if filters.actor:
        entries = entries.filter(actor_label__iexact=filters.actor)
    if filters.action:
        entries = entries.filter(action__startswith=filters.action)
    if filters.target_type:
        entries = entries.filter(target_type=filters.target_type)
    if filters.target_id:
        entries = entries.filter(target_id=filters.target_id)
    if filters.ip:
        entries = entries.filter(ip=filters.ip)
    if filters.since:
        entries = entries.filter(occurred_at__gte=filters.since)
    if filters.until:
        entries = entries.filter(occurred_at__lt=filters.until)
    return entries.order_by("-occurred_at", "-id")


def audit_actions() -> list[str]:
    """Distinct action names recorded so far, for the filter menu."""
    return list(AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct())


def api_key_list() -> QuerySet[ApiKey]:
    """All API keys, newest first."""
    return ApiKey.objects.select_related("created_by", "revoked_by").order_by("-created_at")


def task_run_list(*, status: str = "", task: str = "") -> QuerySet[DBTaskResult[Any, Any]]:
    """Background task runs, newest first."""
    runs = DBTaskResult.objects.all()
    if status:
        runs = runs.filter(status=status)
    if task:
        runs = runs.filter(task_path__contains=task)
    return runs.order_by("-enqueued_at")


def schedule_last_slots() -> dict[str, datetime]:
    """The latest claimed slot of each periodic job."""
    rows = ScheduleSlot.objects.values("job").annotate(last=Max("slot_at"))
    return {row["job"]: row["last"] for row in rows}


def task_run_counts(*, since: datetime) -> dict[str, int]:
    """How many task runs are in each status, among those enqueued since a time."""
    rows = (
        DBTaskResult.objects.filter(Q(enqueued_at__gte=since) | Q(status__in=["READY", "RUNNING"]))
        .values("status")
        .annotate(n=Count("id"))
    )
    return {row["status"]: row["n"] for row in rows}


def audit_entries_for_target(
    *, target_type: str, target_id: str, before: datetime | None = None, limit: int = 20
) -> list[AuditEntry]:
    """Audit entries about one record (e.g. staff actions on a person), newest first."""
    entries = AuditEntry.objects.filter(target_type=target_type, target_id=target_id)
    if before is not None:
        entries = entries.filter(occurred_at__lte=before)
    return list(entries.order_by("-occurred_at", "-id")[:limit])
