"""Retention campaigns: triggers and steps checked, the random holdout, the daily run (taken in
once, each step sent once, quiet hours, the frequency cap, no sends after churn), the measured
effect against the holdout (checked against the formulas by hand), the pages, the API and the
command, each permission-checked and audited."""

import json
import math
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from conftest import signed_in
from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.models import AuditEntry
from opsroom.core.services.audit import AuditContext
from opsroom.messaging.models import EmailMessage, EmailTemplate
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.campaigns.effect import Effect
from opsroom.revenue.campaigns.rules import (
    Candidate,
    is_holdout,
    steps_clean,
    trigger_clean,
    trigger_matches,
)
from opsroom.revenue.campaigns.run import campaigns_run
from opsroom.revenue.campaigns.selectors import (
    campaign_figures,
    interventions_for_person,
    recommendation_for,
)
from opsroom.revenue.campaigns.services import campaign_create, campaign_update
from opsroom.revenue.models import (
    Campaign,
    CampaignEnrollment,
    CampaignSend,
    ChurnPrediction,
    MrrMovement,
)
from opsroom.revenue.tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

MORNING = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
AUDIT = AuditContext.system("test")


def _templates():
    for key in ("checkin", "checkin_again"):
        EmailTemplate.objects.create(
            key=key,
            name=key,
            category="lifecycle",
            subject="How is it going, {{ first_name }}?",
            body_text="Hi {{ first_name }}, anything we can help with? ({{ campaign }})",
        )


def _customer(n, band="high", probability=0.8, mrr=2900):
    person = PersonFactory(name=f"Customer {n}", email=f"c{n}@example.com")
    SubscriptionFactory(person=person)
    ChurnPrediction.objects.create(
        person=person,
        probability=probability,
        band=band,
        rule_probability=probability,
        source="rule",
        signals={"is_annual": 0.0, "paid_days": 200.0},
        mrr=mrr,
    )
    return person


def _campaign(**values):
    defaults = {
        "name": "Check in on high risk",
        "kind": "win_back",
        "trigger": {"bands": ["high"]},
        "steps": [{"template": "checkin", "day": 0}, {"template": "checkin_again", "day": 3}],
        "holdout_percent": 25,
        "is_active": True,
    }
    return campaign_create(key="checkin", values={**defaults, **values}, audit=AUDIT)


def _churn(person, day):
    subscription = person.subscriptions.first()
    MrrMovement.objects.create(
        day=day,
        person=person,
        subscription=subscription,
        kind="churn",
        amount=-2900,
        native_amount=-2900,
        currency="usd",
        customer_delta=-1,
    )


# Rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        ([], "JSON object"),
        ({"band": ["high"]}, "Unknown trigger key 'band'"),
        ({"bands": ["doomed"]}, "bands must be a list"),
        ({"min_probability": 1.5}, "between 0 and 1"),
        ({"min_probability": 0.8, "max_probability": 0.2}, "above its max_probability"),
        ({"min_mrr": "lots"}, "must be a number"),
        ({"signals": {"mrr": 5}}, "needs"),
        ({"signals": {"mrr": {"above": 5}}}, "needs"),
        ({"plans": "pro"}, "list of plan codes"),
    ],
)
def test_a_wrong_trigger_is_refused_with_what_is_wrong(trigger, message):
    with pytest.raises(InvalidInput, match=message):
        trigger_clean(trigger)


def test_steps_must_name_existing_templates_and_are_kept_in_day_order():
    assert steps_clean(
        [{"template": "b", "day": 7}, {"template": "a", "day": 0}], templates={"a", "b"}
    ) == [{"template": "a", "day": 0}, {"template": "b", "day": 7}]
    with pytest.raises(InvalidInput, match="no active email template 'c'"):
        steps_clean([{"template": "c", "day": 0}], templates={"a"})
    with pytest.raises(InvalidInput, match="whole number"):
        steps_clean([{"template": "a", "day": -1}], templates={"a"})
    with pytest.raises(InvalidInput, match="needs steps"):
        steps_clean([], templates={"a"})


