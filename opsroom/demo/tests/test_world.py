"""The demo world has the shape the tools rely on: growth, churn, payments, errors, tickets."""

from collections import Counter, defaultdict
from datetime import date, timedelta
from itertools import pairwise
from statistics import mean

import pytest
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum

from opsroom.analytics.models import AnomalyLabel
from opsroom.demo.services import demo_world_build
from opsroom.demo.tests.test_horizon import late_records
from opsroom.demo.world.activity import ADD_RATE
from opsroom.demo.world.deliveries import WEBHOOK_DAYS
from opsroom.demo.world.payments import DECLINES
from opsroom.demo.world.releases import ErrorDef
from opsroom.experiments.models import Exposure
from opsroom.people.models import ActivityDaily, Event, Person, Touch
from opsroom.revenue.models import (
    MarketingSpend,
    PaymentAttempt,
    Subscription,
    SubscriptionChange,
)
from opsroom.revenue.selectors import mrr_by_month
from opsroom.support.models import Ticket, TicketMessage
from opsroom.telemetry.models import AiUsage, ApiRequest, ErrorEvent, IntegrationDelivery

pytestmark = pytest.mark.django_db
END = date(2026, 6, 30)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One mid-sized world for the whole module, rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        summary = demo_world_build(people=600, months=9, seed=5, end=END, progress=False)
        yield summary
        transaction.set_rollback(True)


def test_signups_grow_month_over_month(world):
    months = Counter(f"{at:%Y-%m}" for at in Person.objects.values_list("signed_up_at", flat=True))
    full = [months[m] for m in sorted(months)[1:]]  # the first month is a partial one
    assert len(full) == 9
    assert all(later > earlier for earlier, later in pairwise(full))


def test_people_have_profiles_channels_and_kids(world):
    people = list(Person.objects.all())
    channels = Counter(p.acquisition_channel for p in people)
    assert set(channels) >= {"organic", "paid_search", "paid_social", "referral", "content"}
    assert all(p.attributes["kids"] and p.attributes["kids"][0]["name"] for p in people)
    assert len({p.email for p in people}) == 600
    assert len({p.attributes["country"] for p in people}) >= 8
    assert any(p.is_vip for p in people)


def test_people_came_through_touches_some_of_them_several(world):
    per_person = Counter(Touch.objects.values_list("person_id", flat=True))
    assert len(per_person) == 600  # every family has at least its acquisition touch
    several = sum(1 for n in per_person.values() if n > 1)
    assert 0.25 < several / 600 < 0.55
    last = {}
    for person_id, channel, _at in Touch.objects.order_by("occurred_at").values_list(
        "person_id", "channel", "occurred_at"
    ):
        last[person_id] = channel
    channels = dict(Person.objects.values_list("pk", "acquisition_channel"))
    assert last == channels  # the last touch is the acquisition channel
    signed_up = dict(Person.objects.values_list("pk", "signed_up_at"))
    assert all(
        at < signed_up[pk] for pk, at in Touch.objects.values_list("person_id", "occurred_at")
    )
    assert Touch.objects.filter(landing_page__startswith="/blog/").exists()
    assert Touch.objects.exclude(campaign="").values("campaign").distinct().count() >= 5


def test_paid_channels_and_the_blog_have_monthly_spend(world):
    spend = MarketingSpend.objects.values("channel").annotate(total=Sum("amount"))
    totals = {row["channel"]: row["total"] for row in spend}
    assert set(totals) >= {"paid_search", "paid_social", "content", "referral"}
    assert "organic" not in totals
    assert "app_store" not in totals
    assert MarketingSpend.objects.filter(channel="paid_social").exclude(campaign="").exists()
    assert MarketingSpend.objects.values("month").distinct().count() == 10


def test_volume_is_about_a_hundred_events_a_person(world):
    per_person = Event.objects.count() / Person.objects.count()
    assert 50 < per_person < 160


