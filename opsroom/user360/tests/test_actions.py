"""Quick actions from the User 360 page: allowed role, refused role, confirmation, audit."""

from urllib.parse import parse_qs

import pytest
from django.core import mail

from conftest import signed_in
from opsroom.core.models import AuditEntry
from opsroom.core.tests.http_stub import http_stub
from opsroom.messaging.models import EmailMessage
from opsroom.messaging.tests.factories import EmailTemplateFactory
from opsroom.people.models import Note, Tag
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.models import Subscription
from opsroom.revenue.services import billing_customer_upsert_many
from opsroom.revenue.tests.factories import PlanFactory, SubscriptionFactory
from opsroom.support.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    return PersonFactory(name="Jane Doe", email="jane@example.com")


@pytest.fixture
def plan():
    return PlanFactory(code="premium", name="Premium", provider_price_id="price_premium")


def _form(action, plan):
    return {
        "email": {"template": "we-miss-you"},
        "note": {"body": "Prefers email over phone."},
        "ticket": {
            "subject": "Recipe timeouts",
            "body": "Context: three timeouts.",
            "priority": "high",
        },
        "tag": {"tags": "beta, vip-care"},
        "comp": {"plan": str(plan.pk), "months": "3", "reason": "Apology for the outage"},
    }[action]


AUDITED = {
    "email": "person.email_send",
    "note": "person.note_add",
    "ticket": "ticket.create",
    "tag": "person.tag_add",
    "comp": "subscription.comp_grant",
}


def _done(action, person):
    return {
        "email": lambda: EmailMessage.objects.filter(person=person).exists(),
        "note": lambda: Note.objects.filter(person=person).exists(),
        "ticket": lambda: Ticket.objects.filter(requester=person).exists(),
        "tag": lambda: person.tags.exists(),
        "comp": lambda: Subscription.objects.filter(person=person, is_complimentary=True).exists(),
    }[action]()


@pytest.mark.parametrize(
    ("action", "role"),
    [
        ("email", "staff_support"),
        ("note", "staff_billing"),
        ("ticket", "staff_support"),
        ("tag", "staff_support"),
        ("comp", "staff_billing"),
    ],
)
def test_an_allowed_role_reviews_confirms_and_leaves_an_audit_entry(
    request, person, plan, action, role
):
    EmailTemplateFactory(key="we-miss-you")
    user = request.getfixturevalue(role)
    client = signed_in(user)
    url = f"/people/{person.pk}/actions/{action}/"
    assert client.get(url).status_code == 200
    review = client.post(url, _form(action, plan))
    assert review.status_code == 200
    assert b"Check, then confirm" in review.content
    assert not _done(action, person)  # nothing happens before the confirmation
    done = client.post(url, {**_form(action, plan), "confirm": "yes"})
    assert done.status_code == 302
    assert done["Location"] == f"/people/{person.pk}/"
    assert _done(action, person)
    entry = AuditEntry.objects.get(action=AUDITED[action])
    assert entry.actor == user


@pytest.mark.parametrize(
    ("action", "role"),
    [
        ("email", "staff_analyst"),
        ("note", "staff_analyst"),
        ("ticket", "staff_analyst"),
        ("tag", "staff_billing"),
        ("comp", "staff_support"),
    ],
)
def test_a_refused_role_gets_403_and_nothing_happens(request, person, plan, action, role):
    EmailTemplateFactory(key="we-miss-you")
    client = signed_in(request.getfixturevalue(role))
    url = f"/people/{person.pk}/actions/{action}/"
    assert client.get(url).status_code == 403
    assert client.post(url, {**_form(action, plan), "confirm": "yes"}).status_code == 403
    assert not _done(action, person)
    assert not AuditEntry.objects.filter(action=AUDITED[action]).exists()


def test_the_email_is_rendered_for_the_person_sent_and_on_the_timeline(person, staff_support):
    EmailTemplateFactory(key="we-miss-you")
    client = signed_in(staff_support)
    url = f"/people/{person.pk}/actions/email/"
    review = client.post(url, {"template": "we-miss-you"})
    assert b"We miss you, Jane" in review.content
    client.post(url, {"template": "we-miss-you", "confirm": "yes"})
    assert [m.subject for m in mail.outbox] == ["We miss you, Jane"]
    page = client.get(f"/people/{person.pk}/timeline/?kind=email")
    assert b"Email sent: We miss you, Jane" in page.content


def test_a_free_text_email_and_its_mistakes(person, staff_support):
    client = signed_in(staff_support)
    url = f"/people/{person.pk}/actions/email/"
    missing = client.post(url, {"subject": "Hello"})
    assert missing.status_code == 400
    assert b"Choose a template, or write a subject and a message." in missing.content
    client.post(url, {"subject": "About your recipes", "body": "Fixed now.", "confirm": "yes"})
    assert mail.outbox[0].body == "Fixed now."


