"""AI cost: the month so far and its projection against the budget, the early warning raised
once when the projection crosses it, endpoints' daily limits the host app reads to throttle,
the dashboard, its permissions, the API and bad input."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from conftest import signed_in
from opsroom.analytics.models import AiCostLimit, Alert, Anomaly
from opsroom.analytics.services.ai_cost import (
    ai_budget_watch,
    ai_cost_limit_set,
    ai_cost_projection,
)
from opsroom.analytics.services.anomalies import anomalies_detect
from opsroom.core.clock import clock_frozen_at
from opsroom.core.models import AuditEntry
from opsroom.core.services.apikeys import api_key_create
from opsroom.core.services.audit import AuditContext
from opsroom.people.tests.factories import PersonFactory
from opsroom.telemetry.models import AiUsage

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 20, 12, tzinfo=UTC)
GENERATE = "POST /api/recipes/generate"
CHAT = "POST /api/chat"
SYSTEM = AuditContext.system("test")


_IDS = itertools.count(1)


def _usage(at, cost, *, endpoint=GENERATE, model="gpt-4o-mini", person=None):
    return AiUsage(
        usage_id=f"u{next(_IDS)}", occurred_at=at, cost_micros=round(cost * 1e6), endpoint=endpoint,
        feature="recipes" if endpoint == GENERATE else "chat", model=model, person=person,
        input_tokens=1000, output_tokens=200,
    )  # fmt: skip


@pytest.fixture
def month():
    """10 USD a day on July 1-20 at 01:00 (7 on recipes, 3 on chat), and June's last week."""
    ann = PersonFactory(name="Ann Heavy")
    rows = []
    for day in range(-7, 20):
        at = datetime(2026, 7, 1, 1, tzinfo=UTC) + timedelta(days=day)
        rows.append(_usage(at, 7.0, person=ann))
        rows.append(_usage(at, 3.0, endpoint=CHAT, model="gpt-4o"))
    rows.append(_usage(NOW, 99.0))  # not yet: the window ends at now
    AiUsage.objects.bulk_create(rows)
    return ann


def _frozen(func, *args, **kwargs):
    with clock_frozen_at(NOW):
        return func(*args, **kwargs)


def test_the_projection_adds_the_remaining_days_at_the_last_weeks_rate(month):
    ai_cost_limit_set(endpoint="", amount=250, audit=SYSTEM)

    p = _frozen(ai_cost_projection, now=NOW)

    assert p.spent_micros == 200_000_000  # 20 days x 10
    assert p.rate_days == 7
    assert p.daily_rate_micros == pytest.approx(10_000_000)
    assert p.days_left == pytest.approx(11.5)
    assert p.projected_micros == 200_000_000 + 115_000_000
    assert p.projected_high_micros == p.projected_micros  # no spread: every day alike
    assert p.over_budget
    assert not p.spent_over_budget
    assert p.crosses_on == datetime(2026, 7, 25, tzinfo=UTC).date()  # 50 left at 10 a day


def test_the_early_warning_is_raised_once_a_month_before_the_spend_crosses(month, staff_admin):
    staff_admin.email = "ada@example.com"
    staff_admin.save()
    ai_cost_limit_set(endpoint="", amount=250, audit=SYSTEM)

    first = _frozen(ai_budget_watch, now=NOW)
    again = _frozen(ai_budget_watch, now=NOW + timedelta(hours=1))

    assert first == {"over_budget": True, "alerted": True}
    assert again == {"over_budget": True, "alerted": False}
    alert = Alert.objects.get(kind="ai_budget")
    assert "heading for 315.00 USD" in alert.title
    assert "over the 250.00 USD budget (reaching it on 2026-07-25)" in alert.title
    assert alert.dedupe_key == "ai_budget:2026-07"


def test_no_warning_within_the_budget_or_without_one(month):
    assert _frozen(ai_budget_watch, now=NOW) == {"over_budget": False}
    ai_cost_limit_set(endpoint="", amount=400, audit=SYSTEM)

    assert _frozen(ai_budget_watch, now=NOW) == {"over_budget": False}
    assert not Alert.objects.exists()


