"""The people list: search as you type, quick filters, the condition builder, saved segments
and bulk actions on the filtered set."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from opsroom.core.errors import DomainError, Forbidden
from opsroom.core.refusals import permissions_check, permissions_needed, refusal_text
from opsroom.core.services.audit import AuditContext
from opsroom.core.spreadsheet import csv_response
from opsroom.messaging.selectors import template_list
from opsroom.revenue.selectors import plan_codes
from opsroom.user360.bulk import BULK_ACTIONS
from opsroom.user360.filters import (
    CHOICES,
    FIELDS,
    OP_LABELS,
    QUICK_FILTERS,
    SORTS,
    FilterError,
    PeopleQuery,
    conditions_from_query,
    people_query_build,
)
from opsroom.user360.forms import BulkForm, SegmentForm, SegmentFromFunnelForm
from opsroom.user360.selectors.filters import people_find, people_ids_matching
from opsroom.user360.selectors.lists import (
    person_rows,
    segment_get_for_user,
    segment_query,
    segments_for_user,
)
from opsroom.user360.services.bulk import bulk_limit_check
from opsroom.user360.services.health import health_settings_get
from opsroom.user360.services.segments import (
    FUNNEL_PERMISSION,
    SegmentForbidden,
    SegmentRefused,
    segment_delete,
    segment_from_funnel_drop,
    segment_save,
)

PAGE_SIZE = 50
# What acting on a set takes (each bulk action adds its own): said when none is allowed.
BULK_PERMISSIONS = ("people.bulk_act_on_people", "people.export_people")


def people_query_from(data: QueryDict) -> PeopleQuery:
    """The people query a form submitted (search box, quick filter, conditions, order)."""
    return people_query_build(
        text=data.get("q", ""),
        quick=data.get("quick", ""),
        conditions=conditions_from_query(data),
        sort=data.get("sort", ""),
    )


def query_params(query: PeopleQuery, **extra: str) -> list[tuple[str, str]]:
    """A people query as form fields, in order (for links and hidden inputs)."""
    params: list[tuple[str, str]] = []
    if query.text:
        params.append(("q", query.text))
    if query.quick:
        params.append(("quick", query.quick))
    for condition in query.conditions:
        row = condition.as_dict()
        for name in ("field", "op", "value", "days", "key"):
            value = row.get(name)
            params.append((name, "" if value is None else str(value)))
    if query.sort != "last_seen":
        params.append(("sort", query.sort))
    params.extend((name, value) for name, value in extra.items() if value)
    return params


def _builder_context() -> dict[str, Any]:
    return {
        "fields": FIELDS,
        "op_labels": OP_LABELS,
        "choices": CHOICES,
        "plan_codes": plan_codes(),
    }


def _segments(request: HttpRequest) -> list[dict[str, Any]]:
    rows = []
    for segment in segments_for_user(user=request.user):  # type: ignore[arg-type]
        try:
            url = "?" + urlencode(query_params(segment_query(segment)))
        except FilterError:
            url = ""  # a condition it saved no longer exists; listed, but not linked
        rows.append({"segment": segment, "url": url})
    return rows


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Find people: the search box, quick filters, conditions; results as you type."""
    error = ""
    query: PeopleQuery | None
    try:
        query = people_query_from(request.GET)
        # A condition may name a record that is gone (a deleted funnel): said like a typo.
        result = people_find(query=query, login_events=health_settings_get().login_events)
    except FilterError as exc:
        query, error = None, str(exc)
    context: dict[str, Any] = {
        "query": query,
        "error": error,
        "quick_filters": QUICK_FILTERS,
        "sorts": SORTS,
        "raw_conditions": _raw_conditions(request.GET),
        **_builder_context(),
    }
    if query is not None:
        if result.is_ranked:
            order = list(result.hits)
            people = sorted(result.people, key=lambda person: order.index(person.pk))
            context["rows"] = person_rows(
                people=people, reasons={pid: hit.reason for pid, hit in result.hits.items()}
            )
            context["count"] = len(people)
        else:
            page = Paginator(result.people, PAGE_SIZE).get_page(request.GET.get("page"))
            context["page"] = page
            context["rows"] = person_rows(people=list(page.object_list))
            context["count"] = page.paginator.count
        context["query_params"] = query_params(query)
        context["query_string"] = urlencode(context["query_params"])
        allowed = {
            key: action
            for key, action in BULK_ACTIONS.items()
            if request.user.has_perms(action.permissions)
        }
        context["bulk_actions"] = allowed
        if not allowed:
            context["bulk_refusal"] = refusal_text(request.user, BULK_PERMISSIONS)
        context["templates"] = template_list()
    status = 400 if error else 200
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        return render(request, "user360/partials/_results.html", context, status=status)
    context["segments"] = _segments(request)
    context["segment_form"] = SegmentForm()
    return render(request, "user360/index.html", context, status=status)


