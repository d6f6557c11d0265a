"""Every route refuses anonymous requests, except the few that are public by design."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from opsroom.core.middleware import is_public

# Public by design: sign-in, the health check and the icon browsers ask for on their own.
# Webhooks are public too but verify a signature instead; they are listed by their own app's
# tests.
PUBLIC = {"login", "health", "favicon"}
# Pages reached by a signed link (a customer's rating or retention-offer link): without a
# valid one, a 400.
SIGNED_LINKS = {"support:rate", "support:offer"}
# API routes that are pages for staff (docs, schema), refused like any page.
API_PAGES = {"api:api-root", "api:openapi-view", "api:openapi-json"}
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_SAMPLE = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "path": "x",
}


def _routes(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, Any, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if route.startswith("^") or "(?P" in route:
                continue  # regex routes (admin's catch-alls) are covered by their siblings
            url = "/" + _CONVERTER.sub(lambda m: _SAMPLE.get(m.group(1) or "str", "x"), route)
            yield (
                url,
                pattern.callback,
                f"{namespace}:{pattern.name}" if namespace else str(pattern.name),
            )


ROUTES = sorted(
    {(url, name): callback for url, callback, name in _routes(get_resolver().url_patterns)}.items()
)


def test_the_walk_covers_the_main_sections():
    urls = {url for (url, _name), _cb in ROUTES}
    assert {"/", "/login/", "/health/", "/audit/", "/api-keys/", "/admin/"} <= urls
    assert any(url.startswith("/api/v1/") for url in urls)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "name"), [key for key, _cb in ROUTES], ids=[key[0] for key, _ in ROUTES]
)
def test_anonymous_requests_are_refused(url, name):
    client = Client(enforce_csrf_checks=False)
    callback = dict(ROUTES)[(url, name)]
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        if name in PUBLIC:
            assert response.status_code in (200, 301, 405), (method, url)
            continue
        if is_public(callback):
            # Signed webhooks, share and rating links: without a valid signature nothing passes.
            refused = (400, 401, 403, 405) + ((404,) if name.endswith("_shared") else ())
            assert response.status_code in refused, (method, url, response.status_code)
            continue
        if url.startswith("/api/v1/") and name not in API_PAGES:
            assert response.status_code in (401, 405), (method, url, response.status_code)
        else:
            assert response.status_code in (302, 405), (method, url, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/login/"), (method, url)


def test_only_login_health_and_the_icon_are_public_pages():
    public_names = {name for (url, name), callback in ROUTES if is_public(callback)}
    non_webhook = {
        name
        for name in public_names
        if "webhook" not in name and "inbound" not in name and not name.endswith("_shared")
    }
    assert non_webhook == PUBLIC | SIGNED_LINKS


@pytest.mark.django_db
def test_a_non_staff_account_is_refused(django_user_model):
    user = django_user_model.objects.create_user(username="customer", password="x", is_staff=False)
    client = Client()
    client.force_login(user)
    assert client.get("/").status_code == 403
    assert client.get("/api/v1/whoami").status_code == 401


@pytest.mark.django_db
def test_an_htmx_request_without_a_session_is_told_where_to_sign_in():
    response = Client().get("/audit/", HTTP_HX_REQUEST="true")
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/login/?next=/audit/"


@pytest.mark.django_db
def test_a_session_idle_too_long_is_signed_out(staff_analyst, settings):
    client = Client()
    client.force_login(staff_analyst)
    assert client.get("/").status_code == 200
    session = client.session
    session["opsroom_last_active"] = 0  # long ago
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_favicon_ico_is_the_apps_icon():
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("/opsroom/favicon.svg")
