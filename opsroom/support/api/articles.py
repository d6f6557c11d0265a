"""Knowledge-base articles (CRUD and the deflection suggest endpoint) and response templates."""

from typing import Any

from django.http import HttpRequest
from ninja import Status

from opsroom.core.auth import staff_or_key
from opsroom.core.errors import Conflict, InvalidInput, NotFound
from opsroom.core.schemas import ErrorOut
from opsroom.core.services.audit import AuditContext
from opsroom.support.api.access import ERRORS, MAX_ID, WRITE, _require, router
from opsroom.support.models import (
    Article,
    ResponseTemplate,
)
from opsroom.support.schemas import (
    ArticleDraftIn,
    ArticleFeedbackIn,
    ArticleIn,
    ArticleMatchOut,
    ArticleOut,
    ArticlePatch,
    TemplateIn,
    TemplateOut,
    TemplatePatch,
    TopicOut,
)
from opsroom.support.selectors.articles import articles_matching
from opsroom.support.selectors.templates import TemplateFigures, template_figures
from opsroom.support.selectors.topics import Topic, ticket_topics
from opsroom.support.services.articles import (
    article_delete,
    article_draft_create,
    article_feedback,
    article_save,
    article_viewed,
    articles_suggested_count,
)
from opsroom.support.services.replies import response_template_save


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
        source_tickets=list(article.source_tickets),
        drafted_from=article.drafted_from,
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


def _topic_out(topic: Topic) -> TopicOut:
    return TopicOut(
        label=topic.label,
        terms=topic.terms,
        count=topic.count,
        previous_count=topic.previous_count,
        rising=topic.rising,
        open_count=topic.open_count,
        category=topic.category,
        example_ticket_id=topic.example_ticket_id,
        example_subject=topic.example_subject,
        ticket_ids=topic.ticket_ids,
        article_id=topic.article.pk if topic.article else None,
        article_title=topic.article.title if topic.article else None,
        article_score=topic.article_score,
        gap=topic.is_gap,
    )


@router.get(
    "/support/articles/topics",
    response={200: list[TopicOut], 400: ErrorOut},
    auth=staff_or_key("read"),
    operation_id="support_articles_topics",
    summary="What tickets asked about lately, and the gaps no article answers",
)
def articles_topics(request: HttpRequest, days: int = 7) -> Status[Any]:
    """Recent tickets grouped by what they say, biggest first, each with the published article
    that answers it or `gap` when many tickets have none."""
    if not 1 <= days <= 90:
        raise InvalidInput("days is between 1 and 90.")
    return Status(200, [_topic_out(t) for t in ticket_topics(days=days)])


@router.post(
    "/support/articles/drafts",
    response={201: ArticleOut, **ERRORS},
    auth=WRITE,
    operation_id="support_articles_draft",
    summary="Draft an article from tickets' best answers",
)
def articles_draft(request: HttpRequest, data: ArticleDraftIn) -> Status[Any]:
    """A draft article written from the answers that solved these tickets, for review."""
    _require(request, ["support.add_article"])
    article = article_draft_create(
        ticket_ids=data.ticket_ids, audit=AuditContext.from_request(request)
    )
    return Status(201, _article_out(article))


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


def _published(article_id: int) -> Article:
    article = _article(article_id)
    if article.status != Article.Status.PUBLISHED:
        raise Conflict(f"Article {article_id} is a draft: customers cannot read it.")
    return article


@router.post(
    "/support/articles/{article_id}/view",
    response={204: None, **ERRORS},
    auth=staff_or_key("read"),
    operation_id="support_articles_view",
    summary="Count a reading of an article",
)
def articles_view(request: HttpRequest, article_id: int) -> Status[Any]:
    """Your help centre calls this when a customer opens a published article."""
    article_viewed(article=_published(article_id))
    return Status(204, None)


@router.post(
    "/support/articles/{article_id}/feedback",
    response={200: ArticleOut, **ERRORS},
    auth=staff_or_key("read"),
    operation_id="support_articles_feedback",
    summary="Count a 'Was this helpful?' answer",
)
def articles_feedback(
    request: HttpRequest, article_id: int, data: ArticleFeedbackIn
) -> Status[Any]:
    """A reader's yes or no to "Was this helpful?" on a published article."""
    article = article_feedback(article=_published(article_id), helpful=data.helpful)
    return Status(200, _article_out(article))


def _template_out(figures: TemplateFigures) -> TemplateOut:
    t = figures.template
    return TemplateOut(
        id=t.pk,
        key=t.key,
        name=t.name,
        category=t.category,
        body=t.body,
        is_active=t.is_active,
        usage_count=t.usage_count,
        sent_12m=figures.sent,
        stayed_solved=figures.stayed_solved,
        success_rate=figures.success_rate,
        csat=figures.csat,
        csat_count=figures.csat_count,
    )


def _template_figures_of(template: ResponseTemplate) -> TemplateFigures:
    return next(f for f in template_figures() if f.template.pk == template.pk)


@router.get(
    "/support/templates",
    response=list[TemplateOut],
    auth=staff_or_key("read"),
    operation_id="support_templates_list",
    summary="Response templates and how they do",
)
def templates_list(request: HttpRequest) -> list[TemplateOut]:
    """The response templates with their {variables}, how often drafts used them, and how the
    tickets they answered went (stayed solved, CSAT) over the last 12 months."""
    return [_template_out(f) for f in template_figures()]


@router.post(
    "/support/templates",
    response={201: TemplateOut, **ERRORS},
    auth=WRITE,
    operation_id="support_templates_create",
    summary="Write a response template",
)
def templates_create(request: HttpRequest, data: TemplateIn) -> Status[Any]:
    """A new template; its {variables} must be ones the copilot fills."""
    _require(request, ["support.add_responsetemplate"])
    values = data.dict()
    if not values["key"]:
        values.pop("key")
    template = response_template_save(audit=AuditContext.from_request(request), **values)
    return Status(201, _template_out(_template_figures_of(template)))


@router.patch(
    "/support/templates/{template_id}",
    response={200: TemplateOut, **ERRORS},
    auth=WRITE,
    operation_id="support_templates_update",
    summary="Change a response template",
)
def templates_update(request: HttpRequest, template_id: int, data: TemplatePatch) -> Status[Any]:
    """Change the fields given (deactivate with `is_active: false`)."""
    _require(request, ["support.change_responsetemplate"])
    template = (
        ResponseTemplate.objects.filter(pk=template_id).first()
        if 0 < template_id <= MAX_ID
        else None
    )
    if template is None:
        raise NotFound(f"No template {template_id}.")
    values = {k: v for k, v in data.dict().items() if v is not None}
    if not values:
        raise InvalidInput("Nothing to change.")
    template = response_template_save(
        audit=AuditContext.from_request(request), template=template, **values
    )
    return Status(200, _template_out(_template_figures_of(template)))
