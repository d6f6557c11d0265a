"""The support API under /api/v1/support/: tickets, their analysis, similar tickets and the
suggested reply. Reads take an API key with the read scope; creating a ticket an ingest key;
other writes an admin key or a staff session holding the permission."""

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.params.functions import Query

from opsroom.core import clock
from opsroom.core.auth import ApiKeyAuth, StaffSessionAuth, staff_or_key
from opsroom.core.errors import InvalidInput, NotFound
from opsroom.core.models import User
from opsroom.core.refusals import permissions_check
from opsroom.core.schemas import ErrorOut
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import Person
from opsroom.people.snapshot import person_snapshot_get
from opsroom.support.models import (
    Article,
    ReplySuggestion,
    ResponseTemplate,
    Ticket,
    TicketAnalysis,
)
from opsroom.support.schemas import (
    AlternativeOut,
    AnalysisOut,
    ArticleIn,
    ArticleMatchOut,
    ArticleOut,
    ArticlePatch,
    AutomationDecisionOut,
    CorrectionIn,
    CorrectionOut,
    DecisionIn,
    MergeIn,
    MessageIn,
    MessageOut,
    MetricsOut,
    SimilarListOut,
    SuggestionOut,
    TemplateOut,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketPatch,
)
from opsroom.support.selectors.articles import articles_matching
from opsroom.support.selectors.automations import automation_decide
from opsroom.support.selectors.metrics import PeriodFigures, period_figures, top_issues
from opsroom.support.selectors.queue import queue_filters_parse, queue_page, queue_tickets
from opsroom.support.selectors.similar import SimilarTicket, tickets_similar_to
from opsroom.support.selectors.tickets import ticket_reply_due
from opsroom.support.services.analysis import analysis_correct
from opsroom.support.services.articles import (
    article_delete,
    article_save,
    articles_suggested_count,
)
from opsroom.support.services.replies import (
    reply_suggestion_decide,
    reply_suggestion_draft,
    ticket_reply_send,
)
from opsroom.support.services.tickets import (
    ticket_create,
    ticket_merge,
    ticket_reply,
    ticket_update,
)

router = Router(tags=["support"])
WRITE = [ApiKeyAuth("admin"), StaffSessionAuth()]
REPLY_PERMISSIONS = ["support.add_ticketmessage", "messaging.add_emailmessage"]
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _staff(request: HttpRequest) -> User | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, User) else None


def _require(request: HttpRequest, permissions: list[str]) -> None:
    user = _staff(request)
    if user is not None:
        permissions_check(user, permissions)


# Ids the database can hold; a larger number names nothing (and must not reach a query).
MAX_ID = 2**63 - 1


def _ticket(ticket_id: int) -> Ticket:
    ticket = None
    if 0 < ticket_id <= MAX_ID:
        ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(f"No ticket #{ticket_id}.")
    return ticket


def _out(ticket: Ticket) -> TicketOut:
    return TicketOut(
        id=ticket.pk,
        external_id=ticket.external_id,
        person_id=ticket.requester_id,
        requester_email=ticket.requester.email,
        requester_name=ticket.requester.name,
        channel=ticket.channel,
        subject=ticket.subject,
        body=ticket.body,
        status=ticket.status,
        priority=ticket.priority,
        category=ticket.category,
        assignee_id=ticket.assignee_id,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        reply_due_at=ticket_reply_due(ticket=ticket),
    )


