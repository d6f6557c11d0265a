"""The churn-prevention dashboard and one customer's risk page, with the manual actions:
permission-checked, audited, refused with a message when the input is wrong."""

from datetime import timedelta

import pytest
from django.core import mail

from conftest import signed_in
from opsroom.core import clock
from opsroom.core.models import AuditEntry
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.churn.selectors import Improved, recently_improved
from opsroom.revenue.models import ChurnBandChange, ChurnPrediction, RiskAction
from opsroom.revenue.tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


def _at_risk(name, probability, band, mrr=2900):
    person = PersonFactory(name=name, email=f"{name.lower()}@example.com")
    ChurnPrediction.objects.create(
        person=person,
        probability=probability,
        band=band,
        rule_probability=0.45,
        source="rule",
        factors=[
            {"feature": "days_since_login", "value": 20.0, "reference": None, "contribution": 0.3}
        ],
        signals={"days_since_login": 20.0},
        mrr=mrr,
    )
    return person


def test_the_dashboard_shows_the_bands_the_lists_and_the_reasons(staff_analyst):
    high = _at_risk("Hana", 0.82, "high", mrr=9900)
    _at_risk("Momozed", 0.5, "medium")
    _at_risk("Louvark", 0.1, "low")
    page = signed_in(staff_analyst).get("/revenue/churn/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-figure="band_high"' in html
    assert "Hana" in html
    assert "Momozed" in html
    assert "Louvark" not in html  # low risk is not "at risk"
    assert f"/revenue/churn/{high.pk}/" in html
    assert "20 days" in html  # the reason, in words
    only_high = signed_in(staff_analyst).get("/revenue/churn/?band=high").content.decode()
    assert "Hana" in only_high
    assert "Momozed" not in only_high


def test_recently_improved_counts_who_moved_to_low_since_the_day_and_still_is():
    today = clock.now().date()
    moved = [_at_risk(f"Low{i}", 0.1, "low", mrr=1000 * (i + 1)) for i in range(3)]
    back_up = _at_risk("Again", 0.8, "high", mrr=5000)  # improved, then worse again
    for person, day, from_band in (
        (moved[0], today - timedelta(days=3), "high"),
        (moved[1], today - timedelta(days=10), "medium"),
        (moved[1], today - timedelta(days=9), "medium"),  # twice: counted once
        (moved[2], today - timedelta(days=40), "high"),  # before the day
        (back_up, today - timedelta(days=5), "medium"),
    ):
        ChurnBandChange.objects.create(
            person=person, day=day, from_band=from_band, to_band="low", probability=0.1
        )
    assert recently_improved(since=today - timedelta(days=30)) == Improved(customers=2, mrr=3000)


def test_a_billing_specialist_acts_and_each_action_is_audited(staff_billing):
    person = _at_risk("Hana", 0.82, "high")
    subscription = SubscriptionFactory(person=person)
    client = signed_in(staff_billing)
    url = f"/revenue/churn/{person.pk}/"
    sent = client.post(
        url, {"kind": "email", "subject": "Can we help?", "body": "Hi Hana, anything missing?"}
    )
    assert sent.status_code == 302
    assert [m.subject for m in mail.outbox] == ["Can we help?"]
    due = (clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    call_form = {"kind": "call", "due_at": due, "note": "ask about plans"}
    assert client.post(url, call_form).status_code == 302
    assert client.post(url, {"kind": "free_month"}).status_code == 302
    subscription.refresh_from_db()
    assert subscription.discount_percent == 100
    assert subscription.discount_ends_at is not None
    assert client.post(url, {"kind": "contacted", "note": "chatted"}).status_code == 302
    kinds = sorted(RiskAction.objects.values_list("kind", flat=True))
    assert kinds == ["call", "contacted", "email", "free_month"]
    assert RiskAction.objects.get(kind="email").probability == 0.82
    call = RiskAction.objects.get(kind="call")
    assert call.assignee_id == staff_billing.pk
    assert call.done_at is None
    assert client.post(url, {"done": str(call.pk)}).status_code == 302
    call.refresh_from_db()
    assert call.done_at is not None
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "revenue.risk_email",
        "revenue.risk_call",
        "revenue.risk_free_month",
        "revenue.risk_contacted",
        "revenue.risk_call_done",
    } <= actions
    page = client.get(url).content.decode()
    assert 'data-table="signals"' in page
    assert "Call scheduled" in page
    assert "ask about plans" in page
    assert "Hana" in signed_in(staff_billing).get("/revenue/churn/").content.decode()


def test_an_analyst_may_look_but_not_act(staff_analyst):
    person = _at_risk("Hana", 0.82, "high")
    client = signed_in(staff_analyst)
    page = client.get(f"/revenue/churn/{person.pk}/")
    assert page.status_code == 200
    assert 'id="act"' not in page.content.decode()
    refused = client.post(f"/revenue/churn/{person.pk}/", {"kind": "contacted"})
    assert refused.status_code == 403
    assert not RiskAction.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="revenue.risk_").exists()


