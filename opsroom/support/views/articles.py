"""The knowledge base: articles (list, read, write, publish), this week's ticket topics with
the gaps no article answers, and drafting an article from a topic's best answers."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsroom.core.auth import request_staff
from opsroom.core.errors import InvalidInput
from opsroom.core.refusals import permissions_check
from opsroom.core.services.audit import AuditContext
from opsroom.support.models import Article, Ticket
from opsroom.support.selectors.topics import ticket_topics
from opsroom.support.services.articles import article_delete, article_draft_create, article_save

TOPIC_DAYS = (7, 14, 30)
MAX_ID = 2**63 - 1


def _article(article_id: int) -> Article:
    found = Article.objects.filter(pk=article_id).first() if 0 < article_id <= MAX_ID else None
    if found is None:
        raise Http404("No such article.")
    return found


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Every article with how it is used, and what customers asked about lately."""
    user = request_staff(request)
    status = request.GET.get("status", "")
    if status not in ("", *Article.Status.values):
        status = ""
    try:
        days = int(request.GET.get("days", "7"))
    except ValueError:
        days = 7
    if days not in TOPIC_DAYS:
        days = 7
    articles = Article.objects.order_by("-updated_at", "-id")
    if status:
        articles = articles.filter(status=status)
    return render(
        request,
        "support/articles.html",
        {
            "articles": articles[:300],
            "status": status,
            "statuses": Article.Status.choices,
            "days": days,
            "day_choices": TOPIC_DAYS,
            "topics": ticket_topics(days=days),
            "can_write": user.has_perm("support.add_article"),
        },
    )


@require_GET
def detail(request: HttpRequest, article_id: int) -> HttpResponse:
    """An article as customers would read it, with its figures."""
    user = request_staff(request)
    article = _article(article_id)
    votes = article.helpful_yes + article.helpful_no
    return render(
        request,
        "support/article.html",
        {
            "article": article,
            "votes": votes,
            "helpful_share": article.helpful_yes / votes if votes else None,
            "can_write": user.has_perm("support.change_article"),
            "can_delete": user.has_perm("support.delete_article"),
        },
    )


def _form_values(request: HttpRequest) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": request.POST.get("title", "").strip()[:200],
        "body": request.POST.get("body", ""),
        "category": request.POST.get("category", ""),
        "tags": [t for t in request.POST.get("tags", "").replace(",", " ").split() if t][:20],
        "status": request.POST.get("status", Article.Status.DRAFT),
    }
    slug = request.POST.get("slug", "").strip()
    if slug:
        values["slug"] = slug
    return values


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, article_id: int | None = None) -> HttpResponse:
    """Write a new article or change one; the form comes back with the error when refused."""
    user = request_staff(request)
    article = _article(article_id) if article_id is not None else None
    permissions_check(user, ["support.change_article" if article else "support.add_article"])
    error = ""
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = _form_values(request)
        try:
            saved = article_save(
                audit=AuditContext.from_request(request), article=article, **values
            )
        except InvalidInput as exc:
            error = str(exc)
        else:
            verb = "published" if saved.status == Article.Status.PUBLISHED else "saved as a draft"
            messages.success(request, f"“{saved.title}” {verb}.")
            return redirect("support:article", saved.pk)
    source_tickets = []
    if article is not None and article.source_tickets:
        source_tickets = list(
            Ticket.objects.filter(pk__in=article.source_tickets).values("id", "subject")
        )
    return render(
        request,
        "support/article_edit.html",
        {
            "article": article,
            "values": values,
            "error": error,
            "statuses": Article.Status.choices,
            "categories": Ticket.Category.choices,
            "source_tickets": source_tickets,
        },
        status=400 if error else 200,
    )


@require_POST
def publish(request: HttpRequest, article_id: int) -> HttpResponse:
    """Publish an article, or take it back to draft."""
    permissions_check(request.user, ["support.change_article"])
    article = _article(article_id)
    status = request.POST.get("status", "")
    if status not in Article.Status.values:
        raise InvalidInput(f"status is one of {', '.join(Article.Status.values)}.")
    article_save(audit=AuditContext.from_request(request), article=article, status=status)
    messages.success(
        request,
        f"“{article.title}” "
        + ("published." if status == Article.Status.PUBLISHED else "is a draft again."),
    )
    return redirect("support:article", article.pk)


@require_POST
def delete(request: HttpRequest, article_id: int) -> HttpResponse:
    """Delete an article."""
    permissions_check(request.user, ["support.delete_article"])
    article = _article(article_id)
    title = article.title
    article_delete(article=article, audit=AuditContext.from_request(request))
    messages.success(request, f"“{title}” deleted.")
    return redirect("support:articles")


@require_POST
def draft(request: HttpRequest) -> HttpResponse:
    """Draft an article from a topic's tickets, then open it for review."""
    permissions_check(request.user, ["support.add_article"])
    ids: list[int] = []
    for raw in request.POST.getlist("ticket"):
        if not raw.isdigit():
            raise InvalidInput("Tickets are given by their numbers.")
        ids.append(int(raw))
    article = article_draft_create(ticket_ids=ids, audit=AuditContext.from_request(request))
    messages.success(
        request,
        f"Drafted “{article.title}” from {len(ids)} tickets: check it, then publish.",
    )
    return redirect("support:article_edit", article.pk)
