"""The fifth automation: "is this feature on my plan?" answered from the customer's plan and
the feature catalog, with no action in the host app; and the catalog's page and API."""

import json

import pytest

from conftest import signed_in
from opsroom.core.models import AuditEntry, OutboxEntry
from opsroom.core.services.audit import AuditContext
from opsroom.messaging.models import EmailMessage
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.models import FeatureAccess
from opsroom.support.selectors.features import asks_about_availability, features_named
from opsroom.support.services.automations import automation_apply, feature_access_save
from opsroom.support.tests.test_automations import _analysed, _automatic

pytestmark = pytest.mark.django_db

INTENT = "feature_availability"


@pytest.fixture
def catalog():
    audit = AuditContext.system("t")
    feature_access_save(
        key="food-log",
        name="Food log per child",
        aliases=["food log"],
        plans=["family"],
        where="Open a child's profile and tap Food log.",
        audit=audit,
    )
    feature_access_save(
        key="print", name="Print / PDF", aliases=["print", "pdf"], plans=["premium"], audit=audit
    )


def test_questions_about_a_feature_are_recognised(catalog):
    text = "Does my plan include the Food Log? We have two kids."
    assert asks_about_availability(text=text)
    assert [f.key for f in features_named(text=text)] == ["food-log"]
    assert not asks_about_availability(text="The food log crashes when I open it.")
    assert features_named(text="I love logging food") == []  # whole words only


def test_an_included_feature_is_confirmed_with_where_to_find_it(catalog, settings):
    settings.OPSROOM_HOST_WEBHOOK_URL = ""  # no action in the app is needed
    _automatic(INTENT)
    ticket, analysis = _analysed("how_to", "Print?", "Is printing the plan to PDF included?")
    # _analysed subscribes the person to a plan coded "premium".
    run = automation_apply(ticket=ticket, analysis=analysis)
    assert run.reasons == []
    assert run.outcome == "resolved"
    assert run.action == ""
    assert not OutboxEntry.objects.filter(kind="webhook.host_app").exists()
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    email = EmailMessage.objects.get()
    assert "Yes: Print / PDF is included in your Premium plan." in email.body_text
    assert AuditEntry.objects.filter(action="ticket.auto_resolve").exists()


def test_a_feature_on_another_plan_is_explained(catalog):
    _automatic(INTENT)
    ticket, analysis = _analysed(
        "billing", "Food log?", "Do we get the food log on our plan? We're on Premium."
    )
    run = automation_apply(ticket=ticket, analysis=analysis)
    assert run.outcome == "resolved"
    body = EmailMessage.objects.get().body_text
    assert "Food log per child is not part of your Premium plan; it comes with family." in body


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("Is the food log or the PDF print included?", "names several features"),
        ("Is the food log included? This is unacceptable.", "Anger or legal words"),
    ],
)
def test_ineligible_questions_are_refused(catalog, body, reason):
    _automatic(INTENT)
    ticket, analysis = _analysed("how_to", "Question", body)
    run = automation_apply(ticket=ticket, analysis=analysis)
    assert run.outcome == "refused"
    assert any(reason in r for r in run.reasons)
    ticket.refresh_from_db()
    assert ticket.status != "solved"


def test_no_feature_named_means_no_automation(catalog):
    _automatic(INTENT)
    ticket, analysis = _analysed("how_to", "Question", "Is the meal planner included?")
    assert automation_apply(ticket=ticket, analysis=analysis) is None


def test_someone_without_a_subscription_is_on_free(catalog):
    from opsroom.support.models import Ticket, TicketAnalysis

    _automatic(INTENT)
    person = PersonFactory(name="Ana Free")
    ticket = Ticket.objects.create(
        requester=person, subject="PDF?", body="Is the PDF print available for me?"
    )
    analysis = TicketAnalysis.objects.create(
        ticket=ticket,
        category="how_to",
        category_confidence=0.99,
        category_is_confident=True,
        alternatives=[["how_to", 0.99]],
        source="model",
        model_version=1,
        severity="normal",
        severity_confidence=0.6,
    )
    run = automation_apply(ticket=ticket, analysis=analysis)
    assert run.outcome == "resolved"
    assert "not part of your Free plan" in EmailMessage.objects.get().body_text


def test_the_catalog_page_and_api_by_role(staff_admin, staff_support):
    admin = signed_in(staff_admin)
    saved = admin.post(
        "/support/automations/features/",
        {"key": "Food Log", "name": "Food log", "aliases": "food log, log", "plans": "Family"},
    )
    assert saved.status_code == 302
    feature = FeatureAccess.objects.get()
    assert (feature.key, feature.aliases, feature.plans) == (
        "food-log",
        ["food log", "log"],
        ["family"],
    )
    page = admin.get("/support/automations/").content.decode()
    assert 'data-feature="food-log"' in page
    assert (
        signed_in(staff_support)
        .post("/support/automations/features/", {"key": "x", "name": "x"})
        .status_code
        == 403
    )
    put = admin.put(
        "/api/v1/support/features/print",
        json.dumps({"name": "Print", "plans": ["premium"]}),
        "application/json",
    )
    assert put.status_code == 200
    bad = admin.put("/api/v1/support/features/print", json.dumps({"name": " "}), "application/json")
    assert bad.status_code == 400
    listed = signed_in(staff_support).get("/api/v1/support/features").json()
    assert [f["key"] for f in listed] == ["food-log", "print"]
    assert admin.delete("/api/v1/support/features/print").status_code == 204
    assert admin.delete("/api/v1/support/features/print").status_code == 404
    admin.post("/support/automations/features/food-log/delete/")
    assert not FeatureAccess.objects.exists()
    assert AuditEntry.objects.filter(action="support.feature_delete").count() == 2
