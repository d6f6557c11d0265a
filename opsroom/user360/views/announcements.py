"""Announcements to People segments: write one, check who it reaches, send it, follow it."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsroom.core.auth import request_staff
from opsroom.core.errors import DomainError
from opsroom.core.refusals import permissions_check
from opsroom.core.services.audit import AuditContext
from opsroom.user360.models import Announcement
from opsroom.user360.selectors.announcements import announcement_figures
from opsroom.user360.selectors.lists import segments_for_user
from opsroom.user360.services.announcements import announcement_create, announcement_send

PERMISSION = "user360.send_announcement"


def _announcement(announcement_id: int) -> Announcement:
    found = (
        Announcement.objects.select_related("segment", "created_by")
        .filter(pk=announcement_id)
        .first()
        if 0 < announcement_id < 2**63
        else None
    )
    if found is None:
        raise Http404("No such announcement.")
    return found


def _int(value: str, default: int) -> int:
    return int(value) if value.isdecimal() and len(value) < 12 else default


@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    """The announcements, and the form for a new one."""
    user = request_staff(request)
    error = ""
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        permissions_check(user, [PERMISSION])
        try:
            announcement = announcement_create(
                title=request.POST.get("title", ""),
                body=request.POST.get("body", ""),
                link_url=request.POST.get("link_url", ""),
                link_label=request.POST.get("link_label", ""),
                segment_id=_int(request.POST.get("segment", ""), 0),
                by_email=request.POST.get("by_email") == "1",
                in_app=request.POST.get("in_app") == "1",
                expires_days=_int(request.POST.get("expires_days", ""), 14),
                user=user,
                audit=AuditContext.from_request(request),
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, "Draft saved: check who it reaches, then send it.")
            return redirect("people:announcement", announcement.pk)
    return render(
        request,
        "user360/announcements.html",
        {
            "announcements": Announcement.objects.select_related("segment")[:200],
            "segments": segments_for_user(user=user),
            "can_send": user.has_perm(PERMISSION),
            "error": error,
            "form": form,
        },
        status=400 if error else 200,
    )


@require_GET
def detail(request: HttpRequest, announcement_id: int) -> HttpResponse:
    """One announcement: its message, audience and figures."""
    user = request_staff(request)
    announcement = _announcement(announcement_id)
    return render(
        request,
        "user360/announcement.html",
        {
            "a": announcement,
            "figures": announcement_figures(announcement=announcement)
            if announcement.status == Announcement.Status.SENT
            else None,
            "can_send": user.has_perm(PERMISSION),
        },
    )


@require_POST
def send(request: HttpRequest, announcement_id: int) -> HttpResponse:
    """Send a draft to its segment as it stands now."""
    user = request_staff(request)
    permissions_check(user, [PERMISSION])
    announcement = _announcement(announcement_id)
    count = announcement_send(
        announcement=announcement, user=user, audit=AuditContext.from_request(request)
    )
    messages.success(request, f"Sent to {count:,} people.")
    return redirect("people:announcement", announcement.pk)
