"""The People read side at its edges: CSV exports, attribute filters, search conditions,
segment permissions, deep profile data and the links the page gives."""

import csv
import io
import json
import re

import pytest
from django.test import Client

from conftest import signed_in
from opsroom.people.models import Person
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.tests.factories import TicketFactory
from opsroom.user360.models import Segment

pytestmark = pytest.mark.django_db


# 6. Exports neutralise formulas.


def test_the_csv_export_never_starts_a_cell_with_a_formula(staff_support):
    PersonFactory(
        is_vip=True,
        name='=HYPERLINK("http://evil.example","x")',
        email="@evil",
        external_id="+SUM(1)",
    )
    client = signed_in(staff_support)
    query = {"field": "vip", "op": "is", "value": "yes", "days": "", "key": ""}
    done = client.post("/people/bulk/", {**query, "action": "export", "confirm_count": "1"})
    rows = list(csv.reader(io.StringIO(b"".join(done.streaming_content).decode())))
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert "'@evil" in cells
    assert "'+SUM(1)" in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


# 10. User text never becomes an ORM path.


@pytest.mark.parametrize("key", ["a__regex", "a__isnull", "a__0__b", "x__contains"])
def test_an_attribute_key_with_double_underscores_is_just_a_key(staff_analyst, key):
    PersonFactory(attributes={key: "("}, name="Has it")
    PersonFactory(attributes={"a": "("}, name="Other")
    client = signed_in(staff_analyst)
    for op, value in (("eq", "("), ("contains", "("), ("exists", ""), ("gt", "1")):
        response = client.get(
            "/api/v1/people/search",
            {
                "conditions": json.dumps(
                    [{"field": "attribute", "op": op, "key": key, "value": value}]
                )
            },
        )
        assert response.status_code == 200, response.content
        names = [row["name"] for row in response.json()["results"]]
        if op != "gt":  # how text compares with a number is the database's own rule
            assert names == ["Has it"]
    page = client.get("/people/", {"field": "attribute", "op": "eq", "key": key, "value": "("})
    assert page.status_code == 200


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ("[" * 5000 + "]" * 5000, "not valid JSON"),
        ("[" * 40 + "]" * 40, "nests deeper than 20 levels"),
        ('[{"field":"name","op":"eq","value":[[[[1]]]]}]', "text or a number"),
        ('[{"field":["name"],"op":"eq","value":"x"}]', "must be text"),
        ('[{"field":"logins","op":"gt","value":"1","days":[1]}]', "whole number"),
        ('[{"field":"attribute","op":"eq","value":"1","key":{"k":1}}]', "must be text"),
    ],
    ids=["5000-brackets", "too-deep", "list-value", "list-field", "list-days", "object-key"],
)
def test_hostile_search_conditions_are_a_400(staff_analyst, conditions, message):
    response = signed_in(staff_analyst).get("/api/v1/people/search", {"conditions": conditions})
    assert response.status_code == 400
    assert message in response.json()["detail"]


# 8. The Analyst reads; it does not share or delete shared segments.


def _segment_payload(shared):
    return {
        "name": "VIPs",
        "is_shared": shared,
        "conditions": [{"field": "vip", "op": "is", "value": "yes"}],
    }


def test_the_analyst_cannot_share_a_segment(staff_analyst):
    client = signed_in(staff_analyst)
    response = client.post(
        "/api/v1/segments", data=_segment_payload(True), content_type="application/json"
    )
    assert response.status_code == 403
    assert not Segment.objects.exists()
    page = client.post("/people/segments/save/", {"name": "VIPs", "is_shared": "on", "q": ""})
    assert page.status_code == 302
    assert not Segment.objects.exists()


def test_the_analyst_may_keep_a_private_segment(staff_analyst):
    client = signed_in(staff_analyst)
    response = client.post(
        "/api/v1/segments", data=_segment_payload(False), content_type="application/json"
    )
    assert response.status_code == 201
    assert Segment.objects.get().is_shared is False


def test_the_analyst_cannot_delete_a_shared_segment(staff_analyst, staff_support):
    mine = Segment.objects.create(name="Old", owner=staff_analyst, is_shared=True)
    theirs = Segment.objects.create(name="Team", owner=staff_support, is_shared=True)
    client = signed_in(staff_analyst)
    for segment in (mine, theirs):
        assert client.delete(f"/api/v1/segments/{segment.pk}").status_code == 403
        assert client.post(f"/people/segments/{segment.pk}/delete/").status_code == 403
    assert Segment.objects.count() == 2


# 4. Deep profile data renders (stored before the limits at the edge, or by another path).


def deep_attributes(levels):
    value = {"leaf": 1}
    for _ in range(levels):
        value = {"a": value}
    return {"kids": [value], "prefs": value}


def test_a_person_with_deeply_nested_attributes_still_renders(staff_analyst):
    person = PersonFactory(attributes=deep_attributes(200))
    client = signed_in(staff_analyst)
    assert client.get(f"/people/{person.pk}/").status_code == 200
    response = client.get(f"/api/v1/people/{person.pk}/intelligence")
    assert response.status_code == 200
    assert response.json()["attributes"]["prefs"]["a"]["a"]["a"] is not None
    admin = Client()
    from opsroom.core.models import User

    admin.force_login(User.objects.create_superuser("root", "r@x.io", "pw-0123456789"))
    assert admin.get(f"/admin/people/person/{person.pk}/change/").status_code == 200


# 11. Every link on the person page leads somewhere.


def test_every_link_on_the_person_page_resolves(staff_support):
    person = PersonFactory()
    TicketFactory(requester=person)
    client = signed_in(staff_support)
    page = client.get(f"/people/{person.pk}/").content.decode()
    timeline = client.get(f"/api/v1/people/{person.pk}/timeline").json()["items"]
    links = set(re.findall(r'href="(/[^"#?]*)', page)) | {
        item["url"] for item in timeline if item["url"].startswith("/")
    }
    assert links
    for link in sorted(links):
        if link.startswith(("/static/", "/logout")):
            continue
        assert client.get(link).status_code != 404, link
    assert all(Person.objects.filter(pk=person.pk))
