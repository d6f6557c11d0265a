"""In a real browser: an admin finds a model that lost to its rules and forces it into use."""

import pytest

from conftest import browser_sign_in
from opsroom.core.ml.cache import model_cache_clear
from opsroom.core.models import AuditEntry
from opsroom.core.tests.ml_data import stored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_forces_a_model_into_use_from_its_card(live_server, page, staff_admin):
    model_cache_clear()
    artifact = stored(score=0.55, baseline=0.6)
    browser_sign_in(page, live_server, staff_admin.username)
    page.goto(f"{live_server.url}/debug/")
    page.click("text=Learned models")
    assert "rules" in page.locator("#model-summaries").inner_text()
    page.click(f"#model-summaries a[href='{artifact.get_absolute_url()}']")
    assert "Not in use" in page.locator("#model-status").inner_text()
    page.fill("#id_reason_activate", "The keyword rules are being rewritten.")
    page.click("#activate-form button[type=submit]")
    status = page.locator("#model-status").inner_text()
    assert "In use" in status
    assert "forced by ada: The keyword rules are being rewritten." in status
    assert page.locator(".messages").inner_text() == f"{artifact} is now in use."
    assert AuditEntry.objects.filter(action="model.activate", actor=staff_admin).count() == 1
