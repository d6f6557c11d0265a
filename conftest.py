"""Fixtures every app's tests share: the standing staff users and a real browser."""

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from opsroom.core import sqlite_functions
from opsroom.core.models import User
from opsroom.core.roles import ADMIN, ANALYST, BILLING_SPECIALIST, SUPPORT_AGENT

# Django empties every table with DELETE between transactional tests (live server, browser);
# the audit log's SQLite trigger allows that here, and only here.
sqlite_functions.audit_purge_allowed = True

CHROMIUM = os.environ.get("OPSROOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
STAFF_PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - test accounts only


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache (home figures are cached for a minute)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _staff(username: str, role: str) -> User:
    user = User.objects.create_user(username=username, password=STAFF_PASSWORD, is_staff=True)
    user.groups.set([Group.objects.get(name=role)])
    return user


@pytest.fixture
def staff_admin(db: Any) -> User:
    return _staff("ada", ADMIN)


@pytest.fixture
def staff_support(db: Any) -> User:
    return _staff("sam", SUPPORT_AGENT)


@pytest.fixture
def staff_billing(db: Any) -> User:
    return _staff("bea", BILLING_SPECIALIST)


@pytest.fixture
def staff_analyst(db: Any) -> User:
    return _staff("ann", ANALYST)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client_(staff_admin: User) -> Client:
    return signed_in(staff_admin)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (its own browser download cannot work here)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}; .ci/run installs Debian's chromium package."
        )
    # Playwright's sync API runs an event loop in this thread; Django's ORM then refuses to run
    # unless told the thread is safe, which it is: tests are single-threaded here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield instance
            instance.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15000)
    tab = context.new_page()
    yield tab
    context.close()


def browser_sign_in(
    page: Any, live_server: Any, username: str, password: str = STAFF_PASSWORD
) -> None:
    """Sign in through the real login form."""
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
