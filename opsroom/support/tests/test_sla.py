"""SLA targets: the pure computation, the due time every ticket write keeps on the ticket,
pauses, priority changes, ingest, and changing the policies (audited, then recomputed)."""

from datetime import UTC, datetime, timedelta

import pytest

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.models import AuditEntry
from opsroom.core.services.audit import AuditContext
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.business_hours import Calendar
from opsroom.support.models import BusinessHours, SlaPolicy, Ticket
from opsroom.support.selectors.sla import sla_settings_get, ticket_sla
from opsroom.support.services import (
    ticket_create,
    ticket_merge,
    ticket_message_upsert_many,
    ticket_reply,
    ticket_update,
    ticket_upsert_many,
)
from opsroom.support.services.sla import sla_settings_set, tickets_sla_backfill
from opsroom.support.sla import Policy, TicketClock, sla_compute
from opsroom.support.tests.factories import TicketFactory

T0 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday
POLICY = Policy(60, 30, 8 * 60)
OFFICE = Calendar(timezone="UTC", hours=(*[(9 * 60, 17 * 60)] * 5, None, None))


def _clock(**changes):
    values = {
        "created_at": T0,
        "status": "new",
        "first_response_at": None,
        "resolved_at": None,
        "awaiting_since": None,
        "pauses": (),
    }
    return TicketClock(**(values | changes))


def test_a_new_ticket_waits_for_its_first_reply():
    outcome = sla_compute(clock=_clock(), policy=POLICY, calendar=None)
    assert (outcome.target, outcome.due_at) == ("first_reply", T0 + timedelta(hours=1))
    assert [t.target for t in outcome.targets] == ["first_reply", "resolution"]
    assert outcome.first_reply_met is None


def test_answered_the_resolution_is_next_then_a_customer_message_starts_the_next_reply():
    answered = _clock(status="open", first_response_at=T0 + timedelta(minutes=20))
    outcome = sla_compute(clock=answered, policy=POLICY, calendar=None)
    assert (outcome.target, outcome.due_at) == ("resolution", T0 + timedelta(hours=8))
    assert outcome.first_reply_met is True
    waiting = _clock(
        status="open",
        first_response_at=T0 + timedelta(minutes=20),
        awaiting_since=T0 + timedelta(hours=2),
    )
    outcome = sla_compute(clock=waiting, policy=POLICY, calendar=None)
    assert (outcome.target, outcome.due_at) == ("next_reply", T0 + timedelta(hours=2, minutes=30))


def test_a_late_first_reply_is_missed():
    late = _clock(status="open", first_response_at=T0 + timedelta(minutes=61))
    assert sla_compute(clock=late, policy=POLICY, calendar=None).first_reply_met is False


def test_pending_is_off_the_clock_and_the_paused_time_extends_the_resolution():
    paused = _clock(status="pending", pauses=((T0 + timedelta(hours=1), None),))
    outcome = sla_compute(clock=paused, policy=POLICY, calendar=None)
    assert (outcome.target, outcome.due_at) == ("", None)
    resumed = _clock(
        status="open",
        first_response_at=T0 + timedelta(minutes=30),
        pauses=((T0 + timedelta(hours=1), T0 + timedelta(hours=4)),),
    )
    outcome = sla_compute(clock=resumed, policy=POLICY, calendar=None)
    assert (outcome.target, outcome.due_at) == ("resolution", T0 + timedelta(hours=11))


def test_resolution_met_counts_clock_time_only():
    # Nine hours after arrival, but three of them waiting on the customer: six on the clock.
    solved = _clock(
        status="solved",
        first_response_at=T0 + timedelta(minutes=30),
        resolved_at=T0 + timedelta(hours=9),
        pauses=(
            (T0 + timedelta(hours=1), T0 + timedelta(hours=4)),
            (T0 + timedelta(hours=9), None),
        ),
    )
    outcome = sla_compute(clock=solved, policy=POLICY, calendar=None)
    assert outcome.resolution_met is True
    assert (outcome.target, outcome.due_at) == ("", None)


