"""People's marketing touches: validated like every field, stored once each (a repeat changes
nothing), from the API and from a CSV import."""

import io

from django.core.management import call_command

from opsroom.people.models import Person, Touch

from .test_api_kinds import _frozen_clock, at, fields  # noqa: F401 (the frozen clock)


def _touch(**extra):
    return {"occurred_at": at(30), "channel": "paid_search", "campaign": "brand",
            "landing_page": "/pricing", "referrer": "https://www.google.com/", **extra}  # fmt: skip


def test_touches_are_stored_once_each(ingest):
    person = {"user_id": "u1", "signed_up_at": at(1), "touches": [
        _touch(), _touch(occurred_at=at(40), channel="content", campaign="",
                         landing_page="/blog/picky-eaters")]}  # fmt: skip

    first = ingest.ok("people", [person])
    again = ingest.ok("people", [person, {"user_id": "u1", "touches": [_touch()]}])

    assert first["counts"]["accepted"] == 1
    assert again["rejected"] == []
    stored = Touch.objects.filter(person=Person.objects.get(external_id="u1"))
    assert sorted(stored.values_list("channel", "campaign", "landing_page")) == [
        ("content", "", "/blog/picky-eaters"),
        ("paid_search", "brand", "/pricing"),
    ]


def test_a_later_batch_adds_touches_and_keeps_the_rest(ingest):
    ingest.ok("people", [{"user_id": "u1", "name": "Ann", "touches": [_touch()]}])
    ingest.ok("people", [{"user_id": "u1", "touches": [_touch(occurred_at=at(10))]}])
    ingest.ok("people", [{"user_id": "u1", "name": "Ann Lee"}])  # no touches: none removed

    assert Touch.objects.count() == 2


def test_bad_touches_reject_their_item_only(ingest):
    answer = ingest.ok(
        "people",
        [
            {"user_id": "ok", "touches": [_touch()]},
            {"user_id": "u2", "touches": [_touch(channel="")]},
            {"user_id": "u3", "touches": [_touch(occurred_at="2026-03-10T09:00:00")]},
            {"user_id": "u4", "touches": [_touch(utm_medium="cpc")]},
            {"user_id": "u5", "touches": [_touch(campaign="x" * 129)]},
            {"user_id": "u6", "touches": [_touch(occurred_at=at(-48))]},
            {"user_id": "u7", "touches": [_touch()] * 51},
            {"user_id": "u8", "touches": {"channel": "ads"}},
            {"user_id": "u9", "touches": [_touch(landing_page="/a\x00b")]},
        ],
    )

    assert fields(answer) == [
        (1, "touches.0.channel"),
        (2, "touches.0.occurred_at"),
        (3, "touches.0.utm_medium"),
        (4, "touches.0.campaign"),
        (5, "touches.0.occurred_at"),
        (6, "touches"),
        (7, "touches"),
        (8, "touches.0.landing_page"),
    ]
    assert list(Person.objects.values_list("external_id", flat=True)) == ["ok"]
    assert Touch.objects.count() == 1


def test_touches_from_a_csv_import(tmp_path, db):
    path = tmp_path / "people.csv"
    path.write_text(
        "user_id,signed_up_at,touches\n"
        'u1,2026-03-01T00:00:00Z,"[{""occurred_at"": ""2026-02-27T10:00:00Z"", '
        '""channel"": ""paid_social"", ""campaign"": ""spring""}]"\n'
    )

    call_command("opsroom_import", "people", str(path), "--no-progress", stdout=io.StringIO())

    assert list(Touch.objects.values_list("channel", "campaign")) == [("paid_social", "spring")]
