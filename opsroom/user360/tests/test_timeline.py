from datetime import UTC, datetime, timedelta

import pytest

from opsroom.core import clock
from opsroom.core.services.audit import AuditContext
from opsroom.people.services import note_create
from opsroom.user360.tests.world import jane
from opsroom.user360.timeline import CursorError, timeline_page

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(staff_support):
    with clock.clock_frozen_at(NOW):
        world = jane(NOW)
        note_create(
            person=world.person,
            body="Called about the timeouts.",
            audit=AuditContext(actor=staff_support, label="sam"),
        )
    return world


def _all_pages(person, **kwargs):
    items, cursor, pages = [], "", 0
    while True:
        page = timeline_page(person=person, now=NOW, cursor=cursor, page_size=7, **kwargs)
        items += page.items
        pages += 1
        if not page.next_cursor:
            return items, pages
        cursor = page.next_cursor


def test_pages_follow_each_other_without_gaps_or_repeats(world):
    everything = timeline_page(person=world.person, now=NOW, page_size=500).items
    paged, pages = _all_pages(world.person)
    assert pages > 3
    assert [(i.kind, i.id) for i in paged] == [(i.kind, i.id) for i in everything]
    assert [i.at for i in paged] == sorted((i.at for i in paged), reverse=True)
    kinds = {i.kind for i in everything}
    assert kinds == {"product", "error", "billing", "ticket", "email", "note"}


def test_product_events_come_as_one_entry_per_day_with_the_last_login(world):
    days = list(timeline_page(person=world.person, now=NOW, kinds=["product"]).items)
    assert all(item.is_day for item in days)
    assert days[0].at.date() == (NOW - timedelta(days=8)).date()
    assert days[0].title == "Last login · Meal plan created · Meal plan viewed"
    assert days[1].title.startswith("Logged in")
    assert days[0].detail in ("2 events", "3 events")


def test_tickets_show_their_time_to_resolution(world):
    tickets = timeline_page(person=world.person, now=NOW, kinds=["ticket"]).items
    assert tickets[0].lines == ["Resolved in 4 hours"]
    assert tickets[0].title.startswith("Support ticket opened (#")


def test_kinds_filter_the_stream(world):
    items = timeline_page(person=world.person, now=NOW, kinds=["error", "note"]).items
    assert sorted(i.kind for i in items) == ["error", "error", "error", "note"]
    assert any(i.title == "Note by sam" for i in items)


def test_staff_actions_from_the_audit_log(world, staff_support):
    from opsroom.user360.services.actions import person_tag

    person_tag(
        people=[world.person],
        tag_names=["vip-care"],
        audit=AuditContext(actor=staff_support, label="sam"),
    )
    items = timeline_page(person=world.person, now=clock.now(), kinds=["staff"]).items
    assert [i.title for i in items] == ["sam tagged them vip-care"]
    assert items[0].detail == ""


@pytest.mark.parametrize(
    ("action", "params", "title", "detail"),
    [
        ("person.tag_add", {"tags": ["bug-3481", "vip"]}, "sam tagged them bug-3481 and vip", ""),
        (
            "person.impersonate_start",
            {"reason": "Reproduce #12", "minutes": 15, "grant": "g1"},
            "sam started a safe login as them for 15 minutes",
            "“Reproduce #12”",
        ),
        (
            "person.impersonate_revoke",
            {"staff": "ann"},
            "sam revoked a safe login given to ann",
            "",
        ),
        ("person.merge_into", {}, "sam merge into", ""),  # no sentence of its own: its name
    ],
    ids=["tags", "impersonation", "revoke", "unknown"],
)
def test_staff_actions_read_as_sentences(world, staff_support, action, params, title, detail):
    from opsroom.core.services.audit import audit_record

    audit_record(
        AuditContext(actor=staff_support, label="sam"),
        action=action,
        target=world.person,
        params=params,
    )
    item = timeline_page(person=world.person, now=clock.now(), kinds=["staff"]).items[0]
    assert (item.title, item.detail) == (title, detail)


@pytest.mark.parametrize("cursor", ["nonsense", "1.2", "99999999999999999999.0.1", "-5.0.1"])
def test_a_bad_cursor_is_refused(world, cursor):
    with pytest.raises(CursorError):
        timeline_page(person=world.person, now=NOW, cursor=cursor)
