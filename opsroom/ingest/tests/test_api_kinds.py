"""Each batch endpoint with valid, invalid, repeated and out-of-order input."""

from datetime import UTC, date, datetime, timedelta

import pytest

from opsroom.core import clock
from opsroom.experiments.models import Exposure, FeatureFlag
from opsroom.messaging.models import EmailMessage
from opsroom.people.models import Person
from opsroom.revenue.models import Invoice, PaymentAttempt, Plan, Subscription, SubscriptionChange
from opsroom.revenue.selectors import marketing_spend_list
from opsroom.support.models import Ticket, TicketMessage
from opsroom.telemetry.models import ApiRequest, ErrorEvent

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock():
    with clock.clock_frozen_at(NOW):
        yield


def at(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).isoformat()


def fields(answer):
    return [(r["index"], r["field"]) for r in answer["rejected"]]


def test_people_are_upserted_and_fill_in_placeholders(ingest):
    ingest.ok("events", [{"user_id": "u1", "name": "login", "occurred_at": at(1)}])
    person = {"user_id": "u1", "email": "Ann@Example.com", "name": "Ann", "is_vip": True}
    # "İ" lower-cases to two characters, so 200 of them no longer fit an email column.
    long_email = {"user_id": "u3", "email": "İ" * 200 + "@example.com"}
    answer = ingest.ok("people", [person, {"user_id": "u2", "status": "gone"}, long_email])
    assert fields(answer) == [(1, "status"), (2, "email")]
    assert answer["counts"]["updated"] == 1
    stored = Person.objects.get(external_id="u1")
    assert (stored.email, stored.is_placeholder, stored.is_vip) == ("ann@example.com", False, True)
    again = ingest.ok("people", [person])
    assert again["counts"]["unchanged"] == 1


def test_people_attributes_merge_and_omitted_fields_stay(ingest):
    attributes = {"kids": 2, "diet": "veg"}
    ingest.ok("people", [{"user_id": "u1", "name": "Ann", "attributes": attributes}])
    ingest.ok("people", [{"user_id": "u1", "attributes": {"diet": None}}])
    stored = Person.objects.get()
    assert (stored.name, stored.attributes) == ("Ann", {"kids": 2})


def _plan(**extra):
    return {"price_id": "price_family", "code": "family", "name": "Family", "amount": 999, **extra}


def _sub(status="active", updated=1.0, **extra):
    return {
        "subscription_id": "sub_1",
        "user_id": "u1",
        "price_id": "price_family",
        "status": status,
        "started_at": at(100),
        "updated_at": at(updated),
        **extra,
    }


def test_plans_then_subscriptions_compute_mrr_from_the_plan(ingest):
    ingest.ok("plans", [_plan(interval="year", amount=12000)])
    answer = ingest.ok("subscriptions", [_sub()])
    assert answer["counts"]["created"] == 1
    sub = Subscription.objects.get()
    assert (sub.amount, sub.interval, sub.mrr_amount) == (12000, "year", 1000)
    assert sub.plan.code == "family"
    assert Person.objects.get(external_id="u1").is_placeholder


def test_a_subscription_naming_an_unknown_plan_is_refused(ingest):
    answer = ingest.ok("subscriptions", [_sub(), _sub(status="nope", subscription_id="sub_2")])
    assert fields(answer) == [(0, "price_id"), (1, "status")]
    assert "send the plan first" in answer["rejected"][0]["reason"]
    assert Subscription.objects.count() == 0
    assert Person.objects.count() == 0


def test_an_older_subscription_state_never_overwrites_a_newer_one(ingest):
    ingest.ok("plans", [_plan()])
    ingest.ok("subscriptions", [_sub(status="canceled", updated=1, ended_at=at(1))])
    answer = ingest.ok("subscriptions", [_sub(status="active", updated=5)])
    assert answer["counts"]["unchanged"] == 1
    assert Subscription.objects.get().status == "canceled"
    ingest.ok("subscriptions", [_sub(status="canceled", updated=1, ended_at=at(1))])
    assert SubscriptionChange.objects.count() == 1


def test_a_subscription_moving_on_writes_its_change_log(ingest):
    ingest.ok("plans", [_plan()])
    ingest.ok("subscriptions", [_sub(status="trialing", updated=10)])
    ingest.ok("subscriptions", [_sub(status="active", updated=5)])
    kinds = list(SubscriptionChange.objects.values_list("kind", flat=True))
    assert kinds == ["trial_started", "converted"]


