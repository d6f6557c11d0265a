"""The Stripe drift check: the real `stripe` library over HTTP to a local stand-in for Stripe's
API; in sync, each kind of drift, a missing customer, Stripe errors; the page, the API and the
sweep command, and who may use them."""

import json
import time
from copy import deepcopy
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from conftest import signed_in
from opsroom.core.tests.http_stub import http_stub
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue import stripe_drift
from opsroom.revenue.stripe_drift import State, stripe_drift_for_person
from opsroom.revenue.tests.stripe_standin import (
    PERIOD_END,
    StripeStandIn,
    ana_in_opsroom,
    stripe_customer,
    stripe_in_sync,
    stripe_invoice,
    stripe_subscription,
    unix,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe(settings):
    fake = StripeStandIn()
    with http_stub(fake.handle) as stub:
        settings.STRIPE_API_KEY = "sk_test_local"
        settings.STRIPE_API_BASE = stub.url
        yield fake


@pytest.fixture
def ana():
    return ana_in_opsroom()


def _found(report) -> set[tuple[str, str, str, Any, Any]]:
    return {(d.kind, d.object_id, d.field, d.opsroom, d.stripe) for d in report.differences}


def test_a_customer_whose_records_match_stripe_is_in_sync(stripe, ana):
    stripe_in_sync(stripe)
    report = stripe_drift_for_person(person=ana)
    assert (report.state, report.differences) == (State.IN_SYNC, [])
    assert (report.subscriptions_compared, report.invoices_compared) == (1, 1)
    paths = [path for path, _ in stripe.queries]
    assert paths == ["/v1/customers/cus_ana", "/v1/subscriptions", "/v1/invoices"]
    assert stripe.queries[1][1]["status"] == ["all"]
    assert stripe.queries[0][1]["expand[0]"] == ["invoice_settings.default_payment_method"]


def _status(stripe):
    stripe.subscriptions[0]["status"] = "past_due"


def _price(stripe):
    stripe.subscriptions[0]["items"]["data"][0]["price"]["id"] = "price_team"


def _amount(stripe):
    stripe.subscriptions[0]["items"]["data"][0]["price"]["unit_amount"] = 3900


def _quantity(stripe):
    stripe.subscriptions[0]["items"]["data"][0]["quantity"] = 3


def _period_end(stripe):
    stripe.subscriptions[0]["items"]["data"][0]["current_period_end"] = unix(
        PERIOD_END + timedelta(days=31)
    )


def _cancel(stripe):
    stripe.subscriptions[0]["cancel_at_period_end"] = True


def _discount(stripe):
    stripe.subscriptions[0]["discount"] = {
        "id": "di_1",
        "coupon": {"id": "co_1", "percent_off": 50},
        "end": unix(PERIOD_END),
    }


def _invoice_unpaid(stripe):
    stripe.invoices[0] = stripe_invoice(status="open")


def _card(stripe):
    stripe.customers["cus_ana"]["invoice_settings"]["default_payment_method"]["card"] |= {
        "last4": "0005",
        "exp_year": 2031,
    }


def _email(stripe):
    stripe.customers["cus_ana"]["email"] = "ana.lima@example.com"


def _extra_subscription(stripe):
    extra = stripe_subscription("sub_new", "price_team")
    extra["created"] = unix(PERIOD_END - timedelta(days=1))
    stripe.subscriptions.append(extra)


def _subscription_gone(stripe):
    stripe.subscriptions = []


def _extra_invoice(stripe):
    stripe.invoices.append(stripe_invoice("in_ana2", status="open"))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            _status, {("subscription", "sub_ana", "status", "active", "past_due")}, id="status"
        ),
        pytest.param(
            _price,
            {("subscription", "sub_ana", "price", "price_premium", "price_team")},
            id="price",
        ),
        pytest.param(_amount, {("subscription", "sub_ana", "amount", 2900, 3900)}, id="amount"),
        pytest.param(_quantity, {("subscription", "sub_ana", "quantity", 1, 3)}, id="quantity"),
        pytest.param(
            _period_end,
            {
                (
                    "subscription",
                    "sub_ana",
                    "current_period_end",
                    PERIOD_END,
                    PERIOD_END + timedelta(days=31),
                )
            },
            id="period-end",
        ),
        pytest.param(
            _cancel, {("subscription", "sub_ana", "cancel_at_period_end", False, True)}, id="cancel"
        ),
        pytest.param(
            _discount,
            {
                ("subscription", "sub_ana", "discount_percent", 0.0, 50.0),
                ("subscription", "sub_ana", "discount_ends_at", None, PERIOD_END),
            },
            id="discount",
        ),
        pytest.param(
            _invoice_unpaid,
            {
                ("invoice", "in_ana1", "status", "paid", "open"),
                ("invoice", "in_ana1", "amount_paid", 2900, 0),
            },
            id="invoice-payment",
        ),
        pytest.param(
            _card,
            {
                ("customer", "cus_ana", "card_last4", "4242", "0005"),
                ("customer", "cus_ana", "card_exp_year", 2030, 2031),
            },
            id="card",
        ),
        pytest.param(
            _email,
            {("customer", "cus_ana", "email", "ana@example.com", "ana.lima@example.com")},
            id="email",
        ),
        pytest.param(
            _extra_subscription,
            {
                ("subscription", "sub_new", "record", "missing", "present"),
                ("snapshot", "cus_ana", "current_subscription", "sub_ana", "sub_new"),
            },
            id="subscription-missing-in-opsroom",
        ),
        pytest.param(
            _subscription_gone,
            {
                ("subscription", "sub_ana", "record", "present", "missing"),
                ("snapshot", "cus_ana", "current_subscription", "sub_ana", ""),
            },
            id="subscription-missing-at-stripe",
        ),
        pytest.param(
            _extra_invoice,
            {("invoice", "in_ana2", "record", "missing", "present")},
            id="invoice-missing",
        ),
    ],
)
def test_each_kind_of_drift_is_named_with_both_values(stripe, ana, change, expected):
    stripe_in_sync(stripe)
    change(stripe)
    report = stripe_drift_for_person(person=ana)
    assert report.state == State.DRIFT
    assert _found(report) == expected


