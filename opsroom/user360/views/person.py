"""The User 360 page and its HTMX parts: timeline pages, 'ask about this user', API payloads."""

from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from opsroom.core import clock
from opsroom.core.auth import request_staff
from opsroom.core.errors import DomainError
from opsroom.core.llm import llm_configured
from opsroom.core.refusals import refusal_text
from opsroom.messaging.selectors import enrollments_for_person, template_list
from opsroom.people.models import ImpersonationGrant, Note, Person
from opsroom.people.selectors import touches_for_people
from opsroom.people.snapshot import PersonSnapshot, person_snapshot_get
from opsroom.revenue.churn.selectors import prediction_for_person
from opsroom.telemetry.selectors import (
    api_request_for_person,
    api_requests_for_person,
    deliveries_for_person,
)
from opsroom.user360.actions import ACTIONS, actions_allowed
from opsroom.user360.filters import QUICK_FILTERS
from opsroom.user360.selectors.ask import person_ask, person_facts_gather
from opsroom.user360.selectors.insights import Insight, insights_for_person
from opsroom.user360.services.health import health_settings_get
from opsroom.user360.timeline import (
    KINDS,
    CursorError,
    TimelineItem,
    TimelinePage,
    timeline_page,
)


def _url(template: str, **values: str) -> str:
    if not template:
        return ""
    quoted = {name: quote(value, safe="") for name, value in values.items()}
    try:
        return template.format_map(quoted)
    except (KeyError, IndexError, ValueError):
        return ""  # a template naming something we do not have: no link rather than a 500


def day_label(day: date, today: date) -> str:
    days = (today - day).days
    if days == 0:
        return "Today"
    if days == 1:
        return "Yesterday"
    return f"{days} days ago" if days > 0 else day.isoformat()


def timeline_groups(
    items: list[TimelineItem], *, today: date, previous_day: str = ""
) -> list[dict[str, Any]]:
    """Timeline entries grouped by day; a day carried over from the previous page has no header."""
    groups: list[dict[str, Any]] = []
    for item in items:
        day = item.at.date()
        if not groups or groups[-1]["day"] != day:
            groups.append(
                {
                    "day": day,
                    "label": day_label(day, today),
                    "items": [],
                    "continued": not groups and day.isoformat() == previous_day,
                }
            )
        groups[-1]["items"].append(item)
    return groups


def _kinds(request: HttpRequest) -> list[str]:
    return [kind for kind in request.GET.getlist("kind") if kind in KINDS]


def _timeline_context(
    person: Person, page: TimelinePage, kinds: list[str], today: date, previous_day: str = ""
) -> dict[str, Any]:
    last_day = page.items[-1].at.date().isoformat() if page.items else previous_day
    more = ""
    if page.next_cursor:
        params = [("cursor", page.next_cursor), ("after_day", last_day)]
        params += [("kind", kind) for kind in kinds]
        more = f"/people/{person.pk}/timeline/?{urlencode(params)}"
    return {
        "groups": timeline_groups(page.items, today=today, previous_day=previous_day),
        "more_url": more,
        "person": person,
        "kinds": kinds,
        "all_kinds": KINDS,
        "today_empty": not page.items or page.items[0].at.date() != today,
    }


def _debug_context(person: Person, snapshot: PersonSnapshot) -> dict[str, Any]:
    now = snapshot.at
    external, email = person.external_id, person.email
    since = (now - timedelta(days=7)).date().isoformat()
    issue_template = settings.OPSROOM_SENTRY_ISSUE_URL
    return {
        "api_calls": api_requests_for_person(person_id=person.pk, since=now - timedelta(hours=24)),
        "enrollments": enrollments_for_person(person_id=person.pk),
        "deliveries": deliveries_for_person(person_id=person.pk),
        "error_groups": [
            {"group": group, "url": _url(issue_template, issue_id=group.issue_id)}
            for group in snapshot.errors.groups_30d
        ],
        "sentry_user_url": _url(
            settings.OPSROOM_SENTRY_USER_URL, external_id=external, email=email
        ),
        "replay_url": _url(
            settings.OPSROOM_SESSION_REPLAY_URL, external_id=external, email=email, since=since
        ),
        "grants": [
            {"grant": grant, "state": grant.state(now)}
            for grant in ImpersonationGrant.objects.filter(person=person)
            .select_related("staff", "revoked_by")
            .order_by("-created_at")[:5]
        ],
        "impersonation_ready": bool(settings.OPSROOM_IMPERSONATION_SECRET),
    }


def _health_chart(snapshot: PersonSnapshot) -> dict[str, Any]:
    """The daily scores, dated on hover, with the band thresholds drawn as dashed lines."""
    health = snapshot.health
    points = health.history
    days = len(points)

    def threshold(label: str, value: int, color: str) -> dict[str, Any]:
        return {
            "label": f"{label} from {value}",
            "data": [value] * days,
            "color": color,
            "borderDash": [4, 4],
            "borderWidth": 1,
            "pointRadius": 0,
            "pointHitRadius": 0,
            "threshold": True,
        }

    return {
        "type": "line",
        "labels": [f"{day:%a %b} {day.day}" for day, _score in points],
        "datasets": [
            {
                "label": "Health",
                "data": [score for _day, score in points],
                "pointRadius": 0,
                "pointHoverRadius": 4,
                "color": "#2457d6",
            },
            threshold("Healthy", health.healthy_min, "#1a7f4b"),
            threshold("At risk", health.at_risk_min, "#b26a00"),
        ],
        "options": {
            "interaction": {"mode": "index", "intersect": False},
            "plugins": {"legend": {"display": False}},
            "scales": {
                "y": {"min": 0, "max": 100, "ticks": {"stepSize": 50}},
                "x": {"ticks": {"maxTicksLimit": 4, "maxRotation": 0}},
            },
        },
    }


