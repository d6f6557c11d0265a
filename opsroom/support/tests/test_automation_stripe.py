"""Cancellation and invoice automations through Stripe (a local stand-in for its API, driven
by the real `stripe` library), the retention offer and its signed link, and the fallbacks
without Stripe."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from conftest import signed_in
from opsroom.core import clock
from opsroom.core.models import AuditEntry, OutboxEntry
from opsroom.core.services.audit import AuditContext
from opsroom.core.tests.http_stub import http_stub
from opsroom.core.tests.outbox_worker import outbox_tasks_run
from opsroom.messaging.models import EmailMessage
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.models import Subscription
from opsroom.revenue.services import billing_customer_upsert_many
from opsroom.revenue.tests.factories import PlanFactory, SubscriptionFactory
from opsroom.support.models import RetentionOffer, Ticket, TicketAnalysis
from opsroom.support.selectors.invoices import MonthAsked, invoice_month_asked
from opsroom.support.services.automations import automation_apply, automation_set
from opsroom.support.services.retention import retention_offer_set
from opsroom.support.tests.factories import TicketFactory
from opsroom.support.tests.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 26, 9, 0, tzinfo=UTC)
PERIOD_END = datetime(2026, 4, 15, 0, 0, tzinfo=UTC)
LINK = re.compile(r"https?://\S+/support/offer/[^/\s]+/")


@pytest.fixture(autouse=True)
def _frozen(settings):
    settings.OPSROOM_OUTBOX_INLINE = False
    settings.OPSROOM_HOST_WEBHOOK_URL = ""
    settings.OPSROOM_HOST_WEBHOOK_SECRET = ""
    with clock.clock_frozen_at(T0):
        yield


@pytest.fixture
def stripe(settings):
    fake = FakeStripe()
    with http_stub(fake.handle) as stub:
        fake.stub = stub
        settings.STRIPE_API_KEY = "sk_test_local"
        settings.STRIPE_API_BASE = stub.url
        fake.subscription_add("sub_kim", customer="cus_kim", period_end=int(PERIOD_END.timestamp()))
        yield fake


@pytest.fixture
def host_app(settings):
    settings.OPSROOM_HOST_WEBHOOK_URL = "https://app.example.com/opsroom/webhook"
    settings.OPSROOM_HOST_WEBHOOK_SECRET = "whsec_test_0123456789"


def _automatic(intent):
    automation_set(intent=intent, mode="automatic", allow_vip=False, audit=AuditContext.system("t"))


def _ticket(category, subject, body):
    person = PersonFactory(name="Kim Park", email="kim@example.com")
    billing_customer_upsert_many(rows=[{"provider_customer_id": "cus_kim", "person_id": person.pk}])
    SubscriptionFactory(
        person=person,
        plan=PlanFactory(code="premium", name="Premium"),
        provider="stripe",
        provider_subscription_id="sub_kim",
        current_period_end=PERIOD_END,
    )
    ticket = TicketFactory(requester=person, subject=subject, body=body, category="")
    analysis = TicketAnalysis.objects.create(
        ticket=ticket,
        category=category,
        category_confidence=0.995,
        category_is_confident=True,
        alternatives=[[category, 0.98], ["other", 0.01]],
        source="model",
        model_version=1,
        severity="normal",
        severity_confidence=0.6,
    )
    return ticket, analysis


def _cancellation():
    _automatic("cancellation")
    ticket, analysis = _ticket("cancellation", "Cancel", "Please cancel my subscription.")
    return ticket, automation_apply(ticket=ticket, analysis=analysis)


def _offer_link(ticket):
    reply = ticket.messages.filter(author_kind="agent").get()
    return LINK.search(reply.body).group(0)


def _path(link):
    return link[link.index("/support/") :]


def test_the_dry_run_says_a_cancellation_acts_in_stripe(stripe, admin_client_):
    _automatic("cancellation")
    ticket, _analysis = _ticket("cancellation", "Cancel", "Please cancel my subscription.")
    decision = admin_client_.get(f"/api/v1/support/tickets/{ticket.pk}/automation").json()
    assert decision["would_act"] is True
    assert (decision["via"], decision["event"]) == (
        "stripe",
        "stripe.subscription.cancel_at_period_end",
    )
    assert not stripe.stub.requests


def test_a_cancellation_is_made_in_stripe_and_the_reply_states_the_end_of_access(stripe):
    ticket, run = _cancellation()
    # Waiting for Stripe: nothing said to the customer yet, the ticket untouched.
    assert (run.outcome, run.via) == ("acting", "stripe")
    assert Ticket.objects.get(pk=ticket.pk).status == "new"
    assert not ticket.messages.exists()
    outbox_tasks_run()
    [request] = stripe.stub.requests
    assert request["path"] == "/v1/subscriptions/sub_kim"
    assert b"cancel_at_period_end=true" in request["body"]
    assert request["headers"]["Idempotency-Key"] == f"stripe.support_cancel:{ticket.pk}"
    assert stripe.subscriptions["sub_kim"]["cancel_at_period_end"] is True
    run.refresh_from_db()
    assert run.outcome == "resolved"
    assert run.details["access_ends_at"] == PERIOD_END.isoformat()
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    reply = ticket.messages.get()
    assert "You keep full access until 15 April 2026" in reply.body
    assert "Before you go" not in reply.body  # no offer is set by default
    assert EmailMessage.objects.get().subject == f"Re: [#{ticket.pk}] Cancel"
    assert Subscription.objects.get(provider_subscription_id="sub_kim").cancel_at_period_end
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"ticket.auto_resolve_start", "subscription.cancel_at_period_end"} <= actions
    assert "ticket.auto_resolve" in actions
    # The host app's webhook was neither needed nor used.
    assert not OutboxEntry.objects.filter(kind="webhook.host_app").exists()


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (
            (
                402,
                {"error": {"type": "card_error", "code": "card_declined", "message": "Declined"}},
            ),
            "card error",
        ),
        (
            (404, {"error": {"type": "invalid_request_error", "message": "No such subscription"}}),
            "HTTP 404",
        ),
        (
            (500, {"error": {"type": "api_error", "message": "Something went wrong"}}),
            "HTTP 500",
        ),
    ],
    ids=["card-error", "4xx", "5xx"],
)
def test_a_stripe_failure_leaves_the_ticket_to_a_person_with_a_note(stripe, answer, words):
    stripe.refuse = answer
    ticket, run = _cancellation()
    outbox_tasks_run()
    run.refresh_from_db()
    assert run.outcome == "failed"
    assert words in run.details["error"]
    ticket.refresh_from_db()
    assert ticket.status == "open"
    [note] = ticket.messages.all()
    assert note.is_internal
    assert "left this ticket to a person" in note.body
    assert words in note.body
    assert not EmailMessage.objects.exists()  # nothing was said to the customer
    assert not Subscription.objects.get(provider_subscription_id="sub_kim").cancel_at_period_end
    assert AuditEntry.objects.filter(action="ticket.auto_resolve_failed").exists()
    assert OutboxEntry.objects.get(kind="stripe.support_cancel").status == "failed"


def test_no_answer_from_stripe_leaves_the_ticket_to_a_person(settings):
    settings.STRIPE_API_KEY = "sk_test_local"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    ticket, run = _cancellation()
    outbox_tasks_run()
    run.refresh_from_db()
    assert run.outcome == "failed"
    assert "Stripe did not answer" in run.details["error"]
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
    assert ticket.messages.get().is_internal


def test_reopening_a_stripe_cancellation_takes_it_back(stripe, staff_support, staff_analyst):
    ticket, run = _cancellation()
    outbox_tasks_run()
    url = f"/support/automations/runs/{run.pk}/reopen/"
    page = signed_in(staff_support).get("/support/automations/").content.decode()
    assert "Reopen and take the cancellation back" in page
    assert signed_in(staff_analyst).post(url).status_code == 403
    assert not OutboxEntry.objects.filter(kind="stripe.support_uncancel").exists()
    assert signed_in(staff_support).post(url).status_code == 302
    outbox_tasks_run()
    assert stripe.subscriptions["sub_kim"]["cancel_at_period_end"] is False
    undo = stripe.stub.requests[-1]
    assert undo["headers"]["Idempotency-Key"] == f"stripe.support_uncancel:{run.pk}"
    assert b"cancel_at_period_end=false" in undo["body"]
    run.refresh_from_db()
    assert run.details["undo"]["status"] == "done"
    assert not Subscription.objects.get(provider_subscription_id="sub_kim").cancel_at_period_end
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
    audit = AuditEntry.objects.get(action="ticket.auto_resolve_undo")
    assert audit.actor == staff_support
    assert AuditEntry.objects.filter(action="subscription.cancel_taken_back").exists()
    assert "taken back in Stripe" in ticket.messages.filter(is_internal=True).last().body


def test_the_retention_offer_is_accepted_once_through_stripe(stripe):
    retention_offer_set(percent_off=20, months=3, audit=AuditContext.system("t"))
    ticket, _run = _cancellation()
    outbox_tasks_run()
    ticket.refresh_from_db()
    reply = ticket.messages.get()
    assert "20% off for the next 3 months" in reply.body
    assert "it works until 9 April 2026" in reply.body  # 14 days
    path = _path(_offer_link(ticket))
    customer = Client(enforce_csrf_checks=False)
    page = customer.get(path)
    assert page.status_code == 200
    assert "data-accept" in page.content.decode()
    assert RetentionOffer.objects.get().status == "offered"  # opening the link accepts nothing
    assert customer.post(path).status_code == 200
    assert customer.post(path).status_code == 200  # clicked twice
    assert OutboxEntry.objects.filter(kind="stripe.retention_offer").count() == 1
    outbox_tasks_run()
    [coupon] = stripe.coupons.values()
    assert (coupon["percent_off"], coupon["duration_in_months"]) == (20, 3)
    assert stripe.subscriptions["sub_kim"]["coupon"] == coupon["id"]
    assert stripe.subscriptions["sub_kim"]["cancel_at_period_end"] is False
    offer = RetentionOffer.objects.get()
    assert (offer.status, offer.accepted_at) == ("applied", T0)
    local = Subscription.objects.get(provider_subscription_id="sub_kim")
    assert (local.cancel_at_period_end, int(local.discount_percent)) == (False, 20)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"support.retention_offer_accept", "subscription.retention_discount"} <= actions
    assert "Thank you for staying" in customer.get(path).content.decode()
    assert len(stripe.coupons) == 1


def test_an_expired_or_forged_offer_link_gives_a_clear_4xx_page(stripe):
    retention_offer_set(percent_off=100, months=1, audit=AuditContext.system("t"))
    ticket, _run = _cancellation()
    outbox_tasks_run()
    ticket.refresh_from_db()
    assert "your next month free" in ticket.messages.get().body
    path = _path(_offer_link(ticket))
    customer = Client()
    forged = customer.get(path[:-3] + "xx/")
    assert forged.status_code == 400
    assert "not valid" in forged.content.decode()
    RetentionOffer.objects.update(expires_at=T0 - timedelta(seconds=1))
    for answer in (customer.get(path), customer.post(path)):
        assert answer.status_code == 410
        assert "This offer expired" in answer.content.decode()
    assert RetentionOffer.objects.get().status == "offered"
    assert not OutboxEntry.objects.filter(kind="stripe.retention_offer").exists()


def test_a_refused_retention_discount_is_noted_on_the_ticket(stripe):
    retention_offer_set(percent_off=50, months=2, audit=AuditContext.system("t"))
    ticket, _run = _cancellation()
    outbox_tasks_run()
    stripe.refuse = (400, {"error": {"type": "invalid_request_error", "message": "Bad coupon"}})
    Client().post(_path(_offer_link(Ticket.objects.get(pk=ticket.pk))))
    outbox_tasks_run()
    offer = RetentionOffer.objects.get()
    assert offer.status == "failed"
    assert "Bad coupon" in offer.failure
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
    assert "applying it in Stripe failed" in ticket.messages.last().body


def test_without_stripe_the_offer_goes_to_the_host_app(host_app):
    retention_offer_set(percent_off=20, months=3, audit=AuditContext.system("t"))
    ticket, run = _cancellation()
    assert (run.outcome, run.via) == ("resolved", "host_app")
    entry = OutboxEntry.objects.get(kind="webhook.host_app")
    assert entry.payload["type"] == "subscription.cancel_requested"
    Client().post(_path(_offer_link(Ticket.objects.get(pk=ticket.pk))))
    accepted = OutboxEntry.objects.filter(kind="webhook.host_app").exclude(pk=entry.pk).get()
    assert accepted.payload == {
        "type": "subscription.retention_offer_accepted",
        "data": {
            "user_id": ticket.requester.external_id,
            "email": "kim@example.com",
            "ticket": ticket.pk,
            "percent_off": 20,
            "months": 3,
        },
    }
    assert RetentionOffer.objects.get().status == "accepted"


def test_the_offer_setting_is_for_admins_and_the_page_shows_its_acceptance(
    staff_admin, staff_support, host_app
):
    url = "/support/automations/offer/"
    assert signed_in(staff_support).post(url, {"percent_off": 20, "months": 3}).status_code == 403
    assert signed_in(staff_admin).post(url, {"percent_off": 101, "months": 3}).status_code == 400
    assert signed_in(staff_admin).post(url, {"percent_off": "x", "months": 3}).status_code == 400
    assert signed_in(staff_admin).post(url, {"percent_off": 20, "months": 13}).status_code == 400
    assert signed_in(staff_admin).post(url, {"percent_off": 20, "months": 3}).status_code == 302
    assert AuditEntry.objects.filter(action="support.retention_offer_set").count() == 1
    _ticket_a, _ = _cancellation()
    Client().post(_path(_offer_link(Ticket.objects.get(pk=_ticket_a.pk))))
    other = PersonFactory(email="lee@example.com")
    ticket_b = TicketFactory(requester=other, subject="Cancel", body="Cancel please.")
    RetentionOffer.objects.create(
        ticket=ticket_b,
        requester=other,
        via="host_app",
        percent_off=20,
        months=3,
        expires_at=T0 + timedelta(days=14),
    )
    page = signed_in(staff_support).get("/support/automations/").content.decode()
    assert "20% off for the next 3 months" in page
    assert "data-offered>2<" in page
    assert "data-accepted>1<" in page
    assert "data-acceptance-rate>50" in page


def test_the_offer_api(admin_client_, staff_support, staff_analyst):
    url = "/api/v1/support/automations/retention-offer"
    assert signed_in(staff_analyst).get(url).json()["is_on"] is False
    body = {"percent_off": 25, "months": 2}
    refused = signed_in(staff_support).put(url, body, content_type="application/json")
    assert refused.status_code == 403
    answer = admin_client_.put(url, body, content_type="application/json")
    assert answer.status_code == 200
    assert answer.json() | {} == {
        "percent_off": 25,
        "months": 2,
        "is_on": True,
        "offered": 0,
        "accepted": 0,
        "applied": 0,
        "acceptance_rate": None,
    }
    bad = admin_client_.put(url, {"percent_off": -1}, content_type="application/json")
    assert bad.status_code == 400
    assert AuditEntry.objects.filter(action="support.retention_offer_set").count() == 1


def _invoices(stripe):
    for invoice_id, day, number in [
        ("in_feb", datetime(2026, 2, 3, tzinfo=UTC), "KP-0002"),
        ("in_mar", datetime(2026, 3, 3, tzinfo=UTC), "KP-0003"),
        ("in_mar_last_year", datetime(2025, 3, 3, tzinfo=UTC), "KP-0001"),
    ]:
        stripe.invoice_add(
            invoice_id, customer="cus_kim", created=int(day.timestamp()), number=number
        )


@pytest.mark.parametrize(
    ("body", "sent", "not_sent"),
    [
        ("Please send me the invoice for February.", "in_feb", "in_mar"),
        ("Could I get my receipt for March 2025?", "in_mar_last_year", "in_feb"),
        ("Please send me my latest invoice.", "in_mar", "in_feb"),
    ],
    ids=["month-named", "month-and-year", "latest"],
)
def test_an_invoice_request_is_answered_with_its_links_from_stripe(stripe, body, sent, not_sent):
    _invoices(stripe)
    _automatic("invoice_request")
    ticket, analysis = _ticket("invoice_request", "Invoice", body)
    run = automation_apply(ticket=ticket, analysis=analysis)
    assert run.via == "stripe"
    outbox_tasks_run()
    request = stripe.stub.requests[0]
    assert request["method"] == "GET"
    assert "customer=cus_kim" in request["path"]
    assert "status=paid" in request["path"]
    run.refresh_from_db()
    assert run.outcome == "resolved"
    reply = Ticket.objects.get(pk=ticket.pk).messages.get().body
    assert f"https://invoice.stripe.com/i/{sent}" in reply
    assert f"https://pay.stripe.com/invoice/{sent}/pdf" in reply
    assert f"/{not_sent}" not in reply
    assert Ticket.objects.get(pk=ticket.pk).status == "solved"


def test_an_invoice_for_a_month_stripe_does_not_hold_goes_to_a_person(stripe):
    _invoices(stripe)
    _automatic("invoice_request")
    ticket, analysis = _ticket("invoice_request", "Invoice", "I need the invoice for July.")
    run = automation_apply(ticket=ticket, analysis=analysis)
    outbox_tasks_run()
    run.refresh_from_db()
    assert run.outcome == "failed"
    assert "no paid invoice for July" in run.details["error"]
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
    assert not EmailMessage.objects.exists()


def test_without_stripe_the_invoice_request_keeps_the_host_app_path(host_app):
    _automatic("invoice_request")
    ticket, analysis = _ticket("invoice_request", "Invoice", "Please send my invoice.")
    run = automation_apply(ticket=ticket, analysis=analysis)
    assert (run.outcome, run.via, run.action) == (
        "resolved",
        "host_app",
        "invoice.resend_requested",
    )


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("the invoice for March please", MonthAsked(3, None)),
        ("receipt for Feb 2026", MonthAsked(2, 2026)),
        ("invoice 2025-11", MonthAsked(11, 2025)),
        ("may I have my invoice", None),
        ("invoice for May", MonthAsked(5, None)),
        ("december, 2024 invoice", MonthAsked(12, 2024)),
        ("my latest invoice", None),
        ("invoice for jan", MonthAsked(1, None)),
        ("Jan from accounting needs the invoice", None),
    ],
)
def test_the_month_an_invoice_request_names(text, asked):
    assert invoice_month_asked(text=text) == asked


def test_an_offer_ends_when_access_ends_if_that_is_sooner(stripe):
    retention_offer_set(percent_off=20, months=3, audit=AuditContext.system("t"))
    stripe.subscriptions["sub_kim"]["current_period_end"] = int(
        datetime(2026, 3, 31, tzinfo=UTC).timestamp()
    )
    ticket, _run = _cancellation()
    outbox_tasks_run()
    body = Ticket.objects.get(pk=ticket.pk).messages.get().body
    assert "You keep full access until 31 March 2026" in body
    assert "it works until 31 March 2026" in body
    assert RetentionOffer.objects.get().expires_at == datetime(2026, 3, 31, tzinfo=UTC)


def test_the_ticket_page_says_the_automation_failed_and_why(stripe, staff_support):
    stripe.refuse = (404, {"error": {"type": "invalid_request_error", "message": "No such sub"}})
    ticket, _run = _cancellation()
    copilot = signed_in(staff_support).get(f"/support/tickets/{ticket.pk}/copilot/")
    assert "data-acting" in copilot.content.decode()
    outbox_tasks_run()
    copilot = signed_in(staff_support).get(f"/support/tickets/{ticket.pk}/copilot/")
    text = copilot.content.decode()
    assert "data-failed" in text
    assert "No such sub" in text


def test_an_operator_retry_finishes_the_automation_unless_a_person_took_over(stripe, staff_admin):
    from opsroom.core.outbox.services import outbox_entry_retry

    stripe.refuse = (500, {"error": {"type": "api_error", "message": "Down"}})
    ticket, run = _cancellation()
    outbox_tasks_run()
    entry = OutboxEntry.objects.get(kind="stripe.support_cancel")
    stripe.refuse = None
    outbox_entry_retry(entry_id=entry.pk, audit=AuditContext(actor=staff_admin, label="admin"))
    outbox_tasks_run()
    run.refresh_from_db()
    assert run.outcome == "resolved"
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    assert ticket.messages.filter(is_internal=False).count() == 1
    # Stripe keeps the failure under the first key; the operator's retry has a key of its own.
    keys = [r["headers"]["Idempotency-Key"] for r in stripe.stub.requests]
    assert keys[0] == f"stripe.support_cancel:{ticket.pk}"
    assert keys[-1] == f"stripe.support_cancel:{ticket.pk}:r1a1"
    assert stripe.subscriptions["sub_kim"]["cancel_at_period_end"] is True


def test_a_retry_after_a_person_solved_the_ticket_sends_no_second_reply(stripe, staff_admin):
    from opsroom.core.outbox.services import outbox_entry_retry
    from opsroom.support.services.tickets import ticket_update

    stripe.refuse = (500, {"error": {"type": "api_error", "message": "Down"}})
    ticket, run = _cancellation()
    outbox_tasks_run()
    audit = AuditContext(actor=staff_admin, label="admin")
    ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), audit=audit, status="solved")
    stripe.refuse = None
    entry = OutboxEntry.objects.get(kind="stripe.support_cancel")
    outbox_entry_retry(entry_id=entry.pk, audit=audit)
    outbox_tasks_run()
    run.refresh_from_db()
    assert run.outcome == "failed"
    assert not ticket.messages.filter(is_internal=False).exists()
    assert "Stripe has now set the subscription to cancel" in ticket.messages.last().body
    assert Subscription.objects.get(provider_subscription_id="sub_kim").cancel_at_period_end


def test_a_refused_undo_is_noted_and_shown(stripe, staff_support, settings):
    settings.OPSROOM_OUTBOX_MAX_ATTEMPTS = 1
    ticket, run = _cancellation()
    outbox_tasks_run()
    stripe.refuse = (400, {"error": {"type": "invalid_request_error", "message": "Canceled"}})
    signed_in(staff_support).post(f"/support/automations/runs/{run.pk}/reopen/")
    outbox_tasks_run()
    run.refresh_from_db()
    assert run.details["undo"]["status"] == "failed"
    assert "still set to cancel" in ticket.messages.last().body
    page = signed_in(staff_support).get("/support/automations/").content.decode()
    assert "<span data-undo>failed</span>" in page


def test_the_offer_page_says_when_applying_it_failed(stripe):
    retention_offer_set(percent_off=50, months=2, audit=AuditContext.system("t"))
    ticket, _run = _cancellation()
    outbox_tasks_run()
    path = _path(_offer_link(Ticket.objects.get(pk=ticket.pk)))
    stripe.refuse = (400, {"error": {"type": "invalid_request_error", "message": "Bad coupon"}})
    customer = Client()
    customer.post(path)
    outbox_tasks_run()
    assert "could not apply 50% off for the next 2 months" in customer.get(path).content.decode()


def test_a_retried_offer_after_a_stripe_error_makes_one_coupon(stripe):
    retention_offer_set(percent_off=20, months=3, audit=AuditContext.system("t"))
    ticket, _run = _cancellation()
    outbox_tasks_run()
    Client().post(_path(_offer_link(Ticket.objects.get(pk=ticket.pk))))
    # The coupon is made, then the subscription update fails with a 500 (kept by Stripe).
    stripe.subscription_updates_failing = 1
    outbox_tasks_run()
    entry = OutboxEntry.objects.get(kind="stripe.retention_offer")
    assert (entry.status, len(stripe.coupons)) == ("pending", 1)  # retried later
    assert RetentionOffer.objects.get().status == "accepted"
    with clock.clock_frozen_at(T0 + timedelta(hours=2)):  # past the backoff
        outbox_tasks_run()
    entry.refresh_from_db()
    assert (entry.status, entry.attempts) == ("done", 2)
    [coupon_id] = stripe.coupons  # the retry's new key found the coupon made before
    assert coupon_id.startswith("opsroom-retention-")
    assert stripe.subscriptions["sub_kim"]["coupon"] == coupon_id
    assert RetentionOffer.objects.get().status == "applied"
    assert any(r["path"] == f"/v1/coupons/{coupon_id}" for r in stripe.stub.requests)
