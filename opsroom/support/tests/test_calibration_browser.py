"""In a real browser: an agent sees a calibrated severity on a ticket, follows the link to the
triage models page, and finds how reliable it is there."""

import pytest

from conftest import browser_sign_in
from opsroom.core.ml.cache import model_cache_clear
from opsroom.core.services.audit import AuditContext
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.services import ticket_analyse, ticket_create, triage_confidences_calibrate
from opsroom.support.tests.test_triage_calibration import _reviewed_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_follows_a_calibrated_confidence_to_its_reliability(
    live_server, page, staff_support
):
    model_cache_clear()
    _reviewed_history(staff_support)
    triage_confidences_calibrate(audit=AuditContext.system("test"))
    ticket = ticket_create(
        requester=PersonFactory(), subject="Export", body="The PDF export is broken.", channel="web"
    )
    ticket_analyse(ticket=ticket)
    browser_sign_in(page, live_server, staff_support.username)
    page.goto(f"{live_server.url}/support/tickets/{ticket.pk}/")
    impact = page.locator("[data-field=impact] [data-confidence-source]")
    assert impact.get_attribute("data-confidence-source") == "calibrated"
    assert "rule" not in impact.inner_text()
    page.click("text=How sure is the analysis?")
    page.wait_for_url(f"{live_server.url}/support/models/")
    section = page.locator("[data-calibration=is_blocking]")
    assert "Calibrated" in section.locator("[data-status]").inner_text()
    assert section.locator("[data-figure=ece-after]").inner_text()
    assert section.locator("[data-reliability=before] tbody tr").count() >= 2
    model_cache_clear()
