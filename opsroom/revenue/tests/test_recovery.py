"""Payment recovery: cases from failed payments, the recovery rate as defined, retries through
Stripe (once per scheduled retry, never on hard declines) and dunning emails sent once."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from conftest import signed_in
from opsroom.core import clock
from opsroom.core.models import OutboxEntry
from opsroom.core.tests.http_stub import http_stub
from opsroom.messaging.services import template_upsert_many
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.models import DunningSend, PaymentCase
from opsroom.revenue.recovery.declines import decline_bucket
from opsroom.revenue.recovery.selectors import manual_cases, payment_health
from opsroom.revenue.recovery.services import payment_cases_refresh
from opsroom.revenue.services import (
    billing_customer_upsert_many,
    invoice_upsert_many,
    payment_attempt_upsert_many,
)
from opsroom.revenue.tests.factories import SubscriptionFactory
from opsroom.revenue.tests.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


def _days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def _invoice(key, person, sub, status="open"):
    return invoice_upsert_many(
        rows=[
            {
                "provider_invoice_id": key,
                "person_id": person.pk,
                "subscription_id": sub.pk if sub else None,
                "status": status,
                "issued_at": _days_ago(60),
                "total": 2900,
                "amount_due": 2900,
            }
        ]
    ).by_key[key]


def _attempt(key, person, invoice, at, status="failed", decline=""):
    payment_attempt_upsert_many(
        rows=[
            {
                "provider_attempt_id": key,
                "person_id": person.pk,
                "invoice_id": invoice.pk,
                "subscription_id": invoice.subscription_id,
                "amount": 2900,
                "status": status,
                "decline_code": decline,
                "attempted_at": at,
            }
        ]
    )


@pytest.mark.parametrize(
    ("code", "bucket"),
    [
        ("insufficient_funds", "retry_later"),
        ("try_again_later", "retry_later"),
        ("processing_error", "retry_later"),
        ("generic_decline", "retry_later"),
        ("expired_card", "needs_customer"),
        ("incorrect_cvc", "needs_customer"),
        ("authentication_required", "needs_customer"),
        ("lost_card", "never_retry"),
        ("stolen_card", "never_retry"),
        ("fraudulent", "never_retry"),
        ("do_not_try_again", "never_retry"),
        ("", "retry_later"),
    ],
)
def test_decline_codes_fall_in_their_bucket(code, bucket):
    assert decline_bucket(code) == bucket


def _world():
    """A: soft decline 50 days ago, retried on day 3 (failed) and day 7 (paid): recovered on
    the 2nd retry. B: expired card 45 days ago, never paid. C: stolen card 40 days ago, written
    off. D: 5 days ago, still open (undecided). E: 44 days ago, paid only on day 35."""
    people = {}
    for name, (days, decline) in {
        "a": (50, "insufficient_funds"),
        "b": (45, "expired_card"),
        "c": (40, "stolen_card"),
        "d": (5, "insufficient_funds"),
        "e": (44, "insufficient_funds"),
    }.items():
        person = PersonFactory(external_id=name, email=f"{name}@example.com")
        with clock.clock_frozen_at(_days_ago(days)):
            sub = SubscriptionFactory(person=person, provider_subscription_id=f"sub_{name}")
        status = "uncollectible" if name == "c" else "open"
        invoice = _invoice(f"in_{name}", person, sub, status=status)
        _attempt(f"{name}1", person, invoice, _days_ago(days), decline=decline)
        people[name] = (person, invoice, days)
    person, invoice, days = people["a"]
    _attempt("a2", person, invoice, _days_ago(days - 3), decline="insufficient_funds")
    _attempt("a3", person, invoice, _days_ago(days - 7), status="succeeded")
    person, invoice, days = people["e"]
    _attempt("e2", person, invoice, _days_ago(days - 35), status="succeeded")
    return people


def test_the_recovery_rate_counts_only_decided_cases_within_30_days():
    _world()
    with clock.clock_frozen_at(NOW):
        run = payment_cases_refresh()
        figures = payment_health(days=60)
    assert run.cases == 5
    by_person = {c.person.external_id: c for c in PaymentCase.objects.select_related("person")}
    assert {k: c.status for k, c in by_person.items()} == {
        "a": "recovered",
        "b": "open",
        "c": "lost",
        "d": "open",
        "e": "recovered",
    }
    assert by_person["a"].recovered_on_retry == 2
    # Decided: a (recovered in 7 days), b and c (30 days passed), e (30 days passed; its late
    # payment does not count). d is still inside its 30 days. 1 / 4.
    assert figures.recovery_rate == 0.25
    assert figures.buckets == {"retry_later": 3, "needs_customer": 1, "never_retry": 1}
    assert [(s.retry, s.reached, s.recovered) for s in figures.steps][:2] == [(1, 5, 1), (2, 4, 1)]
    assert {c.person.external_id for c in manual_cases()} == {"b"}


@pytest.fixture
def stripe(settings):
    settings.OPSROOM_PAYMENT_RETRIES_BY_PROVIDER = False
    fake = FakeStripe()
    with http_stub(fake.handle) as stub:
        fake.stub = stub
        settings.STRIPE_API_KEY = "sk_test_local"
        settings.STRIPE_API_BASE = stub.url
        yield fake


def test_opsroom_retries_soft_declines_through_stripe_once_per_scheduled_retry(stripe):
    person = PersonFactory(external_id="soft")
    sub = SubscriptionFactory(person=person)
    invoice = _invoice("in_soft", person, sub)
    _attempt("s1", person, invoice, _days_ago(3.5), decline="insufficient_funds")
    hard_person = PersonFactory(external_id="hard")
    hard = _invoice("in_hard", hard_person, SubscriptionFactory(person=hard_person))
    _attempt("h1", hard_person, hard, _days_ago(3.5), decline="fraudulent")
    with clock.clock_frozen_at(NOW):
        first = payment_cases_refresh()
        again = payment_cases_refresh()
    assert (first.retries_requested, again.retries_requested) == (1, 0)
    entry = OutboxEntry.objects.get(kind="stripe.invoice_retry")
    assert entry.status == OutboxEntry.Status.DONE
    assert entry.outcome["paid"] is True
    assert stripe.invoices_paid == ["in_soft"]
    case = PaymentCase.objects.get(key=f"invoice:{invoice.pk}")
    assert case.next_retry_at == case.first_failed_at + timedelta(days=7)


def test_a_declined_retry_is_an_answer_not_a_failure(stripe):
    stripe.invoice_decline = "insufficient_funds"
    person = PersonFactory()
    invoice = _invoice("in_x", person, SubscriptionFactory(person=person))
    _attempt("x1", person, invoice, _days_ago(4), decline="insufficient_funds")
    with clock.clock_frozen_at(NOW):
        payment_cases_refresh()
    entry = OutboxEntry.objects.get(kind="stripe.invoice_retry")
    assert entry.status == OutboxEntry.Status.DONE
    assert entry.outcome == {"paid": False, "decline_code": "insufficient_funds", "retry": 1}


def test_dunning_emails_go_once_per_step_when_opsroom_owns_them(settings):
    settings.OPSROOM_PAYMENT_RETRIES_BY_PROVIDER = False
    template_upsert_many(
        rows=[
            {"key": key, "name": key, "category": "billing", "subject": f"{key} {{{{ amount }}}}",
             "body_text": "Hello {{ first_name }}"}
            for key in ("payment_failed", "update_card_reminder", "final_notice", "card_expiring")
        ]
    )  # fmt: skip
    person = PersonFactory(name="Ana Lima", email="ana@example.com")
    invoice = _invoice("in_ana", person, SubscriptionFactory(person=person))
    _attempt("a1", person, invoice, _days_ago(4), decline="insufficient_funds")
    expiring = PersonFactory(email="card@example.com")
    SubscriptionFactory(person=expiring)
    billing_customer_upsert_many(
        rows=[
            {
                "provider_customer_id": "cus_card",
                "person_id": expiring.pk,
                "card_last4": "4242",
                "card_exp_month": 7,
                "card_exp_year": 2026,
            }
        ]
    )
    with clock.clock_frozen_at(NOW):
        first = payment_cases_refresh()
        again = payment_cases_refresh()
    # Day 4: "payment failed" (day 0) and "update your card" (day 3); the card expires on
    # July 31, 31 days away: no notice yet (30, 14, 7 days before).
    assert (first.emails_sent, again.emails_sent) == (2, 0)
    assert sorted(m.subject for m in mail.outbox) == [
        "payment_failed 2900",
        "update_card_reminder 2900",
    ]
    with clock.clock_frozen_at(NOW + timedelta(days=2)):
        later = payment_cases_refresh()
    assert later.emails_sent == 1
    assert DunningSend.objects.filter(template="card_expiring").count() == 1


def test_the_payments_page_reads_and_the_schedule_is_permission_checked(
    staff_analyst, staff_billing
):
    _world()
    with clock.clock_frozen_at(NOW):
        payment_cases_refresh()
        page = signed_in(staff_analyst).get("/revenue/payments/")
    assert page.status_code == 200
    assert 'data-table="manual-cases"' in page.content.decode()
    form = {"retry_days": "2, 5, 9", "expiry_days": "30, 7"}
    assert signed_in(staff_analyst).post("/revenue/payments/", form).status_code == 403
    assert signed_in(staff_billing).post("/revenue/payments/", form).status_code == 302
    bad = signed_in(staff_billing).post("/revenue/payments/", {**form, "retry_days": "0, 99"})
    assert bad.status_code == 400


def test_the_payment_health_api(staff_analyst):
    _world()
    with clock.clock_frozen_at(NOW):
        payment_cases_refresh()
        body = signed_in(staff_analyst).get("/api/v1/revenue/payments/health").json()
    assert body["retry_days"] == [3, 7, 14]
    assert body["opsroom_retries"] is False
    assert [c["decline_code"] for c in body["manual_cases"]] == ["expired_card"]


def test_the_hourly_task_refreshes_the_cases():
    from opsroom.revenue.tasks import payment_recovery_refresh

    _world()
    with clock.clock_frozen_at(NOW):
        first = payment_recovery_refresh.call()
        again = payment_recovery_refresh.call()
    assert (first["cases"], first["opened"], first["lost"]) == (5, 5, 1)
    assert (again["opened"], again["lost"], again["emails_sent"]) == (0, 0, 0)
