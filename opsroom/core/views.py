from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsroom.core import clock
from opsroom.core.auth import request_staff
from opsroom.core.forms import ApiKeyForm, AuditFilterForm, SignInForm
from opsroom.core.middleware import error_page, public, session_start
from opsroom.core.models import ApiKey, AuditEntry
from opsroom.core.refusals import permissions_needed
from opsroom.core.schedule import SCHEDULE, next_run
from opsroom.core.selectors import (
    AuditFilter,
    api_key_list,
    audit_actions,
    audit_entry_list,
    schedule_last_slots,
    task_run_counts,
    task_run_list,
)
from opsroom.core.services.apikeys import api_key_create, api_key_revoke
from opsroom.core.services.audit import AuditContext, audit_record, client_ip
from opsroom.core.services.signin import (
    signin_failure_record,
    signin_retry_after,
    username_key,
)


@public
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    """Sign in; failures are audited and throttle further attempts."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    form = SignInForm(request, data=request.POST or None)
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        audit = AuditContext.from_request(request)
        retry_after = signin_retry_after(username=username, ip=client_ip(request))
        if retry_after:
            minutes = max(1, round(retry_after / 60))
            form.add_error(
                None,
                f"Too many failed sign-in attempts. Try again in about {minutes} minute"
                f"{'s' if minutes != 1 else ''}.",
            )
            audit_record(
                audit,
                action="auth.login_throttled",
                target_type="username",
                target_id=username_key(username),
                target_label=username[:200],
            )
            return render(
                request, "registration/login.html", {"form": form, "next": next_url}, status=429
            )
        if form.is_valid():
            user = form.get_user()
            login(request, user)
            session_start(request)
            audit_record(AuditContext.from_request(request), action="auth.login", target=user)
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
        signin_failure_record(username=username, audit=audit, reason="invalid credentials")
    return render(request, "registration/login.html", {"form": form, "next": next_url})


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    user = request_staff(request)
    audit_record(AuditContext.from_request(request), action="auth.logout", target=user)
    logout(request)
    return redirect("login")


@public
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and monitors."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as exc:
        return JsonResponse({"status": "error", "database": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": database})


@public
@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on their own: the app's icon."""
    return HttpResponsePermanentRedirect(static("opsroom/favicon.svg"))


@require_GET
@permissions_needed("core.view_auditentry")
def audit_list(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first, with filters."""
    form = AuditFilterForm(request.GET or None, actions=audit_actions())
    filtered = form.is_bound and any(value for key, value in request.GET.items() if key != "page")
    entries: QuerySet[AuditEntry] | None = None
    if not filtered:
        entries = audit_entry_list(filters=AuditFilter())  # the latest entries, unfiltered
    elif form.is_valid():
        entries = audit_entry_list(filters=form.filters())
    page = Paginator(entries, 50).get_page(request.GET.get("page")) if entries is not None else None
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "filtered": filtered},
        status=200 if not filtered or form.is_valid() else 400,
    )


@require_GET
def debug_index(request: HttpRequest) -> HttpResponse:
    return render(request, "core/debug_index.html")


@require_GET
@permissions_needed("core.view_jobs")
def job_list(request: HttpRequest) -> HttpResponse:
    """Recent background task runs and failures, and the periodic schedule."""
    status = request.GET.get("status", "")
    runs = task_run_list(status=status, task=request.GET.get("task", ""))
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    now = clock.now()
    last_slots = schedule_last_slots()
    schedule = [
        {
            "name": name,
            "job": job,
            "last_slot": last_slots.get(name),
            "next_run": next_run(name, after=now),
        }
        for name, job in SCHEDULE.items()
    ]
    return render(
        request,
        "core/job_list.html",
        {
            "page": page,
            "status": status,
            "counts": task_run_counts(since=now - timedelta(days=1)),
            "schedule": schedule,
        },
    )


@require_http_methods(["GET", "POST"])
@permissions_needed("core.manage_api_keys")
def api_key_index(request: HttpRequest) -> HttpResponse:
    """List API keys and create one (its secret is shown once)."""
    form = ApiKeyForm(request.POST or None)
    issued = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            issued = api_key_create(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                audit=AuditContext.from_request(request),
            )
            form = ApiKeyForm()
        else:
            status = 400
    return render(
        request,
        "core/api_keys.html",
        {"form": form, "keys": api_key_list(), "issued": issued},
        status=status,
    )


@require_POST
@permissions_needed("core.manage_api_keys")
def api_key_revoke_view(request: HttpRequest, key_id: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=key_id)
    api_key_revoke(api_key=key, audit=AuditContext.from_request(request))
    messages.success(request, f"Key {key.prefix} revoked; requests using it now fail.")
    return redirect("api_keys")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403: the app's page, saying what was refused and why."""
    message = str(exception) or "Your role does not allow this page or action."
    return error_page(request, status=403, message=message)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404: the app's page rather than the server's bare one."""
    return error_page(request, status=404, message="There is nothing at this address.")
