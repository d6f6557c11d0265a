"""Fixtures every app's tests share: the standing staff users and a real browser."""

import logging
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


@pytest.fixture(autouse=True, scope="session")
def _commit_hooks_run_when_the_application_commits() -> Iterator[None]:
    """`transaction.on_commit` callbacks run when the application's outermost atomic block
    ends, as in production, although each test runs inside a transaction of its own.

    Django's TestCase otherwise never runs them (its transaction is rolled back), so a side
    effect queued on commit (the outbox: emails, Stripe calls) would never happen in a test.
    A block that rolls back still drops its callbacks, as a real rollback does.
    """
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.transaction import Atomic, get_connection

    def in_test_transaction_only(blocks: list[Any]) -> bool:
        return bool(blocks) and all(block._from_testcase for block in blocks)

    def run(func: Any, robust: bool) -> None:
        if not robust:
            func()
            return
        try:
            func()
        except Exception:
            logging.getLogger("django.db.backends").exception("on_commit callback failed")

    original_enter, original_exit = Atomic.__enter__, Atomic.__exit__
    original_on_commit = BaseDatabaseWrapper.on_commit

    def enter(self: Any) -> None:
        connection = get_connection(self.using)
        outermost = not self._from_testcase and in_test_transaction_only(connection.atomic_blocks)
        original_enter(self)
        if outermost:
            marks = connection.__dict__.setdefault("_app_commit_marks", [])
            marks.append(len(connection.run_on_commit))

    def exit(self: Any, exc_type: Any, exc: Any, tb: Any) -> None:
        connection = get_connection(self.using)
        blocks = connection.atomic_blocks
        outermost = (
            not self._from_testcase
            and bool(blocks)
            and blocks[-1] is self
            and in_test_transaction_only(blocks[:-1])
        )
        commits = exc_type is None and not connection.needs_rollback
        try:
            original_exit(self, exc_type, exc, tb)
        finally:
            start = connection.__dict__["_app_commit_marks"].pop() if outermost else None
        if start is None or not commits:
            return
        hooks = connection.run_on_commit[start:]
        del connection.run_on_commit[start:]
        for _, func, robust in hooks:
            run(func, robust)

    def on_commit(self: Any, func: Any, robust: bool = False) -> None:
        if in_test_transaction_only(self.atomic_blocks):
            run(func, robust)  # outside any application transaction: production runs it now
        else:
            original_on_commit(self, func, robust)

    Atomic.__enter__, Atomic.__exit__ = enter, exit  # type: ignore[method-assign]
    BaseDatabaseWrapper.on_commit = on_commit  # type: ignore[method-assign]
    try:
        yield
    finally:
        Atomic.__enter__, Atomic.__exit__ = original_enter, original_exit  # type: ignore[method-assign]
        BaseDatabaseWrapper.on_commit = original_on_commit  # type: ignore[method-assign]


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
