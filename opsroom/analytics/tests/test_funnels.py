"""Funnels: steps in order within the window, drop-off and who dropped, median times, time to
value, breakdowns with their chi-square test; defining and deleting (audited), permissions and
bad input."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from scipy import stats

from conftest import signed_in
from opsroom.analytics.models import Funnel, FunnelResult
from opsroom.analytics.services.funnels import funnel_compute
from opsroom.analytics.tasks import funnel_compute_task
from opsroom.core.clock import clock_frozen_at
from opsroom.core.models import AuditEntry
from opsroom.people.models import Event
from opsroom.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 20, 12, tzinfo=UTC)
STEPS = ["signup_completed", "kid_profile_created", "meal_plan_created"]
_KEYS = itertools.count()


def _did(person, name, at):
    return Event(person=person, name=name, occurred_at=at, idempotency_key=f"k{next(_KEYS)}")


@pytest.fixture
def journeys():
    """10 Android people complete in 1 h + 2 h; 10 iOS people stop after step 2; 5 web people
    stop at step 1; 3 do step 3 before step 2 (out of order: stop at 1); 2 take step 2 after
    the 7-day window; 2 entered before the period (not counted)."""
    start = NOW - timedelta(days=10)
    events, people = [], {}

    def person(name, platform, channel):
        p = PersonFactory(
            name=name, acquisition_channel=channel, attributes={"platform": platform},
            signed_up_at=start - timedelta(minutes=30),
        )  # fmt: skip
        people[name] = p
        return p

    for i in range(10):
        p = person(f"Android {i}", "android", "ads")
        events += [_did(p, STEPS[0], start + timedelta(minutes=i)),
                   _did(p, "recipe_viewed", start + timedelta(minutes=i + 5)),
                   _did(p, STEPS[1], start + timedelta(minutes=i, hours=1)),
                   _did(p, STEPS[2], start + timedelta(minutes=i, hours=3))]  # fmt: skip
    for i in range(10):
        p = person(f"iOS {i}", "ios", "organic")
        events += [_did(p, STEPS[0], start), _did(p, STEPS[1], start + timedelta(hours=2))]
    for i in range(5):
        events.append(_did(person(f"Web {i}", "web", "organic"), STEPS[0], start))
    for i in range(3):
        p = person(f"Backwards {i}", "web", "organic")
        events += [_did(p, STEPS[0], start + timedelta(hours=1)),
                   _did(p, STEPS[2], start + timedelta(hours=2)),
                   _did(p, STEPS[1], start + timedelta(hours=3))]  # fmt: skip
    for i in range(2):
        p = person(f"Slow {i}", "web", "organic")
        events += [_did(p, STEPS[0], start), _did(p, STEPS[1], start + timedelta(days=8))]
    for i in range(2):
        p = person(f"Old {i}", "web", "organic")
        events += [_did(p, STEPS[0], NOW - timedelta(days=40)),
                   _did(p, STEPS[1], start)]  # fmt: skip
    Event.objects.bulk_create(events)
    return people


@pytest.fixture
def funnel():
    return Funnel.objects.create(
        name="Onboarding", steps=STEPS, window_days=7, period_days=30, created_at=NOW
    )


def _compute(funnel):
    with clock_frozen_at(NOW):
        return funnel_compute(funnel=funnel, now=NOW)


def test_steps_in_order_within_the_window(journeys, funnel):
    result = _compute(funnel)

    assert result.entered == 30  # 10 + 10 + 5 + 3 + 2; the old entries are outside the period
    people = [step["people"] for step in result.steps]
    assert people == [30, 23, 10]  # 10 android + 10 ios + 3 backwards reach step 2
    assert result.steps[1]["from_start"] == pytest.approx(23 / 30)
    assert result.steps[2]["from_previous"] == pytest.approx(10 / 23)
    assert [step["dropped"] for step in result.steps] == [7, 13, 0]
    assert result.steps[1]["median_seconds"] == 3600 * 2  # 10 x 1 h, 10 x 2 h, 3 x 2 h
    assert result.steps[2]["median_seconds"] == 3600 * 2
    assert result.median_seconds_to_value == pytest.approx(3.5 * 3600 + 4.5 * 60)


def test_the_people_who_dropped_are_kept(journeys, funnel):
    result = _compute(funnel)

    dropped_at_2 = set(result.dropped["1"])
    expected = {journeys[f"iOS {i}"].pk for i in range(10)}
    expected |= {journeys[f"Backwards {i}"].pk for i in range(3)}
    assert dropped_at_2 == expected
    assert set(result.dropped["0"]) == {journeys[n].pk for n in journeys if n[:3] in ("Web", "Slo")}


def test_breakdowns_and_their_chi_square(journeys, funnel):
    result = _compute(funnel)

    platform = result.breakdowns["platform"]
    rows = {row["value"]: (row["entered"], row["completed"]) for row in platform["rows"]}
    assert rows == {"android": (10, 10), "ios": (10, 0), "web": (10, 0)}
    expected = stats.chi2_contingency([[10, 0], [0, 10], [0, 10]])[1]
    assert platform["p_value"] == pytest.approx(expected)
    channel = {r["value"]: r["entered"] for r in result.breakdowns["channel"]["rows"]}
    assert channel == {"ads": 10, "organic": 20}
    assert result.breakdowns["plan"]["rows"] == [
        {"value": "(none)", "entered": 30, "completed": 10, "rate": pytest.approx(1 / 3)}
    ]
    assert result.breakdowns["plan"]["p_value"] is None


def test_the_task_computes_by_id_and_forgets_a_deleted_funnel(journeys, funnel):
    with clock_frozen_at(NOW):
        assert funnel_compute_task.call(funnel_id=funnel.pk) == {
            "funnel": funnel.pk, "entered": 30
        }  # fmt: skip
        assert funnel_compute_task.call(funnel_id=funnel.pk + 999) == {"funnel": None}


def test_an_admin_defines_a_funnel_audited_and_reads_it(journeys, staff_admin):
    client = signed_in(staff_admin)
    with clock_frozen_at(NOW):
        created = client.post(
            reverse("analytics:funnel_new"),
            {"name": "Onboarding", "steps": "\n".join(STEPS), "window_days": 7,
             "period_days": 30},
        )  # fmt: skip
        funnel = Funnel.objects.get()
        funnel_compute_task.call(funnel_id=funnel.pk)
        page = client.get(reverse("analytics:funnel_detail", args=[funnel.pk]))
        dropped = client.get(reverse("analytics:funnel_detail", args=[funnel.pk]), {"dropped": 1})

    assert created.status_code == 302
    assert funnel.steps == STEPS
    entry = AuditEntry.objects.get(action="funnel.create")
    assert entry.params == {"steps": STEPS, "window_days": 7, "period_days": 30}
    html = page.content.decode()
    assert 'data-step="2"' in html
    assert "33.3%" in html
    assert "the groups differ" in html
    assert "iOS 3" in dropped.content.decode()
    assert "Android 3" not in dropped.content.decode()


def test_an_analyst_reads_but_may_not_define_or_delete(journeys, funnel, staff_analyst):
    _compute(funnel)
    client = signed_in(staff_analyst)

    page = client.get(reverse("analytics:funnel_list"))
    create = client.post(reverse("analytics:funnel_new"), {"steps": "a\nb", "window_days": 7,
                                                           "period_days": 30})  # fmt: skip
    delete = client.post(reverse("analytics:funnel_remove", args=[funnel.pk]))

    assert page.status_code == 200
    assert 'data-form="funnel"' not in page.content.decode()
    assert (create.status_code, delete.status_code) == (403, 403)
    assert Funnel.objects.count() == 1


def test_an_admin_deletes_a_funnel_audited(funnel, staff_admin):
    response = signed_in(staff_admin).post(reverse("analytics:funnel_remove", args=[funnel.pk]))

    assert response.status_code == 302
    assert not Funnel.objects.exists()
    assert not FunnelResult.objects.exists()
    assert AuditEntry.objects.filter(action="funnel.delete", actor=staff_admin).exists()
    again = signed_in(staff_admin).post(reverse("analytics:funnel_remove", args=[funnel.pk]))
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"steps": "only_one", "window_days": 7, "period_days": 30}, "2 to 8 steps"),
        ({"steps": "\n".join(f"s{i}" for i in range(9)), "window_days": 7, "period_days": 30},
         "2 to 8 steps"),
        ({"steps": "a\n" + "b" * 101, "window_days": 7, "period_days": 30}, "100 characters"),
        ({"steps": "a\nb", "window_days": 0, "period_days": 30}, "greater than or equal to 1"),
        ({"steps": "a\nb", "window_days": 7, "period_days": 999}, "less than or equal to 180"),
        ({"steps": "a\nb", "window_days": "x", "period_days": 30}, "Enter a whole number"),
        ({"steps": "a\x00\nb", "window_days": 7, "period_days": 30}, "Null characters"),
        ({"window_days": 7, "period_days": 30}, "required"),
    ],
    ids=["one-step", "nine-steps", "long-name", "zero-window", "long-period", "text-window",
         "nul", "no-steps"],
)  # fmt: skip
def test_bad_definitions_are_a_400_that_says_what_is_wrong(staff_admin, data, says):
    response = signed_in(staff_admin).post(reverse("analytics:funnel_new"), data)

    assert response.status_code == 400
    assert says in response.content.decode()
    assert not Funnel.objects.exists()


@pytest.mark.parametrize("value", ["2", "-1", "x", "99999999999999999999"])
def test_a_bad_dropped_step_is_a_400(funnel, staff_analyst, value):
    response = signed_in(staff_analyst).get(
        reverse("analytics:funnel_detail", args=[funnel.pk]), {"dropped": value}
    )

    assert response.status_code == 400


def test_an_unknown_funnel_is_a_404(staff_analyst):
    client = signed_in(staff_analyst)

    assert client.get("/analytics/funnels/999/").status_code == 404
    assert client.get(f"/analytics/funnels/{10**30}/").status_code == 404