def test_every_ticket_category_is_present_with_replies_and_ratings(world):
    categories = set(Ticket.objects.values_list("category", flat=True))
    assert categories == set(Ticket.Category.values)
    solved = Ticket.objects.filter(status__in=["solved", "closed"])
    assert solved.count() > 0.8 * Ticket.objects.count()
    assert all(t.first_response_at and t.resolved_at for t in solved)
    assert solved.exclude(satisfaction_rating=None).exists()
    assert TicketMessage.objects.filter(author_kind="agent").count() >= Ticket.objects.count() * 0.9
    bodies = list(Ticket.objects.values_list("body", flat=True))
    assert len(set(bodies)) > 0.9 * len(bodies)


def test_tickets_follow_payment_failures_and_errors(world):
    failed = set(PaymentAttempt.objects.filter(status="failed").values_list("person_id", flat=True))
    paid = set(PaymentAttempt.objects.values_list("person_id", flat=True))
    billing = set(Ticket.objects.filter(category="billing").values_list("requester_id", flat=True))
    rate_after_failure = len(billing & failed) / len(failed)
    rate_otherwise = len(billing & (paid - failed)) / len(paid - failed)
    assert rate_after_failure > 2 * rate_otherwise
    erred = set(ErrorEvent.objects.values_list("person_id", flat=True))
    bugs = set(Ticket.objects.filter(category="bug").values_list("requester_id", flat=True))
    assert bugs
    assert bugs <= erred


def test_declines_are_realistic_and_failures_are_retried(world):
    failures = PaymentAttempt.objects.filter(status="failed")
    codes = set(failures.values_list("decline_code", flat=True))
    assert codes <= set(DECLINES)
    assert len(codes) >= 3
    assert failures.filter(decline_code="insufficient_funds").exists()
    assert PaymentAttempt.objects.filter(attempt_number__gt=1).exists()
    assert failures.exclude(next_retry_at=None).exists()
    recovered = PaymentAttempt.objects.filter(status="succeeded", attempt_number__gt=1)
    assert recovered.exists()


def test_mrr_by_month_adds_up_to_the_current_mrr(world):
    series = mrr_by_month(currency="usd", since=world.start)
    current = Subscription.objects.aggregate(total=Sum("mrr_amount"))["total"]
    assert current > 0
    assert list(series.values())[-1] == current


def test_the_change_log_holds_the_whole_lifecycle(world):
    kinds = set(SubscriptionChange.objects.values_list("kind", flat=True))
    assert {"trial_started", "converted", "canceled", "cancel_scheduled"} <= kinds
    statuses = set(Subscription.objects.values_list("status", flat=True))
    assert {"active", "trialing", "canceled"} <= statuses


def test_churned_subscribers_were_less_active_before_they_left(world):
    activity = defaultdict(dict)
    rows = ActivityDaily.objects.values("person_id", "day").annotate(n=Sum("count"))
    for row in rows.values_list("person_id", "day", "n"):
        activity[row[0]][row[1]] = row[2]

    def events(person_id, end):
        start = end - timedelta(days=30)
        return sum(n for day, n in activity[person_id].items() if start <= day < end)

    paid = SubscriptionChange.objects.filter(mrr_after__gt=0).values("subscription_id")
    churned = Subscription.objects.filter(pk__in=paid, status="canceled").exclude(
        Q(cancellation_reason__icontains="payment") | Q(cancellation_reason="unpaid")
    )
    retained = list(Subscription.objects.filter(pk__in=paid, status="active"))
    assert churned.count() >= 8
    assert len(retained) >= 20
    churner_activity, peer_activity = [], []
    for subscription in churned:
        moment = subscription.canceled_at.date()
        churner_activity.append(events(subscription.person_id, moment))
        peers = [s for s in retained if s.started_at.date() < moment - timedelta(days=30)]
        if peers:
            peer_activity.append(mean(events(s.person_id, moment) for s in peers))
    assert mean(churner_activity) < 0.85 * mean(peer_activity)


def test_errors_are_concentrated_on_a_few_issues(world):
    counts = Counter(ErrorEvent.objects.values_list("fingerprint", flat=True))
    top_share = counts.most_common(1)[0][1] / sum(counts.values())
    assert top_share > 0.25
    assert ErrorEvent.objects.filter(person=None).exists()  # scheduled jobs fail too


