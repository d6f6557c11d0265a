"""Flag pages: adoption per week by variant, the per-person simulator of a proposed change
(nothing changes), permissions and bad input."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from conftest import signed_in
from opsroom.core.clock import clock_frozen_at
from opsroom.experiments.evaluation import bucket
from opsroom.experiments.models import Exposure, FeatureFlag
from opsroom.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 22, 12, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def flag():
    flag = FeatureFlag.objects.create(
        key="smart_grocery", variants=[{"key": "on", "weight": 1}], default_variant="off",
        rollout_percent=0,
    )  # fmt: skip
    monday = datetime(2026, 7, 13, 9, tzinfo=UTC)
    for i in range(5):
        person = PersonFactory()
        first = monday + timedelta(days=7 * (i % 2))  # 3 the week of the 13th, 2 of the 20th
        Exposure.objects.create(person=person, flag=flag, variant="on" if i < 4 else "off",
                                first_exposed_at=first, last_exposed_at=first)  # fmt: skip
    return flag


def _page(client, flag, **params):
    with clock_frozen_at(NOW):
        return client.get(reverse("experiments:flag_detail", args=[flag.key]), params)


def test_adoption_per_week_by_variant(flag, staff_analyst):
    html = _page(signed_in(staff_analyst), flag).content.decode()

    # Columns: new and all on "off", then new and all on "on".
    week_13 = '<tr data-week="2026-07-13"><td class="nowrap">2026-07-13</td>'
    assert week_13 + "<td>1</td><td>1</td><td>2</td><td>2</td></tr>" in html
    week_20 = '<tr data-week="2026-07-20"><td class="nowrap">2026-07-20</td>'
    assert week_20 + "<td>0</td><td>1</td><td>2</td><td>4</td></tr>" in html


def test_the_simulator_shows_now_and_with_a_proposed_rule_and_changes_nothing(flag, staff_analyst):
    ann = PersonFactory(external_id="u-ann", attributes={"platform": "ios"})
    rules = '[{"attribute": "platform", "op": "eq", "value": "ios", "variant": "on"}]'

    html = _page(signed_in(staff_analyst), flag, user_id="u-ann", rules=rules).content.decode()

    assert "outside the 0% rollout" in html
    assert "matches rule 1" in html
    assert "changes" in html
    assert "platform=ios" in html
    assert ann.get_absolute_url() in html
    flag.refresh_from_db()
    assert flag.rules == []
    assert flag.version == 1


def test_the_simulator_follows_the_proposed_rollout(flag, staff_analyst):
    PersonFactory(external_id="u-bo")
    inside = bucket(salt=flag.key, person_key="u-bo") < 60

    html = _page(signed_in(staff_analyst), flag, user_id="u-bo", rollout_percent=60).content
    text = html.decode()

    assert ("in the 60% rollout" in text) is inside
    assert ("outside the 60% rollout" in text) is not inside


def test_the_flag_list(flag, staff_analyst):
    html = signed_in(staff_analyst).get(reverse("experiments:flag_list")).content.decode()

    assert 'data-flag="smart_grocery"' in html
    assert "<code>on</code> 4" in html


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"user_id": "nobody"}, 404, "No person with the user id"),
        ({"user_id": "u-ann", "rollout_percent": "101"}, 400, "rollout_percent"),
        ({"user_id": "u-ann", "rollout_percent": "x"}, 400, "rollout_percent"),
        ({"user_id": "u-ann", "rules": "{not json"}, 400, "rules"),
        ({"user_id": "u-ann", "rules": '{"a": 1}'}, 400, "Rules are a list"),
        ({"user_id": "u-ann", "rules": '[{"attribute": "a", "op": "x"}]'}, 400, "unknown op"),
        ({"user_id": "u-ann", "enabled": "maybe"}, 400, "enabled"),
        ({"user_id": ""}, 400, "user_id"),
        ({"user_id": "a\x00"}, 400, "user_id"),
    ],
    ids=["unknown-person", "over-100", "text-percent", "bad-json", "not-a-list", "bad-op",
         "bad-switch", "empty-user", "nul"],
)  # fmt: skip
def test_bad_simulator_input_is_a_4xx(flag, staff_analyst, params, status, says):
    PersonFactory(external_id="u-ann")

    response = _page(signed_in(staff_analyst), flag, **params)

    assert response.status_code == status
    assert says in response.content.decode()


def test_an_unknown_flag_is_a_404(staff_analyst):
    response = signed_in(staff_analyst).get("/analytics/flags/nope/")

    assert response.status_code == 404


def test_the_simulate_api(flag, staff_admin):
    PersonFactory(external_id="u-ann", attributes={"platform": "ios"})
    client = signed_in(staff_admin)
    rules = [{"attribute": "platform", "op": "eq", "value": "ios", "variant": "on"}]

    answer = client.post(
        "/api/v1/flags/smart_grocery/simulate",
        {"user_id": "u-ann", "rules": rules},
        content_type="application/json",
    )
    bad = client.post(
        "/api/v1/flags/smart_grocery/simulate",
        {"user_id": "u-ann", "rules": [{"attribute": "a", "op": "x"}]},
        content_type="application/json",
    )
    nobody = client.post(
        "/api/v1/flags/smart_grocery/simulate", {"user_id": "x"}, content_type="application/json"
    )

    assert answer.json() == {
        "user_id": "u-ann",
        "current": {"variant": "off", "reason": "outside the 0% rollout"},
        "proposed": {"variant": "on", "reason": "matches rule 1"},
        "changes": True,
    }
    assert bad.status_code == 400
    assert nobody.status_code == 404
    flag.refresh_from_db()
    assert flag.version == 1