def _key(admin) -> str:
    return api_key_create(name="host app", scopes=["read"], audit=AuditContext(actor=admin)).raw_key


def test_the_host_app_reads_which_endpoints_to_throttle(month, staff_admin):
    ai_cost_limit_set(endpoint=GENERATE, amount=5, audit=SYSTEM)
    ai_cost_limit_set(endpoint=CHAT, amount=50, audit=SYSTEM)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {_key(staff_admin)}"}

    with clock_frozen_at(NOW):
        answer = Client().get("/api/v1/ai/limits", **auth)

    assert answer.status_code == 200
    assert answer.json() == {
        "currency": "usd",
        "day": "2026-07-20",
        "limits": [
            {
                "endpoint": CHAT,
                "period": "day",
                "limit": 50.0,
                "spent": 3.0,
                "period_start": "2026-07-20T00:00:00Z",
                "flag": "ai-limit-post-api-chat",
                "throttled": False,
                "daily_limit": 50.0,
                "spent_today": 3.0,
            },
            {
                "endpoint": GENERATE,
                "period": "day",
                "limit": 5.0,
                "spent": 7.0,
                "period_start": "2026-07-20T00:00:00Z",
                "flag": "ai-limit-post-api-recipes-generate",
                "throttled": True,
                "daily_limit": 5.0,
                "spent_today": 7.0,
            },
        ],
    }
    assert Client().get("/api/v1/ai/limits").status_code == 401


def test_the_cost_api_gives_the_projection(month, staff_admin):
    ai_cost_limit_set(endpoint="", amount=250, audit=SYSTEM)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {_key(staff_admin)}"}

    with clock_frozen_at(NOW):
        body = Client().get("/api/v1/ai/cost", **auth).json()

    assert body["month"] == "2026-07"
    assert body["spent"] == 200.0
    assert body["projected"] == 315.0
    assert body["budget"] == 250.0
    assert body["over_budget"] is True
    assert body["budget_reached_on"] == "2026-07-25"


def test_an_analyst_reads_the_dashboard_and_changes_nothing(month, staff_analyst):
    ai_cost_limit_set(endpoint="", amount=250, audit=SYSTEM)
    ai_cost_limit_set(endpoint=GENERATE, amount=5, audit=SYSTEM)
    client = signed_in(staff_analyst)

    with clock_frozen_at(NOW):
        page = client.get(reverse("analytics:ai_cost"))
        refused = client.post(reverse("analytics:ai_cost_limit"), {"endpoint": "", "amount": 1})

    html = page.content.decode()
    assert page.status_code == 200
    assert "At this rate the budget is reached on 2026-07-25" in html
    assert "Ann Heavy" in html
    assert "gpt-4o-mini" in html
    assert "gpt-4o" in html
    assert "throttled" in html
    assert 'data-form="limit"' not in html
    assert refused.status_code == 403
    assert AiCostLimit.objects.get(endpoint="").amount_micros == 250_000_000


def test_an_admin_sets_and_removes_limits_audited(staff_admin):
    client = signed_in(staff_admin)

    budget = client.post(reverse("analytics:ai_cost_limit"), {"endpoint": "", "amount": "300"})
    limit = client.post(reverse("analytics:ai_cost_limit"), {"endpoint": CHAT, "amount": "2.5"})
    changed = client.post(reverse("analytics:ai_cost_limit"), {"endpoint": CHAT, "amount": "4"})
    removed = client.post(reverse("analytics:ai_cost_limit_delete"), {"endpoint": CHAT})

    assert [r.status_code for r in (budget, limit, changed, removed)] == [302] * 4
    assert list(AiCostLimit.objects.values_list("endpoint", "amount_micros")) == [("", 300_000_000)]
    actions = list(
        AuditEntry.objects.filter(actor=staff_admin).order_by("id").values_list("action", "params")
    )
    flag = {"period": "day", "flag": "ai-limit-post-api-chat"}
    assert actions == [
        ("ai_cost_limit.set", {"endpoint": "", "from": None, "to": 300_000_000}),
        ("ai_cost_limit.set", {"endpoint": CHAT, "from": None, "to": 2_500_000, **flag}),
        ("ai_cost_limit.set", {"endpoint": CHAT, "from": 2_500_000, "to": 4_000_000, **flag}),
        ("ai_cost_limit.remove", {"endpoint": CHAT, "was": 4_000_000}),
    ]


