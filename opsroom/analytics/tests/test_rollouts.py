"""A flag rolls out in stages; an error spike among exposed people rolls it back on its own:
the host-facing flags endpoint gives the rolled-back rule, the host app got a signed webhook,
and an alert (with its email) and audit entries exist."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client

from conftest import signed_in
from opsroom.analytics.models import Alert
from opsroom.analytics.rollouts import guardrail_measure, rollouts_watch
from opsroom.analytics.tasks import rollouts_watch_often
from opsroom.core.clock import clock_frozen_at
from opsroom.core.models import AuditEntry
from opsroom.core.outbox.host_webhook import SIGNATURE_HEADER, host_webhook_signature_check
from opsroom.core.services.apikeys import api_key_create
from opsroom.core.services.audit import AuditContext
from opsroom.core.tests.http_stub import http_stub
from opsroom.experiments.evaluation import flag_evaluate
from opsroom.experiments.models import FeatureFlag, FlagRollout
from opsroom.experiments.rollouts import rollout_start
from opsroom.experiments.services import exposure_record_many, flag_upsert_many
from opsroom.people.models import Person
from opsroom.telemetry.models import ErrorEvent

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 7, 1, 9, tzinfo=UTC)
SECRET = "whsec_rollout"


@pytest.fixture
def host(settings):
    with http_stub(lambda method, path, body: (200, {"ok": True})) as stub:
        settings.OPSROOM_HOST_WEBHOOK_URL = f"{stub.url}/hooks/opsroom"
        settings.OPSROOM_HOST_WEBHOOK_SECRET = SECRET
        yield stub


def _flag() -> FeatureFlag:
    return flag_upsert_many(
        rows=[{"key": "smart_grocery", "variants": [{"key": "on", "weight": 1}],
               "default_variant": "off", "rollout_percent": 0}]
    ).by_key["smart_grocery"]  # fmt: skip


def _serve(flag: FeatureFlag, people: list[Person], at: datetime) -> dict[str, list[Person]]:
    """The host app serves each person what the flag's current rules give them."""
    flag.refresh_from_db()
    served: dict[str, list[Person]] = {"on": [], "off": []}
    rows = []
    for person in people:
        variant = flag_evaluate(flag, person_key=person.external_id, attributes={}).variant
        served[variant].append(person)
        rows.append((person.pk, flag.pk, variant, at))
    exposure_record_many(rows=rows)
    return served


def _errors(people: list[Person], at: datetime, tag: str) -> None:
    ErrorEvent.objects.bulk_create(
        ErrorEvent(event_id=f"{tag}-{p.pk}", fingerprint="grocery-crash", title="KeyError: 'aisle'",
                   person=p, occurred_at=at, endpoint="POST /api/grocery-lists")
        for p in people
    )  # fmt: skip


def _key(admin) -> str:
    return api_key_create(name="host app", scopes=["read"], audit=AuditContext(actor=admin)).raw_key


def test_a_staged_rollout_is_rolled_back_on_an_error_spike(host, staff_admin):
    staff_admin.email = "ada@example.com"
    staff_admin.save()
    flag = _flag()
    people = Person.objects.bulk_create([Person(external_id=f"u{i}") for i in range(1200)])
    background = [p for i, p in enumerate(people) if i % 25 == 0]  # 4% err whatever they get

    with clock_frozen_at(T0):
        rollout = rollout_start(
            flag=flag, stages=[10, 25, 50, 100], stage_minutes=60,
            audit=AuditContext(actor=staff_admin, label=staff_admin.username),
        )  # fmt: skip
    # Stage 1 (10%): healthy. The guard keeps watching, then advances after an hour.
    served = _serve(flag, people, T0 + timedelta(minutes=5))
    _errors(background, T0 + timedelta(minutes=20), "bg1")
    with clock_frozen_at(T0 + timedelta(minutes=30)):
        assert rollouts_watch() == {"smart_grocery": "watching"}
    with clock_frozen_at(T0 + timedelta(minutes=61)):
        assert rollouts_watch_often.call() == {"rollouts": {"smart_grocery": "advanced"}}
    flag.refresh_from_db()
    assert flag.rollout_percent == 25
    assert 80 < len(served["on"]) < 160

    # Stage 2 (25%): the new code path crashes for a third of the people who get it.
    served = _serve(flag, people, T0 + timedelta(minutes=70))
    spiking = served["on"][::3]
    _errors(spiking, T0 + timedelta(minutes=80), "spike")
    with clock_frozen_at(T0 + timedelta(minutes=90)):
        outcome = rollouts_watch()

    assert outcome == {"smart_grocery": "rolled_back"}
    rollout.refresh_from_db()
    flag.refresh_from_db()
    assert rollout.status == FlagRollout.Status.ROLLED_BACK
    assert "Error spike among exposed people" in rollout.reason
    assert rollout.guardrail["lower"] > 0
    assert flag.rollout_percent == 0

    # The host app reads the rolled-back rule from the flags endpoint, with its API key...
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {_key(staff_admin)}"}
    answer = client.get("/api/v1/flags", **auth)
    rules = {f["key"]: f for f in answer.json()["flags"]}
    assert rules["smart_grocery"]["rollout_percent"] == 0
    assert rules["smart_grocery"]["version"] == flag.version
    # ...cached: the same ETag gives a 304.
    assert client.get("/api/v1/flags", HTTP_IF_NONE_MATCH=answer["ETag"], **auth).status_code == 304
    # ...and was told by a signed webhook on each change, the rollback last.
    bodies = [r for r in host.requests if r["path"] == "/hooks/opsroom"]
    last = json.loads(bodies[-1]["body"])
    assert last["type"] == "flag.changed"
    assert last["data"]["flag"]["rollout_percent"] == 0
    assert last["data"]["reason"] == "flag.rollout_rollback"
    assert host_webhook_signature_check(
        bodies[-1]["body"], bodies[-1]["headers"][SIGNATURE_HEADER], secret=SECRET, now=time.time()
    )
    assert [json.loads(b["body"])["data"]["flag"]["rollout_percent"] for b in bodies] == [10, 25, 0]

    # An alert, emailed to those who handle alerts, and audit entries for every step.
    alert = Alert.objects.get()
    assert alert.kind == "rollback"
    assert "rolled back from 25% to 0%" in alert.title
    assert mail.outbox[-1].subject.startswith("[Opsroom] Flag smart_grocery rolled back")
    assert staff_admin.email in mail.outbox[-1].to
    actions = list(
        AuditEntry.objects.filter(target_type="experiments.featureflag")
        .order_by("id")
        .values_list("action", "actor_label")
    )
    assert actions == [
        ("flag.rollout_start", staff_admin.username),
        ("flag.rollout_advance", "rollout guard"),
        ("flag.rollout_rollback", "rollout guard"),
    ]


