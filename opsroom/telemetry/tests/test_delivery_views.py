import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import signed_in
from opsroom.telemetry.services import delivery_record


def _deliveries():
    processed = delivery_record(
        source="stripe",
        outcome="processed",
        event_type="invoice.paid",
        external_id="evt_1",
        payload={"id": "evt_1", "card": {"number": "4242424242424242"}},
    )
    rejected = delivery_record(
        source="sentry", outcome="rejected", error="Bad signature.", payload={"x": 1}
    )
    return processed, rejected


@pytest.mark.django_db
def test_the_page_lists_deliveries_and_the_status_of_each_source(staff_analyst):
    _deliveries()
    response = signed_in(staff_analyst).get("/debug/deliveries/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "invoice.paid" in body
    assert "Bad signature." in body
    statuses = {status.source: counts for status, counts in response.context["statuses"]}
    outcomes = response.context["outcomes"]
    assert statuses["stripe"][outcomes.index("processed")] == 1
    assert statuses["sentry"][outcomes.index("rejected")] == 1


@pytest.mark.django_db
def test_filters_narrow_the_list(staff_analyst):
    _deliveries()
    client = signed_in(staff_analyst)
    page = client.get("/debug/deliveries/?source=stripe&outcome=processed").context["page"]
    assert [d.external_id for d in page] == ["evt_1"]
    page = client.get("/debug/deliveries/?event_type=paid").context["page"]
    assert [d.source for d in page] == ["stripe"]
    assert client.get("/debug/deliveries/?outcome=nonsense").status_code == 400


@pytest.mark.django_db
def test_the_payload_is_shown_redacted(staff_analyst):
    processed, _ = _deliveries()
    response = signed_in(staff_analyst).get(f"/debug/deliveries/{processed.pk}/")
    body = response.content.decode()
    assert "evt_1" in body
    assert "4242424242424242" not in body
    assert "[redacted]" in body


@pytest.mark.django_db
def test_the_debug_index_links_the_page(staff_analyst):
    body = signed_in(staff_analyst).get("/debug/").content.decode()
    assert "/debug/deliveries/" in body


@pytest.mark.django_db
def test_the_list_pages_and_reads_one_page_of_rows(staff_analyst):
    for number in range(60):
        delivery_record(source="stripe", outcome="processed", external_id=f"evt_{number}")
    client = signed_in(staff_analyst)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/debug/deliveries/").context["page"]
    assert len(page) == 50
    assert page.paginator.count == 60
    listing = [q["sql"] for q in queries if 'ORDER BY "telemetry_integrationdelivery"' in q["sql"]]
    assert listing
    assert all("LIMIT" in sql for sql in listing), listing
    second = client.get("/debug/deliveries/?page=2").context["page"]
    assert [d.external_id for d in second][-1] == "evt_0"