def test_a_customer_stripe_does_not_know_is_drift_not_an_error(stripe, ana):
    report = stripe_drift_for_person(person=ana)
    assert report.state == State.DRIFT
    assert _found(report) == {("customer", "cus_ana", "record", "present", "missing")}


def test_a_deleted_stripe_customer_is_missing_at_stripe(stripe, ana):
    stripe.customers["cus_ana"] = {"id": "cus_ana", "object": "customer", "deleted": True}
    report = stripe_drift_for_person(person=ana)
    assert _found(report) == {("customer", "cus_ana", "record", "present", "missing")}


@pytest.mark.parametrize(
    ("status", "error", "named"),
    [
        (
            401,
            {"type": "invalid_request_error", "message": "Invalid API Key provided"},
            "AuthenticationError (HTTP 401)",
        ),
        (
            429,
            {"type": "rate_limit_error", "message": "Too many requests"},
            "RateLimitError (HTTP 429)",
        ),
        (500, {"type": "api_error", "message": "Something went wrong"}, "APIError (HTTP 500)"),
    ],
)
def test_a_stripe_error_is_reported_with_its_reason(stripe, ana, status, error, named):
    stripe.failure = (status, {"error": error})
    report = stripe_drift_for_person(person=ana)
    assert report.state == State.STRIPE_ERROR
    assert named in report.message
    assert error["message"] in report.message


def test_an_answer_that_is_not_a_stripe_object_is_a_stripe_error(stripe, ana):
    stripe_in_sync(stripe)
    stripe.subscriptions = [{"customer": "cus_ana", "status": "active"}]  # no id
    report = stripe_drift_for_person(person=ana)
    assert report.state == State.STRIPE_ERROR
    assert report.message == "Stripe's answer could not be read: a subscription has no id"


def test_stripe_out_of_reach_is_a_stripe_error(settings, ana):
    with http_stub(lambda *_: (200, {})) as stub:
        url = stub.url  # a port nothing listens on once the stub is gone
    settings.STRIPE_API_KEY = "sk_test_local"
    settings.STRIPE_API_BASE = url
    report = stripe_drift_for_person(person=ana)
    assert report.state == State.STRIPE_ERROR
    assert "APIConnectionError" in report.message


def test_without_stripe_configured_the_check_says_so(settings, ana):
    settings.STRIPE_API_KEY = ""
    report = stripe_drift_for_person(person=ana)
    assert report.state == State.NOT_CONFIGURED
    assert report.message == "Stripe is not configured: set STRIPE_API_KEY to compare with Stripe."


def test_a_person_without_a_stripe_customer_is_not_compared(stripe):
    report = stripe_drift_for_person(person=PersonFactory())
    assert report.state == State.NO_CUSTOMER
    assert stripe.queries == []


# The page, the API, the command.