def _invoice(status="open", updated=2.0, **extra):
    return {
        "invoice_id": "in_1",
        "user_id": "u1",
        "subscription_id": "sub_1",
        "status": status,
        "issued_at": at(3),
        "total": 999,
        "amount_due": 999,
        "updated_at": at(updated),
        **extra,
    }


def test_invoices_and_payments_link_to_what_was_sent_before(ingest):
    ingest.ok("plans", [_plan()])
    ingest.ok("subscriptions", [_sub()])
    assert ingest.ok("invoices", [_invoice()])["accepted"] == [0]
    payment = {
        "payment_id": "ch_1",
        "user_id": "u1",
        "invoice_id": "in_1",
        "amount": 999,
        "status": "failed",
        "failure_code": "card_declined",
        "attempted_at": at(2),
        "card_last4": "4242",
    }
    answer = ingest.ok("payments", [payment, {**payment, "payment_id": "ch_2", "invoice_id": "x"}])
    assert fields(answer) == [(1, "invoice_id")]
    stored = PaymentAttempt.objects.get()
    assert (stored.invoice.provider_invoice_id, stored.failure_code) == ("in_1", "card_declined")
    assert ingest.ok("payments", [payment])["counts"]["unchanged"] == 1


def test_an_invoice_paid_state_survives_a_late_open_state(ingest):
    ingest.ok("plans", [_plan()])
    ingest.ok("subscriptions", [_sub()])
    ingest.ok("invoices", [_invoice(status="paid", updated=1, paid_at=at(1), amount_paid=999)])
    ingest.ok("invoices", [_invoice(status="open", updated=2)])
    assert Invoice.objects.get().status == "paid"


def test_an_invoice_for_an_unknown_subscription_is_refused(ingest):
    answer = ingest.ok("invoices", [_invoice(), _invoice(invoice_id="in_2", total="lots")])
    assert fields(answer) == [(0, "subscription_id"), (1, "total")]
    assert Invoice.objects.count() == 0


def _error(i=0, **extra):
    return {
        "event_id": f"evt_{i}",
        "title": "TimeoutError: recipe generation",
        "occurred_at": at(1),
        "user_id": "u1",
        "issue_id": "ISSUE-1",
        **extra,
    }


def test_errors_are_stored_once_and_grouped(ingest):
    answer = ingest.ok("errors", [_error(0), _error(1), _error(2, level="panic")])
    assert fields(answer) == [(2, "level")]
    assert ingest.ok("errors", [_error(0)])["counts"]["unchanged"] == 1
    assert set(ErrorEvent.objects.values_list("fingerprint", flat=True)) == {"ISSUE-1"}
    assert ErrorEvent.objects.filter(person__external_id="u1").count() == 2


def test_api_requests_are_stored_redacted(ingest):
    request = {
        "request_id": "req_1",
        "method": "post",
        "route": "/api/login",
        "status": 200,
        "duration_ms": 12.5,
        "occurred_at": at(1),
        "request_body": {"email": "a@b.c", "password": "hunter2"},
    }
    answer = ingest.ok(
        "api-requests",
        [
            request,
            {**request, "request_id": "r2", "status": 42},
            # "ß" upper-cases to "SS": a method must be letters A-Z, or it could outgrow its column.
            {**request, "request_id": "r3", "method": "ßßßßßßßß"},
            {**request, "request_id": "r4", "method": "GET /"},
        ],
    )
    assert fields(answer) == [(1, "status"), (2, "method"), (3, "method")]
    stored = ApiRequest.objects.get()
    assert stored.method == "POST"
    assert "hunter2" not in stored.request_body
    assert stored.person is None
    assert ingest.ok("api-requests", [request])["counts"]["unchanged"] == 1


def _ticket(**extra):
    return {
        "ticket_id": "T-1",
        "user_id": "u1",
        "subject": "Cannot export",
        "body": "The export button does nothing.",
        "created_at": at(5),
        **extra,
    }


def test_tickets_then_messages_derive_first_response(ingest):
    message = {
        "message_id": "M-1",
        "ticket_id": "T-1",
        "author_kind": "agent",
        "body": "Looking into it.",
        "created_at": at(4),
    }
    early = ingest.ok("ticket-messages", [message])
    assert fields(early) == [(0, "ticket_id")]
    ingest.ok("tickets", [_ticket(), _ticket(ticket_id="T-2", subject=" ")])
    ingest.ok("ticket-messages", [message])
    ingest.ok("ticket-messages", [message])
    ticket = Ticket.objects.get()
    assert ticket.first_response_at == NOW - timedelta(hours=4)
    assert TicketMessage.objects.count() == 1


