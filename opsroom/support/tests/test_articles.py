"""Knowledge-base articles (CRUD, roles), the deflection endpoint (counted), templates."""

import json

import pytest
from django.test import Client

from conftest import signed_in
from opsroom.core.models import AuditEntry
from opsroom.core.services.apikeys import api_key_create
from opsroom.core.services.audit import AuditContext
from opsroom.support.models import Article
from opsroom.support.services.articles import article_save
from opsroom.support.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def send(client, method, path, data=None):
    return getattr(client, method)(
        f"/api/v1/support{path}", data=json.dumps(data or {}), content_type="application/json"
    )


def _published(title, body, **fields):
    return article_save(
        audit=AuditContext.system("t"), title=title, body=body, status="published", **fields
    )


def test_an_agent_writes_and_publishes_an_article(staff_support):
    client = signed_in(staff_support)
    created = send(
        client, "post", "/articles", {"title": "Export a meal plan", "body": "Open **Plans**…"}
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["slug"], body["status"]) == ("export-a-meal-plan", "draft")
    published = send(client, "patch", f"/articles/{body['id']}", {"status": "published"})
    assert published.json()["status"] == "published"
    assert AuditEntry.objects.filter(action="support.article_update").exists()
    dup = send(client, "post", "/articles", {"title": "Export a meal plan", "body": "again"})
    assert dup.status_code == 409
    assert "already has the slug" in dup.json()["detail"]


def test_roles_on_articles(staff_analyst, staff_support, staff_admin):
    article = _published("Reset your password", "Use the link on the sign-in page.")
    refused = send(signed_in(staff_analyst), "patch", f"/articles/{article.pk}", {"title": "x"})
    assert refused.status_code == 403
    assert send(signed_in(staff_support), "delete", f"/articles/{article.pk}").status_code == 403
    assert send(signed_in(staff_admin), "delete", f"/articles/{article.pk}").status_code == 204
    assert not Article.objects.exists()


def test_bad_articles_are_refused(staff_support):
    client = signed_in(staff_support)
    assert send(client, "post", "/articles", {"title": " ", "body": "x"}).status_code == 400
    assert (
        send(client, "post", "/articles", {"title": "t", "body": "b", "status": "live"}).status_code
        == 422
    )
    assert (
        send(
            client, "post", "/articles", {"title": "t", "body": "b", "tags": ["x" * 60]}
        ).status_code
        == 400
    )
    assert send(client, "patch", "/articles/999", {"title": "t"}).status_code == 404
    assert client.get("/api/v1/support/articles?status=gone").status_code == 400


def test_the_help_form_gets_the_best_articles_and_each_offer_is_counted(staff_admin):
    export = _published(
        "Export a meal plan", "Open Plans, choose Export, pick PDF.", tags=["export"]
    )
    _published("Reset your password", "Use the reset link on the sign-in page.")
    article_save(audit=AuditContext.system("t"), title="Draft on exports", body="export export")
    key = api_key_create(
        name="help form", scopes=["read"], audit=AuditContext(actor=staff_admin, label="ada")
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")
    found = client.get(
        "/api/v1/support/articles/suggest", {"q": "how do I export my meal plan?"}
    ).json()
    assert [a["slug"] for a in found] == [export.slug]
    export.refresh_from_db()
    assert export.suggested_count == 1
    assert client.get("/api/v1/support/articles/suggest", {"q": ""}).status_code == 400
    assert (
        client.get("/api/v1/support/articles/suggest", {"q": "x", "limit": 50}).status_code == 400
    )


def test_the_ticket_page_lists_matching_articles(staff_support):
    _published("Export a meal plan", "Open Plans, choose Export, pick PDF.")
    ticket = TicketFactory(subject="Meal plan export", body="How do I export my meal plan?")
    page = signed_in(staff_support).get(f"/support/tickets/{ticket.pk}/").content.decode()
    assert 'data-article="export-a-meal-plan"' in page


def test_templates_are_listed(admin_client_):
    templates = admin_client_.get("/api/v1/support/templates").json()
    assert {"billing-question", "general"} <= {t["key"] for t in templates}
