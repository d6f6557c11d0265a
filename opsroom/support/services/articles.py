"""Writes of knowledge-base articles, and counting their use."""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify

from opsroom.core import clock
from opsroom.core.errors import Conflict, InvalidInput
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.support.models import Article, Ticket
from opsroom.support.selectors.topics import topic_article_draft, topic_for_tickets

_FIELDS = {"title", "body", "status", "category", "tags", "slug"}


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - _FIELDS
    if unknown:
        raise InvalidInput(f"Unknown article fields: {', '.join(sorted(unknown))}.")
    if "title" in values and not str(values["title"]).strip():
        raise InvalidInput("An article needs a title.")
    if "body" in values and not str(values["body"]).strip():
        raise InvalidInput("An article needs a body.")
    if "status" in values and values["status"] not in Article.Status.values:
        raise InvalidInput(f"status is one of {', '.join(Article.Status.values)}.")
    if "category" in values and values["category"] not in [*Ticket.Category.values, ""]:
        raise InvalidInput(f"category '{str(values['category'])[:40]}' is unknown.")
    if "tags" in values:
        tags = values["tags"]
        if not isinstance(tags, list) or not all(
            isinstance(t, str) and 0 < len(t) <= 50 for t in tags
        ):
            raise InvalidInput("tags is a list of words of at most 50 characters.")
        values["tags"] = sorted({t.strip().lower() for t in tags if t.strip()})[:20]
    if "slug" in values:
        values["slug"] = slugify(str(values["slug"]))[:120]
        if not values["slug"]:
            raise InvalidInput("slug must hold letters or digits.")
    return values


@transaction.atomic
def article_save(*, audit: AuditContext, article: Article | None = None, **values: Any) -> Article:
    """Create an article, or change one (only the fields given)."""
    values = _clean(dict(values))
    creating = article is None
    if article is None:
        if "title" not in values or "body" not in values:
            raise InvalidInput("A new article needs a title and a body.")
        values.setdefault("slug", slugify(values["title"])[:120] or "article")
        article = Article(**values)
    else:
        for name, value in values.items():
            setattr(article, name, value)
        article.updated_at = clock.now()
    try:
        with transaction.atomic():
            article.save()
    except IntegrityError as exc:
        raise Conflict(f"Another article already has the slug '{article.slug}'.") from exc
    audit_record(
        audit,
        action="support.article_create" if creating else "support.article_update",
        target=article,
        params={"fields": sorted(values), "status": article.status},
    )
    return article


@transaction.atomic
def article_delete(*, article: Article, audit: AuditContext) -> None:
    """Delete an article."""
    audit_record(
        audit, action="support.article_delete", target=article, params={"slug": article.slug}
    )
    article.delete()


def articles_suggested_count(*, article_ids: list[int]) -> None:
    """Count that the help form offered these articles (the deflection figure)."""
    Article.objects.filter(pk__in=article_ids).update(suggested_count=F("suggested_count") + 1)


MAX_DRAFT_TICKETS = 200


@transaction.atomic
def article_draft_create(*, ticket_ids: list[int], audit: AuditContext) -> Article:
    """A draft article written from a group of tickets' best answers, for review. Its slug
    gets a number when the title's is taken."""
    ids = sorted({i for i in ticket_ids if isinstance(i, int) and 0 < i < 2**63})
    if not ids:
        raise InvalidInput("Give the tickets to draft the article from.")
    if len(ids) > MAX_DRAFT_TICKETS:
        raise InvalidInput(f"Draft from at most {MAX_DRAFT_TICKETS} tickets.")
    topic = topic_for_tickets(ticket_ids=ids)
    if topic is None:
        raise InvalidInput("None of those tickets exists.")
    draft = topic_article_draft(topic)
    base = slugify(draft.title)[:110] or "article"
    slug, n = base, 1
    while Article.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    article = Article.objects.create(
        slug=slug,
        title=draft.title,
        body=draft.body,
        status=Article.Status.DRAFT,
        category=draft.category,
        tags=sorted(set(draft.tags)),
        source_tickets=draft.source_ticket_ids,
        drafted_from=f"{topic.count} tickets about “{topic.label}”"[:200],
    )
    audit_record(
        audit,
        action="support.article_draft",
        target=article,
        params={"tickets": len(ids), "sources": draft.source_ticket_ids[:20]},
    )
    return article


def article_feedback(*, article: Article, helpful: bool) -> Article:
    """Count a reader's "was this helpful?" answer."""
    name = "helpful_yes" if helpful else "helpful_no"
    Article.objects.filter(pk=article.pk).update(**{name: F(name) + 1})
    article.refresh_from_db(fields=["helpful_yes", "helpful_no"])
    return article


def article_viewed(*, article: Article) -> None:
    """Count a reading of an article (by a customer in the host app's help centre)."""
    Article.objects.filter(pk=article.pk).update(views=F("views") + 1)
