"""manage.py opsroom_import: JSONL and CSV, the API's validation, rejects with line numbers."""

import gc
import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from opsroom.core import clock
from opsroom.people.models import ActivityDaily, Event, Person
from opsroom.revenue.models import Subscription
from opsroom.telemetry.models import IntegrationDelivery

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock():
    with clock.clock_frozen_at(NOW):
        yield


def run(*args):
    out = StringIO()
    call_command("opsroom_import", *args, "--no-progress", stdout=out)
    return out.getvalue()


def rejects(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_jsonl_file_is_imported_with_rejects_listed_by_line(tmp_path):
    source = tmp_path / "events.jsonl"
    lines = [
        {"user_id": "u1", "name": "login", "occurred_at": "2026-03-09T08:00:00Z"},
        {"user_id": "u1", "name": "login", "occurred_at": "2026-03-09T08:00:00"},
        {"user_id": "u2", "name": "search", "occurred_at": "2026-03-09T09:00:00+01:00"},
    ]
    text = "\n".join(json.dumps(line) for line in lines[:2]) + "\n\n{broken\n"
    source.write_text(text + json.dumps(lines[2]) + "\n")
    output = run("events", str(source))
    assert "4 rows" in output
    assert "2 accepted (2 created" in output
    assert "2 rejected" in output
    assert Event.objects.filter(source="import").count() == 2
    found = rejects(tmp_path / "events.jsonl.rejects.jsonl")
    assert [(r["line"], r["field"]) for r in found] == [(4, ""), (2, "occurred_at")]
    assert "not valid JSON" in found[0]["reason"]
    assert found[1]["row"] == lines[1]


def test_re_running_an_import_changes_nothing(tmp_path):
    source = tmp_path / "events.jsonl"
    source.write_text(
        "\n".join(
            json.dumps(
                {
                    "user_id": f"u{i % 3}",
                    "name": "login",
                    "occurred_at": f"2026-03-0{i + 1}T08:00:00Z",
                }
            )
            for i in range(5)
        )
    )
    run("events", str(source), "--chunk", "2", "--commit-every", "3")
    output = run("events", str(source), "--chunk", "2")
    assert "5 accepted (0 created, 0 updated, 5 unchanged)" in output
    assert Event.objects.count() == 5
    assert sum(ActivityDaily.objects.values_list("count", flat=True)) == 5
    assert IntegrationDelivery.objects.filter(source="import").count() == 2


def test_a_file_partly_imported_before_counts_each_event_once(tmp_path):
    def event(i):
        day = 1 + i % 4
        return {
            "user_id": f"u{i % 3}",
            "name": "login",
            "occurred_at": f"2026-03-0{day}T0{i % 9}:00:00Z",
            "idempotency_key": f"e{i}",
        }

    (tmp_path / "head.jsonl").write_text("".join(json.dumps(event(i)) + "\n" for i in range(7)))
    run("events", str(tmp_path / "head.jsonl"))
    whole = tmp_path / "whole.jsonl"
    whole.write_text("".join(json.dumps(event(i)) + "\n" for i in [*range(20), 3, 15]))
    output = run("events", str(whole), "--chunk", "6", "--commit-every", "6")
    assert "22 accepted (13 created" in output
    expected: dict[tuple[str, str], int] = {}
    latest: dict[str, str] = {}
    for i in range(20):
        item = event(i)
        key = (item["user_id"], item["occurred_at"][:10])
        expected[key] = expected.get(key, 0) + 1
        latest[item["user_id"]] = max(latest.get(item["user_id"], ""), item["occurred_at"])
    stored = ActivityDaily.objects.values_list("person__external_id", "day", "count")
    assert {(p, day.isoformat()): n for p, day, n in stored} == expected
    seen = Person.objects.values_list("external_id", "last_seen_at")
    assert {p: at.isoformat().replace("+00:00", "Z") for p, at in seen} == latest


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's settings")
@pytest.mark.django_db(transaction=True)  # outside a transaction, as a command runs
def test_an_import_leaves_the_connection_settings_as_it_found_them(tmp_path):
    source = tmp_path / "events.jsonl"
    source.write_text(json.dumps({"user_id": "u1", "name": "a", "occurred_at": NOW.isoformat()}))

    def settings():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA temp_store")
            temp_store = cursor.fetchone()[0]
            cursor.execute("PRAGMA wal_autocheckpoint")
            return temp_store, cursor.fetchone()[0]

    before = settings()
    run("events", str(source))
    assert settings() == before == (2, 1000)  # in memory; every 1,000 pages


def test_an_import_leaves_the_cycle_collector_as_it_found_it(tmp_path):
    source = tmp_path / "events.jsonl"
    source.write_text(json.dumps({"user_id": "u1", "name": "a", "occurred_at": NOW.isoformat()}))
    before = gc.get_threshold()
    run("events", str(source))
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    assert Event.objects.count() == 1


def test_a_csv_file_parses_json_cells_and_leaves_empty_cells_out(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text(
        "user_id,email,name,is_vip,attributes\n"
        'u1,ann@example.com,Ann,true,"{""kids"": 2}"\n'
        "u2,,Bob,,\n"
        'u3,c@example.com,"Multi\nline",maybe,\n'
        'u4,d@example.com,Dee,false,"{not json"\n'
    )
    output = run("people", str(source))
    assert "2 accepted" in output
    ann = Person.objects.get(external_id="u1")
    assert (ann.is_vip, ann.attributes) == (True, {"kids": 2})
    assert Person.objects.get(external_id="u2").email == ""
    found = rejects(tmp_path / "people.csv.rejects.jsonl")
    assert [(r["line"], r["field"]) for r in found] == [(6, "attributes"), (4, "is_vip")]


def test_subscriptions_import_like_the_api(tmp_path):
    plans = tmp_path / "plans.jsonl"
    plans.write_text(json.dumps({"price_id": "p1", "amount": 500, "code": "basic"}) + "\n")
    subs = tmp_path / "subs.csv"
    subs.write_text(
        "subscription_id,user_id,price_id,status,updated_at\n"
        "s1,u1,p1,active,2026-03-01T00:00:00Z\n"
        "s2,u2,nope,active,2026-03-01T00:00:00Z\n"
    )
    run("plans", str(plans))
    run("subscriptions", str(subs))
    assert Subscription.objects.get().mrr_amount == 500
    assert rejects(tmp_path / "subs.csv.rejects.jsonl")[0]["field"] == "price_id"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nonsense", "x.jsonl"], "Unknown kind"),
        (["events", "/nonexistent/file.jsonl"], "No file"),
        (["events", "{tmp}/events.txt"], "Cannot tell the format"),
        (["events", "{tmp}/events.jsonl", "--chunk", "0"], "--chunk"),
        (["events", "{tmp}/events.jsonl", "--commit-every", "0"], "--commit-every"),
        (["people", "{tmp}/latin1.csv"], "not UTF-8"),
    ],
    ids=["kind", "missing", "format", "chunk", "commit", "encoding"],
)
def test_bad_arguments_are_a_command_error(tmp_path, args, message):
    (tmp_path / "events.txt").write_text("")
    (tmp_path / "events.jsonl").write_text("")
    (tmp_path / "latin1.csv").write_bytes(b"user_id,name\nu1,caf\xe9\n")
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    with pytest.raises(CommandError, match=message):
        run(*args)