def _raw_conditions(data: QueryDict) -> list[dict[str, str]]:
    """The condition rows as typed, so a form with a mistake comes back as it was."""
    columns = {name: data.getlist(name) for name in ("field", "op", "value", "days", "key")}
    return [
        {name: (values[i] if i < len(values) else "") for name, values in columns.items()}
        for i in range(len(columns["field"]))
    ]


@require_GET
def condition_row(request: HttpRequest) -> HttpResponse:
    """One empty condition row for the builder ('Add condition')."""
    return render(
        request,
        "user360/partials/_condition_row.html",
        {"row": {"field": "", "op": "", "value": "", "days": "", "key": ""}, **_builder_context()},
    )


@require_POST
def segment_save_view(request: HttpRequest) -> HttpResponse:
    """Save the current search as a segment (private, or shared)."""
    form = SegmentForm(request.POST)
    try:
        query = people_query_from(request.POST)
        if not form.is_valid():
            raise SegmentRefused("Give the segment a name (up to 100 characters).")
        segment = segment_save(
            name=form.cleaned_data["name"],
            query=query,
            is_shared=form.cleaned_data["is_shared"],
            audit=AuditContext.from_request(request),
        )
    except (FilterError, SegmentRefused, SegmentForbidden) as exc:
        messages.error(request, str(exc))
        return redirect_to_query(request.POST)
    messages.success(request, f"Saved the segment '{segment.name}'.")
    return redirect_to_query(request.POST)


@require_POST
@permissions_needed(FUNNEL_PERMISSION)
def segment_from_funnel_view(request: HttpRequest) -> HttpResponse:
    """Save the people who dropped at a funnel step as a segment, then show them."""
    form = SegmentFromFunnelForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(
            f"{field}: {' '.join(str(e) for e in errors)}" for field, errors in form.errors.items()
        )
        raise SegmentRefused(problems)
    data = form.cleaned_data
    segment = segment_from_funnel_drop(
        funnel_id=data["funnel_id"],
        step=data["step"],
        name=data["name"],
        is_shared=data["is_shared"],
        audit=AuditContext.from_request(request),
    )
    messages.success(request, f"Saved the segment '{segment.name}'; these are its people now.")
    return redirect(f"/people/?{urlencode(query_params(segment_query(segment)))}")


@require_POST
def segment_delete_view(request: HttpRequest, segment_id: int) -> HttpResponse:
    """Delete one of the user's segments."""
    segment = segment_get_for_user(segment_id=segment_id, user=request.user)  # type: ignore[arg-type]
    if segment is None:
        messages.error(request, "That segment does not exist, or you cannot see it.")
        return redirect("people:index")
    try:
        segment_delete(segment=segment, audit=AuditContext.from_request(request))
    except SegmentRefused as exc:
        raise Forbidden(str(exc)) from exc
    messages.success(request, f"Deleted the segment '{segment.name}'.")
    return redirect("people:index")


def redirect_to_query(data: QueryDict) -> HttpResponse:
    try:
        query = people_query_from(data)
    except FilterError:
        return redirect("people:index")
    return redirect(f"/people/?{urlencode(query_params(query))}")


@require_POST
def bulk(request: HttpRequest) -> HttpResponseBase:
    """A bulk action on the filtered set: the count and a confirmation first, then the action."""
    form = BulkForm(request.POST)
    try:
        query = people_query_from(request.POST)
    except FilterError as exc:
        return render(request, "user360/bulk_error.html", {"error": str(exc)}, status=400)
    if not form.is_valid():
        errors = "; ".join(str(e) for e in form.non_field_errors()) or "Choose a bulk action."
        return render(request, "user360/bulk_error.html", {"error": errors}, status=400)
    bulk_action = BULK_ACTIONS[form.cleaned_data["action"]]
    permissions_check(request.user, bulk_action.permissions)
    settings_ = health_settings_get()
    ids = list(people_ids_matching(query=query, login_events=settings_.login_events))
    confirmed = request.POST.get("confirm_count", "")
    context = {
        "query": query,
        "action": bulk_action.key,
        "label": bulk_action.label,
        "verb": bulk_action.verb,
        "confirm_lines": bulk_action.confirm(form.cleaned_data),
        "count": len(ids),
        "form": form,
        "params": query_params(query),
        "cancel_url": f"/people/?{urlencode(query_params(query))}",
    }
    try:
        bulk_limit_check(label=bulk_action.label, count=len(ids), factor=bulk_action.limit_factor)
        if confirmed != str(len(ids)):
            context["changed_from"] = confirmed
            if bulk_action.preview is not None:
                context["preview"] = bulk_action.preview(ids, form.cleaned_data)
            return render(request, "user360/bulk_confirm.html", context)
        outcome = bulk_action.run(ids, form.cleaned_data, query, AuditContext.from_request(request))
    except DomainError as exc:
        return render(request, "user360/bulk_error.html", {"error": exc.message}, status=exc.status)
    if outcome.rows is not None:
        return csv_response(outcome.rows, outcome.filename)
    messages.success(request, outcome.message)
    return redirect_to_query(request.POST)
