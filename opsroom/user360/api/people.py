"""The people API: search, user intelligence, timeline, insights, ask, actions.
Read endpoints accept an API key with the read scope."""

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.params.functions import Query

from opsroom.core import clock
from opsroom.core.auth import ApiKeyAuth, StaffSessionAuth, staff_or_key
from opsroom.core.errors import InvalidInput
from opsroom.core.jsonshape import json_bounded, json_parse
from opsroom.core.labels import name_label
from opsroom.core.models import User
from opsroom.core.money import money_format
from opsroom.core.schemas import ErrorOut
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import Person
from opsroom.people.snapshot import BillingFacts, PersonSnapshot, person_snapshot_get
from opsroom.user360.actions import ACTIONS
from opsroom.user360.filters import FilterError, conditions_parse, people_query_build
from opsroom.user360.labels import component_label, plan_label
from opsroom.user360.schemas import (
    ActionIn,
    ActionOut,
    AnswerOut,
    AskIn,
    DeviceOut,
    FlagOut,
    HealthComponentOut,
    HealthOut,
    InsightOut,
    IntelligenceOut,
    PeoplePage,
    PersonSummaryOut,
    SubscriptionOut,
    SupportOut,
    TimelineOut,
    UsageOut,
)
from opsroom.user360.selectors.ask import person_ask, person_facts_gather
from opsroom.user360.selectors.filters import people_find
from opsroom.user360.selectors.insights import Insight, insights_for_person
from opsroom.user360.selectors.lists import (
    PersonRow,
    person_rows,
)
from opsroom.user360.services.health import health_settings_get
from opsroom.user360.timeline import CursorError, timeline_page

router = Router(tags=["people"])
PAGE_SIZE = 50
KINDS = Query([], description="product, error, billing, ticket, email, note, staff")


def user_of(request: HttpRequest) -> User | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, User) else None


def _summary(row: PersonRow) -> PersonSummaryOut:
    person = row.person
    return PersonSummaryOut(
        id=person.pk,
        external_id=person.external_id,
        email=person.email,
        name=person.name,
        status=person.status,
        is_vip=person.is_vip,
        signed_up_at=person.signed_up_at,
        last_seen_at=person.last_seen_at,
        plan=row.plan,
        subscription_status=row.subscription_status,
        mrr=row.mrr_minor,
        currency=row.currency,
        health_score=row.health_score,
        health_band=row.health_band,
        open_tickets=row.open_tickets,
        matched=row.reason,
    )