def test_a_trigger_matches_on_band_probability_plan_mrr_and_signals():
    trigger = trigger_clean(
        {
            "bands": ["high", "medium"],
            "min_probability": 0.5,
            "plans": ["pro"],
            "min_mrr": 1000,
            "signals": {"is_annual": {"max": 0}},
        }
    )
    base = Candidate(1, 0.6, "medium", 2900, "pro", {"is_annual": 0.0})
    assert trigger_matches(trigger, base)
    assert not trigger_matches(trigger, Candidate(1, 0.6, "low", 2900, "pro", {"is_annual": 0}))
    assert not trigger_matches(trigger, Candidate(1, 0.4, "medium", 2900, "pro", {"is_annual": 0}))
    assert not trigger_matches(trigger, Candidate(1, 0.6, "medium", 2900, "max", {"is_annual": 0}))
    assert not trigger_matches(trigger, Candidate(1, 0.6, "medium", 900, "pro", {"is_annual": 0}))
    assert not trigger_matches(trigger, Candidate(1, 0.6, "medium", 2900, "pro", {"is_annual": 1}))
    assert not trigger_matches(trigger, Candidate(1, 0.6, "medium", 2900, "pro", {}))


def test_the_holdout_draw_is_stable_and_about_the_share_asked_for():
    draws = [
        is_holdout(campaign_key="c", person_id=i, day="2026-03-02", percent=10) for i in range(5000)
    ]
    assert 0.085 < sum(draws) / len(draws) < 0.115
    again = [
        is_holdout(campaign_key="c", person_id=i, day="2026-03-02", percent=10) for i in range(5000)
    ]
    assert draws == again
    other = [
        is_holdout(campaign_key="d", person_id=i, day="2026-03-02", percent=10) for i in range(5000)
    ]
    assert draws != other  # campaigns draw independently


# Effect ------------------------------------------------------------------------------------


def _wilson(k, n, z=1.959963984540054):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_the_effect_is_the_retention_difference_with_a_newcombe_interval():
    effect = Effect(
        treated=100, treated_retained=80, holdout=100, holdout_retained=60, treated_mrr=290_000
    )
    assert effect.lift == pytest.approx(0.2)
    l1, u1 = _wilson(80, 100)
    l2, u2 = _wilson(60, 100)
    low = 0.2 - math.sqrt((0.8 - l1) ** 2 + (u2 - 0.6) ** 2)
    high = 0.2 + math.sqrt((u1 - 0.8) ** 2 + (0.6 - l2) ** 2)
    assert effect.lift_interval == pytest.approx((low, high), abs=1e-6)
    assert effect.is_significant
    assert effect.revenue_saved == 58_000  # 0.2 x 290,000
    saved_low, saved_high = effect.revenue_saved_interval
    assert saved_low == round(low * 290_000)
    assert saved_high == round(high * 290_000)
    assert 0 < effect.p_value < 0.01


def test_no_effect_is_claimed_from_too_few_or_from_no_difference():
    few = Effect(treated=4, treated_retained=4, holdout=4, holdout_retained=0, treated_mrr=100)
    assert few.lift == 1.0
    assert not few.is_measurable
    assert few.lift_interval is None
    assert few.revenue_saved is None
    same = Effect(treated=50, treated_retained=40, holdout=50, holdout_retained=40, treated_mrr=1)
    assert same.lift == 0
    assert same.p_value == 1.0
    assert not same.is_significant


# The run -----------------------------------------------------------------------------------


