"""Endpoints' AI cost limits as flags: the flag turns on in the host app's flag endpoint when a
day's or month's spend reaches the limit (alert and audit, once a period) and off when a new
period starts, a higher limit is set or the limit is removed; manual edits are put back; the
API that sets limits, who may, and bad input."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from conftest import signed_in
from opsroom.analytics.models import AiCostLimit, Alert
from opsroom.analytics.services.ai_cost import ai_cost_limit_remove, ai_cost_limit_set
from opsroom.analytics.services.ai_limits import ai_limits_watch
from opsroom.analytics.tasks import ai_limits_every_minute
from opsroom.core.clock import clock_frozen_at
from opsroom.core.models import AuditEntry
from opsroom.core.services.apikeys import api_key_create
from opsroom.core.services.audit import AuditContext
from opsroom.experiments.models import FeatureFlag
from opsroom.experiments.rollouts import FlagChange, flag_change
from opsroom.telemetry.models import AiUsage

pytestmark = pytest.mark.django_db
GENERATE = "POST /api/recipes/generate"
FLAG = "ai-limit-post-api-recipes-generate"
SYSTEM = AuditContext.system("test")
DAY = datetime(2026, 7, 20, tzinfo=UTC)
_IDS = itertools.count(1)
KEYS: dict[str, str] = {}


def _spend(at, cost, endpoint=GENERATE):
    AiUsage.objects.create(
        usage_id=f"u{next(_IDS)}", occurred_at=at, cost_micros=round(cost * 1e6),
        endpoint=endpoint, model="gpt-4o-mini",
    )  # fmt: skip


def _watch(now):
    with clock_frozen_at(now):
        return ai_limits_watch(now=now)


@pytest.fixture(autouse=True)
def _keys(staff_admin):
    audit = AuditContext(actor=staff_admin, label=staff_admin.username)
    KEYS["read"] = api_key_create(name="host", scopes=["read"], audit=audit).raw_key
    KEYS["admin"] = api_key_create(name="ops", scopes=["admin"], audit=audit).raw_key


def _host_flags(key, now):
    raw = KEYS["read"]
    with clock_frozen_at(now):
        body = Client().get("/api/v1/flags", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    return {flag["key"]: flag for flag in body["flags"]}[key]


def _set(amount, period="day", at=DAY):
    with clock_frozen_at(at):
        return ai_cost_limit_set(endpoint=GENERATE, amount=amount, period=period, audit=SYSTEM)


def test_setting_a_limit_creates_its_flag_off():
    _set(5)

    flag = _host_flags(FLAG, DAY)
    assert (flag["enabled"], flag["default_variant"], flag["rollout_percent"]) == (
        False,
        "off",
        100,
    )
    assert flag["variants"] == [{"key": "on", "weight": 1}]


def test_crossing_a_daily_limit_turns_the_flag_on_with_an_alert_and_an_audit_entry():
    _set(5)
    _spend(DAY + timedelta(hours=9), 3.0)
    assert _watch(DAY + timedelta(hours=10))["reached"] == []
    _spend(DAY + timedelta(hours=11), 2.5)

    reached = _watch(DAY + timedelta(hours=11, minutes=1))
    again = _watch(DAY + timedelta(hours=12))

    assert reached["reached"] == [GENERATE]
    assert again == {"throttled": [GENERATE], "reached": [], "lifted": []}
    flag = _host_flags(FLAG, DAY + timedelta(hours=12))
    assert flag["enabled"] is True
    alert = Alert.objects.get(kind=Alert.Kind.AI_LIMIT)
    assert GENERATE in alert.title
    assert FLAG in alert.title
    entry = AuditEntry.objects.get(action="ai_cost_limit.reached")
    assert (entry.params["spent_micros"], entry.params["flag"]) == (5_500_000, FLAG)
    assert (
        AuditEntry.objects.filter(action="flag.change", params__is_enabled=[False, True]).count()
        == 1
    )


def test_a_new_day_turns_it_off_and_a_new_crossing_alerts_again():
    _set(5)
    _spend(DAY + timedelta(hours=9), 6.0)
    _watch(DAY + timedelta(hours=10))

    lifted = _watch(DAY + timedelta(days=1, minutes=1))
    off = _host_flags(FLAG, DAY + timedelta(days=1, minutes=1))
    _spend(DAY + timedelta(days=1, hours=3), 5.0)
    _watch(DAY + timedelta(days=1, hours=4))

    assert (lifted["lifted"], off["enabled"]) == ([GENERATE], False)
    assert AuditEntry.objects.get(action="ai_cost_limit.lifted").params["why"] == "a new period"
    assert _host_flags(FLAG, DAY + timedelta(days=1, hours=4))["enabled"] is True
    assert Alert.objects.filter(kind=Alert.Kind.AI_LIMIT).count() == 2  # one a day


def test_a_monthly_limit_counts_the_month_and_resets_on_the_first():
    _set(20, period="month")
    for day in range(1, 20):
        _spend(datetime(2026, 7, day, 9, tzinfo=UTC), 1.0)
    assert _watch(datetime(2026, 7, 19, 23, tzinfo=UTC))["throttled"] == []
    _spend(datetime(2026, 7, 20, 9, tzinfo=UTC), 1.0)

    assert _watch(datetime(2026, 7, 20, 10, tzinfo=UTC))["reached"] == [GENERATE]
    assert _watch(datetime(2026, 7, 31, 23, tzinfo=UTC))["throttled"] == [GENERATE]
    assert _watch(datetime(2026, 8, 1, 0, 1, tzinfo=UTC))["lifted"] == [GENERATE]
    assert _host_flags(FLAG, datetime(2026, 8, 1, 0, 2, tzinfo=UTC))["enabled"] is False


def test_raising_the_limit_lifts_it_at_once_and_removing_it_switches_the_flag_off():
    _set(5)
    _spend(DAY + timedelta(hours=9), 6.0)
    _watch(DAY + timedelta(hours=10))

    _set(10, at=DAY + timedelta(hours=11))
    raised = _host_flags(FLAG, DAY + timedelta(hours=11))
    _set(4, at=DAY + timedelta(hours=12))
    with clock_frozen_at(DAY + timedelta(hours=13)):
        ai_cost_limit_remove(endpoint=GENERATE, audit=SYSTEM)

    assert raised["enabled"] is False
    assert AuditEntry.objects.get(action="ai_cost_limit.lifted").params["why"] == (
        "the limit was raised"
    )
    assert FeatureFlag.objects.get(key=FLAG).is_enabled is False  # kept, off
    assert not AiCostLimit.objects.exists()


def test_a_manual_change_of_the_flag_is_put_back(staff_admin):
    _set(5)
    flag = FeatureFlag.objects.get(key=FLAG)
    flag_change(flag=flag, change=FlagChange(is_enabled=True), audit=SYSTEM)

    with clock_frozen_at(DAY + timedelta(hours=1)):
        ai_limits_every_minute.call()

    assert FeatureFlag.objects.get(key=FLAG).is_enabled is False


def test_endpoints_with_the_same_slug_get_distinct_flags():
    _set(5)
    with clock_frozen_at(DAY):
        other = ai_cost_limit_set(endpoint="POST /api/recipes-generate", amount=5, audit=SYSTEM)

    assert other.flag_key.startswith(FLAG + "-")
    assert len(other.flag_key) == len(FLAG) + 9


def _api_set(client, body, **headers):
    return client.post("/api/v1/ai/limits", body, content_type="application/json", **headers)


def test_the_api_sets_and_removes_limits_for_admins_only(staff_admin, staff_analyst):
    admin_key, read_key = KEYS["admin"], KEYS["read"]
    body = {"endpoint": GENERATE, "amount": 12.5, "period": "month"}

    refused = _api_set(signed_in(staff_analyst), body)
    refused_key = _api_set(Client(), body, HTTP_AUTHORIZATION=f"Bearer {read_key}")
    by_key = _api_set(Client(), body, HTTP_AUTHORIZATION=f"Bearer {admin_key}")
    by_staff = _api_set(signed_in(staff_admin), {**body, "amount": 20})
    removed_refused = signed_in(staff_analyst).delete(f"/api/v1/ai/limits?endpoint={GENERATE}")
    removed = signed_in(staff_admin).delete(f"/api/v1/ai/limits?endpoint={GENERATE}")

    assert (refused.status_code, refused_key.status_code) == (403, 401)
    assert by_key.status_code == 200
    assert by_key.json()["limits"][0] | {"period_start": ""} == {
        "endpoint": GENERATE, "period": "month", "limit": 12.5, "spent": 0.0, "period_start": "",
        "flag": FLAG, "throttled": False, "daily_limit": None, "spent_today": 0.0,
    }  # fmt: skip
    assert by_staff.json()["limits"][0]["limit"] == 20.0
    assert (removed_refused.status_code, removed.status_code) == (403, 204)
    actions = AuditEntry.objects.filter(action__startswith="ai_cost_limit.")
    assert [(e.action, e.actor) for e in actions.order_by("id")] == [
        ("ai_cost_limit.set", None),  # the admin key
        ("ai_cost_limit.set", staff_admin),
        ("ai_cost_limit.remove", staff_admin),
    ]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"endpoint": GENERATE, "amount": 0}, 400),
        ({"endpoint": GENERATE, "amount": -1}, 400),
        ({"endpoint": GENERATE, "amount": 1e12}, 400),
        ({"endpoint": GENERATE, "amount": 5, "period": "week"}, 422),
        ({"endpoint": "x" * 201, "amount": 5}, 422),
        ({"endpoint": "a\x00b", "amount": 5}, 422),
        ({"amount": 5}, 422),
        ({"endpoint": GENERATE, "amount": "lots"}, 422),
    ],
    ids=["zero", "negative", "huge", "period", "long", "nul", "no-endpoint", "text-amount"],
)
def test_bad_input_is_a_4xx(staff_admin, body, status):
    response = _api_set(signed_in(staff_admin), body)

    assert response.status_code == status, response.content
    assert not AiCostLimit.objects.exists()


@pytest.mark.parametrize("endpoint", ["nope", "a%00b", "x" * 300])
def test_removing_an_unknown_limit_is_a_404(staff_admin, endpoint):
    response = signed_in(staff_admin).delete(f"/api/v1/ai/limits?endpoint={endpoint}")

    assert response.status_code == 404