@router.get(
    "/people/search",
    response={200: PeoplePage, 400: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="people_search",
    summary="Search people",
)
def search(
    request: HttpRequest,
    q: str = "",
    quick: str = "",
    conditions: str = Query("", description='JSON list: [{"field","op","value","days","key"}]'),
    sort: str = "",
    page: int = 1,
) -> Status[Any]:
    """Find people: search text (email, name, user id, #ticket), a quick filter, conditions."""
    try:
        rows = json_parse(conditions, what="'conditions'") if conditions.strip() else []
    except InvalidInput as exc:
        return Status(400, {"detail": exc.message})
    try:
        query = people_query_build(
            text=q, quick=quick, conditions=conditions_parse(rows), sort=sort
        )
    except FilterError as exc:
        return Status(400, {"detail": str(exc)})
    result = people_find(query=query, login_events=health_settings_get().login_events)
    if result.is_ranked:
        order = list(result.hits)
        people = sorted(result.people, key=lambda person: order.index(person.pk))
        reasons = {pid: hit.reason for pid, hit in result.hits.items()}
        listed = person_rows(people=people, reasons=reasons)
        page_out = PeoplePage(
            count=len(listed),
            page=1,
            pages=1,
            results=[_summary(r) for r in listed],
            query=query.describe(),
        )
        return Status(200, page_out)
    paginator = Paginator(result.people, PAGE_SIZE)
    if page < 1 or (page > paginator.num_pages and paginator.count):
        return Status(400, {"detail": f"page must be between 1 and {paginator.num_pages}."})
    current = paginator.get_page(page)
    return Status(
        200,
        PeoplePage(
            count=paginator.count,
            page=current.number,
            pages=paginator.num_pages,
            results=[_summary(r) for r in person_rows(people=list(current.object_list))],
            query=query.describe(),
        ),
    )


def _insight_out(insight: Insight) -> InsightOut:
    return InsightOut(
        key=insight.key,
        severity=insight.severity,  # type: ignore[arg-type]
        title=insight.title,
        evidence=insight.evidence,
        action=insight.action,
        action_kind=insight.action_kind,
        numbers=insight.numbers,
    )


def _card(billing: BillingFacts) -> str:
    if not billing.card_last4:
        return ""
    return f"{billing.card_brand.title()} •••• {billing.card_last4}".strip()


def _intelligence(snapshot: PersonSnapshot, insights: list[Insight]) -> IntelligenceOut:
    person, billing, support, health = (
        snapshot.person,
        snapshot.billing,
        snapshot.support,
        snapshot.health,
    )
    next_amount = ""
    if billing.next_charge_at is not None:
        next_amount = money_format(billing.next_charge_amount, billing.currency)
    return IntelligenceOut(
        id=person.id,
        external_id=person.external_id,
        email=person.email,
        name=person.name,
        status=person.status,
        is_vip=person.is_vip,
        signed_up_at=person.signed_up_at,
        account_age_days=person.account_age_days,
        lifetime_value=billing.lifetime_value,
        last_login=snapshot.activity.last_login,
        last_active=snapshot.activity.last_active,
        errors_7d=snapshot.errors.count_7d,
        attributes=json_bounded(person.attributes),
        tags=list(person.tags),
        health=HealthOut(
            score=health.score,
            band=health.band,
            uncapped_score=health.uncapped_score,
            components=[
                HealthComponentOut(
                    key=c.key,
                    label=component_label(c.key),
                    score=c.score,
                    weight=c.weight,
                    figure=c.figure,
                )
                for c in health.components
            ],
            computed_at=health.computed_at,
            change_7d=health.change_7d,
            history=list(health.history),
        ),
        subscription=SubscriptionOut(
            status=billing.status,
            plan=plan_label(billing),
            tier=billing.tier,
            mrr=billing.mrr,
            mrr_display=money_format(billing.mrr, billing.currency),
            currency=billing.currency,
            next_charge_at=billing.next_charge_at,
            next_charge_amount=next_amount,
            ends_at=billing.ends_at,
            is_complimentary=billing.is_complimentary,
            complimentary_until=billing.complimentary_until,
            card=_card(billing),
            stripe_url=billing.dashboard_url,
        ),
        support=SupportOut(
            open_tickets=support.open,
            total_tickets=support.total,
            average_resolution_hours=support.average_resolution_hours,
            last_ticket_id=support.last_ticket.id if support.last_ticket else None,
            last_ticket_at=support.last_ticket.created_at if support.last_ticket else None,
        ),
        usage_30d=[
            UsageOut(event=u.event, label=u.label or name_label(u.event), count_30d=u.count_30d)
            for u in snapshot.activity.usage_30d
        ],
        devices=[
            DeviceOut(
                platform=device.platform,
                device=device.device,
                os=" ".join(part for part in (device.os_name, device.os_version) if part),
                app_version=device.app_version,
                browser=device.browser,
                last_seen_at=device.last_seen_at,
                api_calls_30d=device.api_calls_30d,
            )
            for device in snapshot.devices
        ],
        flags=[
            FlagOut(
                key=flag.key,
                experiment=flag.experiment,
                served_variant=flag.served_variant,
                simulated_variant=flag.simulated_variant,
                simulated_reason=flag.simulated_reason,
                is_on=flag.is_on,
            )
            for flag in snapshot.flags
        ],
        insights=[_insight_out(insight) for insight in insights],
    )


@router.get(
    "/people/{person_id}/intelligence",
    response=IntelligenceOut,
    auth=staff_or_key("read"),
    operation_id="people_intelligence",
    summary="Everything known about a person",
)
def intelligence(request: HttpRequest, person_id: int) -> IntelligenceOut:
    """Everything about one person: profile, health, subscription, support, usage, flags,
    insights."""
    person = get_object_or_404(Person, pk=person_id)
    snapshot = person_snapshot_get(person=person)
    return _intelligence(snapshot, insights_for_person(snapshot=snapshot))


@router.get(
    "/people/{person_id}/timeline",
    response={200: TimelineOut, 400: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="people_timeline",
    summary="A person's timeline",
)
def timeline(
    request: HttpRequest,
    person_id: int,
    cursor: str = "",
    kind: list[str] = KINDS,
    limit: int = 25,
) -> Status[Any]:
    """One page of a person's timeline, newest first; follow next_cursor for more."""
    person = get_object_or_404(Person, pk=person_id)
    if not 1 <= limit <= 100:
        return Status(400, {"detail": "limit is between 1 and 100."})
    try:
        page = timeline_page(
            person=person,
            now=clock.now(),
            kinds=kind,
            cursor=cursor,
            page_size=limit,
            login_events=health_settings_get().login_events,
        )
    except CursorError as exc:
        return Status(400, {"detail": str(exc)})
    return Status(
        200, {"items": [item.as_dict() for item in page.items], "next_cursor": page.next_cursor}
    )


@router.get(
    "/people/{person_id}/insights",
    response=list[InsightOut],
    auth=staff_or_key("read"),
    operation_id="people_insights",
    summary="A person's insights",
)
def insights(request: HttpRequest, person_id: int) -> list[InsightOut]:
    """A person's insights, most urgent first, each with its evidence and recommended action."""
    person = get_object_or_404(Person, pk=person_id)
    snapshot = person_snapshot_get(person=person)
    return [_insight_out(i) for i in insights_for_person(snapshot=snapshot)]


@router.post(
    "/people/{person_id}/ask",
    response={200: AnswerOut, 400: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="people_ask",
    summary="Ask about a person",
)
def ask(request: HttpRequest, person_id: int, data: AskIn) -> Status[Any]:
    """Ask about a person: the language model answers from their facts, or a search finds them."""
    person = get_object_or_404(Person, pk=person_id)
    facts = person_facts_gather(person=person, snapshot=person_snapshot_get(person=person))
    answer = person_ask(question=data.question, facts=facts)
    return Status(
        200,
        {
            "answer": answer.text,
            "used_model": answer.used_model,
            "note": answer.note,
            "sources": [{"ref": f.ref, "text": f.text} for f in answer.sources],
        },
    )


def _form_errors(form: Any) -> str:
    errors = form.errors.get_json_data()
    return "; ".join(
        (f"{name}: " if name != "__all__" else "") + " ".join(e["message"] for e in messages)
        for name, messages in errors.items()
    )


@router.post(
    "/people/{person_id}/actions",
    response={200: ActionOut, 400: ErrorOut, 403: ErrorOut},
    auth=[ApiKeyAuth("admin"), StaffSessionAuth()],
    operation_id="people_actions",
    summary="Take a quick action on a person",
)
def actions(request: HttpRequest, person_id: int, data: ActionIn) -> Status[Any]:
    """Act on a person: email, note, tag, ticket or complimentary subscription (audited)."""
    person = get_object_or_404(Person, pk=person_id)
    quick = ACTIONS[data.action]
    user = user_of(request)
    if user is not None and not user.has_perms(quick.permissions):
        needs = ", ".join(quick.permissions)
        return Status(403, {"detail": f"You may not do '{data.action}' (needs {needs})."})
    if user is None and quick.needs_staff:
        return Status(
            400, {"detail": f"'{data.action}' is done by a staff user; use a staff session."}
        )
    if quick.from_api is None:
        return Status(400, {"detail": f"'{data.action}' is not offered through the API."})
    form = quick.form(quick.from_api(data), person, {})
    if not form.is_valid():
        return Status(400, {"detail": _form_errors(form)})
    audit = AuditContext.from_request(request)
    quick.preview(person, form.cleaned_data, audit)  # refuses what the page would refuse
    outcome = quick.run(person, form.cleaned_data, audit, user)
    return Status(
        200,
        ActionOut(action=quick.key, ok=outcome.ok, detail=outcome.detail, id=outcome.object_id),
    )
