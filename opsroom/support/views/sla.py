"""The SLA settings page: every staff member reads the policies and business hours; those
holding support.manage_sla (admins) change them."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from opsroom.core.auth import request_staff
from opsroom.core.errors import InvalidInput
from opsroom.core.refusals import permissions_check
from opsroom.core.services.audit import AuditContext
from opsroom.support.business_hours import DAY_NAMES
from opsroom.support.selectors.sla import SlaSettings, sla_settings_get
from opsroom.support.services.sla import sla_settings_set
from opsroom.support.sla import PRIORITIES

_TARGET_FIELDS = ("first_reply_minutes", "next_reply_minutes", "resolution_minutes")
_DAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _holidays_text(holidays: Any) -> str:
    """One holiday a line: 'YYYY-MM-DD Name'."""
    return "\n".join(f"{day.isoformat()} {name}" for day, name in holidays)


def _holidays_read(text: str) -> list[tuple[date, str]]:
    holidays: list[tuple[date, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        day, _, name = line.partition(" ")
        try:
            holidays.append((date.fromisoformat(day), name))
        except ValueError as exc:
            raise InvalidInput(
                f"Holiday line {number}: '{day[:20]}' is not a date (YYYY-MM-DD Name)."
            ) from exc
    return holidays


def _context(settings: SlaSettings, can_manage: bool, **extra: Any) -> dict[str, Any]:
    return {
        "settings": settings,
        "holidays_text": _holidays_text(settings.holidays),
        "rows": [(priority, settings.policies[priority]) for priority in PRIORITIES],
        "days": list(zip(DAY_NAMES, _DAY_LABELS, settings.hours_text, strict=True)),
        "can_manage": can_manage,
        **extra,
    }


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The policies per priority and the business hours."""
    user = request_staff(request)
    return render(
        request,
        "support/sla.html",
        _context(sla_settings_get(), user.has_perm("support.manage_sla")),
    )


def _whole(value: str, label: str) -> int:
    value = value.strip()
    if not value.isdecimal() or len(value) > 9:
        raise InvalidInput(f"{label} must be a whole number of minutes.")
    return int(value)


@require_POST
def update(request: HttpRequest) -> HttpResponse:
    """Save the policies and business hours (audited)."""
    permissions_check(request.user, ["support.manage_sla"])
    post = request.POST
    try:
        policies = {
            priority: {
                **{
                    name: _whole(
                        post.get(f"{priority}-{name}", ""),
                        f"{priority} {name.removesuffix('_minutes').replace('_', ' ')}",
                    )
                    for name in _TARGET_FIELDS
                },
                "business_hours": post.get(f"{priority}-business_hours") == "1",
            }
            for priority in PRIORITIES
        }
        sla_settings_set(
            policies=policies,
            timezone=post.get("timezone", ""),
            hours=[post.get(f"hours-{day}", "") for day in DAY_NAMES],
            holidays=_holidays_read(post.get("holidays", "")) if "holidays" in post else None,
            audit=AuditContext.from_request(request),
        )
    except InvalidInput as exc:
        return render(
            request,
            "support/sla.html",
            _context(sla_settings_get(), True, error=exc.message),
            status=400,
        )
    messages.success(request, "SLA policies saved; open tickets' due times are being updated.")
    return redirect("support:sla")