def test_business_hours_apply_only_to_a_policy_that_uses_them():
    evening = _clock(created_at=datetime(2026, 3, 3, 18, 0, tzinfo=UTC))
    calendar_policy = sla_compute(clock=evening, policy=POLICY, calendar=OFFICE)
    assert calendar_policy.due_at == datetime(2026, 3, 3, 19, 0, tzinfo=UTC)
    business = Policy(60, 30, 8 * 60, business_hours=True)
    outcome = sla_compute(clock=evening, policy=business, calendar=OFFICE)
    assert outcome.due_at == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


# The stored due time, kept by every write.


@pytest.fixture
def audit(staff_support):
    return AuditContext(actor=staff_support, label="sam")


@pytest.mark.django_db
def test_the_seeded_policies_are_todays_first_reply_targets():
    policies = sla_settings_get().policies
    assert {p: policies[p].first_reply_minutes for p in policies} == {
        "urgent": 60,
        "high": 240,
        "normal": 720,
        "low": 1440,
    }
    assert all(not p.business_hours for p in policies.values())
    assert SlaPolicy.objects.count() == 4
    assert BusinessHours.objects.count() == 1


@pytest.mark.django_db
def test_a_ticket_carries_its_due_time_through_replies_and_status_changes(audit):
    with clock.clock_frozen_at(T0):
        ticket = ticket_create(
            requester=PersonFactory(), subject="Help", body="It broke.", channel="email"
        )
    assert (ticket.sla_target, ticket.sla_due_at) == ("first_reply", T0 + timedelta(hours=12))
    ticket_reply(
        ticket=ticket, body="On it.", author_kind="agent", audit=audit, at=T0 + timedelta(hours=1)
    )
    ticket.refresh_from_db()
    assert ticket.sla_first_reply_met is True
    assert (ticket.sla_target, ticket.sla_due_at) == ("resolution", T0 + timedelta(days=3))
    ticket_reply(
        ticket=ticket, body="Still broken.", author_kind="customer", audit=audit,
        at=T0 + timedelta(hours=2),
    )  # fmt: skip
    ticket.refresh_from_db()
    assert (ticket.sla_target, ticket.sla_due_at) == ("next_reply", T0 + timedelta(hours=14))
    ticket_update(ticket=ticket, audit=audit, status="pending", at=T0 + timedelta(hours=3))
    ticket.refresh_from_db()
    assert (ticket.sla_target, ticket.sla_due_at) == ("", None)
    assert ticket.sla_pauses == [[(T0 + timedelta(hours=3)).isoformat(), None]]
    # Back after two days: the waiting time moves the targets.
    ticket_reply(
        ticket=ticket, body="Any news?", author_kind="customer", audit=audit,
        at=T0 + timedelta(days=2, hours=3),
    )  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.status == "pending"  # a customer reply reopens only a resolved ticket
    ticket_update(ticket=ticket, audit=audit, status="open", at=T0 + timedelta(days=2, hours=3))
    ticket.refresh_from_db()
    assert ticket.sla_pauses[0][1] == (T0 + timedelta(days=2, hours=3)).isoformat()
    # The next reply counts from 2h, with the 2-day pause between: due 2 days + 14 hours.
    assert (ticket.sla_target, ticket.sla_due_at) == (
        "next_reply",
        T0 + timedelta(days=2, hours=14),
    )
    ticket_reply(
        ticket=ticket, body="Fixed.", author_kind="agent", audit=audit, status="solved",
        at=T0 + timedelta(days=2, hours=4),
    )  # fmt: skip
    ticket.refresh_from_db()
    assert (ticket.sla_target, ticket.sla_due_at) == ("", None)
    assert ticket.sla_resolution_met is True  # 25 hours on the clock of 72


