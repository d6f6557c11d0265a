"""A real browser: an admin finds a failed email in the outbox and retries it."""

import pytest
from django.core import mail

from conftest import browser_sign_in
from opsroom.core.models import OutboxEntry
from opsroom.core.services.audit import AuditContext
from opsroom.messaging.models import EmailMessage
from opsroom.messaging.services import email_send
from opsroom.people.tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_retries_a_failed_email_from_the_outbox(live_server, page, staff_admin, settings):
    settings.OPSROOM_OUTBOX_INLINE = True
    settings.EMAIL_BACKEND = "opsroom.messaging.tests.test_sending.RefusingBackend"
    person = PersonFactory(name="Jane Doe", email="jane@example.com")
    email_send(person=person, subject="Your refund", body_text="Done.", audit=AuditContext())
    entry = OutboxEntry.objects.get(kind="email.send")
    assert entry.status == "failed"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the server is fixed

    browser_sign_in(page, live_server, staff_admin.username)
    page.click("nav.mainnav >> text=Debug")
    page.click("text=Outbox")
    page.select_option("#id_status", "failed")
    page.click("form.filters button[type=submit]")
    row = page.locator(f"tr[data-outbox-entry='{entry.pk}']")
    assert "The mail server refused the email" in row.inner_text()
    row.locator(f"[data-outbox-retry='{entry.pk}']").click()
    assert (
        f"Entry #{entry.pk} (email.send) retried: now done."
        in page.locator(".messages").inner_text()
    )
    assert [m.subject for m in mail.outbox] == ["Your refund"]
    assert EmailMessage.objects.get().status == "sent"
    page.goto(f"{live_server.url}/outbox/{entry.pk}/")
    assert "outbox.retry" in page.locator("body").inner_text()
    assert "Done" in page.locator("h1 .badge").inner_text()