def test_the_ticket_form_is_prefilled_with_the_persons_context(person, staff_support):
    SubscriptionFactory(person=person)
    page = signed_in(staff_support).get(f"/people/{person.pk}/actions/ticket/")
    assert b"--- Context from Opsroom (User 360) ---" in page.content
    assert b"Plan: Premium monthly" in page.content


def test_a_comp_without_stripe_is_recorded_here_and_ends_by_itself(person, plan, staff_billing):
    client = signed_in(staff_billing)
    client.post(f"/people/{person.pk}/actions/comp/", {**_form("comp", plan), "confirm": "yes"})
    subscription = Subscription.objects.get(person=person)
    assert subscription.provider == "opsroom"
    assert (subscription.mrr_amount, subscription.cancel_at_period_end) == (0, True)
    entry = AuditEntry.objects.get(action="subscription.comp_grant")
    assert entry.params["applied_via"] == "opsroom"
    assert entry.params["months"] == 3


def _stripe(method, path, body):
    if path == "/v1/coupons":
        return 200, {"id": "co_comp3", "object": "coupon", "percent_off": 100}
    if path.startswith("/v1/subscriptions"):
        return 200, {
            "id": path.rsplit("/", 1)[-1] if path != "/v1/subscriptions" else "sub_new",
            "object": "subscription",
            "status": "active",
        }
    return 404, {"error": {"type": "invalid_request_error", "message": "unknown"}}


@pytest.fixture
def stripe_customer(person):
    billing_customer_upsert_many(
        rows=[{"provider_customer_id": "cus_jane", "person_id": person.pk}]
    )


def test_a_comp_on_a_live_stripe_subscription_discounts_it_in_stripe(
    person, plan, staff_billing, settings, stripe_customer
):
    SubscriptionFactory(person=person, plan=plan, provider_subscription_id="sub_jane")
    with http_stub(_stripe) as stub:
        settings.STRIPE_API_KEY = "sk_test_local"
        settings.STRIPE_API_BASE = stub.url
        client = signed_in(staff_billing)
        client.post(f"/people/{person.pk}/actions/comp/", {**_form("comp", plan), "confirm": "yes"})
    coupon, update = stub.requests
    assert (coupon["method"], coupon["path"]) == ("POST", "/v1/coupons")
    assert parse_qs(coupon["body"].decode())["duration_in_months"] == ["3"]
    assert parse_qs(coupon["body"].decode())["percent_off"] == ["100"]
    assert coupon["headers"]["Authorization"] == "Bearer sk_test_local"
    assert update["path"] == "/v1/subscriptions/sub_jane"
    assert parse_qs(update["body"].decode())["discounts[0][coupon]"] == ["co_comp3"]
    subscription = Subscription.objects.get(provider_subscription_id="sub_jane")
    assert (subscription.is_complimentary, subscription.mrr_amount) == (True, 0)
    entry = AuditEntry.objects.get(action="subscription.comp_grant")
    assert (entry.params["applied_via"], entry.params["stripe_coupon"]) == ("stripe", "co_comp3")


def test_a_comp_without_a_subscription_creates_one_in_stripe(
    person, plan, staff_billing, settings, stripe_customer
):
    with http_stub(_stripe) as stub:
        settings.STRIPE_API_KEY = "sk_test_local"
        settings.STRIPE_API_BASE = stub.url
        signed_in(staff_billing).post(
            f"/people/{person.pk}/actions/comp/", {**_form("comp", plan), "confirm": "yes"}
        )
    created = parse_qs(stub.requests[1]["body"].decode())
    assert created["customer"] == ["cus_jane"]
    assert created["items[0][price]"] == ["price_premium"]
    assert Subscription.objects.get(person=person).provider_subscription_id == "sub_new"


def test_stripe_refusing_records_nothing(person, plan, staff_billing, settings, stripe_customer):
    def refuse(method, path, body):
        return 400, {
            "error": {"type": "invalid_request_error", "message": "No such price: 'price_premium'"}
        }

    with http_stub(refuse) as stub:
        settings.STRIPE_API_KEY = "sk_test_local"
        settings.STRIPE_API_BASE = stub.url
        response = signed_in(staff_billing).post(
            f"/people/{person.pk}/actions/comp/", {**_form("comp", plan), "confirm": "yes"}
        )
    assert response.status_code == 400
    assert b"Stripe refused the complimentary subscription: No such price" in response.content
    assert not Subscription.objects.exists()
    assert not AuditEntry.objects.filter(action="subscription.comp_grant").exists()


def test_tags_are_normalised_and_an_unknown_action_is_404(person, staff_support):
    client = signed_in(staff_support)
    client.post(
        f"/people/{person.pk}/actions/tag/", {"tags": " Beta , VIP-care,", "confirm": "yes"}
    )
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["beta", "vip-care"]
    assert client.get(f"/people/{person.pk}/actions/ban/").status_code == 404
