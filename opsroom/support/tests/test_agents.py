"""Agents' routing profiles: the page (everyone reads; admins edit; an agent marks themselves
away) and `/api/v1/support/agents` by role, audited, with bad input refused."""

import json
from datetime import UTC, datetime

import pytest

from conftest import signed_in
from opsroom.core import clock
from opsroom.core.models import AuditEntry
from opsroom.support.models import AgentProfile
from opsroom.support.selectors.agents import agent_settings_get
from opsroom.support.tests.factories import TicketFactory
from opsroom.support.tests.test_api import key_client

pytestmark = pytest.mark.django_db

PROFILE = {
    "categories": ["bug", "account_access"],
    "features": ["Meal  Plan", "export", "export"],
    "open_limit": 8,
    "hours_mode": "own",
    "timezone": "Europe/Berlin",
    "hours": ["07:00-15:00"] * 4 + ["07:00-12:00", "", ""],
    "is_available": True,
}
TUESDAY_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def put(client, path, payload):
    return client.put(
        f"/api/v1/support/agents{path}", data=json.dumps(payload), content_type="application/json"
    )


@pytest.mark.parametrize("role", ["staff_admin", "staff_support", "staff_analyst"])
def test_every_role_reads_the_agents(request, role, staff_support, staff_billing):
    TicketFactory(assignee=staff_support)
    with clock.clock_frozen_at(TUESDAY_10):
        response = signed_in(request.getfixturevalue(role)).get("/api/v1/support/agents")
    assert response.status_code == 200
    body = {a["username"]: a for a in response.json()}
    assert set(body) == {"sam", "bea"}  # admins and analysts are not routed to
    assert body["sam"] | {"updated_at": None} == {
        "user_id": staff_support.pk,
        "username": "sam",
        "roles": ["Support agent"],
        "categories": [],
        "features": [],
        "open_limit": None,
        "effective_limit": 25,
        "hours_mode": "team",
        "timezone": "",
        "hours": [],
        "is_available": True,
        "open_tickets": 1,
        "is_on_shift": True,
        "updated_at": None,
        "updated_by": None,
    }


def test_a_read_key_reads_one_agent_and_others_are_404(staff_admin, staff_support):
    client = key_client(staff_admin, "read")
    assert client.get(f"/api/v1/support/agents/{staff_support.pk}").json()["username"] == "sam"
    for user_id in (staff_admin.pk, 999999, 0, -1, 2**63, 2**70):
        response = client.get(f"/api/v1/support/agents/{user_id}")
        assert response.status_code == 404, (user_id, response.content)
    assert put(client, f"/{staff_support.pk}", PROFILE).status_code in (401, 403)


def test_an_admin_replaces_a_profile_audited(staff_admin, staff_support):
    response = put(signed_in(staff_admin), f"/{staff_support.pk}", PROFILE)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["features"] == ["meal plan", "export"]
    assert body["effective_limit"] == 8
    assert body["timezone"] == "Europe/Berlin"
    assert body["updated_by"] == "ada"
    entry = AuditEntry.objects.get(action="support.agent_profile_set")
    assert entry.actor == staff_admin
    assert entry.target_id == str(staff_support.pk)
    assert entry.params["from"]["open_limit"] is None
    assert entry.params["to"]["categories"] == ["bug", "account_access"]
    # Back to the team's hours: the own hours are dropped.
    team = PROFILE | {"hours_mode": "team", "open_limit": None}
    assert put(signed_in(staff_admin), f"/{staff_support.pk}", team).json()["hours"] == []


def test_an_admin_key_replaces_a_profile(staff_admin, staff_billing):
    response = put(key_client(staff_admin, "admin"), f"/{staff_billing.pk}", PROFILE)
    assert response.status_code == 200
    assert agent_settings_get(user_id=staff_billing.pk).open_limit == 8


@pytest.mark.parametrize("role", ["staff_support", "staff_billing", "staff_analyst"])
def test_other_roles_may_not_replace_a_profile(request, role, staff_support):
    user = request.getfixturevalue(role)
    response = put(signed_in(user), f"/{staff_support.pk}", PROFILE)
    assert response.status_code == 403
    assert not AgentProfile.objects.exists()
    assert not AuditEntry.objects.filter(action="support.agent_profile_set").exists()


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"categories": ["gardening"]}, 422, "categories"),
        ({"categories": [""]}, 400, "not a ticket category"),
        ({"features": ["x" * 101]}, 400, "1 to 100"),
        ({"features": [" "]}, 400, "1 to 100"),
        ({"features": ["a\x00"]}, 422, "NUL"),
        ({"open_limit": -1}, 400, "0 to 10000"),
        ({"open_limit": 10**12}, 400, "0 to 10000"),
        ({"hours_mode": "sometimes"}, 422, "hours_mode"),
        ({"timezone": "Mars/Base"}, 400, "IANA"),
        ({"hours": ["09:00-17:00"]}, 400, "seven"),
        ({"hours": ["17:00-09:00"] * 7}, 400, "mon hours"),
        ({"hours": [""] * 7}, 400, "working day"),
        ({"is_available": "maybe"}, 422, "is_available"),
    ],
    ids=[
        "unknown-category",
        "empty-category",
        "long-feature",
        "blank-feature",
        "nul",
        "negative-limit",
        "huge-limit",
        "hours-mode",
        "timezone",
        "one-day",
        "backwards",
        "no-day",
        "available",
    ],
)
def test_bad_profiles_are_a_4xx(staff_admin, staff_support, change, status, message):
    response = put(signed_in(staff_admin), f"/{staff_support.pk}", PROFILE | change)
    assert response.status_code == status, response.content
    assert message in json.dumps(response.json())
    assert not AgentProfile.objects.exists()