def test_a_solved_ticket_gets_its_resolved_time(ingest):
    ingest.ok("tickets", [_ticket(status="solved", updated_at=at(1))])
    assert Ticket.objects.get().resolved_at == NOW - timedelta(hours=1)


def _email(**extra):
    return {
        "message_id": "<m1@host>",
        "to_email": "ann@example.com",
        "subject": "Welcome",
        "user_id": "u1",
        "status": "sent",
        "sent_at": at(3),
        **extra,
    }


def test_email_events_move_an_email_forward_never_back(ingest):
    ingest.ok("emails", [_email()])
    events = [
        {"message_id": "<m1@host>", "event": "opened", "occurred_at": at(1)},
        {"message_id": "<m1@host>", "event": "delivered", "occurred_at": at(2)},
        {"message_id": "<unknown@host>", "event": "opened", "occurred_at": at(1)},
        {"message_id": "<m1@host>", "event": "read", "occurred_at": at(1)},
    ]
    answer = ingest.ok("email-events", events)
    assert fields(answer) == [(2, "message_id"), (3, "event")]
    email = EmailMessage.objects.get()
    assert (email.status, email.delivered_at) == ("opened", NOW - timedelta(hours=2))
    ingest.ok("email-events", events[1:2])
    assert EmailMessage.objects.get().status == "opened"


def test_exposures_widen_first_and_last_and_create_unknown_flags(ingest):
    exposure = {"user_id": "u1", "flag": "new-planner", "variant": "on", "exposed_at": at(2)}
    ingest.ok("exposures", [exposure, {**exposure, "exposed_at": at(5)}])
    ingest.ok("exposures", [{**exposure, "exposed_at": at(1)}, {**exposure, "variant": ""}])
    stored = Exposure.objects.get()
    assert (stored.first_exposed_at, stored.last_exposed_at) == (
        NOW - timedelta(hours=5),
        NOW - timedelta(hours=1),
    )
    assert FeatureFlag.objects.get().key == "new-planner"


def test_plans_are_upserted(ingest):
    answer = ingest.ok("plans", [_plan(), _plan(price_id="p2", currency="dollars")])
    assert fields(answer) == [(1, "currency")]
    ingest.ok("plans", [_plan(amount=1299)])
    assert Plan.objects.get().amount == 1299


def test_marketing_spend_by_channel_and_month(ingest):
    response = ingest.post(
        "marketing-spend",
        [
            {"channel": "facebook", "month": "2026-09", "amount": 50000, "currency": "USD"},
            {"channel": "facebook", "month": "2026-13", "amount": 1, "currency": "usd"},
            {"channel": "", "month": "2026-09", "amount": 1, "currency": "usd"},
        ],
    )
    body = response.json()
    assert response.status_code == 200
    assert body["accepted"] == [0]
    assert [r["index"] for r in body["rejected"]] == [1, 2]
    spend = marketing_spend_list(start=date(2026, 9, 1), end=date(2026, 9, 30))
    assert [(s.channel, s.amount, s.currency) for s in spend] == [("facebook", 50000, "usd")]


def test_ai_usage_is_recorded_once_with_its_cost_in_micros(ingest):
    from opsroom.telemetry.models import AiUsage

    usage = {
        "usage_id": "ai-1",
        "occurred_at": at(2),
        "model": "gpt-4o-mini",
        "cost": 0.004217,
        "input_tokens": 1200,
        "output_tokens": 300,
        "endpoint": "POST /api/recipes/generate",
        "feature": "recipe_generation",
        "user_id": "u1",
    }
    answer = ingest.ok(
        "ai-usage",
        [
            usage,
            {**usage, "usage_id": "ai-2", "cost": -1},
            {**usage, "usage_id": "ai-3", "model": ""},
            {**usage, "usage_id": "ai-4", "input_tokens": -5},
            {**usage, "usage_id": "ai-5", "currency": "dollars"},
            {k: v for k, v in usage.items() if k != "cost"} | {"usage_id": "ai-6"},
            {**usage, "usage_id": "ai-7", "tokens": 5},
        ],
    )
    assert fields(answer) == [
        (1, "cost"), (2, "model"), (3, "input_tokens"), (4, "currency"), (5, "cost"), (6, "tokens")
    ]  # fmt: skip
    stored = AiUsage.objects.get()
    assert stored.cost_micros == 4217
    assert stored.currency == "usd"
    assert stored.person == Person.objects.get(external_id="u1")
    assert ingest.ok("ai-usage", [usage])["counts"]["unchanged"] == 1
