"""Writes of knowledge-base articles, and counting their use."""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify

from opsroom.core import clock
from opsroom.core.errors import Conflict, InvalidInput
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.support.models import Article, Ticket

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
