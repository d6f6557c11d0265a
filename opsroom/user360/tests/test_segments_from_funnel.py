"""A People segment from the people who dropped at a funnel step: the action on the funnel
page and the API, who may (and may not), the audit entry, the segment following the funnel,
and bad input."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from conftest import signed_in
from opsroom.analytics.services.funnels import funnel_compute, funnel_create
from opsroom.core.clock import clock_frozen_at
from opsroom.core.models import AuditEntry
from opsroom.core.services.audit import AuditContext
from opsroom.people.models import Event
from opsroom.people.tests.factories import PersonFactory
from opsroom.user360.filters import condition_parse, people_query_build
from opsroom.user360.models import Segment
from opsroom.user360.selectors.filters import people_filter
from opsroom.user360.selectors.lists import segment_query

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 20, 12, tzinfo=UTC)
STEPS = ["signed_up", "kid_profile_added", "meal_plan_created"]


@pytest.fixture
def funnel():
    """Three people stop after step 1, two after step 2, one completes."""
    start = NOW - timedelta(days=5)
    events, people = [], {}
    for name, done in [("a", 1), ("b", 1), ("c", 1), ("d", 2), ("e", 2), ("f", 3)]:
        person = PersonFactory(external_id=name, signed_up_at=start - timedelta(minutes=5))
        people[name] = person
        for k in range(done):
            events.append(
                Event(
                    person=person,
                    name=STEPS[k],
                    occurred_at=start + timedelta(hours=k),
                    idempotency_key=f"{name}{k}",
                )
            )
    Event.objects.bulk_create(events)
    with clock_frozen_at(NOW):
        made = funnel_create(name="Onboarding", steps=STEPS, window_days=7, period_days=30,
                             audit=AuditContext.system("test"))  # fmt: skip
        funnel_compute(funnel=made)
    return made, people


def _ids(segment):
    return set(people_filter(query=segment_query(segment)).values_list("external_id", flat=True))


def test_an_analyst_saves_the_dropped_people_as_a_private_segment(funnel, staff_analyst):
    made, _ = funnel
    client = signed_in(staff_analyst)

    with clock_frozen_at(NOW):
        page = client.get(reverse("analytics:funnel_detail", args=[made.pk]), {"dropped": 0})
        response = client.post(
            reverse("people:segment_from_funnel"), {"funnel_id": made.pk, "step": 1}
        )

    assert "data-segment-from-funnel" in page.content.decode()
    segment = Segment.objects.get()
    assert (segment.name, segment.owner, segment.is_shared) == (
        "Dropped after step 1 of Onboarding", staff_analyst, False,
    )  # fmt: skip
    assert _ids(segment) == {"a", "b", "c"}
    assert response.status_code == 302
    assert response["Location"].startswith("/people/?field=funnel_dropped")  # the link to it
    entry = AuditEntry.objects.get(action="people.segment_save")
    assert entry.actor == staff_analyst
    assert entry.params["query"]["conditions"][0]["field"] == "funnel_dropped"
    listed = client.get(response["Location"])
    assert listed.status_code == 200
    assert "Dropped after step 1 of funnel" in listed.content.decode()


def test_sharing_needs_the_share_permission(funnel, staff_analyst, staff_support):
    made, _ = funnel
    data = {"funnel_id": made.pk, "step": 2, "name": "Stuck at kids", "is_shared": "on"}

    refused = signed_in(staff_analyst).post(reverse("people:segment_from_funnel"), data)
    shared = signed_in(staff_support).post(reverse("people:segment_from_funnel"), data)

    assert refused.status_code == 403
    assert shared.status_code == 302
    segment = Segment.objects.get()
    assert (segment.name, segment.is_shared, _ids(segment)) == ("Stuck at kids", True, {"d", "e"})
    assert AuditEntry.objects.filter(action="people.segment_save").count() == 1


def test_the_segment_follows_the_funnels_figures(funnel):
    made, people = funnel
    query = people_query_build(
        conditions=[
            condition_parse(
                {"field": "funnel_dropped", "op": "eq", "key": str(made.pk), "value": "2"}
            )
        ]
    )
    assert set(people_filter(query=query).values_list("external_id", flat=True)) == {"d", "e"}

    Event.objects.create(person=people["d"], name=STEPS[2], idempotency_key="d2",
                         occurred_at=NOW - timedelta(days=4))  # fmt: skip
    with clock_frozen_at(NOW):
        funnel_compute(funnel=made)

    assert set(people_filter(query=query).values_list("external_id", flat=True)) == {"e"}


def test_the_api(funnel, staff_admin):
    made, _ = funnel
    client = signed_in(staff_admin)

    created = client.post(
        "/api/v1/segments/from-funnel",
        {"funnel_id": made.pk, "step": 1, "is_shared": True},
        content_type="application/json",
    )
    people = client.get(f"/api/v1/segments/{created.json()['id']}/people")

    assert created.status_code == 201, created.content
    assert created.json()["conditions"] == [
        {"field": "funnel_dropped", "op": "eq", "value": 1, "key": str(made.pk)}
    ]
    assert people.status_code == 200
    assert {row["external_id"] for row in people.json()["results"]} == {"a", "b", "c"}


@pytest.mark.parametrize(
    ("body", "api_status", "page_status"),
    [
        ({"funnel_id": 2**63, "step": 1}, 404, 400),
        ({"funnel_id": 999, "step": 1}, 404, 404),
        ({"step": 1}, 422, 400),
        ({"funnel_id": "x", "step": 1}, 422, 400),
        ({"funnel_id": "FUNNEL", "step": 3}, 404, 404),  # the last step: nobody drops there
        ({"funnel_id": "FUNNEL", "step": 0}, 404, 400),
        ({"funnel_id": "FUNNEL", "step": 1, "name": "a\x00b"}, 422, 400),
    ],
)
def test_bad_input_is_a_4xx(funnel, staff_admin, body, api_status, page_status):
    made, _ = funnel
    body = {k: made.pk if v == "FUNNEL" else v for k, v in body.items()}
    client = signed_in(staff_admin)

    api = client.post("/api/v1/segments/from-funnel", body, content_type="application/json")
    page = client.post(reverse("people:segment_from_funnel"), body)

    assert (api.status_code, page.status_code) == (api_status, page_status), api.content
    assert not Segment.objects.exists()


def test_a_deleted_funnels_segment_says_so(funnel, staff_analyst):
    made, _ = funnel
    funnel_id = made.pk
    client = signed_in(staff_analyst)
    client.post(reverse("people:segment_from_funnel"), {"funnel_id": funnel_id, "step": 1})
    segment = Segment.objects.get()
    made.delete()

    people = client.get(f"/api/v1/segments/{segment.pk}/people")
    listed = client.get(f"/people/?field=funnel_dropped&op=eq&value=1&key={funnel_id}")

    assert people.status_code == 400
    assert "does not exist" in people.json()["detail"]
    assert listed.status_code == 400
    assert "does not exist" in listed.content.decode()