def test_the_run_takes_people_in_once_sends_each_step_once_and_measures_against_the_holdout():
    _templates()
    with clock.clock_frozen_at(MORNING - timedelta(days=60)):
        people = [_customer(n) for n in range(40)]
        _customer(99, band="low", probability=0.05)
    campaign = _campaign()
    with clock.clock_frozen_at(MORNING):
        run = campaigns_run()
    entries = CampaignEnrollment.objects.filter(campaign=campaign)
    assert run.entered == {"checkin": 40}  # the low-risk customer is not taken in
    treated = entries.filter(group="treated").count()
    held = entries.filter(group="holdout").count()
    assert treated + held == 40
    assert 3 <= held <= 20  # 25% asked; a hash draw, not an exact split
    assert run.sent == treated
    assert len(mail.outbox) == treated
    assert {m.to[0] for m in mail.outbox} == {
        e.person.email for e in entries.filter(group="treated").select_related("person")
    }
    assert "Customer" in mail.outbox[0].body or "anything we can help" in mail.outbox[0].body

    # A second run the same day takes nobody in again and sends nothing twice.
    with clock.clock_frozen_at(MORNING + timedelta(hours=2)):
        again = campaigns_run()
    assert again.entered == {"checkin": 0}
    assert again.sent == 0
    assert len(mail.outbox) == treated

    # Day 3: the second step goes out, except to whoever churned meanwhile.
    gone = entries.filter(group="treated").first().person
    _churn(gone, (MORNING + timedelta(days=1)).date())
    with clock.clock_frozen_at(MORNING + timedelta(days=3)):
        day3 = campaigns_run()
    assert day3.sent == treated - 1
    assert not CampaignSend.objects.filter(enrollment__person=gone, step=1).exists()
    assert len(mail.outbox) == 2 * treated - 1

    # Nothing is measured before the window closes; after it, every entrant is.
    holdouts = list(entries.filter(group="holdout"))
    for entry in holdouts[: len(holdouts) // 2 + 1]:
        _churn(entry.person, (MORNING + timedelta(days=5)).date())
    figures = campaign_figures(campaign)
    assert figures.pending == 40
    with clock.clock_frozen_at(MORNING + timedelta(days=31)):
        final = campaigns_run()
    assert final.measured == 40
    figures = campaign_figures(campaign)
    assert figures.pending == 0
    effect = figures.effect
    assert effect.treated == treated
    assert effect.treated_retained == treated - 1
    assert effect.holdout == held
    assert effect.holdout_retained == held - (len(holdouts) // 2 + 1)
    assert effect.treated_mrr == 2900 * treated
    assert effect.lift == pytest.approx((treated - 1) / treated - effect.holdout_retained / held)
    assert people  # (built above)


def test_quiet_hours_and_the_frequency_cap_hold_sends_back_until_later():
    _templates()
    with clock.clock_frozen_at(MORNING - timedelta(days=60)):
        _customer(1)
    _campaign(holdout_percent=1)
    late = MORNING.replace(hour=22)
    with clock.clock_frozen_at(late):
        run = campaigns_run()
    if CampaignEnrollment.objects.get().group == "holdout":
        pytest.skip("the one customer was drawn into the holdout")  # 1% chance, fixed by hash
    assert run.sent == 0
    assert run.deferred == 1
    assert not mail.outbox
    with clock.clock_frozen_at(late + timedelta(hours=11)):  # 09:00 the next day
        assert campaigns_run().sent == 1
    # A second campaign's step within 48 hours of the first email waits.
    EmailTemplate.objects.create(
        key="nudge", name="nudge", category="lifecycle", subject="Try this", body_text="Hi"
    )
    entry = CampaignEnrollment.objects.get()
    entry.next_step_at = late + timedelta(hours=12)
    entry.save()
    with clock.clock_frozen_at(late + timedelta(hours=13)):
        capped = campaigns_run()
    assert capped.sent == 0
    assert capped.deferred == 1


def test_a_person_is_in_one_campaign_at_a_time_so_no_holdout_is_treated_elsewhere():
    _templates()
    with clock.clock_frozen_at(MORNING - timedelta(days=60)):
        for n in range(10):
            _customer(n)
    _campaign()
    campaign_create(
        key="second",
        values={
            "name": "Second",
            "trigger": {"bands": ["high"]},
            "steps": [{"template": "checkin", "day": 0}],
            "is_active": True,
        },
        audit=AUDIT,
    )
    with clock.clock_frozen_at(MORNING):
        run = campaigns_run()
    assert run.entered == {"checkin": 10, "second": 0}


def test_a_free_month_offer_goes_with_the_first_email():
    _templates()
    with clock.clock_frozen_at(MORNING - timedelta(days=60)):
        person = _customer(1)
    _campaign(holdout_percent=1, offer="free_month")
    with clock.clock_frozen_at(MORNING):
        campaigns_run()
    entry = CampaignEnrollment.objects.get(person=person)
    if entry.group == "holdout":
        pytest.skip("drawn into the holdout")
    assert entry.offer_applied
    assert person.subscriptions.get().discount_percent == 100


def test_campaign_changes_are_checked_and_audited():
    _templates()
    campaign = _campaign()
    with pytest.raises(InvalidInput, match="holdout percent"):
        campaign_update(key="checkin", changes={"holdout_percent": 0}, audit=AUDIT)
    with pytest.raises(InvalidInput, match="Unknown field"):
        campaign_update(key="checkin", changes={"owner": "me"}, audit=AUDIT)
    campaign_update(key="checkin", changes={"is_active": False}, audit=AUDIT)
    campaign.refresh_from_db()
    assert not campaign.is_active
    entry = AuditEntry.objects.get(action="revenue.campaign_update")
    assert entry.params["changed"] == {"is_active": [True, False]}


def test_the_timeline_and_the_recommendation_for_comparable_customers():
    _templates()
    with clock.clock_frozen_at(MORNING - timedelta(days=60)):
        people = [_customer(n) for n in range(30)]
        newcomer = _customer(100)
    campaign = _campaign(holdout_percent=40)
    with clock.clock_frozen_at(MORNING):
        campaigns_run()
    assert recommendation_for(ChurnPrediction.objects.get(person=newcomer)) is None
    for entry in CampaignEnrollment.objects.filter(group="holdout"):
        _churn(entry.person, (MORNING + timedelta(days=2)).date())
    with clock.clock_frozen_at(MORNING + timedelta(days=31)):
        campaigns_run()
    found = recommendation_for(ChurnPrediction.objects.get(person=newcomer))
    assert found is not None
    assert found.campaign == campaign
    assert found.effect.holdout_rate == 0
    entry = CampaignEnrollment.objects.filter(group="treated").first()
    steps = interventions_for_person(person_id=entry.person_id)
    assert [s.state for s in steps][-1] == "sent"
    EmailMessage.objects.filter(person_id=entry.person_id).update(opened_at=clock.now())
    assert "opened" in [s.state for s in interventions_for_person(person_id=entry.person_id)]
    assert people


# Pages, API, command -----------------------------------------------------------------------


def test_the_pages_show_the_numbers_and_only_managers_change_them(staff_billing, staff_analyst):
    _templates()
    with clock.clock_frozen_at(MORNING - timedelta(days=60)):
        person = _customer(1)
    analyst = signed_in(staff_analyst)
    assert analyst.get("/revenue/campaigns/").status_code == 200
    assert analyst.get("/revenue/campaigns/new/").status_code == 403
    assert analyst.post("/revenue/campaigns/").status_code == 403
    billing = signed_in(staff_billing)
    form = {
        "key": "checkin",
        "name": "Check in",
        "kind": "win_back",
        "trigger": '{"bands": ["high"]}',
        "steps": '[{"template": "checkin", "day": 0}]',
        "offer": "",
        "holdout_percent": 10,
        "reentry_days": 90,
        "measure_days": 30,
        "daily_limit": 200,
        "is_active": "on",
    }
    bad = billing.post("/revenue/campaigns/new/", {**form, "trigger": "{bands"})
    assert bad.status_code == 400
    assert "Not valid JSON" in bad.content.decode()
    wrong = billing.post(
        "/revenue/campaigns/new/", {**form, "steps": '[{"template": "x", "day": 0}]'}
    )
    assert wrong.status_code == 400
    assert "no active email template" in wrong.content.decode()
    assert not Campaign.objects.exists()
    made = billing.post("/revenue/campaigns/new/", form)
    assert made.status_code == 302
    assert billing.get("/revenue/campaigns/checkin/").status_code == 200
    with clock.clock_frozen_at(MORNING):
        assert billing.post("/revenue/campaigns/").status_code == 302
    page = billing.get("/revenue/campaigns/").content.decode()
    assert "Check in" in page
    assert 'data-campaign="checkin"' in page
    risk = billing.get(f"/revenue/churn/{person.pk}/").content.decode()
    assert "Intervention timeline" in risk
    assert "Check in" in risk
    assert billing.get("/revenue/campaigns/nope/").status_code == 404
    assert AuditEntry.objects.filter(action="revenue.campaigns_run").exists()


def test_the_campaigns_api(staff_billing, staff_analyst):
    _templates()
    with clock.clock_frozen_at(MORNING - timedelta(days=60)):
        person = _customer(1)
    billing = signed_in(staff_billing)
    body = {
        "key": "checkin",
        "name": "Check in",
        "trigger": {"bands": ["high"]},
        "steps": [{"template": "checkin", "day": 0}],
        "is_active": True,
    }
    post = lambda data: billing.post(  # noqa: E731
        "/api/v1/revenue/campaigns", json.dumps(data), content_type="application/json"
    )
    refused = post({**body, "trigger": {"bands": "high"}})
    assert refused.status_code == 400
    assert "bands must be a list" in refused.json()["detail"]
    assert post({**body, "holdout_percent": 90}).status_code == 400
    assert post({**body, "steps": [[[[[]]]]]}).status_code == 400
    created = post(body)
    assert created.status_code == 201
    assert created.json()["holdout_percent"] == 10
    assert post(body).status_code == 409
    analyst = signed_in(staff_analyst)
    assert (
        analyst.post(
            "/api/v1/revenue/campaigns",
            json.dumps({**body, "key": "x"}),
            content_type="application/json",
        ).status_code
        == 403
    )
    with clock.clock_frozen_at(MORNING):
        ran = billing.post("/api/v1/revenue/campaigns/run")
    assert ran.status_code == 200
    assert ran.json()["entered"] == {"checkin": 1}
    assert billing.post("/api/v1/revenue/campaigns/run?campaign=nope").status_code == 404
    listed = analyst.get("/api/v1/revenue/campaigns").json()["campaigns"]
    assert listed[0]["triggered"] == 1
    assert listed[0]["effect"]["measurable"] is False
    changed = billing.patch(
        "/api/v1/revenue/campaigns/checkin",
        json.dumps({"is_active": False}),
        content_type="application/json",
    )
    assert changed.json()["is_active"] is False
    assert (
        billing.patch(
            "/api/v1/revenue/campaigns/nope", "{}", content_type="application/json"
        ).status_code
        == 404
    )
    timeline = analyst.get(f"/api/v1/revenue/people/{person.pk}/interventions").json()
    assert timeline["interventions"][0]["campaign"] == "checkin"
    assert timeline["recommendation"] is None
    assert analyst.get("/api/v1/revenue/people/999999/interventions").status_code == 404
    assert analyst.get(f"/api/v1/revenue/people/{2**70}/interventions").status_code == 404


def test_the_command_runs_and_lists(capsys):
    _templates()
    with clock.clock_frozen_at(MORNING - timedelta(days=60)):
        _customer(1)
    _campaign()
    out = StringIO()
    with clock.clock_frozen_at(MORNING):
        call_command("revenue_campaigns", stdout=out)
    assert "Taken in: 1" in out.getvalue()
    listed = StringIO()
    call_command("revenue_campaigns", "--list", stdout=listed)
    assert "checkin" in listed.getvalue()
    with pytest.raises(CommandError, match="No active campaign 'nope'"):
        call_command("revenue_campaigns", "--campaign", "nope")


def test_a_held_out_customer_s_page_and_timeline_show_the_day_they_were_held_out(staff_billing):
    """A holdout entry has a day, not a time: the risk page and the API still render it."""
    _templates()
    campaign = _campaign()
    person = _customer(1)
    CampaignEnrollment.objects.create(
        campaign=campaign, person=person, day=clock.now().date(), group="holdout"
    )
    client = signed_in(staff_billing)
    page = client.get(f"/revenue/churn/{person.pk}/")
    assert page.status_code == 200
    assert "held out" in page.content.decode()
    timeline = client.get(f"/api/v1/revenue/people/{person.pk}/interventions").json()
    assert [step["state"] for step in timeline["interventions"]] == ["held out"]
