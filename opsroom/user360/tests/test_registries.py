"""A new quick action, bulk action or timeline source is one registered object; the page, the
API and the permission checks follow from it."""

from datetime import UTC, datetime, timedelta

import pytest
from django import forms

from conftest import signed_in
from opsroom.core import clock
from opsroom.people.tests.factories import PersonFactory
from opsroom.user360 import actions as action_registry
from opsroom.user360.actions import ActionOutcome, QuickAction
from opsroom.user360.timeline import timeline_page
from opsroom.user360.timeline.items import TimelineItem, TimelineSource
from opsroom.user360.timeline.sources import SOURCES

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class _WaveForm(forms.Form):
    greeting = forms.CharField(max_length=20)


def _wave(ran):
    def run(person, data, audit, staff):
        ran.append((person.pk, data["greeting"], staff))
        return ActionOutcome(f"Waved {data['greeting']!r}.", "waved", "w1")

    return QuickAction(
        key="wave",
        label="Wave",
        permissions=("people.add_note",),
        form=lambda data, person, initial: _WaveForm(data, initial=initial),
        preview=lambda person, data, audit: [("Greeting", data["greeting"])],
        run=run,
        from_api=lambda data: {"greeting": data.body},
    )


def test_a_registered_quick_action_is_offered_checked_and_run(
    monkeypatch, staff_support, staff_analyst
):
    ran = []
    monkeypatch.setitem(action_registry.ACTIONS, "wave", _wave(ran))
    person = PersonFactory()
    page = signed_in(staff_support).get(f"/people/{person.pk}/").content.decode()
    assert 'data-action="wave"' in page
    url = f"/people/{person.pk}/actions/wave/"
    refused = signed_in(staff_analyst).post(url, {"greeting": "hi", "confirm": "yes"})
    assert refused.status_code == 403
    review = signed_in(staff_support).post(url, {"greeting": "hi"})
    assert b"Greeting" in review.content
    assert not ran
    done = signed_in(staff_support).post(url, {"greeting": "hi", "confirm": "yes"})
    assert done.status_code == 302
    assert ran == [(person.pk, "hi", staff_support)]


def test_a_registered_timeline_source_is_a_filter_and_feeds_the_page(monkeypatch):
    person = PersonFactory()

    def read(request):
        return [TimelineItem("call", 8, NOW - timedelta(hours=1), 1, "Phone call", "5 minutes")]

    source = TimelineSource("call", "Calls", read)
    from opsroom.user360 import timeline

    monkeypatch.setattr(timeline, "SOURCES", (*SOURCES, source))
    monkeypatch.setitem(timeline.KINDS, "call", "Calls")
    with clock.clock_frozen_at(NOW):
        page = timeline_page(person=person, now=NOW, kinds=["call"])
    assert [(item.kind, item.title) for item in page.items] == [("call", "Phone call")]