def test_the_planted_bug_stops_after_its_fix_release(world):
    story = world.story
    bug = ErrorEvent.objects.filter(title__startswith="AttributeError: 'NoneType'")
    assert bug.exists()
    assert set(bug.values_list("release", flat=True)) == {story["bug_release"]}
    assert bug.values("fingerprint").distinct().count() == 1
    last = bug.order_by("-occurred_at").first().occurred_at
    assert last.isoformat() < story["fix_deployed_at"]
    first = bug.aggregate(first=Min("occurred_at"))["first"]
    assert first.isoformat() >= story["bug_deployed_at"]
    affected = Person.objects.filter(errors__in=bug).distinct()
    assert affected.count() == story["bug_people"] >= 1
    assert all(p.attributes["platform"] == "android" for p in affected)
    assert all(any(k.get("allergies") for k in p.attributes["kids"]) for p in affected)


def test_api_logs_cover_the_recent_weeks_with_redacted_bodies(world):
    requests = ApiRequest.objects.all()
    first = requests.aggregate(first=Min("occurred_at"))["first"]
    assert first.isoformat() >= world.story["api_log_from"]
    assert requests.filter(status__gte=500).exists()
    logins = requests.filter(route="/api/auth/login").exclude(request_body="")
    assert logins.exists()
    assert all('"password":"[redacted]"' in r.request_body for r in logins[:50])
    routes = requests.values("route").annotate(n=Count("id"))
    assert len(routes) >= 12


def test_the_experiment_has_exposures_and_a_modest_effect(world):
    variants = dict(
        Exposure.objects.filter(flag__key="new_recipe_ui").values_list("person_id", "variant")
    )
    assert set(variants.values()) == {"control", "test"}
    since = world.story["experiment_started_at"]
    views, adds = Counter(), Counter()
    events = Event.objects.filter(
        occurred_at__gte=since, name__in=["recipe_viewed", "recipe_added"]
    )
    for person_id, name in events.values_list("person_id", "name"):
        (views if name == "recipe_viewed" else adds)[variants.get(person_id)] += 1
    rates = {v: adds[v] / views[v] for v in ("control", "test")}
    assert rates["control"] < rates["test"] < rates["control"] * 1.4
    assert ADD_RATE["test"] > ADD_RATE["control"]


def test_webhooks_of_the_last_30_days_arrived_and_the_refused_ones_were_retried(world):
    deliveries = IntegrationDelivery.objects.all()
    first = deliveries.aggregate(first=Min("received_at"))["first"]
    assert first >= world.horizon - timedelta(days=WEBHOOK_DAYS)
    outcomes = Counter(deliveries.values_list("source", "outcome"))
    for source in ("stripe", "sentry", "email"):
        assert outcomes[(source, "processed")] > 0
    assert outcomes[("stripe", "rejected")] + outcomes[("email", "rejected")] > 0
    assert outcomes[("email", "ignored")] > 0  # deferred: not tracked

    def event(delivery):  # what the sender sent, whatever became of it
        payload = delivery.payload
        return delivery.source, payload.get("id") or payload.get("message-id"), payload.get("event")

    processed = defaultdict(list)
    for delivery in deliveries.filter(outcome="processed"):
        processed[event(delivery)].append(delivery.received_at)
    refused = deliveries.filter(outcome__in=["rejected", "failed"])
    for delivery in refused:
        if delivery.received_at + timedelta(hours=2) < world.horizon:
            retried = processed[event(delivery)]
            assert retried, f"{event(delivery)} was never retried"
            assert min(retried) > delivery.received_at
    linked = deliveries.filter(source="stripe", outcome="processed", person__isnull=False)
    assert linked.count() == outcomes[("stripe", "processed")]


