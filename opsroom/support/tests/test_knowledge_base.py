"""The knowledge base's pages, topics and gaps, drafts from tickets, and reads and votes."""

import json
from datetime import timedelta

import pytest
from django.test import Client

from conftest import signed_in
from opsroom.core import clock
from opsroom.core.models import AuditEntry
from opsroom.core.services.apikeys import api_key_create
from opsroom.core.services.audit import AuditContext
from opsroom.support.models import Article
from opsroom.support.selectors.topics import ticket_topics, topic_article_draft, topic_for_tickets
from opsroom.support.services.articles import article_save
from opsroom.support.templatetags.support_markdown import markdown
from opsroom.support.tests.factories import TicketFactory, TicketMessageFactory

pytestmark = pytest.mark.django_db

EXPORT = [
    ("Can't export my meal plan", "I press export meal plan and nothing downloads."),
    ("Meal plan export broken", "The meal plan export gives me an empty PDF file."),
    ("export meal plan pdf?", "How do I export the meal plan as a PDF for my fridge?"),
    ("Meal plan export not working", "Export meal plan spins forever on my phone."),
    ("Exporting the meal plan", "Hello team, exporting my meal plan fails every time."),
    ("meal plan export", "Hi! Where is meal plan export gone? I need the PDF."),
]
OTHER = [
    ("Refund please", "I was charged twice for my subscription this month."),
    ("Change my email", "I want to change the email address on my account."),
    ("Dark mode?", "Is there a dark mode for the recipe screen at night?"),
]
ANSWER = (
    "Hi {name},\n\nOpen Plans, choose the week, then press Share > Export PDF. The file "
    "lands in your Downloads folder; on iPhone it opens in Files.\n\nBest,\nSam"
)


def _world(days_ago=1, solved=True):
    ids = []
    for n, (subject, body) in enumerate(EXPORT):
        ticket = TicketFactory(
            subject=subject,
            body=body,
            category="how_to",
            status="solved" if solved and n < 3 else "open",
            created_at=clock.now() - timedelta(days=days_ago, minutes=n),
        )
        ids.append(ticket.pk)
        if solved and n < 3:
            first = ticket.requester.name.split(" ")[0]
            TicketMessageFactory(
                ticket=ticket,
                body=ANSWER.format(name=first),
                created_at=ticket.created_at + timedelta(hours=1),
            )
            # The closing acknowledgement comes last and is not the answer.
            TicketMessageFactory(
                ticket=ticket,
                body="Glad it works! Closing this now.",
                created_at=ticket.created_at + timedelta(hours=2),
            )
    for subject, body in OTHER:
        TicketFactory(subject=subject, body=body, created_at=clock.now() - timedelta(days=2))
    return ids


def test_similar_tickets_group_into_a_topic_and_a_gap_without_an_article():
    ids = _world()
    topics = ticket_topics(days=7)
    assert len(topics) == 1
    topic = topics[0]
    assert sorted(topic.ticket_ids) == sorted(ids)
    assert "meal plan" in topic.label or "export" in topic.label
    assert topic.is_gap
    assert topic.article is None
    assert topic.open_count == 3
    # Nothing the window before: it is rising.
    assert topic.previous_count == 0
    assert topic.rising


def test_a_published_article_that_answers_the_topic_closes_the_gap():
    _world()
    article_save(
        audit=AuditContext.system("t"),
        title="Export your meal plan as a PDF",
        body="Open Plans, then Share > Export PDF to export the meal plan.",
        status="published",
        tags=["export", "meal plan"],
    )
    topic = ticket_topics(days=7)[0]
    assert topic.article is not None
    assert not topic.is_gap


def test_old_tickets_count_as_before_not_as_the_topic():
    _world(days_ago=10)
    assert ticket_topics(days=7) == []
    topic = ticket_topics(days=14)[0]
    assert topic.count == 6


def test_a_draft_takes_the_substantial_answer_without_the_customer_or_sign_off():
    ids = _world()
    topic = topic_for_tickets(ticket_ids=ids)
    assert topic is not None
    draft = topic_article_draft(topic)
    assert "Share > Export PDF" in draft.body
    assert "Glad it works" not in draft.body
    assert "Best," not in draft.body
    assert "Sam" not in draft.body
    # The three identical answers appear once.
    assert draft.body.count("Share > Export PDF") == 1
    assert len(draft.source_ticket_ids) == 1
    assert draft.category == "how_to"
    for ticket_id in ids[:3]:
        name = TicketFactory._meta.model.objects.get(pk=ticket_id).requester.name.split(" ")[0]
        assert name not in draft.body