def test_bad_actions_are_refused_with_a_message_and_record_nothing(staff_billing):
    person = _at_risk("Hana", 0.82, "high")
    client = signed_in(staff_billing)
    url = f"/revenue/churn/{person.pk}/"
    no_body = client.post(url, {"kind": "email", "subject": "Hello"})
    assert no_body.status_code == 400
    assert "needs a subject and a message" in no_body.content.decode()
    no_time = client.post(url, {"kind": "call"})
    assert no_time.status_code == 400
    assert "needs a date and time" in no_time.content.decode()
    assert client.post(url, {"kind": "bribe"}).status_code == 400
    no_subscription = client.post(url, {"kind": "free_month"})
    assert no_subscription.status_code == 400
    assert "no subscription" in no_subscription.content.decode()
    assert client.post(url, {"done": "x"}).status_code == 302
    assert not RiskAction.objects.exists()
    assert mail.outbox == []
    assert client.get("/revenue/churn/999999/").status_code == 404


def test_the_predictions_api(staff_analyst):
    person = _at_risk("Hana", 0.82, "high", mrr=9900)
    _at_risk("Louvark", 0.1, "low")
    client = signed_in(staff_analyst)
    body = client.get("/api/v1/revenue/churn/predictions").json()
    assert body["bands"]["high"] == {"customers": 1, "mrr": 9900}
    assert [c["person_id"] for c in body["customers"]] == [person.pk]
    assert body["customers"][0]["factors"][0]["phrase"]
    one = client.get(f"/api/v1/revenue/churn/predictions/{person.pk}").json()
    assert one["band"] == "high"
    assert one["rule_probability"] == 0.45
    assert client.get("/api/v1/revenue/churn/predictions?band=doomed").status_code == 400
    assert client.get("/api/v1/revenue/churn/predictions?limit=0").status_code == 400
    assert client.get("/api/v1/revenue/churn/predictions/999999").status_code == 404


def test_a_person_id_past_the_integer_range_is_a_404(staff_analyst):
    client = signed_in(staff_analyst)
    assert client.get(f"/api/v1/revenue/churn/predictions/{2**70}").status_code == 404
    assert client.get("/api/v1/revenue/churn/predictions/-3").status_code == 404
    assert client.get(f"/revenue/churn/{2**70}/").status_code == 404


def test_the_people_page_shows_the_prediction_beside_the_health_score(staff_analyst):
    person = _at_risk("Hana", 0.82, "high")
    html = signed_in(staff_analyst).get(f"/people/{person.pk}/").content.decode()
    assert "data-churn-prediction" in html
    assert "82%" in html
    assert "Counted as At risk in People" in html
    assert f"/revenue/churn/{person.pk}/" in html
    calm = _at_risk("Louvark", 0.1, "low")
    calm_html = signed_in(staff_analyst).get(f"/people/{calm.pk}/").content.decode()
    assert "10%" in calm_html
    assert "Counted as At risk" not in calm_html


def test_the_top_risk_factors_are_recounted_only_when_the_predictions_change(
    django_assert_num_queries,
):
    from opsroom.revenue.churn.selectors import top_risk_factors

    _at_risk("Hana", 0.82, "high")
    _at_risk("Momozed", 0.5, "medium")
    _at_risk("Louvark", 0.1, "low")
    assert top_risk_factors() == [("days_since_login", 2)]
    with django_assert_num_queries(3):  # latest, stored row (none), at-risk count; the cache
        assert top_risk_factors(limit=1) == [("days_since_login", 2)]
    # A rescore changes the ranking at once.
    ChurnPrediction.objects.filter(band="medium").update(
        factors=[{"feature": "failed_payments", "value": 2, "reference": 0, "contribution": 0.4}],
        computed_at=clock.now() + timedelta(seconds=1),
    )
    assert sorted(top_risk_factors()) == [("days_since_login", 1), ("failed_payments", 1)]


def test_the_prediction_run_stores_the_ranking_the_dashboard_reads(django_assert_num_queries):
    from django.core.cache import cache

    from opsroom.revenue.churn.selectors import risk_bands, top_risk_factors
    from opsroom.revenue.churn.services import factor_ranking_store
    from opsroom.revenue.models import ChurnFactorRanking

    _at_risk("Hana", 0.82, "high")
    _at_risk("Momozed", 0.5, "medium")
    _at_risk("Louvark", 0.1, "low")
    ChurnPrediction.objects.filter(band="medium").update(
        factors=[{"feature": "failed_payments", "value": 2, "reference": 0, "contribution": 0.4}]
    )
    counted = risk_bands()
    stored = factor_ranking_store()
    assert stored is not None
    assert (stored.customers, stored.at_risk) == (3, 2)
    assert sorted(map(tuple, stored.ranking)) == [("days_since_login", 1), ("failed_payments", 1)]
    cache.clear()
    with django_assert_num_queries(2):  # the latest time and the stored row: nothing decoded
        assert sorted(top_risk_factors()) == [("days_since_login", 1), ("failed_payments", 1)]
    with django_assert_num_queries(2):
        assert risk_bands() == counted
    assert counted["high"].customers == 1
    # A rescore after the run: the bands are counted again, not read stale.
    ChurnPrediction.objects.filter(band="low").update(
        band="high", computed_at=clock.now() + timedelta(seconds=5)
    )
    assert risk_bands()["high"].customers == 2
    # Stored again on the next run: one row, the latest.
    factor_ranking_store()
    assert ChurnFactorRanking.objects.count() == 1
    assert risk_bands()["high"].customers == 2
    # Nobody predicted any more: nothing stored, nothing stale.
    ChurnPrediction.objects.all().delete()
    assert factor_ranking_store() is None
    assert top_risk_factors() == []
    assert risk_bands()["high"].customers == 0