@pytest.mark.django_db
def test_a_priority_change_moves_the_due_time(audit):
    ticket = TicketFactory(created_at=T0, priority="low")
    assert ticket.sla_due_at == T0 + timedelta(hours=24)
    ticket_update(ticket=ticket, audit=audit, priority="urgent")
    ticket.refresh_from_db()
    assert ticket.sla_due_at == T0 + timedelta(hours=1)


@pytest.mark.django_db
def test_a_solved_ticket_reopened_by_the_customer_is_back_on_the_clock(audit):
    ticket = TicketFactory(created_at=T0, first_response_at=T0 + timedelta(minutes=5))
    ticket_update(ticket=ticket, audit=audit, status="solved", at=T0 + timedelta(hours=1))
    ticket.refresh_from_db()
    assert ticket.sla_due_at is None
    assert ticket.sla_resolution_met is True
    ticket_reply(
        ticket=ticket, body="It is back.", author_kind="customer", audit=audit,
        at=T0 + timedelta(hours=5),
    )  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.status == "open"
    # Resolution: 1 hour ran before it was solved; the 4 solved hours do not count.
    assert ticket.sla_target == "resolution"
    assert ticket.sla_due_at == T0 + timedelta(days=3, hours=4)


@pytest.mark.django_db
def test_ingested_tickets_and_messages_get_their_due_times():
    person = PersonFactory()
    result = ticket_upsert_many(
        rows=[
            {
                "external_id": "hd-1",
                "requester_id": person.pk,
                "subject": "Charged twice",
                "body": "…",
                "priority": "high",
                "status": "open",
                "created_at": T0,
                "updated_at": T0,
            },
            {
                "external_id": "hd-2",
                "requester_id": person.pk,
                "subject": "Old one",
                "body": "…",
                "status": "solved",
                "created_at": T0 - timedelta(days=9),
                "updated_at": T0 - timedelta(days=1),
                "resolved_at": T0 - timedelta(days=1),
            },
        ]
    )
    fresh, old = result.by_key["hd-1"], result.by_key["hd-2"]
    fresh.refresh_from_db()
    old.refresh_from_db()
    assert (fresh.sla_target, fresh.sla_due_at) == ("first_reply", T0 + timedelta(hours=4))
    assert (old.sla_due_at, old.sla_resolution_met) == (None, False)  # 8 days for 3
    ticket_message_upsert_many(
        rows=[
            {
                "external_id": "m-1",
                "ticket_id": fresh.pk,
                "author_kind": "agent",
                "body": "Refunded.",
                "created_at": T0 + timedelta(hours=5),
            },
            {
                "external_id": "m-2",
                "ticket_id": fresh.pk,
                "author_kind": "customer",
                "body": "Thanks, but…",
                "created_at": T0 + timedelta(hours=6),
            },
        ]
    )
    fresh.refresh_from_db()
    assert fresh.sla_first_reply_met is False
    assert (fresh.sla_target, fresh.sla_due_at) == ("next_reply", T0 + timedelta(hours=10))


@pytest.mark.django_db
def test_a_merge_keeps_both_tickets_due_times(audit):
    person = PersonFactory()
    target = TicketFactory(requester=person, created_at=T0)
    source = TicketFactory(requester=person, created_at=T0 + timedelta(hours=1))
    ticket_merge(source=source, target=target, audit=audit)
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.status, source.sla_due_at) == ("closed", None)
    assert target.sla_due_at == T0 + timedelta(hours=12)


@pytest.mark.django_db
def test_the_backfill_stores_what_bulk_writes_left_out():
    ticket = TicketFactory(created_at=T0, sla=False)
    pending = TicketFactory(created_at=T0, status="pending", sla=False)
    assert ticket.sla_due_at is None
    assert tickets_sla_backfill() == 2
    ticket.refresh_from_db()
    pending.refresh_from_db()
    assert ticket.sla_due_at == T0 + timedelta(hours=12)
    assert pending.sla_pauses == [[T0.isoformat(), None]]
    assert tickets_sla_backfill() == 0  # nothing left to change


# Changing the policies.