def test_the_bug_catalogue_has_one_fingerprint_per_issue():
    first = ErrorDef("x", "T", "M", "culprit a", "error", (), 0.1)
    again = ErrorDef("x", "T2", "M2", "culprit a", "error", (), 0.5)
    other = ErrorDef("y", "T", "M", "culprit a", "error", (), 0.1)
    assert first.fingerprint == again.fingerprint != other.fingerprint


def test_nothing_happens_at_or_after_the_horizon(world):
    assert late_records(world.horizon) == {}


def test_the_queue_at_the_horizon_is_a_live_one(world):
    """The team is behind at "now": new, open and pending tickets wait, some past their
    first-reply target."""
    waiting = Ticket.objects.filter(status__in=["new", "open", "pending"])
    assert waiting.count() >= 3
    assert waiting.values("category").distinct().count() >= 2
    horizon = world.horizon
    overdue = [
        t
        for t in waiting.filter(first_response_at=None)
        if horizon - t.created_at > timedelta(hours=24)
    ]
    assert overdue
    # The answered history before the backlog stays mostly solved.
    assert (
        Ticket.objects.filter(status__in=["solved", "closed"]).count()
        > 0.8 * Ticket.objects.count()
    )


def test_ai_usage_follows_the_ai_features_of_active_families(world):
    usage = AiUsage.objects.all()
    by_feature = dict(usage.values_list("feature").annotate(n=Count("id")))
    assert set(by_feature) == {
        "recipe_generation",
        "chat_coach",
        "meal_plan_generation",
        "food_recognition",
    }
    # One call per generated recipe and coach message, with the tokens and cost of its event.
    recipes = Event.objects.filter(name="recipe_generated")
    assert by_feature["recipe_generation"] == recipes.count()
    event_cost = sum(round(e.properties["cost_usd"] * 1e6) for e in recipes)
    assert usage.filter(feature="recipe_generation").aggregate(c=Sum("cost_micros"))["c"] == (
        event_cost
    )
    assert not usage.filter(Q(cost_micros__lte=0) | Q(person=None)).exists()
    assert set(usage.values_list("model", flat=True)) == {"gpt-4o-mini", "gpt-4o"}
    assert (
        usage.order_by("-occurred_at").first().occurred_at.isoformat() < world.horizon.isoformat()
    )


def test_the_prompt_loop_is_planted_and_labelled(world):
    loop = world.story["ai_loop"]
    assert loop["plans"] >= 1
    assert loop["calls"] >= 8 * loop["plans"]
    looped = AiUsage.objects.filter(
        endpoint=loop["endpoint"],
        occurred_at__gte=loop["first_call_at"],
        occurred_at__lte=loop["last_call_at"],
    )
    assert looped.count() >= loop["calls"]
    assert looped.aggregate(m=Max("input_tokens"))["m"] > 10_000  # answers sent back again
    label = AnomalyLabel.objects.get(source="demo", metric="ai_cost")
    assert label.start.isoformat() <= loop["first_call_at"] < loop["last_call_at"]
    assert loop["last_call_at"] < label.end.isoformat()
    assert label.end - label.start <= timedelta(hours=11)


def test_the_planted_errors_are_labelled_where_they_happened(world):
    labels = AnomalyLabel.objects.filter(source="demo")
    bug = ErrorEvent.objects.filter(title__startswith="AttributeError: 'NoneType'")
    span = bug.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
    route = "POST /api/kids/{id}/food-attempts"
    for metric in ("errors", f"endpoint_errors:{route}", "api_server_errors"):
        label = labels.get(metric=metric, description__contains="planted bug")
        assert label.start <= span["first"] < label.start + timedelta(hours=1)
        assert label.end - timedelta(hours=1) <= span["last"] < label.end
    incident = ErrorEvent.objects.filter(title__startswith="OperationalError: QueuePool")
    endpoints = set(incident.values_list("endpoint", flat=True))
    assert {label.metric for label in labels.filter(description__contains="database")} == {
        "errors",
        "api_server_errors",
        "api_latency",
        "api_latency_p95",
        *(f"endpoint_errors:{endpoint}" for endpoint in endpoints),
    }
    assert len(world.story["anomaly_labels"]) == labels.count()
