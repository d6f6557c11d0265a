"""A schema-driven fuzz run: bodies generated from each ingest operation's OpenAPI schema (and
arbitrary JSON besides) never get a 5xx, and every item is either accepted or rejected."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsroom.ingest.tests.conftest import IngestClient, key_issue
from opsroom.ingest.tests.test_openapi import ingest_contract

OPERATIONS = sorted(
    (path, ops["post"]["requestBody"]["content"]["application/json"]["schema"]["items"])
    for path, ops in ingest_contract()["paths"].items()
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
)


def from_schema(schema):
    """A strategy for values of the JSON schemas pydantic writes for the ingest items."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([from_schema(option) for option in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(
            schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False
        )
    if kind == "string" and schema.get("format") == "date-time":
        moments = st.datetimes(datetime(2020, 1, 1), datetime(2026, 1, 1), timezones=ZONES)
        return moments.map(datetime.isoformat)
    if kind == "string" and "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    if kind == "string":
        low = schema.get("minLength", 0)
        return st.text(min_size=low, max_size=min(schema.get("maxLength", 40), low + 40))
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=3)
    if kind == "object" and "properties" in schema:
        required = set(schema.get("required", []))
        properties = schema["properties"]
        return st.fixed_dictionaries(
            {name: from_schema(properties[name]) for name in required},
            optional={n: from_schema(p) for n, p in properties.items() if n not in required},
        )
    return JSON


def bodies(item_schema):
    items = from_schema(item_schema)
    loose = st.dictionaries(st.sampled_from(sorted(item_schema["properties"])), JSON, max_size=6)
    return st.one_of(
        st.lists(items, min_size=1, max_size=4),
        st.lists(st.one_of(items, loose, JSON), min_size=1, max_size=4),
        JSON,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "item_schema"), OPERATIONS, ids=[p for p, _ in OPERATIONS])
def test_generated_bodies_never_get_a_server_error(staff_admin, path, item_schema):
    client = IngestClient(key_issue(staff_admin, ["ingest"]))
    kind = path.rsplit("/", 1)[-1]

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(body=bodies(item_schema))
    def check(body):
        response = client.post(kind, json.dumps(body).encode())
        assert response.status_code < 500, (body, response.content)
        if response.status_code == 200:
            answer = response.json()
            rejected = {r["index"] for r in answer["rejected"]}
            assert set(answer["accepted"]) | rejected == set(range(len(body)))
            assert not set(answer["accepted"]) & rejected

    check()