GOOD = {
    "urgent": {"first_reply_minutes": 30, "next_reply_minutes": 60, "resolution_minutes": 240},
    "high": {"first_reply_minutes": 120, "next_reply_minutes": 240, "resolution_minutes": 960},
    "normal": {
        "first_reply_minutes": 240,
        "next_reply_minutes": 480,
        "resolution_minutes": 2400,
        "business_hours": True,
    },
    "low": {"first_reply_minutes": 480, "next_reply_minutes": 960, "resolution_minutes": 4800},
}
WEEKDAYS = ["09:00-17:00"] * 5 + ["", ""]


@pytest.mark.django_db
def test_changing_the_policies_is_audited_and_recomputes_open_tickets(staff_admin):
    from opsroom.support.tasks import tickets_sla_recompute

    ticket = TicketFactory(created_at=datetime(2026, 3, 6, 16, 0, tzinfo=UTC))  # Friday 16:00
    settings = sla_settings_set(
        policies=GOOD,
        timezone="Europe/London",
        hours=WEEKDAYS,
        audit=AuditContext(actor=staff_admin, label="ada"),
    )
    assert settings.policies["normal"] == Policy(240, 480, 2400, business_hours=True)
    assert settings.calendar.timezone == "Europe/London"
    entry = AuditEntry.objects.get(action="support.sla_set")
    assert entry.actor == staff_admin
    assert entry.params["from"]["policies"]["normal"]["first_reply_minutes"] == 720
    assert entry.params["to"]["policies"]["normal"]["first_reply_minutes"] == 240
    assert entry.params["to"]["hours"] == WEEKDAYS
    tickets_sla_recompute.call()
    ticket.refresh_from_db()
    # Four business hours from Friday 16:00 in London (UTC+0 in March): Monday 12:00.
    assert ticket.sla_due_at == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    assert ticket_sla(ticket=ticket).targets[0].due_at == ticket.sla_due_at


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"policies": {**GOOD, "low": {**GOOD["low"], "resolution_minutes": -5}}}, "low resol"),
        ({"policies": {**GOOD, "low": {**GOOD["low"], "first_reply_minutes": 0}}}, "between 1"),
        ({"policies": {**GOOD, "low": {**GOOD["low"], "next_reply_minutes": 1.5}}}, "whole"),
        ({"policies": {**GOOD, "low": {**GOOD["low"], "business_hours": "yes"}}}, "true or"),
        ({"policies": {k: v for k, v in GOOD.items() if k != "low"}}, "missing low"),
        ({"policies": {**GOOD, "someday": GOOD["low"]}}, "unknown someday"),
        ({"timezone": "Mars/Olympus"}, "not a known IANA"),
        ({"timezone": ""}, "not a known IANA"),
        ({"hours": ["17:00-09:00", *WEEKDAYS[1:]]}, "mon hours"),
        ({"hours": ["nine to five", *WEEKDAYS[1:]]}, "mon hours"),
        ({"hours": WEEKDAYS[:5]}, "seven days"),
        ({"hours": [""] * 7}, "at least one working day"),
    ],
    ids=[
        "negative",
        "zero",
        "fraction",
        "business-not-bool",
        "missing-priority",
        "unknown-priority",
        "bad-timezone",
        "no-timezone",
        "backwards-hours",
        "words",
        "five-days",
        "no-working-day",
    ],
)
@pytest.mark.django_db
def test_bad_policies_are_refused_and_nothing_changes(staff_admin, change, message):
    values = {"policies": GOOD, "timezone": "UTC", "hours": WEEKDAYS} | change
    with pytest.raises(InvalidInput, match=message):
        sla_settings_set(**values, audit=AuditContext(actor=staff_admin, label="ada"))
    assert sla_settings_get().policies["urgent"].first_reply_minutes == 60
    assert not AuditEntry.objects.filter(action="support.sla_set").exists()


@pytest.mark.django_db
def test_a_next_reply_longer_than_the_resolution_is_allowed(staff_admin):
    odd = {**GOOD, "low": {**GOOD["low"], "next_reply_minutes": 99999}}
    sla_settings_set(
        policies=odd, timezone="UTC", hours=WEEKDAYS, audit=AuditContext(actor=staff_admin)
    )
    assert sla_settings_get().policies["low"].next_reply_minutes == 99999