def _template_for(insight: Insight, templates: list[Any]) -> Any:
    """The template the insight's most specific hint finds, if any."""
    for hint in insight.template_hint:
        for template in templates:
            if hint.lower() in f"{template.key} {template.name}".lower():
                return template
    return None


def _insight_rows(person: Person, insights: list[Insight]) -> list[dict[str, Any]]:
    """Each insight with the email its recommendation opens: a fitting template, or a draft."""
    templates = template_list() if any(i.action_kind == "email" for i in insights) else []
    rows = []
    for insight in insights:
        row: dict[str, Any] = {"insight": insight, "template": None, "email_url": ""}
        if insight.action_kind == "email":
            email = f"/people/{person.pk}/actions/email/"
            template = _template_for(insight, templates)
            if template is not None:
                row["template"] = template
                row["email_url"] = f"{email}?{urlencode({'template': template.key})}"
            elif insight.draft_subject:
                draft = {"subject": insight.draft_subject, "body": insight.draft_body}
                row["email_url"] = f"{email}?{urlencode(draft)}"
        rows.append(row)
    return rows


TOUCHES_SHOWN = 10


def _touch_role(index: int, count: int) -> str:
    if count == 1:
        return "first and last touch"
    return "first touch" if index == 0 else "last touch" if index == count - 1 else ""


def _touches(person: Person) -> list[dict[str, Any]]:
    """The marketing touches that brought the person (up to signup, as attribution counts
    them): the first, then the latest ones, each marked as first or last touch."""
    signed_up = person.signed_up_at or person.created_at
    held = [
        t
        for t in touches_for_people(ids=[person.pk]).get(person.pk, [])
        if signed_up is None or t[0] <= signed_up
    ]
    shown = held if len(held) <= TOUCHES_SHOWN else [held[0], *held[1 - TOUCHES_SHOWN :]]
    return [
        {
            "at": at,
            "channel": channel,
            "campaign": campaign,
            "page": page,
            "role": _touch_role(i, len(shown)),
            "skipped": len(held) - len(shown) if i == 0 else 0,
        }
        for i, (at, channel, campaign, page) in enumerate(shown)
    ]


@require_GET
def detail(request: HttpRequest, person_id: int) -> HttpResponse:
    """The User 360 page: who they are, health, insights, timeline, debug tools, actions."""
    person = get_object_or_404(Person, pk=person_id)
    snapshot = person_snapshot_get(person=person)
    kinds = _kinds(request)
    page = timeline_page(
        person=person, now=snapshot.at, kinds=kinds, login_events=snapshot.activity.login_events
    )
    staff = request_staff(request)
    allowed = actions_allowed(staff)
    actions = [
        {
            "key": key,
            "label": a.label,
            "allowed": key in allowed,
            "why": "" if key in allowed else refusal_text(staff, a.permissions),
        }
        for key, a in ACTIONS.items()
    ]
    last_login = snapshot.activity.last_login
    return render(
        request,
        "user360/detail.html",
        {
            "s": snapshot,
            "person": person,
            "insights": _insight_rows(person, insights_for_person(snapshot=snapshot)),
            "actions": actions,
            "refusals": [a for a in actions if not a["allowed"]],
            "health_chart": _health_chart(snapshot),
            "churn": prediction_for_person(person_id=person.pk),
            "touches": _touches(person),
            "quick_filters": QUICK_FILTERS,
            "last_login_label": day_label(last_login, snapshot.at.date()) if last_login else "",
            "llm_configured": llm_configured(),
            "notes": Note.objects.filter(person=person)
            .select_related("author")
            .order_by("-is_pinned", "-created_at")[:3],
            **_timeline_context(person, page, kinds, snapshot.at.date()),
            **_debug_context(person, snapshot),
        },
    )


@require_GET
def timeline(request: HttpRequest, person_id: int) -> HttpResponse:
    """One more page of the timeline (HTMX), or the first page for other kinds."""
    person = get_object_or_404(Person, pk=person_id)
    kinds = _kinds(request)
    now = clock.now()
    try:
        page = timeline_page(
            person=person,
            now=now,
            kinds=kinds,
            cursor=request.GET.get("cursor", ""),
            login_events=health_settings_get().login_events,
        )
    except CursorError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    context = _timeline_context(person, page, kinds, now.date(), request.GET.get("after_day", ""))
    template = "user360/partials/_timeline_items.html"
    if not request.GET.get("cursor"):
        template = "user360/partials/_timeline.html"
    return render(request, template, context)


@require_POST
def ask(request: HttpRequest, person_id: int) -> HttpResponse:
    """Answer a question about the person (HTMX)."""
    person = get_object_or_404(Person, pk=person_id)
    facts = person_facts_gather(person=person, snapshot=person_snapshot_get(person=person))
    question = request.POST.get("question", "")
    try:
        answer = person_ask(question=question, facts=facts)
    except DomainError as exc:
        return render(
            request, "user360/partials/_answer.html", {"error": exc.message}, status=exc.status
        )
    return render(
        request, "user360/partials/_answer.html", {"answer": answer, "question": question.strip()}
    )


@require_GET
def api_call(request: HttpRequest, person_id: int, request_pk: int) -> HttpResponse:
    """The redacted payloads of one of the person's API calls (HTMX)."""
    call = api_request_for_person(person_id=person_id, request_pk=request_pk)
    if call is None:
        raise Http404("No such API call for this person.")
    return render(request, "user360/partials/_api_call.html", {"call": call})