@router.get(
    "/support/tickets",
    response={200: TicketPage, 400: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_tickets_list",
    summary="List and filter tickets",
)
def tickets_list(
    request: HttpRequest,
    view: str = Query("all", description="unassigned, mine, open, breaching, pending, solved, all"),
    status: str = "",
    priority: str = "",
    category: str = "",
    feature: str = "",
    assignee: str = Query("", description="a staff user id, or 'none'"),
    channel: str = "",
    sla: str = Query("", description="breached, soon, ok, none"),
    plan: str = "",
    q: str = Query("", description="#number, subject, requester email or name"),
    page: int = 1,
) -> Status[Any]:
    """Tickets of a view under filters, priority first, then the first reply due soonest."""
    filters = queue_filters_parse(
        {
            "view": view,
            "status": status,
            "priority": priority,
            "category": category,
            "feature": feature,
            "assignee": assignee,
            "channel": channel,
            "sla": sla,
            "plan": plan,
            "q": q,
        }
    )
    user = _staff(request)
    tickets = queue_tickets(filters=filters, user_id=user.pk if user else None, now=clock.now())
    current, rows = queue_page(tickets=tickets, page=page)
    return Status(
        200,
        TicketPage(
            count=current.paginator.count,
            page=current.number,
            pages=current.paginator.num_pages,
            results=[_out(row.ticket) for row in rows],
        ),
    )


@router.post(
    "/support/tickets",
    response={201: TicketOut, **ERRORS},
    auth=[ApiKeyAuth("ingest"), StaffSessionAuth()],
    operation_id="support_tickets_create",
    summary="Open a ticket",
)
def tickets_create(request: HttpRequest, data: TicketIn) -> Status[Any]:
    """Open a ticket for a person (by host-app user id or Opsroom id); triage runs in the
    background within seconds."""
    _require(request, ["support.add_ticket"])
    if data.person_id is not None:
        requester = (
            Person.objects.filter(pk=data.person_id).first()
            if 0 < data.person_id <= MAX_ID
            else None
        )
    elif data.requester_id.strip():
        requester = Person.objects.filter(external_id=data.requester_id.strip()).first()
    else:
        raise InvalidInput("Name the requester: requester_id (host-app user id) or person_id.")
    if requester is None:
        raise NotFound("No such person; send them through the ingest API first.")
    ticket = ticket_create(
        requester=requester,
        subject=data.subject,
        body=data.body,
        channel=data.channel,
        priority=data.priority,
        audit=AuditContext.from_request(request),
    )
    return Status(201, _out(ticket))


@router.get(
    "/support/tickets/{ticket_id}",
    response={200: TicketOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_tickets_get",
    summary="One ticket",
)
def tickets_get(request: HttpRequest, ticket_id: int) -> Status[Any]:
    """A ticket by number."""
    return Status(200, _out(_ticket(ticket_id)))


@router.patch(
    "/support/tickets/{ticket_id}",
    response={200: TicketOut, **ERRORS},
    auth=WRITE,
    operation_id="support_tickets_update",
    summary="Change a ticket",
)
def tickets_update(request: HttpRequest, ticket_id: int, data: TicketPatch) -> Status[Any]:
    """Set status, priority, category or assignee (audited)."""
    _require(request, ["support.change_ticket"])
    ticket = _ticket(ticket_id)
    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("status", data.status),
            ("priority", data.priority),
            ("category", data.category),
        )
        if value is not None
    }
    if data.unassign:
        changes["assignee"] = None
    elif data.assignee_id is not None:
        assignee = (
            User.objects.filter(pk=data.assignee_id, is_active=True, is_staff=True).first()
            if 0 < data.assignee_id <= MAX_ID
            else None
        )
        if assignee is None:
            raise InvalidInput(f"assignee_id {data.assignee_id} is not an active staff user.")
        changes["assignee"] = assignee
    if not changes:
        raise InvalidInput("Nothing to change: send status, priority, category or assignee_id.")
    ticket_update(ticket=ticket, audit=AuditContext.from_request(request), **changes)
    return Status(200, _out(ticket))