@pytest.mark.django_db
def test_a_priority_without_a_policy_row_uses_the_default():
    SlaPolicy.objects.filter(priority="high").delete()
    BusinessHours.objects.all().delete()
    settings = sla_settings_get()
    assert settings.policies["high"].first_reply_minutes == 240
    assert settings.calendar.timezone == "UTC"
    ticket = TicketFactory(created_at=T0, priority="high")
    assert ticket.sla_due_at == T0 + timedelta(hours=4)
    assert Ticket.objects.filter(sla_due_at__isnull=False).count() == 1


@pytest.mark.django_db
def test_holidays_are_stored_audited_and_open_tickets_move_past_them(staff_admin):
    from datetime import date

    from opsroom.support.tasks import tickets_sla_recompute

    audit = AuditContext(actor=staff_admin, label="ada")
    ticket = TicketFactory(created_at=datetime(2026, 12, 24, 16, 0, tzinfo=UTC))  # Thursday
    sla_settings_set(policies=GOOD, timezone="UTC", hours=WEEKDAYS, audit=audit)
    tickets_sla_recompute.call()
    ticket.refresh_from_db()
    # normal: 4 business hours for the first reply; 1 on Thursday, 3 on Friday.
    assert ticket.sla_due_at == datetime(2026, 12, 25, 12, 0, tzinfo=UTC)
    settings = sla_settings_set(
        policies=GOOD,
        timezone="UTC",
        hours=WEEKDAYS,
        holidays=[(date(2026, 12, 28), "Boxing Day (substitute)"), (date(2026, 12, 25), "Xmas")],
        audit=audit,
    )
    assert settings.holidays == (
        (date(2026, 12, 25), "Xmas"),
        (date(2026, 12, 28), "Boxing Day (substitute)"),
    )
    entry = AuditEntry.objects.filter(action="support.sla_set").order_by("-id").first()
    assert entry.params["from"]["holidays"] == []
    assert entry.params["to"]["holidays"] == [
        ["2026-12-25", "Xmas"],
        ["2026-12-28", "Boxing Day (substitute)"],
    ]
    tickets_sla_recompute.call()
    ticket.refresh_from_db()
    # Friday and Monday are holidays, the weekend is off: Tuesday 29th 12:00.
    assert ticket.sla_due_at == datetime(2026, 12, 29, 12, 0, tzinfo=UTC)
    # Leaving the holidays out keeps them; an empty list clears them.
    sla_settings_set(policies=GOOD, timezone="UTC", hours=WEEKDAYS, audit=audit)
    assert len(sla_settings_get().holidays) == 2
    sla_settings_set(policies=GOOD, timezone="UTC", hours=WEEKDAYS, holidays=[], audit=audit)
    assert sla_settings_get().holidays == ()


@pytest.mark.parametrize(
    ("holidays", "message"),
    [
        ([("2026-12-25", "Xmas")], "is not a date"),
        ([(datetime(1900, 1, 1).date(), "Old")], "outside 1970-2200"),
        ([(datetime(2026, 12, 25).date(), "  ")], "needs a name"),
        ([(datetime(2026, 12, 25).date(), "x" * 121)], "needs a name"),
        ([(datetime(2026, 12, 25).date(), "A"), (datetime(2026, 12, 25).date(), "B")], "twice"),
    ],
    ids=["text", "too-old", "blank-name", "long-name", "twice"],
)
@pytest.mark.django_db
def test_bad_holidays_are_refused(staff_admin, holidays, message):
    with pytest.raises(InvalidInput, match=message):
        sla_settings_set(
            policies=GOOD,
            timezone="UTC",
            hours=WEEKDAYS,
            holidays=holidays,
            audit=AuditContext(actor=staff_admin),
        )
    assert sla_settings_get().holidays == ()
