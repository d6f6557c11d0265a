"""The append-only audit log: who did what, acting for whom, to what, when, from where."""

from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest

from opsroom.core.models import ApiKey, AuditEntry, User


@dataclass(frozen=True)
class AuditContext:
    """Who is acting and from where; passed to every service that changes data."""

    actor: User | None = None
    api_key: ApiKey | None = None
    label: str = "system"
    acting_as: str = ""
    ip: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> "AuditContext":
        user = getattr(request, "user", None)
        api_key = getattr(request, "api_key", None)
        actor = user if user is not None and user.is_authenticated else None
        if actor is not None:
            label = actor.get_username()
        elif api_key is not None:
            label = f"api key {api_key.prefix}"
        else:
            label = "anonymous"
        return cls(
            actor=actor,
            api_key=api_key,
            label=label,
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:300],
        )

    @classmethod
    def system(cls, label: str = "system") -> "AuditContext":
        return cls(label=label)

    def acting_for(self, acting_as: str) -> "AuditContext":
        return replace(self, acting_as=acting_as[:200])


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, trusting X-Forwarded-For only as far as the configured proxies."""
    proxies = settings.OPSROOM_TRUSTED_PROXIES
    forwarded = request.headers.get("X-Forwarded-For", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    audit: AuditContext,
    *,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    target_label: str = "",
    params: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log."""
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        target_label = target_label or str(target)
    return AuditEntry.objects.create(
        actor=audit.actor,
        api_key=audit.api_key,
        actor_label=audit.label[:150],
        acting_as=audit.acting_as,
        action=action,
        target_type=target_type,
        target_id=target_id[:100],
        target_label=target_label[:200],
        params=params or {},
        ip=audit.ip,
        user_agent=audit.user_agent,
    )