def test_billing_specialists_see_the_differences_on_the_page(stripe, ana, staff_billing):
    stripe_in_sync(stripe)
    _quantity(stripe)
    response = signed_in(staff_billing).get(reverse("revenue:stripe_drift", args=[ana.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-drift-state="drift"' in html
    assert "<td>quantity</td><td>1</td><td>3</td>" in html


def test_the_page_says_in_sync(stripe, ana, staff_admin):
    stripe_in_sync(stripe)
    response = signed_in(staff_admin).get(reverse("revenue:stripe_drift", args=[ana.pk]))
    assert "In sync with Stripe." in response.content.decode()


@pytest.mark.parametrize("failure", ["not_configured", "stripe_error"])
def test_the_page_explains_when_it_cannot_compare(settings, stripe, ana, staff_billing, failure):
    if failure == "not_configured":
        settings.STRIPE_API_KEY = ""
        expected = "Stripe is not configured: set STRIPE_API_KEY to compare with Stripe."
    else:
        stripe.failure = (401, {"error": {"type": "invalid_request_error", "message": "Bad key"}})
        expected = "Stripe could not be read: AuthenticationError (HTTP 401): Bad key"
    response = signed_in(staff_billing).get(reverse("revenue:stripe_drift", args=[ana.pk]))
    assert response.status_code == 200
    assert expected in response.content.decode()


@pytest.mark.parametrize("role", ["staff_support", "staff_analyst"])
def test_other_roles_may_not_check_drift(request, stripe, ana, role):
    client = signed_in(request.getfixturevalue(role))
    assert client.get(reverse("revenue:stripe_drift", args=[ana.pk])).status_code == 403
    assert client.get(reverse("revenue:stripe_drift_lookup")).status_code == 403
    api = client.get(f"/api/v1/revenue/people/{ana.pk}/stripe-drift")
    assert api.status_code == 403
    assert stripe.queries == []


def test_the_lookup_finds_a_customer_by_stripe_id_or_person_id(stripe, ana, staff_billing):
    client = signed_in(staff_billing)
    url = reverse("revenue:stripe_drift_lookup")
    target = reverse("revenue:stripe_drift", args=[ana.pk])
    assert client.get(url, {"q": "cus_ana"})["Location"] == target
    assert client.get(url, {"q": str(ana.pk)})["Location"] == target
    missing = client.get(url, {"q": "cus_nobody"})
    assert missing.status_code == 404
    assert "No person or Stripe customer matches" in missing.content.decode()
    assert client.get(url, {"q": str(2**64)}).status_code == 404


def test_the_page_is_linked_from_the_integration_debugger_and_the_person(ana, staff_billing):
    client = signed_in(staff_billing)
    debugger = client.get(reverse("telemetry:delivery_list")).content.decode()
    assert reverse("revenue:stripe_drift_lookup") in debugger
    profile = client.get(reverse("people:detail", args=[ana.pk])).content.decode()
    assert reverse("revenue:stripe_drift", args=[ana.pk]) in profile


def test_the_api_lists_the_differences(stripe, ana, staff_billing):
    stripe_in_sync(stripe)
    _cancel(stripe)
    response = signed_in(staff_billing).get(f"/api/v1/revenue/people/{ana.pk}/stripe-drift")
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["customer_id"]) == ("drift", "cus_ana")
    assert body["differences"] == [
        {
            "kind": "subscription",
            "object_id": "sub_ana",
            "field": "cancel_at_period_end",
            "opsroom": False,
            "stripe": True,
        }
    ]


def test_the_api_refuses_unknown_people(stripe, staff_billing):
    client = signed_in(staff_billing)
    assert client.get("/api/v1/revenue/people/999999/stripe-drift").status_code == 404
    assert client.get(f"/api/v1/revenue/people/{2**63}/stripe-drift").status_code == 404


def _command(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("revenue_stripe_drift", *args, stdout=out, stderr=StringIO())
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_the_sweep_exits_zero_in_sync_and_one_on_drift(stripe, ana):
    stripe_in_sync(stripe)
    code, out = _command("--all", "--limit", "10")
    assert code == 0
    assert f"person {ana.pk} (cus_ana): in_sync: In sync with Stripe." in out
    _status(stripe)
    code, out = _command("--person", str(ana.pk), "--json")
    assert code == 1
    [report] = json.loads(out)
    assert report["differences"] == [
        {
            "kind": "subscription",
            "object_id": "sub_ana",
            "field": "status",
            "opsroom": "active",
            "stripe": "past_due",
        }
    ]


def test_the_sweep_without_stripe_exits_two(settings, ana):
    settings.STRIPE_API_KEY = ""
    assert _command("--all")[0] == 2


def test_the_sweep_reports_stripe_errors_apart_from_drift(stripe, ana):
    stripe.failure = (500, {"error": {"type": "api_error", "message": "down"}})
    code, out = _command("--all")
    assert code == 2
    assert "0 with drift, 1 Stripe errors." in out


def test_the_drift_data_is_unchanged_by_a_check(stripe, ana):
    stripe_in_sync(stripe)
    _status(stripe)
    before = deepcopy(list(ana.subscriptions.values()))
    stripe_drift_for_person(person=ana)
    assert list(ana.subscriptions.values()) == before


def test_a_slow_stripe_is_a_stripe_error_not_a_hung_page(settings, ana, monkeypatch):
    monkeypatch.setattr(stripe_drift, "TIMEOUT", 0.3)

    def slow(method, path, body):
        time.sleep(1.0)
        return 200, stripe_customer()

    with http_stub(slow) as stub:
        settings.STRIPE_API_KEY = "sk_test_local"
        settings.STRIPE_API_BASE = stub.url
        started = time.monotonic()
        report = stripe_drift_for_person(person=ana)
        elapsed = time.monotonic() - started
    assert report.state == State.STRIPE_ERROR
    assert "APIConnectionError" in report.message
    assert elapsed < 3.0