@pytest.mark.parametrize(
    ("url", "data", "status", "says"),
    [
        ("analytics:ai_cost_limit", {"endpoint": "", "amount": "0"}, 400, "amount"),
        ("analytics:ai_cost_limit", {"endpoint": "", "amount": "-1"}, 400, "amount"),
        ("analytics:ai_cost_limit", {"endpoint": "", "amount": "abc"}, 400, "amount"),
        ("analytics:ai_cost_limit", {"endpoint": "", "amount": "1e12"}, 400, "amount"),
        ("analytics:ai_cost_limit", {"endpoint": "", "amount": "nan"}, 400, "amount"),
        ("analytics:ai_cost_limit", {"endpoint": "", "amount": "inf"}, 400, "amount"),
        ("analytics:ai_cost_limit", {"endpoint": "x" * 201, "amount": "1"}, 400, "endpoint"),
        ("analytics:ai_cost_limit", {"endpoint": "a\x00b", "amount": "1"}, 400, "endpoint"),
        ("analytics:ai_cost_limit", {"endpoint": ""}, 400, "amount"),
        ("analytics:ai_cost_limit_delete", {"endpoint": "nope"}, 404, "No limit"),
        ("analytics:ai_cost_limit_delete", {"endpoint": "a\x00b"}, 400, "endpoint"),
    ],
    ids=[
        "zero",
        "negative",
        "text",
        "huge",
        "nan",
        "inf",
        "long-endpoint",
        "nul",
        "no-amount",
        "remove-unknown",
        "remove-nul",
    ],
)
def test_bad_input_is_a_4xx_that_says_what_is_wrong(staff_admin, url, data, status, says):
    response = signed_in(staff_admin).post(reverse(url), data)

    assert response.status_code == status
    assert says in response.content.decode()
    assert not AiCostLimit.objects.exists()


@pytest.mark.parametrize(
    ("query", "status"),
    [("?days=0", 400), ("?days=91", 400), ("?days=abc", 422), ("?metric=%00", 400),
     ("?days=7&metric=errors", 200)],
    ids=["zero-days", "too-many-days", "text-days", "nul-metric", "fine"],
)  # fmt: skip
def test_the_anomalies_api_checks_its_parameters(staff_admin, query, status):
    response = signed_in(staff_admin).get(f"/api/v1/anomalies{query}")

    assert response.status_code == status


def test_an_ai_cost_spike_is_an_anomaly():
    start = datetime(2026, 7, 10, tzinfo=UTC)
    rows = [_usage(start + timedelta(hours=h), 0.5 + 0.1 * (h % 3)) for h in range(24 * 10)]
    rows.append(_usage(start + timedelta(hours=24 * 10), 25.0))
    AiUsage.objects.bulk_create(rows)
    now = start + timedelta(hours=24 * 10 + 1, minutes=5)

    with clock_frozen_at(now):
        anomalies_detect(now=now)

    anomaly = Anomaly.objects.get(metric__key="ai_cost")
    assert anomaly.value == pytest.approx(25.0)
    assert anomaly.direction == "up"


def test_the_hourly_snapshot_plus_what_came_since_gives_the_same_projection(month):
    from opsroom.analytics.services.ai_cost import ai_cost_snapshot_refresh

    snapshot = _frozen(ai_cost_snapshot_refresh, now=NOW - timedelta(hours=2))
    AiUsage.objects.bulk_create([_usage(NOW - timedelta(hours=1), 4.0)])
    ai_cost_limit_set(endpoint="", amount=250, audit=SYSTEM)  # after the snapshot

    from_snapshot = _frozen(ai_cost_projection, now=NOW, snapshot=snapshot)
    live = _frozen(ai_cost_projection, now=NOW)

    assert from_snapshot.spent_micros == live.spent_micros == 204_000_000
    assert from_snapshot.projected_micros == live.projected_micros
    assert from_snapshot.budget_micros == 250_000_000
    assert snapshot.data["breakdowns"]["model"][0]["key"] == "gpt-4o-mini"