def test_drafting_from_the_page_creates_a_draft_for_review(staff_support):
    ids = _world()
    client = signed_in(staff_support)
    page = client.get("/support/articles/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "6 tickets about" in html
    assert "No article" in html
    response = client.post("/support/articles/draft/", {"ticket": [str(i) for i in ids]})
    assert response.status_code == 302
    article = Article.objects.get()
    assert article.status == "draft"
    assert article.source_tickets
    assert article.drafted_from.startswith("6 tickets about")
    assert response["Location"] == f"/support/articles/{article.pk}/edit/"
    edit = client.get(response["Location"]).content.decode()
    assert "Check every step" in edit
    assert AuditEntry.objects.filter(action="support.article_draft").exists()
    # Drafting the same topic again gives a second draft with its own address.
    client.post("/support/articles/draft/", {"ticket": [str(i) for i in ids]})
    assert Article.objects.count() == 2
    assert len(set(Article.objects.values_list("slug", flat=True))) == 2


def test_writing_publishing_and_deleting_from_the_pages(staff_support, staff_admin):
    client = signed_in(staff_support)
    refused = client.post("/support/articles/new/", {"title": " ", "body": "x"})
    assert refused.status_code == 400
    assert "needs a title" in refused.content.decode()
    created = client.post(
        "/support/articles/new/",
        {"title": "Reset your password", "body": "Use **Forgot password**.", "tags": "login"},
    )
    article = Article.objects.get()
    assert created["Location"] == f"/support/articles/{article.pk}/"
    assert article.status == "draft"
    assert article.tags == ["login"]
    client.post(f"/support/articles/{article.pk}/publish/", {"status": "published"})
    article.refresh_from_db()
    assert article.status == "published"
    page = client.get(f"/support/articles/{article.pk}/").content.decode()
    assert "<strong>Forgot password</strong>" in page
    # Agents do not delete; admins do.
    assert client.post(f"/support/articles/{article.pk}/delete/").status_code == 403
    assert signed_in(staff_admin).post(f"/support/articles/{article.pk}/delete/").status_code == 302
    assert not Article.objects.exists()


def test_analysts_read_but_do_not_write(staff_analyst):
    _world()
    client = signed_in(staff_analyst)
    page = client.get("/support/articles/").content.decode()
    assert "Draft an article" not in page
    assert "New article" not in page
    assert client.post("/support/articles/new/", {"title": "t", "body": "b"}).status_code == 403
    assert client.post("/support/articles/draft/", {"ticket": ["1"]}).status_code == 403
    assert client.get("/support/articles/99999999999999999999/").status_code == 404


def test_markdown_escapes_html_and_unsafe_links():
    html = markdown("# Hi <script>alert(1)</script>\n\n[x](javascript:alert(1))")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def _host(staff_admin):
    key = api_key_create(
        name="help centre", scopes=["read"], audit=AuditContext(actor=staff_admin, label="ada")
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")


def test_the_host_app_counts_reads_and_votes_on_published_articles(staff_admin):
    published = article_save(
        audit=AuditContext.system("t"), title="Reset", body="Use the link.", status="published"
    )
    draft = article_save(audit=AuditContext.system("t"), title="Soon", body="Later.")
    host = _host(staff_admin)
    base = "/api/v1/support/articles"
    assert host.post(f"{base}/{published.pk}/view").status_code == 204
    yes = host.post(
        f"{base}/{published.pk}/feedback",
        data=json.dumps({"helpful": True}),
        content_type="application/json",
    )
    assert yes.status_code == 200
    assert yes.json()["helpful_yes"] == 1
    host.post(
        f"{base}/{published.pk}/feedback",
        data=json.dumps({"helpful": False}),
        content_type="application/json",
    )
    published.refresh_from_db()
    assert (published.views, published.helpful_yes, published.helpful_no) == (1, 1, 1)
    on_draft = host.post(f"{base}/{draft.pk}/view")
    assert on_draft.status_code == 409
    assert "draft" in on_draft.json()["detail"]
    bad = host.post(
        f"{base}/{published.pk}/feedback", data=json.dumps({}), content_type="application/json"
    )
    assert bad.status_code in (400, 422)
    assert host.post(f"{base}/424242/view").status_code == 404


def test_topics_and_drafts_through_the_api(staff_admin, staff_analyst):
    ids = _world()
    host = _host(staff_admin)
    topics = host.get("/api/v1/support/articles/topics", {"days": 7}).json()
    assert topics[0]["count"] == 6
    assert topics[0]["gap"] is True
    assert host.get("/api/v1/support/articles/topics", {"days": 0}).status_code == 400
    # A read key cannot draft; an analyst cannot either; an admin can.
    body = json.dumps({"ticket_ids": ids})
    assert (
        host.post(
            "/api/v1/support/articles/drafts", data=body, content_type="application/json"
        ).status_code
        == 401
    )
    analyst = signed_in(staff_analyst).post(
        "/api/v1/support/articles/drafts", data=body, content_type="application/json"
    )
    assert analyst.status_code == 403
    made = signed_in(staff_admin).post(
        "/api/v1/support/articles/drafts", data=body, content_type="application/json"
    )
    assert made.status_code == 201
    assert made.json()["status"] == "draft"
    assert made.json()["source_tickets"]
    none = signed_in(staff_admin).post(
        "/api/v1/support/articles/drafts",
        data=json.dumps({"ticket_ids": [999999]}),
        content_type="application/json",
    )
    assert none.status_code == 400
    assert "None of those tickets" in none.json()["detail"]
