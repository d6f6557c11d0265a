"""The data-flow tracer: a failed payment's story for one person, in order, across webhooks,
API calls, errors, side effects, emails and their events, subscription changes and staff
actions; by person or around a request; bad input."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from conftest import signed_in
from opsroom.analytics.tracer import person_trace
from opsroom.core.clock import clock_frozen_at
from opsroom.core.models import AuditEntry, OutboxEntry
from opsroom.messaging.models import EmailMessage
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.tests.factories import PaymentAttemptFactory, SubscriptionFactory
from opsroom.support.tests.factories import TicketFactory
from opsroom.telemetry.models import ApiRequest, ErrorEvent, IntegrationDelivery

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 20, 12, tzinfo=UTC)


@pytest.fixture
def story():
    ann = PersonFactory(external_id="u-ann", email="ann@example.com", name="Ann")
    other = PersonFactory()
    t = NOW - timedelta(hours=5)
    IntegrationDelivery.objects.create(
        source="stripe", event_type="invoice.payment_failed", outcome="processed", person=ann,
        received_at=t,
    )  # fmt: skip
    PaymentAttemptFactory(person=ann, status="failed", failure_code="card_declined",
                          attempted_at=t - timedelta(seconds=5))  # fmt: skip
    OutboxEntry.objects.create(
        kind="email.dunning", idempotency_key="dun-1", status="dead", attempts=5,
        last_error="SMTP 451 try later", target_type="people.person", target_id=str(ann.pk),
        created_at=t + timedelta(minutes=1), updated_at=t,
    )  # fmt: skip
    EmailMessage.objects.create(
        person=ann, to_email=ann.email, subject="Your payment failed", status="sent",
        created_at=t + timedelta(minutes=2), opened_at=t + timedelta(hours=1),
    )  # fmt: skip
    ApiRequest.objects.create(
        request_id="req-pay", person=ann, method="POST", route="/api/billing/retry", status=502,
        duration_ms=800, occurred_at=t + timedelta(hours=2),
    )  # fmt: skip
    ErrorEvent.objects.create(
        event_id="e1", fingerprint="billing-retry", title="StripeError: card declined",
        person=ann, occurred_at=t + timedelta(hours=2, seconds=1),
    )  # fmt: skip
    AuditEntry.objects.create(
        actor_label="ada", action="person.email", target_type="people.person",
        target_id=str(ann.pk), occurred_at=t + timedelta(hours=3),
    )  # fmt: skip
    ErrorEvent.objects.create(event_id="e2", fingerprint="x", title="Not Ann's", person=other,
                              occurred_at=t)  # fmt: skip
    ErrorEvent.objects.create(event_id="e3", fingerprint="old", title="Too old", person=ann,
                              occurred_at=NOW - timedelta(days=20))  # fmt: skip
    return ann


def test_a_persons_story_in_order(story):
    items = person_trace(person_id=story.pk, since=NOW - timedelta(days=7), until=NOW)

    assert [(item.kind, item.outcome) for item in items] == [
        ("payment", "failed"),
        ("webhook received", "processed"),
        ("side effect", "dead"),
        ("email", "sent"),
        ("email event", "opened"),
        ("API call", "502"),
        ("error", "error"),
        ("staff action", ""),
    ]
    side_effect = items[2]
    assert side_effect.detail == "5 attempts; SMTP 451 try later"
    assert side_effect.is_failure
    assert items[5].is_failure
    assert not items[3].is_failure
    assert items[6].url == reverse("analytics:error_detail", args=["billing-retry"])


def test_the_page_by_email_and_around_a_request(story, staff_analyst):
    client = signed_in(staff_analyst)

    with clock_frozen_at(NOW):
        by_person = client.get(reverse("analytics:trace"), {"person": "ann@example.com"})
        around = client.get(reverse("analytics:trace"), {"request": "req-pay"})

    html = by_person.content.decode()
    assert by_person.status_code == 200
    assert html.count("data-failed") == 4  # payment, side effect, API call, error
    assert "Not Ann" not in html
    assert "Too old" not in html
    around_html = around.content.decode()
    assert 'data-kind="API call"' in around_html
    assert 'data-kind="error"' in around_html
    assert 'data-kind="payment"' not in around_html  # hours before the request


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"person": "nobody"}, 404, "No person"),
        ({"request": "nope"}, 404, "No recorded request"),
        ({"days": "7"}, 400, "Name a person"),
        ({"person": "u-ann", "days": "9"}, 400, "days"),
        ({"person": "u\x00"}, 400, "person"),
        ({"request": "r" * 200}, 400, "request"),
    ],
    ids=["unknown-person", "unknown-request", "nobody-named", "bad-days", "nul", "long"],
)
def test_bad_input_is_a_4xx(story, staff_analyst, params, status, says):
    response = signed_in(staff_analyst).get(reverse("analytics:trace"), params)

    assert response.status_code == status
    assert says in response.content.decode()


def test_a_request_without_a_person_is_a_400(staff_analyst):
    ApiRequest.objects.create(request_id="anon", method="GET", route="/x", status=200,
                              duration_ms=1, occurred_at=NOW)  # fmt: skip

    response = signed_in(staff_analyst).get(reverse("analytics:trace"), {"request": "anon"})

    assert response.status_code == 400


def test_from_a_ticket_the_days_before_it_and_since(story, staff_analyst):
    ticket = TicketFactory(requester=story, subject="Charged twice?",
                           created_at=NOW - timedelta(days=10))  # fmt: skip
    ErrorEvent.objects.create(
        event_id="e4", fingerprint="w", title="Hours before the ticket", person=story,
        occurred_at=NOW - timedelta(days=10, hours=2),
    )  # fmt: skip

    with clock_frozen_at(NOW):
        response = signed_in(staff_analyst).get(
            reverse("analytics:trace"), {"ticket": ticket.pk, "days": 1}
        )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-trace-from="ticket"' in html
    assert "Charged twice?" in html
    assert 'data-kind="ticket"' in html
    assert "Hours before the ticket" in html  # the day before the ticket was opened
    assert 'data-kind="payment"' in html  # and everything since, until now
    assert "Too old" not in html  # more than a day before the ticket


def test_from_a_subscription_its_person(story, staff_analyst):
    SubscriptionFactory(person=story, provider_subscription_id="sub_ann", status="past_due")

    with clock_frozen_at(NOW):
        response = signed_in(staff_analyst).get(
            reverse("analytics:trace"), {"subscription": "sub_ann"}
        )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-trace-from="subscription"' in html
    assert html.count("data-failed") == 4
    assert "Not Ann" not in html


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"ticket": "999999"}, 404, "No ticket"),
        ({"ticket": "abc"}, 400, "ticket"),
        ({"ticket": "0"}, 400, "ticket"),
        ({"subscription": "sub_nobody"}, 404, "No subscription"),
        ({"subscription": "s" * 200}, 400, "subscription"),
    ],
    ids=["unknown-ticket", "not-a-number", "zero", "unknown-subscription", "long"],
)
def test_bad_ticket_or_subscription_is_a_4xx(staff_analyst, params, status, says):
    response = signed_in(staff_analyst).get(reverse("analytics:trace"), params)

    assert response.status_code == status
    assert says in response.content.decode()


def test_the_ticket_page_links_to_the_tracer(staff_admin):
    ticket = TicketFactory()

    html = signed_in(staff_admin).get(ticket.get_absolute_url()).content.decode()

    assert f"{reverse('analytics:trace')}?ticket={ticket.pk}" in html