@router.post(
    "/support/tickets/{ticket_id}/messages",
    response={201: MessageOut, **ERRORS},
    auth=WRITE,
    operation_id="support_tickets_reply",
    summary="Reply by email, or add an internal note",
)
def tickets_reply(request: HttpRequest, ticket_id: int, data: MessageIn) -> Status[Any]:
    """Reply to the customer by email (threaded on the ticket), or add an internal note."""
    _require(request, ["support.add_ticketmessage"] if data.internal else REPLY_PERMISSIONS)
    ticket = _ticket(ticket_id)
    audit = AuditContext.from_request(request)
    if data.internal:
        message = ticket_reply(
            ticket=ticket,
            body=data.body,
            author_kind="agent",
            audit=audit,
            is_internal=True,
            status=data.status,
        )
    else:
        message = ticket_reply_send(ticket=ticket, body=data.body, audit=audit, status=data.status)
    return Status(
        201,
        MessageOut(
            id=message.pk,
            author_kind=message.author_kind,
            is_internal=message.is_internal,
            body=message.body,
            created_at=message.created_at,
            ticket_status=ticket.status,
        ),
    )


@router.get(
    "/support/tickets/{ticket_id}/analysis",
    response={200: AnalysisOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_tickets_analysis",
    summary="A ticket's analysis",
)
def tickets_analysis(request: HttpRequest, ticket_id: int) -> Status[Any]:
    """What triage made of a ticket: category with calibrated confidence, severity, feature,
    impact. 404 until triage has run (seconds after the ticket arrived)."""
    ticket = _ticket(ticket_id)
    analysis = TicketAnalysis.objects.filter(ticket=ticket).first()
    if analysis is None:
        raise NotFound(f"Ticket #{ticket_id} has not been analysed yet; try again in a moment.")
    return Status(
        200,
        AnalysisOut(
            ticket_id=ticket.pk,
            category=analysis.category,
            category_confidence=analysis.category_confidence,
            category_is_confident=analysis.category_is_confident,
            alternatives=[
                AlternativeOut(category=c, confidence=p) for c, p in analysis.alternatives
            ],
            source=analysis.source,
            model_version=analysis.model_version,
            severity=analysis.severity,
            severity_confidence=analysis.severity_confidence,
            feature=analysis.feature,
            feature_confidence=analysis.feature_confidence,
            is_blocking=analysis.is_blocking,
            blocking_confidence=analysis.blocking_confidence,
            signals=analysis.signals,
            analysed_at=analysis.analysed_at,
        ),
    )


@router.post(
    "/support/tickets/{ticket_id}/analysis/corrections",
    response={201: CorrectionOut, **ERRORS},
    auth=WRITE,
    operation_id="support_tickets_analysis_correct",
    summary="Correct a ticket's analysis",
)
def tickets_analysis_correct(
    request: HttpRequest, ticket_id: int, data: CorrectionIn
) -> Status[Any]:
    """Correct one field; kept as a training label (a category becomes the ticket's)."""
    _require(request, ["support.change_ticket"])
    correction = analysis_correct(
        ticket=_ticket(ticket_id),
        field=data.field,
        value=data.value,
        audit=AuditContext.from_request(request),
    )
    return Status(
        201,
        CorrectionOut(
            id=correction.pk,
            field=correction.field,
            predicted=correction.predicted,
            corrected=correction.corrected,
        ),
    )


def _similar_out(s: SimilarTicket) -> dict[str, Any]:
    return {
        "ticket_id": s.ticket_id,
        "subject": s.subject,
        "status": s.status,
        "category": s.category,
        "similarity": s.similarity,
        "created_at": s.created_at,
        "resolved_at": s.resolved_at,
        "resolution_hours": s.resolution_hours,
        "resolution": s.resolution,
    }


@router.get(
    "/support/tickets/{ticket_id}/similar",
    response={200: SimilarListOut, 400: ErrorOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_tickets_similar",
    summary="Similar tickets",
)
def tickets_similar(request: HttpRequest, ticket_id: int, limit: int = 5) -> Status[Any]:
    """Past resolved tickets most like this one (with how each was resolved and how long it
    took), and open ones that may be duplicates."""
    if not 1 <= limit <= 20:
        raise InvalidInput("limit is between 1 and 20.")
    found = tickets_similar_to(ticket=_ticket(ticket_id), limit=limit)
    return Status(
        200,
        {
            "resolved": [_similar_out(s) for s in found.resolved],
            "duplicates": [_similar_out(s) for s in found.duplicates],
        },
    )


def _suggestion_out(s: ReplySuggestion) -> SuggestionOut:
    return SuggestionOut(
        id=s.pk,
        ticket_id=s.ticket_id,
        body=s.body,
        sources=s.sources,
        method=s.method,
        outcome=s.outcome,
        created_at=s.created_at,
    )


@router.get(
    "/support/tickets/{ticket_id}/suggested-reply",
    response={200: SuggestionOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_tickets_suggestion",
    summary="The suggested reply",
)
def tickets_suggestion(request: HttpRequest, ticket_id: int) -> Status[Any]:
    """The latest undecided suggested reply (drafted by triage, or on request)."""
    ticket = _ticket(ticket_id)
    found = (
        ReplySuggestion.objects.filter(ticket=ticket, outcome=ReplySuggestion.Outcome.PENDING)
        .order_by("-created_at", "-id")
        .first()
    )
    if found is None:
        raise NotFound(f"Ticket #{ticket_id} has no undecided suggestion; POST to draft one.")
    return Status(200, _suggestion_out(found))


@router.post(
    "/support/tickets/{ticket_id}/suggested-reply",
    response={201: SuggestionOut, **ERRORS},
    auth=WRITE,
    operation_id="support_tickets_suggestion_draft",
    summary="Draft a suggested reply",
)
def tickets_suggestion_draft(request: HttpRequest, ticket_id: int) -> Status[Any]:
    """Draft a new suggested reply from similar resolved tickets and templates."""
    _require(request, ["support.add_ticketmessage"])
    user = _staff(request)
    found = reply_suggestion_draft(
        ticket=_ticket(ticket_id), agent_name=user.get_full_name() if user else ""
    )
    return Status(201, _suggestion_out(found))


@router.post(
    "/support/tickets/{ticket_id}/suggested-reply/{suggestion_id}/decision",
    response={200: SuggestionOut, **ERRORS},
    auth=WRITE,
    operation_id="support_tickets_suggestion_decide",
    summary="Use, edit or reject a suggested reply",
)
def tickets_suggestion_decide(
    request: HttpRequest, ticket_id: int, suggestion_id: int, data: DecisionIn
) -> Status[Any]:
    """'use' sends it (with `body` when edited) and may set the status; 'reject' records it."""
    _require(request, REPLY_PERMISSIONS if data.outcome == "use" else ["support.add_ticketmessage"])
    ticket = _ticket(ticket_id)
    found = (
        ReplySuggestion.objects.filter(pk=suggestion_id, ticket=ticket).first()
        if 0 < suggestion_id <= MAX_ID
        else None
    )
    if found is None:
        raise NotFound(f"No suggestion {suggestion_id} on ticket #{ticket_id}.")
    reply_suggestion_decide(
        suggestion=found,
        outcome=data.outcome,
        audit=AuditContext.from_request(request),
        body=data.body,
        status=data.status,
    )
    found.refresh_from_db()
    return Status(200, _suggestion_out(found))


@router.get(
    "/support/tickets/{ticket_id}/automation",
    response={200: AutomationDecisionOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_tickets_automation",
    summary="Auto-resolution decision (dry run)",
)
def tickets_automation(request: HttpRequest, ticket_id: int) -> Status[Any]:
    """Which automation would handle the ticket, its mode, and whether every eligibility
    check passes (with the reasons when not). Nothing is done."""
    ticket = _ticket(ticket_id)
    analysis = TicketAnalysis.objects.filter(ticket=ticket).first()
    decision = automation_decide(
        ticket=ticket, analysis=analysis, snapshot=person_snapshot_get(person=ticket.requester)
    )
    return Status(
        200,
        AutomationDecisionOut(
            ticket_id=ticket.pk,
            intent=decision.intent,
            mode=decision.mode,
            eligible=decision.eligible,
            would_act=decision.acts,
            reasons=decision.reasons,
            event=decision.event,
        ),
    )


def _period_out(figures: PeriodFigures) -> dict[str, Any]:
    return {
        "start": figures.start,
        "end": figures.end,
        "total": figures.total,
        "auto_resolved": figures.auto_resolved,
        "ai_assisted": figures.ai_assisted,
        "manual": figures.manual,
        "first_response_mean_hours": figures.first_response.mean_hours,
        "first_response_median_hours": figures.first_response.median_hours,
        "first_response_within_target": figures.first_response_met,
        "resolution_mean_hours": figures.resolution.mean_hours,
        "resolution_median_hours": figures.resolution.median_hours,
        "auto_resolution_mean_seconds": figures.auto_resolution_seconds,
        "csat": figures.csat,
        "csat_count": figures.csat_count,
        "suggestions_used": figures.suggestions_used,
        "suggestions_edited": figures.suggestions_edited,
        "suggestions_rejected": figures.suggestions_rejected,
        "suggestion_acceptance": figures.suggestion_acceptance,
    }


@router.get(
    "/support/metrics",
    response={200: MetricsOut, 400: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_metrics",
    summary="Support metrics for a period and the one before",
)
def metrics(request: HttpRequest, days: int = 30) -> Status[Any]:
    """Tickets split auto-resolved / AI-assisted / manual, response and resolution times,
    CSAT, how suggested replies fared, and this week's top issues with trending marked."""
    if not 1 <= days <= 366:
        raise InvalidInput("days is between 1 and 366.")
    now = clock.now()
    span = timedelta(days=days)
    return Status(
        200,
        {
            "days": days,
            "current": _period_out(period_figures(start=now - span, end=now)),
            "previous": _period_out(period_figures(start=now - 2 * span, end=now - span)),
            "top_issues": [
                {
                    "category": issue.category,
                    "this_week": issue.this_week,
                    "weekly_baseline": issue.weekly_baseline,
                    "is_trending": issue.is_trending,
                    "p_value": issue.p_value,
                }
                for issue in top_issues(now=now)
            ],
        },
    )


def _article_out(article: Article) -> ArticleOut:
    return ArticleOut(
        id=article.pk,
        slug=article.slug,
        title=article.title,
        body=article.body,
        status=article.status,
        category=article.category,
        tags=list(article.tags),
        views=article.views,
        helpful_yes=article.helpful_yes,
        helpful_no=article.helpful_no,
        suggested_count=article.suggested_count,
        created_at=article.created_at,
        updated_at=article.updated_at,
    )


def _article(article_id: int) -> Article:
    found = Article.objects.filter(pk=article_id).first() if 0 < article_id <= MAX_ID else None
    if found is None:
        raise NotFound(f"No article {article_id}.")
    return found


@router.get(
    "/support/articles/suggest",
    response={200: list[ArticleMatchOut], 400: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_articles_suggest",
    summary="Articles that answer a question (deflection)",
)
def articles_suggest(request: HttpRequest, q: str = "", limit: int = 3) -> Status[Any]:
    """The published articles that best answer a question, for the host app's help form
    before a ticket is filed; each offer is counted."""
    if not q.strip() or len(q) > 2000 or "\x00" in q:
        raise InvalidInput("q is the customer's question, 1 to 2000 characters.")
    if not 1 <= limit <= 10:
        raise InvalidInput("limit is between 1 and 10.")
    matches = articles_matching(text=q, limit=limit)
    articles_suggested_count(article_ids=[m.article.pk for m in matches])
    return Status(
        200,
        [
            ArticleMatchOut(
                id=m.article.pk,
                slug=m.article.slug,
                title=m.article.title,
                score=m.score,
                excerpt=m.article.body[:200],
            )
            for m in matches
        ],
    )


@router.get(
    "/support/articles",
    response={200: list[ArticleOut], 400: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_articles_list",
    summary="Knowledge-base articles",
)
def articles_list(request: HttpRequest, status: str = "") -> Status[Any]:
    """Every article, or those with a status (draft, published)."""
    articles = Article.objects.all()
    if status:
        if status not in Article.Status.values:
            raise InvalidInput(f"status is one of {', '.join(Article.Status.values)}.")
        articles = articles.filter(status=status)
    return Status(200, [_article_out(a) for a in articles[:500]])


@router.post(
    "/support/articles",
    response={201: ArticleOut, **ERRORS},
    auth=WRITE,
    operation_id="support_articles_create",
    summary="Write an article",
)
def articles_create(request: HttpRequest, data: ArticleIn) -> Status[Any]:
    """A new article (draft unless published)."""
    _require(request, ["support.add_article"])
    values = data.dict()
    if not values["slug"]:
        values.pop("slug")
    article = article_save(audit=AuditContext.from_request(request), **values)
    return Status(201, _article_out(article))


@router.get(
    "/support/articles/{article_id}",
    response={200: ArticleOut, 404: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_articles_get",
    summary="One article",
)
def articles_get(request: HttpRequest, article_id: int) -> Status[Any]:
    """An article by id."""
    return Status(200, _article_out(_article(article_id)))


@router.patch(
    "/support/articles/{article_id}",
    response={200: ArticleOut, **ERRORS},
    auth=WRITE,
    operation_id="support_articles_update",
    summary="Change an article",
)
def articles_update(request: HttpRequest, article_id: int, data: ArticlePatch) -> Status[Any]:
    """Change the fields given (publish by setting status)."""
    _require(request, ["support.change_article"])
    values = {k: v for k, v in data.dict().items() if v is not None}
    if not values:
        raise InvalidInput("Nothing to change.")
    article = article_save(
        audit=AuditContext.from_request(request), article=_article(article_id), **values
    )
    return Status(200, _article_out(article))


@router.delete(
    "/support/articles/{article_id}",
    response={204: None, **ERRORS},
    auth=WRITE,
    operation_id="support_articles_delete",
    summary="Delete an article",
)
def articles_delete(request: HttpRequest, article_id: int) -> Status[Any]:
    """Delete an article (admins)."""
    _require(request, ["support.delete_article"])
    article_delete(article=_article(article_id), audit=AuditContext.from_request(request))
    return Status(204, None)


@router.get(
    "/support/templates",
    response=list[TemplateOut],
    auth=staff_or_key("read"),
    operation_id="support_templates_list",
    summary="Response templates",
)
def templates_list(request: HttpRequest) -> list[TemplateOut]:
    """The response templates with their {variables} and how often drafts used them."""
    return [
        TemplateOut(
            id=t.pk,
            key=t.key,
            name=t.name,
            category=t.category,
            body=t.body,
            is_active=t.is_active,
            usage_count=t.usage_count,
        )
        for t in ResponseTemplate.objects.all()
    ]


@router.post(
    "/support/tickets/{ticket_id}/merge",
    response={200: TicketOut, **ERRORS},
    auth=WRITE,
    operation_id="support_tickets_merge",
    summary="Merge a duplicate into a ticket",
)
def tickets_merge(request: HttpRequest, ticket_id: int, data: MergeIn) -> Status[Any]:
    """Merge ticket `duplicate` (same person, open) into this one; it is closed."""
    _require(request, ["support.change_ticket"])
    target = ticket_merge(
        source=_ticket(data.duplicate),
        target=_ticket(ticket_id),
        audit=AuditContext.from_request(request),
    )
    return Status(200, _out(target))