def test_a_profile_for_someone_who_is_not_an_agent_is_404(staff_admin, staff_analyst):
    for user_id in (staff_analyst.pk, staff_admin.pk, 2**63):
        response = put(signed_in(staff_admin), f"/{user_id}", PROFILE)
        assert response.status_code == 404, response.content


def test_an_agent_sets_their_own_availability_only(staff_support, staff_billing):
    client = signed_in(staff_support)
    response = put(client, f"/{staff_support.pk}/availability", {"is_available": False})
    assert response.status_code == 200
    assert response.json()["is_available"] is False
    entry = AuditEntry.objects.get(action="support.agent_availability_set")
    assert (entry.actor, entry.params) == (staff_support, {"from": True, "to": False})
    other = put(client, f"/{staff_billing.pk}/availability", {"is_available": False})
    assert other.status_code == 403
    assert agent_settings_get(user_id=staff_billing.pk).is_available is True


def test_an_admin_sets_anyones_availability_and_an_analyst_nobodys(
    staff_admin, staff_support, staff_analyst
):
    path = f"/{staff_support.pk}/availability"
    assert put(signed_in(staff_admin), path, {"is_available": False}).status_code == 200
    assert put(signed_in(staff_analyst), path, {"is_available": True}).status_code == 403
    own = put(signed_in(staff_analyst), f"/{staff_analyst.pk}/availability", {"is_available": 1})
    assert own.status_code in (403, 422)
    assert agent_settings_get(user_id=staff_support.pk).is_available is False


# The page.


def test_the_page_lists_agents_and_shows_each_role_its_controls(
    staff_admin, staff_support, staff_billing, staff_analyst
):
    with clock.clock_frozen_at(TUESDAY_10):
        admin_page = signed_in(staff_admin).get("/support/agents/").content.decode()
        agent_page = signed_in(staff_support).get("/support/agents/").content.decode()
        analyst_page = signed_in(staff_analyst).get("/support/agents/").content.decode()
    assert 'data-agent="sam"' in admin_page
    assert 'data-agent="bea"' in admin_page
    assert admin_page.count("data-edit") == 2
    assert admin_page.count("data-availability") == 2
    assert agent_page.count("data-edit") == 0
    assert agent_page.count("data-availability") == 1
    assert analyst_page.count("data-availability") == 0
    assert "on shift" in analyst_page


def test_an_admin_edits_a_profile_on_the_page(staff_admin, staff_support):
    client = signed_in(staff_admin)
    assert client.get(f"/support/agents/{staff_support.pk}/").status_code == 200
    form = {
        "categories": ["billing", "bug"],
        "features": "meal plan, export",
        "open_limit": "4",
        "hours_mode": "own",
        "timezone": "UTC",
        **{f"hours-{d}": "08:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri")},
        "is_available": "1",
    }
    assert client.post(f"/support/agents/{staff_support.pk}/", form).status_code == 302
    agent = agent_settings_get(user_id=staff_support.pk)
    assert (agent.categories, agent.features, agent.open_limit) == (
        ("billing", "bug"),
        ("meal plan", "export"),
        4,
    )
    assert agent.hours_text == ["08:00-16:00"] * 5 + ["", ""]
    bad = client.post(f"/support/agents/{staff_support.pk}/", form | {"open_limit": "lots"})
    assert bad.status_code == 400
    assert "whole number" in bad.content.decode()
    assert client.get("/support/agents/999999/").status_code == 404


@pytest.mark.parametrize("role", ["staff_support", "staff_billing", "staff_analyst"])
def test_only_admins_open_the_edit_form(request, role, staff_support):
    client = signed_in(request.getfixturevalue(role))
    assert client.get(f"/support/agents/{staff_support.pk}/").status_code == 403
    assert client.post(f"/support/agents/{staff_support.pk}/", {}).status_code == 403


def test_the_availability_button(staff_support, staff_billing, staff_analyst):
    client = signed_in(staff_support)
    path = f"/support/agents/{staff_support.pk}/availability/"
    assert client.post(path, {"is_available": "0"}).status_code == 302
    assert agent_settings_get(user_id=staff_support.pk).is_available is False
    assert client.post(path, {"is_available": "1"}).status_code == 302
    assert agent_settings_get(user_id=staff_support.pk).is_available is True
    other = f"/support/agents/{staff_billing.pk}/availability/"
    assert client.post(other, {"is_available": "0"}).status_code == 403
    assert signed_in(staff_analyst).post(path, {"is_available": "0"}).status_code == 403
    assert AuditEntry.objects.filter(action="support.agent_availability_set").count() == 2