def test_a_healthy_rollout_walks_to_100_percent_and_completes(staff_admin):
    flag = _flag()
    people = Person.objects.bulk_create([Person(external_id=f"h{i}") for i in range(300)])
    with clock_frozen_at(T0):
        rollout_start(flag=flag, stages=[50, 100], stage_minutes=30, audit=AuditContext.system())
    for minutes, expected in ((31, "advanced"), (62, "completed")):
        _serve(flag, people, T0 + timedelta(minutes=minutes - 10))
        with clock_frozen_at(T0 + timedelta(minutes=minutes)):
            assert rollouts_watch() == {"smart_grocery": expected}
    flag.refresh_from_db()
    assert flag.rollout_percent == 100
    assert not Alert.objects.exists()


def test_same_error_rates_on_both_sides_do_not_roll_back():
    flag = _flag()
    people = Person.objects.bulk_create([Person(external_id=f"n{i}") for i in range(2000)])
    with clock_frozen_at(T0):
        rollout = rollout_start(flag=flag, stages=[50, 100], stage_minutes=600,
                                audit=AuditContext.system())  # fmt: skip
    _serve(flag, people, T0 + timedelta(minutes=5))
    _errors(people[::10], T0 + timedelta(minutes=20), "even")

    with clock_frozen_at(T0 + timedelta(minutes=30)):
        measured = guardrail_measure(FlagRollout.objects.select_related("flag").get(pk=rollout.pk))

    assert not measured.is_spike
    assert abs(measured.exposed_rate - measured.control_rate) < 0.05


def test_changing_a_flag_needs_the_permission_and_is_audited(staff_analyst, staff_admin):
    _flag()

    refused = signed_in(staff_analyst).post(
        "/api/v1/flags/smart_grocery", {"rollout_percent": 50}, content_type="application/json"
    )
    done = signed_in(staff_admin).post(
        "/api/v1/flags/smart_grocery", {"rollout_percent": 50}, content_type="application/json"
    )
    bad = signed_in(staff_admin).post(
        "/api/v1/flags/smart_grocery",
        {"rules": [{"attribute": "plan", "op": "regex"}]},
        content_type="application/json",
    )

    assert refused.status_code == 403
    assert done.status_code == 200
    assert done.json()["rollout_percent"] == 50
    assert bad.status_code == 400
    assert "unknown operator" in bad.json()["detail"]
    assert AuditEntry.objects.filter(action="flag.change", actor=staff_admin).count() == 1


def test_a_rollout_refuses_bad_stages_and_a_second_rollout(staff_admin):
    _flag()
    client = signed_in(staff_admin)

    bad = client.post("/api/v1/flags/smart_grocery/rollouts",
                      {"stages": [50, 25, 100], "stage_minutes": 60},
                      content_type="application/json")  # fmt: skip
    first = client.post("/api/v1/flags/smart_grocery/rollouts", {"stage_minutes": 60},
                        content_type="application/json")  # fmt: skip
    second = client.post("/api/v1/flags/smart_grocery/rollouts", {"stage_minutes": 60},
                         content_type="application/json")  # fmt: skip
    manual = client.post("/api/v1/flags/smart_grocery", {"rollout_percent": 80},
                         content_type="application/json")  # fmt: skip

    assert bad.status_code == 400
    assert first.status_code == 201
    assert first.json()["percent"] == 10
    assert second.status_code == 409
    assert manual.status_code == 409


def test_the_flags_endpoint_needs_a_key():
    assert Client().get("/api/v1/flags").status_code == 401
