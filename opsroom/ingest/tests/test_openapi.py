"""The ingest API contract: the OpenAPI schema of /api/v1/ingest/ matches the committed snapshot.

After a deliberate change, regenerate it with
`OPSROOM_UPDATE_SNAPSHOTS=1 .venv/bin/pytest opsroom/ingest/tests/test_openapi.py`
and commit the new openapi_ingest.json with the change.
"""

import json
import os
from pathlib import Path
from typing import Any

from config.api import api

SNAPSHOT = Path(__file__).with_name("openapi_ingest.json")


def _refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["$ref"].rsplit("/", 1)[-1]} if "$ref" in value else set()
        return found.union(*(_refs(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_refs(item) for item in value))
    return set()


def ingest_contract() -> dict[str, Any]:
    schema = api.get_openapi_schema()
    paths = {p: ops for p, ops in schema["paths"].items() if p.startswith("/api/v1/ingest/")}
    components = schema["components"]["schemas"]
    names = _refs(paths)
    while True:
        more = _refs([components[name] for name in names]) - names
        if not more:
            break
        names |= more
    return {
        "paths": paths,
        "schemas": {name: components[name] for name in sorted(names)},
        "security": schema["components"].get("securitySchemes", {}),
    }


def test_the_ingest_contract_matches_the_snapshot():
    current = json.dumps(ingest_contract(), indent=2, sort_keys=True) + "\n"
    if os.environ.get("OPSROOM_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(current)
    assert SNAPSHOT.read_text() == current, (
        "The ingest API contract changed. If that is deliberate, regenerate the snapshot "
        "(see this module's docstring) and mention the change to integrators."
    )


def test_every_ingest_operation_has_an_explicit_id_and_a_typed_body():
    for path, operations in ingest_contract()["paths"].items():
        operation = operations["post"]
        assert operation["operationId"] == "ingest_" + path.rsplit("/", 1)[-1].replace("-", "_")
        items = operation["requestBody"]["content"]["application/json"]["schema"]["items"]
        assert items["title"].endswith("In")
        assert "$defs" not in items  # self-contained: no references into nowhere
        assert set(operation["responses"]) == {200, 400, 401, 413}
